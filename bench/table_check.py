"""Reads a table input and a summarize-urls output back with Python's own csv and json
modules (a reader nobody here wrote) and checks the output holds one row per input row, in
order, with every input column identical, and our columns after them.

    python3 bench/table_check.py IN.csv OUT.csv|OUT.jsonl

Prints one JSON object: rows, ok, errors (each error row's line number and message, first
ten), error rows by code, the first mismatch if any; exits 1 when a row is missing, out of order or changed.
"""
import csv
import json
import sys

csv.field_size_limit(sys.maxsize)


def read_input(path):
    if path.endswith(".jsonl"):
        with open(path, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        return list(rows[0].keys()) if rows else [], rows
    delimiter = "\t" if path.endswith(".tsv") else ","
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f, delimiter=delimiter)
        header = next(reader)
        return header, [dict(zip(header, row)) for row in reader]


def read_output(path, columns):
    """Each output row as (input cells, our fields)."""
    if path.endswith(".jsonl"):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    record = json.loads(line)
                    yield record.get("input", {}), record
        return
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header[: len(columns)] != columns:
            raise SystemExit(json.dumps({"error": "the output does not start with the input's columns", "header": header}))
        ours = header[len(columns):]
        for row in reader:
            yield dict(zip(columns, row)), dict(zip(ours, row[len(columns):]))


def main():
    columns, rows = read_input(sys.argv[1])
    result = {"rows": 0, "inputRows": len(rows), "ok": 0, "errors": [], "errorRows": 0, "errorCodes": {}, "mismatch": None}
    for at, (cells, ours) in enumerate(read_output(sys.argv[2], columns)):
        result["rows"] += 1
        line = int(ours["line"])
        expected = rows[at] if at < len(rows) else None
        if line != at + 1 or expected is None or any(cells.get(c) != expected.get(c) for c in columns):
            result["mismatch"] = result["mismatch"] or {"row": at + 1, "line": line, "got": cells, "expected": expected}
        if ours["status"] == "ok":
            result["ok"] += 1
        else:
            result["errorRows"] += 1
            message = ours["error"]["message"] if isinstance(ours.get("error"), dict) else ours.get("errorMessage")
            code = ours["error"]["code"] if isinstance(ours.get("error"), dict) else ours.get("errorCode")
            result["errorCodes"][code] = result["errorCodes"].get(code, 0) + 1
            if len(result["errors"]) < 10:
                result["errors"].append({"line": line, "message": message})
    print(json.dumps(result, ensure_ascii=False))
    sys.exit(0 if result["mismatch"] is None and result["rows"] == len(rows) else 1)


main()

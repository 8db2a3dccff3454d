#!/usr/bin/env python3
"""The Python write-up's strategies, standard library only, for `summarize-urls bench`.

Each page: fetch it (urllib), strip the HTML to text (html.parser), and ask the model for
a summary through Bedrock's Converse API (a SigV4-signed POST, signed here with hmac and
hashlib, as boto3 would). Strategies, as the write-up ran them:

  sequential  a plain loop, like pandas `apply`
  gather      `asyncio.gather` over coroutines that make blocking calls: they run one at a
              time, because nothing in them ever awaits (the write-up's point)
  threads     `ThreadPoolExecutor(max_workers=concurrency)`
  to_thread   `asyncio.gather` of `asyncio.to_thread(...)` with a default executor of
              `concurrency` threads: the asyncio version that does overlap
  readability `ThreadPoolExecutor` as `threads`, but the page's main text comes from
              readability-lxml (Debian's python3-readability), the work our extraction does,
              instead of every visible word from html.parser

The system prompt comes from the caller (`--system`), so both send the model the same prompt.

URLs come on stdin, one a line. One JSON object goes to stdout:
{"wallMs", "startedEpochMs", "cpuMs", "processCpuMs", "peakRssMb", "pageMs", "doneMs", "fetchMs",
"summarizeMs", "ok", "failed", "errors", "inputTokens", "outputTokens"}.
"""

import argparse
import asyncio
import concurrent.futures
import datetime
import hashlib
import hmac
import html.parser
import json
import os
import re
import resource
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

INVISIBLE = {"script", "style", "noscript", "template", "svg", "head"}


class TextExtractor(html.parser.HTMLParser):
    """The page's visible text and its <title>: what a quick script strips HTML with."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.title = []
        self.hidden = 0
        self.in_title = False

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self.in_title = True
        elif tag in INVISIBLE:
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        elif tag in INVISIBLE and self.hidden > 0:
            self.hidden -= 1

    def handle_data(self, data):
        if self.in_title:
            self.title.append(data)
        elif self.hidden == 0:
            self.parts.append(data)


def collapse(text):
    return re.sub(r"\s+", " ", text).strip()


def strip_tags(html):
    """Every visible word and the title, as a quick script does it."""
    parser = TextExtractor()
    parser.feed(html)
    return collapse(" ".join(parser.parts)), collapse(" ".join(parser.title))


def readability_text(html):
    """The page's main text and title, as readability-lxml finds them (imported on first use)."""
    import lxml.html
    from readability import Document

    document = Document(html)
    summary = document.summary(html_partial=True)
    return collapse(lxml.html.fromstring(summary).text_content()), collapse(document.short_title())



def sign(url, body, region, access_key, secret_key, session_token=None, now=None):
    """AWS Signature Version 4 headers for a POST to Bedrock (signing name `bedrock`)."""
    parts = urllib.parse.urlsplit(url)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = now.strftime("%Y%m%d")
    headers = {"content-type": "application/json", "host": parts.netloc, "x-amz-date": amz_date}
    if session_token:
        headers["x-amz-security-token"] = session_token
    names = sorted(headers)
    signed_headers = ";".join(names)
    # Every service but S3 signs the path URI-encoded once more: `%3A` becomes `%253A`.
    canonical_uri = urllib.parse.quote(parts.path, safe="/-_.~")
    canonical_request = "\n".join([
        "POST",
        canonical_uri,
        "",
        "".join(f"{name}:{headers[name]}\n" for name in names),
        signed_headers,
        hashlib.sha256(body).hexdigest(),
    ])
    scope = f"{day}/{region}/bedrock/aws4_request"
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()])
    key = ("AWS4" + secret_key).encode()
    for part in (day, region, "bedrock", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
    del headers["host"]
    return headers


def make_worker(args):
    endpoint = args.endpoint.rstrip("/")
    model_path = urllib.parse.quote(args.model, safe="")
    converse_url = f"{endpoint}/model/{model_path}/converse"
    access_key = os.environ.get("AWS_ACCESS_KEY_ID", "bench")
    secret_key = os.environ.get("AWS_SECRET_ACCESS_KEY", "bench")
    session_token = os.environ.get("AWS_SESSION_TOKEN")

    extract = readability_text if args.strategy == "readability" else strip_tags

    def process(url):
        """One page, start to end, blocking: (ok, total ms, fetch ms, summarize ms, error, ended at, (input, output tokens))."""
        started = time.perf_counter()
        fetch_ms = summarize_ms = 0.0
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                raw = response.read()
                charset = response.headers.get_content_charset() or "utf-8"
            fetch_ms = (time.perf_counter() - started) * 1000
            text, title = extract(raw.decode(charset, errors="replace"))
            text = text[: args.max_input_chars]
            prompt = "\n".join([
                f"Summarize the web page below in the language the page is written in, in at most {args.max_chars} characters.",
                "Reply with the summary only, as plain text.",
                "",
                f"<title>{title}</title>",
                "<page>",
                text,
                "</page>",
            ])
            body = json.dumps({
                "system": [{"text": args.system}],
                "messages": [{"role": "user", "content": [{"text": prompt}]}],
                "inferenceConfig": {"maxTokens": args.max_chars // 2 + 64, "temperature": 0},
            }).encode()
            summarize_started = time.perf_counter()
            request = urllib.request.Request(converse_url, data=body, method="POST",
                                             headers=sign(converse_url, body, args.region, access_key, secret_key, session_token))
            with urllib.request.urlopen(request, timeout=60) as response:
                reply = json.loads(response.read())
            summarize_ms = (time.perf_counter() - summarize_started) * 1000
            if not reply["output"]["message"]["content"][0]["text"]:
                raise ValueError("empty summary")
            usage = reply.get("usage") or {}
            tokens = (usage.get("inputTokens", 0), usage.get("outputTokens", 0))
            return True, (time.perf_counter() - started) * 1000, fetch_ms, summarize_ms, None, time.perf_counter(), tokens
        except urllib.error.HTTPError as error:
            return False, (time.perf_counter() - started) * 1000, fetch_ms, summarize_ms, f"HTTP_{error.code}", time.perf_counter(), (0, 0)
        except Exception as error:  # one bad page never stops the run, as in the Node tool
            return False, (time.perf_counter() - started) * 1000, fetch_ms, summarize_ms, type(error).__name__, time.perf_counter(), (0, 0)

    return process


def run_sequential(process, urls, concurrency):
    return [process(url) for url in urls]


def run_gather(process, urls, concurrency):
    async def one(url):
        return process(url)  # blocking: holds the event loop until the page is done

    async def main():
        return await asyncio.gather(*(one(url) for url in urls))

    return asyncio.run(main())


def run_threads(process, urls, concurrency):
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(process, urls))


def run_to_thread(process, urls, concurrency):
    async def main():
        # The default executor has min(32, cores + 4) threads; size it like the others.
        asyncio.get_running_loop().set_default_executor(concurrent.futures.ThreadPoolExecutor(max_workers=concurrency))
        return await asyncio.gather(*(asyncio.to_thread(process, url) for url in urls))

    return asyncio.run(main())


STRATEGIES = {"sequential": run_sequential, "gather": run_gather, "threads": run_threads, "to_thread": run_to_thread, "readability": run_threads}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategy", choices=sorted(STRATEGIES), required=True)
    parser.add_argument("--concurrency", type=int, default=5)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--model", default="anthropic.claude-3-haiku-20240307-v1:0")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--max-chars", type=int, default=150)
    parser.add_argument("--max-input-chars", type=int, default=12000)
    parser.add_argument("--system", required=True, help="the system prompt")
    args = parser.parse_args()
    urls = [line.strip() for line in sys.stdin if line.strip()]
    process = make_worker(args)
    if args.strategy == "readability":
        # Loaded before the clock, as the Node rows load their modules before theirs.
        import lxml.html  # noqa: F401
        import readability  # noqa: F401

    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    # The epoch time the clock started: the caller, which spawned this process, takes its start-up from it.
    started_epoch_ms = time.time() * 1000
    results = STRATEGIES[args.strategy](process, urls, args.concurrency)
    wall_ms = (time.perf_counter() - started) * 1000
    usage = resource.getrusage(resource.RUSAGE_SELF)

    errors = {}
    for ok, _, _, _, error, _, _ in results:
        if not ok:
            errors[error] = errors.get(error, 0) + 1
    ok_count = sum(1 for r in results if r[0])
    json.dump({
        "wallMs": wall_ms,
        "startedEpochMs": started_epoch_ms,
        "cpuMs": (usage.ru_utime + usage.ru_stime - cpu_before) * 1000,
        "processCpuMs": (usage.ru_utime + usage.ru_stime) * 1000,
        "peakRssMb": usage.ru_maxrss / 1024,  # KiB on Linux
        "pageMs": [r[1] for r in results],
        # When each page ended, from the run's start, in the order they ended.
        "doneMs": sorted((r[5] - started) * 1000 for r in results),
        "fetchMs": [r[2] for r in results],
        "summarizeMs": [r[3] for r in results if r[0]],
        "ok": ok_count,
        "failed": len(results) - ok_count,
        "errors": errors,
        "inputTokens": sum(r[6][0] for r in results if r[0]),
        "outputTokens": sum(r[6][1] for r in results if r[0]),
    }, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

/** The input formats `--input-format` takes; `auto` reads the extension (open.ts). */
export const INPUT_FORMATS = ['auto', 'list', 'csv', 'tsv', 'jsonl', 'parquet'] as const
export type InputFormat = (typeof INPUT_FORMATS)[number]

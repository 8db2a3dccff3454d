/**
 * `--prompt`: the user's instruction as a template. Parsed once when options are resolved
 * (a syntax error is a usage error before anything runs); its column names are checked
 * against the input's columns when the input is opened; each page renders it in
 * `buildPrompt` (prompt.ts), the one place a model's request is written.
 */

/** Placeholders every page fills, whatever the input. A column of the same name is reached by these first. */
export const PAGE_PLACEHOLDERS = ['title', 'text', 'url', 'lang', 'max_chars'] as const
export type PagePlaceholder = (typeof PAGE_PLACEHOLDERS)[number]

export type TemplatePart = { text: string } | { page: PagePlaceholder } | { column: string }

/** A parsed template: plain data, so it crosses to worker threads and into batch records. */
export interface PromptTemplate {
  parts: TemplatePart[]
  /** The input columns it names, each once, in order of first use. */
  columns: string[]
}

/** What one page's prompt is given of the template: the parts, and this row's values for the columns they name. */
export interface Instruction {
  parts: TemplatePart[]
  columns: Record<string, string>
}

/**
 * `{name}` is a placeholder (any characters but braces, so `{Company Name}` names that
 * column); `{{` and `}}` are literal braces. A lone brace is refused with where it is.
 */
export function parseTemplate(template: string, flag = '--prompt'): PromptTemplate {
  const parts: TemplatePart[] = []
  const columns: string[] = []
  let text = ''
  for (let at = 0; at < template.length; at += 1) {
    const char = template[at]
    if (char === '{' && template[at + 1] === '{') {
      text += '{'
      at += 1
    } else if (char === '}' && template[at + 1] === '}') {
      text += '}'
      at += 1
    } else if (char === '{') {
      const end = template.indexOf('}', at + 1)
      const name = end === -1 ? undefined : template.slice(at + 1, end)
      if (name === undefined || name === '' || name.includes('{')) {
        throw new TypeError(`${flag} has a \`{\` without a placeholder name and its \`}\` at character ${at + 1}; write \`{{\` for a literal brace`)
      }
      if (text !== '') parts.push({ text })
      text = ''
      if ((PAGE_PLACEHOLDERS as readonly string[]).includes(name)) parts.push({ page: name as PagePlaceholder })
      else {
        parts.push({ column: name })
        if (!columns.includes(name)) columns.push(name)
      }
      at = end
    } else if (char === '}') {
      throw new TypeError(`${flag} has a \`}\` without its \`{\` at character ${at + 1}; write \`}}\` for a literal brace`)
    } else text += char
  }
  if (text !== '') parts.push({ text })
  return { parts, columns }
}

/** The template's column names that the input does not have: a usage error before anything is fetched. */
export function unknownColumns(template: PromptTemplate, columns: readonly string[]): string[] {
  return template.columns.filter((name) => !columns.includes(name))
}

export function usesPage(template: Pick<PromptTemplate, 'parts'>, name: PagePlaceholder): boolean {
  return template.parts.some((part) => 'page' in part && part.page === name)
}

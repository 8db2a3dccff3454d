/**
 * Text from the web (titles, summaries, a server's reason phrase or error text) can carry
 * terminal control sequences: ESC [2J clears the screen, OSC 0 sets the window title, OSC 8
 * makes links, BEL rings, and the 8-bit C1 form (U+009B is CSI) does the same on terminals
 * that honour it. None of it belongs in a record or a message, and any of it would run when
 * a user `cat`s the output. C0 and C1 controls and DEL are replaced; tab and newline are
 * kept where the format allows them (CSV quotes them; Markdown folds them to spaces).
 */

/** C0 except tab, newline and carriage return; DEL; C1. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g
/** Every C0 and C1 control and DEL, line breaks included: for one-line messages. */
const CONTROL_OR_BREAK = /[\u0000-\u001f\u007f-\u009f]/g

/** Text with control characters replaced by U+FFFD (visible, and never a sequence a terminal runs). */
export function stripControls(text: string): string {
  return text.replace(CONTROL, '\uFFFD')
}

/** One line for stderr: controls become U+FFFD, line breaks and tabs a space. */
export function safeLine(text: string): string {
  return text.replace(CONTROL_OR_BREAK, (c) => (c === '\n' || c === '\r' || c === '\t' ? ' ' : '\uFFFD'))
}

/**
 * JSON keeps every character, but JSON.stringify leaves DEL and C1 controls raw (they are
 * legal in a JSON string): written as `\u009b` escapes instead, a parser reads back the same
 * text and a terminal shows six harmless characters.
 */
export function escapeJsonControls(json: string): string {
  return json.replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

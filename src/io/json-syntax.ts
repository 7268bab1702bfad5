/**
 * A JSON syntax error described without the text it was parsing. V8's `JSON.parse` messages quote
 * the start of the input (`Unexpected token 'r', "root:x:0:0"... is not valid JSON`): for a model
 * file that is a symlink to a file elsewhere (`config.json` → `/etc/passwd`) that would put that
 * file's first bytes into an error message, a log or an HTTP answer. Only the grammar part of a
 * message (what was expected, at which position) is kept.
 *
 * @example
 * try { JSON.parse(text) } catch (e) { throw new SbertError("INVALID_MODEL_FILE", `${path} is not valid JSON (${jsonSyntaxDetail(e)})`) }
 */

/** Messages that name only the grammar and a position, never input characters. */
const SAFE = /^(Unexpected end of JSON input|[A-Za-z ,-]*(?:'[,:{}[\]]'[A-Za-z ,-]*)*in JSON at position \d+(?: \(line \d+ column \d+\))?)$/;

/** `e`'s message when it quotes none of the input; else a generic description with no input. */
export function jsonSyntaxDetail(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return SAFE.test(message) ? message : "a character that does not belong there (the text is not shown)";
}

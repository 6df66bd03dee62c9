/** Reading the JSON files users edit (keysets, CARD.json, vector files, scp81 script files). */
import { readFileSync } from 'node:fs';
import { InputError, IoError } from './errors.js';

/**
 * JSON.parse of a file's text, accepting a UTF-8 byte order mark at the start (editors on
 * Windows write one; RFC 8259 cl. 8.1 lets a parser ignore it).
 */
export function parseJsonText(text: string): unknown {
  return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}

/**
 * The parser's complaint in one line without the file's text: V8 quotes the whole input
 * ("Unexpected token '}', "{↵ "a": }↵" is not valid JSON"); that quote is dropped, and a
 * character position becomes line and column.
 */
export function jsonErrorMessage(e: unknown, text: string): string {
  let m = e instanceof Error ? e.message : String(e);
  m = m.replace(/, "[\s\S]*" is not valid JSON$/, '');
  const at = /\bat position (\d+)/.exec(m);
  if (at) {
    const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    const pos = Number(at[1]);
    const before = body.slice(0, pos).split(/\r\n|\r|\n/);
    m = `${m.slice(0, at.index).trimEnd()} at line ${before.length} column ${before[before.length - 1].length + 1}${m.slice(at.index + at[0].length)}`;
  }
  return m.replace(/[\r\n]+/g, ' ');
}

/**
 * Read and parse one JSON file: exit 3 (IoError) when it cannot be read, exit 2 (InputError,
 * `layer` "<layer> <path>") when it is not JSON. `what` names the file in the read error
 * ("cannot read keyset file: ENOENT"), `layer` in the parse error ("keyset PATH: not valid JSON: …").
 */
export function loadJsonFile(path: string, what: string, layer = what): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new IoError(`cannot read ${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { field: path });
  }
  return parseJsonFileText(text, path, layer);
}

/** parseJsonText with the error of loadJsonFile (for text read elsewhere, e.g. under a lock). */
export function parseJsonFileText(text: string, path: string, layer: string): unknown {
  try {
    return parseJsonText(text);
  } catch (e) {
    throw new InputError(`not valid JSON: ${jsonErrorMessage(e, text)}`, { layer: `${layer} ${path}` });
  }
}

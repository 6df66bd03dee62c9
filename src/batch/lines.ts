/**
 * Incremental line reader: yields each line as soon as its newline has been
 * read (so it works behind `tail -f`), pulling the next chunk only when the
 * consumer asks for it (memory bounded by MAX_LINE, whatever the input
 * length). "\n", "\r\n" or a lone "\r" (old Mac text) ends a line; a last line
 * without newline is still a line.
 * A UTF-8 byte order mark at the start of the input is skipped (as in keyset files).
 * A line longer than MAX_LINE characters is not kept: its characters are counted
 * and dropped as they come, and the line is given as an overlong marker
 * (overlongLength tells it), which the batch engine answers with an error line.
 */
import { StringDecoder } from 'node:string_decoder';

/**
 * Longest input line kept, in characters: far above any input a line can hold (a
 * secured packet has at most 65,535 octets after CPL, 131,070 hex digits; 255
 * concatenated SMS of 140 octets are 71,400 with the spaces), low enough that a
 * runaway line (a binary file, a missing newline) cannot take the memory.
 */
export const MAX_LINE = 1 << 20;

/** Starts the marker that stands for an overlong line (NUL, SOH: no text line starts so). */
const OVERLONG = '\u0000\u0001overlong:';

/** The marker given instead of a line of `length` characters (more than MAX_LINE). */
export function overlongMarker(length: number): string {
  return OVERLONG + length;
}

/** The length of the line an overlong marker stands for; -1 for any other line. */
export function overlongLength(line: string): number {
  if (line.charCodeAt(0) !== 0 || !line.startsWith(OVERLONG)) return -1;
  const n = Number(line.slice(OVERLONG.length));
  return Number.isSafeInteger(n) ? n : -1;
}

/** The error message of an overlong line. */
export function overlongMessage(length: number): string {
  return `line too long: ${length} characters, more than the ${MAX_LINE} a line may hold (one packet per line)`;
}

/** Lines longer than MAX_LINE replaced by their markers (only when the text they came from was that long). */
function capLines(lines: string[]): string[] {
  for (let k = 0; k < lines.length; k++) if (lines[k].length > MAX_LINE) lines[k] = overlongMarker(lines[k].length);
  return lines;
}

/** Whether the text so far ended with a CR: a LF first in the next text is its CRLF's. */
interface CrState {
  cr: boolean;
}

/**
 * Text with its line ends as LF: CRLF and lone CR (else a CR would pass for a hex
 * separator and lines would merge). Text without CR is returned as it is (one
 * search, no copy: the common case stays fast); a CR at its end ends the line at
 * once (tail -f), and a LF that then starts the next text is dropped.
 */
function toLf(s: string, st: CrState): string {
  if (st.cr && s.length) {
    st.cr = false;
    if (s.charCodeAt(0) === 10) s = s.slice(1);
  }
  if (s.indexOf('\r') < 0) return s;
  st.cr = s.charCodeAt(s.length - 1) === 13;
  return s.replace(/\r\n?/g, '\n');
}

/** The text of each chunk read: decoded, with LF line ends, without a byte order mark at the start of the input. */
function lineText(): { text(chunk: Buffer | string): string; end(): string } {
  const dec = new StringDecoder('utf8');
  const st: CrState = { cr: false };
  let first = true; // no text yet: a BOM may come
  return {
    text(chunk) {
      const s = toLf(typeof chunk === 'string' ? chunk : dec.write(chunk), st);
      if (!first || !s.length) return s;
      first = false;
      return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
    },
    end: () => dec.end(),
  };
}

export interface LineChunk {
  /** The complete lines of this read, in order. */
  lines: string[];
}

/**
 * The lines of `input`, grouped as they arrived: one array per chunk read, so
 * that callers can batch what is already there without waiting for more.
 */
export async function* readLineChunks(input: AsyncIterable<Buffer | string>): AsyncGenerator<string[]> {
  const t = lineText();
  let rest = '';
  // Characters of the current line dropped so far (it is over MAX_LINE); 0: none.
  let dropped = 0;
  for await (const chunk of input) {
    // The new text is searched as it is: joined to the rest of the last read it would be copied
    // whole (a string made of two is flattened by the first search), for its first line only.
    const s = t.text(chunk);
    const lines: string[] = [];
    let start = 0;
    let nl = s.indexOf('\n');
    if (dropped) {
      if (nl < 0) {
        dropped += s.length;
        continue;
      }
      lines.push(overlongMarker(dropped + nl));
      dropped = 0;
      start = nl + 1;
      nl = s.indexOf('\n', start);
    } else if (rest.length) {
      if (nl < 0) {
        if (rest.length + s.length > MAX_LINE) {
          dropped = rest.length + s.length;
          rest = '';
        } else rest += s;
        continue;
      }
      lines.push(rest.length + nl > MAX_LINE ? overlongMarker(rest.length + nl) : rest + s.slice(0, nl));
      start = nl + 1;
      nl = s.indexOf('\n', start);
    }
    for (; nl >= 0; nl = s.indexOf('\n', start)) {
      lines.push(s.slice(start, nl));
      start = nl + 1;
    }
    if (s.length - start > MAX_LINE) {
      dropped = s.length - start;
      rest = '';
    } else rest = s.slice(start);
    if (lines.length) yield s.length > MAX_LINE ? capLines(lines) : lines;
  }
  rest += t.end();
  if (dropped) yield [overlongMarker(dropped + rest.length)];
  else if (rest.length) yield capLines([rest]);
}

/** Line by line, same rules as readLineChunks. */
export async function* readLines(input: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  for await (const lines of readLineChunks(input)) yield* lines;
}

/**
 * The complete lines of `input` as blocks of text, as they arrived: each block
 * is whole lines, each ended by "\n" (a last line without one gets it), so that
 * a block can travel to a worker thread as one string and be split there
 * (splitLines). Same line rules as readLineChunks.
 */
export async function* readTextBlocks(input: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const t = lineText();
  let rest = '';
  let dropped = 0; // as in readLineChunks
  for await (const chunk of input) {
    let s = t.text(chunk);
    if (dropped) {
      const nl = s.indexOf('\n');
      if (nl < 0) {
        dropped += s.length;
        continue;
      }
      s = overlongMarker(dropped + nl) + s.slice(nl);
      dropped = 0;
    } else if (rest.length) s = rest + s;
    const end = s.lastIndexOf('\n') + 1;
    if (s.length - end > MAX_LINE) {
      dropped = s.length - end;
      rest = '';
    } else rest = s.slice(end);
    if (!end) continue;
    const block = end === s.length ? s : s.slice(0, end);
    yield end > MAX_LINE ? capBlock(block) : block;
  }
  rest += t.end();
  if (dropped) yield overlongMarker(dropped + rest.length) + '\n';
  else if (rest.length) yield capBlock(rest + '\n');
}

/** A block with its lines longer than MAX_LINE replaced by their markers. */
function capBlock(block: string): string {
  let long = false;
  for (let at = 0, nl = block.indexOf('\n'); nl >= 0; at = nl + 1, nl = block.indexOf('\n', at)) {
    if (nl - at > MAX_LINE) {
      long = true;
      break;
    }
  }
  return long ? capLines(splitLines(block)).join('\n') + '\n' : block;
}

/** The lines of a block of readTextBlocks (each "\n" ends one; its CRs are already line ends). */
export function splitLines(block: string): string[] {
  const lines = block.split('\n');
  lines.pop();
  return lines;
}

/**
 * Incremental line reader: yields each line as soon as its newline has been
 * read (so it works behind `tail -f`), pulling the next chunk only when the
 * consumer asks for it (memory bounded by the longest line, whatever the input
 * length). "\n", "\r\n" or a lone "\r" (old Mac text) ends a line; a last line
 * without newline is still a line.
 * A UTF-8 byte order mark at the start of the input is skipped (as in keyset files).
 */
import { StringDecoder } from 'node:string_decoder';

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
  for await (const chunk of input) {
    // The new text is searched as it is: joined to the rest of the last read it would be copied
    // whole (a string made of two is flattened by the first search), for its first line only.
    const s = t.text(chunk);
    const lines: string[] = [];
    let start = 0;
    let nl = s.indexOf('\n');
    if (rest.length) {
      if (nl < 0) {
        rest += s;
        continue;
      }
      lines.push(rest + s.slice(0, nl));
      start = nl + 1;
      nl = s.indexOf('\n', start);
    }
    for (; nl >= 0; nl = s.indexOf('\n', start)) {
      lines.push(s.slice(start, nl));
      start = nl + 1;
    }
    rest = s.slice(start);
    if (lines.length) yield lines;
  }
  rest += t.end();
  if (rest.length) yield [rest];
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
  for await (const chunk of input) {
    const s = rest + t.text(chunk);
    const end = s.lastIndexOf('\n') + 1;
    rest = s.slice(end);
    if (end) yield end === s.length ? s : s.slice(0, end);
  }
  rest += t.end();
  if (rest.length) yield rest + '\n';
}

/** The lines of a block of readTextBlocks (each "\n" ends one; its CRs are already line ends). */
export function splitLines(block: string): string[] {
  const lines = block.split('\n');
  lines.pop();
  return lines;
}

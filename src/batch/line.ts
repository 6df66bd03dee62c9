/**
 * One line of a batch: the per-line function's contract, and how a thrown
 * error becomes that line's result (shared by the main thread and workers).
 */
import { formatTag } from '../util/json-format.js';
import { overlongLength, overlongMessage } from './lines.js';
import { hexOctets } from '../util/hex.js';

/** What a line produced: one output line (no newline) and the exit code it alone would have had. */
export interface LineResult {
  text: string;
  exitCode: number;
  /** Anything else the line produced (e.g. pcap frames), handed to `onResult` in input order. */
  extra?: unknown;
  /** With a non-zero exitCode: what failed, one message each (e.g. "verification failed: …"), handed to `onProblems`. */
  problems?: string[];
  /** What the one-shot command would note on stderr for this line (e.g. a packet too long for one SMS), handed to `onNotes`. */
  notes?: string[];
}

/** A line that failed: what the CLI would have printed on stderr, and its exit code. */
export interface LineError {
  /** Input line number, from 1, counting blank and comment lines. */
  line: number;
  message: string;
  exitCode: number;
  layer?: string;
  field?: string;
  offset?: number;
}

export type LineOutcome = LineResult | { error: LineError };

/**
 * The per-line work: return the output line, or a LineResult to give it an exit
 * code; throw for an error line. `seq` counts the work lines only (from 0; blank
 * and comment lines are not work), `ctx` is what the batch's `context` hook gave
 * for the group of lines this one belongs to (undefined without a hook).
 */
export type LineFn = ((line: string, lineNo: number, seq: number, ctx: unknown) => string | LineResult | Promise<string | LineResult>) & {
  /** Optional fast path for many lines at once (synchronous line functions only); see ChunkFn. */
  chunk?: ChunkFn;
  /** With SeqRule 'hex': whether data of that many octets can be built (see takesSeq); workers ask it of their own line function. */
  seqFits?: (octets: number) => boolean;
  /**
   * Given back, once written, the octets the chunk function returned, when the
   * output is known not to keep them after its write callback (process.stdout):
   * the chunk function may fill them again.
   */
  recycle?: (b: Uint8Array) => void;
};

/**
 * Many lines at once, with the line function's results (a batch's fast path,
 * e.g. one crypto call for the same block of many packets): lines[k] is input
 * line `first + k`, `seq` is the seq of its first line that takes one (the
 * batch's SeqRule, which the chunk function must follow), `ctx` as for the
 * line function, `pass` how blank and comment lines are answered. Returns one
 * outcome per line or, when every line succeeded with exit code 0 and nothing
 * extra, their output lines joined, each followed by "\n": a string, or its
 * UTF-8 octets in a Uint8Array of its own (moved between threads without a
 * copy, written as they are). If it throws, the lines are run one by one.
 */
export type ChunkFn = (lines: string[], first: number, seq: number, ctx: unknown, pass: PassThrough) => LineOutcome[] | string | Uint8Array;

/**
 * Blank and comment lines: 'echo' copies the input line to the output (so a
 * commented input stays readable next to its results), 'empty' writes an empty line.
 * Either way output line N answers input line N.
 */
export type PassThrough = 'echo' | 'empty';

/**
 * Which lines take a `seq` (the next number of the batch, e.g. the next counter):
 * 'work' every work line; 'hex' only work lines that are hex (fromHex's syntax),
 * so that a line refused as not hex uses up no counter (a card whose SPI asks
 * for a counter exactly one higher would refuse every packet after the gap).
 */
export type SeqRule = 'work' | 'hex';

/**
 * Whether `line` takes a seq under `rule`. `fits` (rule 'hex'): whether data of that
 * many octets can be built at all (a packet too long for its CPL or for 255 SMS
 * takes no counter either); asked only for lines of more than FITS_ALWAYS octets.
 */
export function takesSeq(line: string, rule: SeqRule, fits?: (octets: number) => boolean): boolean {
  if (isPassThrough(line)) return false;
  if (rule === 'work') return true;
  return hexTakesSeq(line, 0, line.length, fits);
}

/** Data of at most this many octets always builds (a packet far under its CPL limit and under 255 SMS): `fits` is not asked. */
export const FITS_ALWAYS = 1024;

/** takesSeq's 'hex' rule for the line input[from, to) (not a pass-through line). */
export function hexTakesSeq(input: string, from: number, to: number, fits?: (octets: number) => boolean): boolean {
  const n = hexOctets(input, from, to);
  return n >= 0 && (n <= FITS_ALWAYS || !fits || fits(n));
}

/** A line that is not work: empty, only blanks, or a comment starting with "#". */
export function isPassThrough(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13) continue;
    return c === 35; // '#'
  }
  return true;
}

/** isPassThrough of the line starting at `start` of a block of lines (readTextBlocks), without cutting it out. */
export function isPassThroughAt(s: string, start: number): boolean {
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13) continue;
    return c === 35 || c === 10; // '#', or the end of a blank line
  }
  return true;
}

/** The error of an overlong line (the line readers' marker, see lines.ts), exit 2; undefined for any other line. */
export function overlongError(line: string, lineNo: number): LineError | undefined {
  const n = overlongLength(line);
  return n < 0 ? undefined : { line: lineNo, message: overlongMessage(n), exitCode: 2 };
}

/** An error thrown by a line: the OtaError classes carry exitCode and where; anything else is internal (70). */
export function toLineError(e: unknown, line: number): LineError {
  const o = e as { message?: unknown; exitCode?: unknown; where?: { layer?: string; field?: string; offset?: number } };
  if (e instanceof Error && typeof o.exitCode === 'number') {
    const out: LineError = { line, message: e.message, exitCode: o.exitCode };
    if (o.where?.layer !== undefined) out.layer = o.where.layer;
    if (o.where?.field !== undefined) out.field = o.where.field;
    if (o.where?.offset !== undefined) out.offset = o.where.offset;
    return out;
  }
  return { line, message: `internal error: ${e instanceof Error ? e.message : String(e)}`, exitCode: 70 };
}

function settle(r: string | LineResult): LineResult {
  return typeof r === 'string' ? { text: r, exitCode: 0 } : r;
}

/** Run one line; synchronous functions give a synchronous result (no promise per line). */
export function runLine(fn: LineFn, line: string, lineNo: number, pass: PassThrough, seq = 0, ctx?: unknown): LineOutcome | Promise<LineOutcome> {
  if (isPassThrough(line)) return { text: pass === 'echo' ? line : '', exitCode: 0 };
  const over = overlongError(line, lineNo);
  if (over) return { error: over };
  try {
    const r = fn(line, lineNo, seq, ctx);
    if (typeof r === 'object' && typeof (r as Promise<unknown>).then === 'function') {
      return (r as Promise<string | LineResult>).then(settle, (e: unknown) => ({ error: toLineError(e, lineNo) }));
    }
    return settle(r as string | LineResult);
  } catch (e) {
    return { error: toLineError(e, lineNo) };
  }
}

/** Run lines through fn.chunk (or, when it throws, through fn one by one, so every error names its line). */
export function runChunk(fn: LineFn, lines: string[], first: number, pass: PassThrough, seq: number, ctx: unknown, rule: SeqRule = 'work'): LineOutcome[] | string | Uint8Array | Promise<LineOutcome[]> {
  try {
    // An overlong line (the line readers' marker) is answered by runLine, not given to the chunk function.
    if (!lines.some((l) => l.charCodeAt(0) === 0)) return fn.chunk!(lines, first, seq, ctx, pass);
  } catch {
    // run them one by one
  }
  {
    const outs: (LineOutcome | Promise<LineOutcome>)[] = new Array(lines.length);
    let async = false;
    for (let k = 0; k < lines.length; k++) {
      const r = runLine(fn, lines[k], first + k, pass, seq, ctx);
      if (takesSeq(lines[k], rule, fn.seqFits)) seq++;
      if (r instanceof Promise) async = true;
      outs[k] = r;
    }
    return async ? Promise.all(outs) : (outs as LineOutcome[]);
  }
}

/** Text-mode error line: "line N: message". */
export function textError(e: LineError): string {
  return `line ${e.line}: ${e.message}`;
}

/** `--each --json`'s error line of every command (uicc-ota-error/1: line, message, the exit code the line would have had). */
export function jsonErrorLine(e: LineError): string {
  return JSON.stringify(errorJson(e));
}

/** The object of jsonErrorLine. */
export function errorJson(e: LineError): { format: string; line: number; error: string; exitCode: number } {
  return { format: formatTag('error'), line: e.line, error: e.message, exitCode: e.exitCode };
}

/** `--each`'s text error line of every command: "N ERROR message". */
export function textErrorLine(e: LineError): string {
  return `${e.line} ERROR ${e.message}`;
}

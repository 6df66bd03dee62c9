/** Reading user input: hex arguments or `-` for stdin, numbers, octets. */
import { readFileSync, readSync } from 'node:fs';
import { isatty } from './isatty.js';
import { InputError, IoError } from '../util/errors.js';
import { fromHex } from '../util/hex.js';

/**
 * A command about to read stdin while stdin is a terminal would wait silently
 * for typing: refuse with a one-line hint instead (exit 2). Every stdin reader
 * of the CLI calls this first.
 */
export function refuseTerminalStdin(what = 'input'): void {
  // isatty(0), not process.stdin.isTTY: touching process.stdin opens it as a
  // stream, which puts a pipe into non-blocking mode and makes a later
  // synchronous read fail with EAGAIN.
  if (isatty(0)) {
    throw new InputError('no input on stdin (it is a terminal): give the hex as an argument or pipe it in, e.g. echo 0D00... | uicc-ota parse -', { field: what });
  }
}

/** Read the whole of stdin as text (synchronously: one-shot CLI, keeps start-up small). */
export function readStdin(): string {
  return readStdinBytes().toString('utf8');
}

/** Read the whole of stdin as bytes. */
export function readStdinBytes(): Buffer {
  refuseTerminalStdin();
  try {
    return readFileSync(0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw new IoError(`cannot read standard input: ${(e as Error).message}`);
    return readNonBlocking();
  }
}

/** stdin left non-blocking by a parent process: read in a loop, waiting briefly on EAGAIN. */
function readNonBlocking(): Buffer {
  const parts: Buffer[] = [];
  const buf = Buffer.alloc(1 << 16);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') { Atomics.wait(pause, 0, 0, 5); continue; }
      if ((e as NodeJS.ErrnoException).code === 'EOF') break;
      throw new IoError(`cannot read standard input: ${(e as Error).message}`);
    }
    if (n === 0) break;
    parts.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(parts);
}

/** One hex input: the argument, or stdin when it is `-` or absent. */
export function hexInput(arg: string | undefined, what = 'input'): Uint8Array {
  const s = arg === undefined || arg === '-' ? readStdin() : arg;
  if (!s.trim()) throw new InputError('no input (give hex as an argument or on stdin)', { field: what });
  return fromHex(s, what);
}

/** Several hex inputs: each argument, or each non-empty stdin line when `-`/absent. */
export function hexInputs(args: string[], what = 'input'): Uint8Array[] {
  const lines: string[] = [];
  if (args.length === 0 || (args.length === 1 && args[0] === '-')) {
    for (const l of readStdin().split(/\r?\n/)) if (l.trim() && !l.trim().startsWith('#')) lines.push(l);
  } else lines.push(...args);
  if (!lines.length) throw new InputError('no input (give hex as arguments or lines on stdin)', { field: what });
  return lines.map((l, i) => fromHex(l, lines.length > 1 ? `${what} ${i + 1}` : what));
}

export { octet, intOption } from '../util/options.js';

/** Reading user input: hex arguments or `-` for stdin, numbers, octets. */
import { readFileSync } from 'node:fs';
import { InputError, IoError } from '../util/errors.js';
import { fromHex } from '../util/hex.js';

/** Read the whole of stdin (synchronously: one-shot CLI, keeps start-up small). */
export function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch (e) {
    throw new IoError(`cannot read standard input: ${(e as Error).message}`);
  }
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

export function octet(s: string, field: string): number {
  const b = fromHex(s, field);
  if (b.length !== 1) throw new InputError(`must be one octet (2 hex digits), got ${b.length}`, { field });
  return b[0];
}

export function intOption(s: string, field: string, min: number, max: number): number {
  const t = s.trim();
  const v = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : /^[0-9]+$/.test(t) ? parseInt(t, 10) : NaN;
  if (!Number.isInteger(v) || v < min || v > max) throw new InputError(`"${s}" is not a whole number from ${min} to ${max}`, { field });
  return v;
}

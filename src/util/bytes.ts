/**
 * Short-lived byte arrays: a CC input, a padded copy, a MAC's blocks; values
 * that never leave the function that made them.
 *
 * Why: `new Uint8Array(n)` past 64 octets keeps its store outside V8's heap,
 * which costs one to two microseconds in Node 20, more than the 3DES of a
 * short packet. These arrays are views into a shared 16 KB block instead, as
 * Node's Buffer pool does. A block is never written twice (each view is fresh,
 * zero-filled memory), so a view kept by mistake still holds its own octets.
 * Never hand one to a caller: its `.buffer` is the whole block, and a caller's
 * byte arrays each own theirs.
 */

import { concatWith } from './hex.js';

const BLOCK = 16384;
/** Longer arrays get their own store (one allocation per this many octets is noise). */
const MAX = 2048;
let block: ArrayBuffer | undefined; // made on first use (most commands never need one)
let at = 0;

/** A zero-filled array of `n` octets for use inside one call. */
export function scratch(n: number): Uint8Array {
  if (n <= 64 || n > MAX) return new Uint8Array(n);
  if (!block || at + n > BLOCK) {
    block = new ArrayBuffer(BLOCK);
    at = 0;
  }
  const v = new Uint8Array(block, at, n);
  at += (n + 7) & ~7;
  return v;
}

/** The parts one after the other, in a scratch array. */
export function scratchConcat(...parts: Uint8Array[]): Uint8Array {
  return concatWith(scratch, parts);
}

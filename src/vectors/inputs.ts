/**
 * Reading a case's `inputs` (already schema-checked) into engine values.
 * Keys come only from the case itself (inline `keys`, or a `keyset` relative
 * to the vector file): never from the environment, so a user's
 * UICC_OTA_KIC cannot change what a vector means.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { InputError } from '../util/errors.js';
import { fromHex } from '../util/hex.js';
import { parseCounter } from '../secured/common.js';
import type { KeyMaterial } from '../secured/keys.js';
import { findKeyset, loadKeyset } from '../keys/keyset.js';
import type { CipherAlg, CcAlg, RcAlg } from '../crypto/index.js';

/** Where a case lives, for relative paths and messages. */
export interface CaseContext {
  /** Path of the vector file ('' when the case is not from a file). */
  file: string;
  /** The case's dialect (sms-pp, cat_tp). */
  dialect: string;
  /** Keys to use instead of the case's own (vectors record with keys from the environment). */
  keys?: KeyMaterial;
}

export type Inputs = Record<string, unknown>;

export const str = (i: Inputs, k: string): string | undefined => (typeof i[k] === 'string' ? (i[k] as string) : undefined);

export function octetOf(i: Inputs, k: string): number {
  const s = str(i, k);
  if (s === undefined) throw new InputError('is required', { field: `inputs.${k}` });
  const b = fromHex(s, `inputs.${k}`);
  if (b.length !== 1) throw new InputError('must be one octet', { field: `inputs.${k}` });
  return b[0];
}

export function hexOf(i: Inputs, k: string, n?: number): Uint8Array {
  const s = str(i, k);
  if (s === undefined) throw new InputError('is required', { field: `inputs.${k}` });
  const b = fromHex(s, `inputs.${k}`);
  if (n !== undefined && b.length !== n) throw new InputError(`must be ${n} octets, got ${b.length}`, { field: `inputs.${k}` });
  return b;
}

export function counterOf(i: Inputs): bigint {
  const c = i.counter;
  if (typeof c === 'number') {
    if (!Number.isSafeInteger(c) || c < 0) throw new InputError(`${c} is not a whole number ≥ 0`, { field: 'inputs.counter' });
    if (c > 0xffffffffff) throw new InputError(`${c} does not fit 5 octets`, { field: 'inputs.counter' });
    return BigInt(c);
  }
  if (typeof c === 'string') return parseCounter(c);
  throw new InputError('is required', { field: 'inputs.counter' });
}

export function keysetPath(ctx: CaseContext, p: string): string {
  return isAbsolute(p) || !ctx.file ? p : resolve(dirname(ctx.file), p);
}

/** Key material of a case, for the given KIc/KID octets. */
export function keysOf(i: Inputs, ctx: CaseContext, kic: number, kid: number): KeyMaterial {
  if (ctx.keys) return ctx.keys;
  const k: KeyMaterial = {};
  if (typeof i.kicAlg === 'string') k.kicAlg = i.kicAlg as CipherAlg;
  if (typeof i.kidAlg === 'string') k.kidAlg = i.kidAlg as CcAlg | RcAlg;
  const inline = (i.keys ?? {}) as Record<string, unknown>;
  if (typeof inline.kic === 'string') k.kicKey = fromHex(inline.kic, 'inputs.keys.kic');
  if (typeof inline.kid === 'string') k.kidKey = fromHex(inline.kid, 'inputs.keys.kid');
  const ksPath = str(i, 'keyset');
  if (ksPath !== undefined && (!k.kicKey || !k.kidKey)) {
    const ks = loadKeyset(keysetPath(ctx, ksPath));
    const kvn = typeof i.kvn === 'number' ? i.kvn : undefined;
    const forKic = findKeyset(ks, kvn ?? kic >> 4);
    const forKid = findKeyset(ks, kvn ?? kid >> 4);
    if (!k.kicKey && forKic?.kic) k.kicKey = forKic.kic.key;
    if (!k.kidKey && forKid?.kid) k.kidKey = forKid.kid.key;
  }
  return k;
}

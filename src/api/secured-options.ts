/** Turning `build` options into the inputs of the secured-packet engine (shared by the SMS-PP and CAT_TP dialects). */
import { InputError, OtaError } from '../util/errors.js';
import { GroupError } from '../batch/group-error.js';
import { fromHex } from '../util/hex.js';
import { spiCodec, type Spi } from '../secured/spi.js';
import { parseTar } from '../secured/tar.js';
import { parseCounter } from '../secured/common.js';
import type { CommandInput } from '../secured/command.js';
import type { KeyMaterial } from '../secured/keys.js';
import { keysetOf, keysetPath, kvnConflicts, resolveKeys, resolveKic, resolveKid, type KeyOptions } from './keys.js';
import { intOption, octet } from '../util/options.js';

export interface SecurityOpts extends KeyOptions {
  /** Accept a 3DES key that degrades to single DES (K1 = K2): test cards use such keys; the result notes it. */
  allowWeakKey?: boolean;
  spi?: string;
  kic?: string;
  kid?: string;
  tar?: string;
  counter: string;
  apdu: string[];
  data?: string;
  expanded?: boolean;
  indefinite?: boolean;
  immediateAction?: string;
  errorAction?: string;
  scriptChaining?: string;
  ccLen?: string;
  paddingByte: string;
  state?: string;
}

export const DEFAULT_SPI = '1621';
export const DEFAULT_TAR = 'B00010';

export async function secureData(o: SecurityOpts): Promise<Uint8Array> {
  if (o.data !== undefined && o.apdu.length) throw new InputError('give either --data or --apdu, not both', { field: '--data' });
  if (o.data !== undefined) return o.data === '' ? new Uint8Array(0) : fromHex(o.data, '--data');
  if (!o.apdu.length) throw new InputError('no secured data: give --apdu HEX (repeatable) or --data HEX', { field: '--apdu' });
  const apdus = o.apdu.map((a, i) => fromHex(a, `--apdu ${i + 1}`));
  // The plain compact script loads only its own codec (start-up); anything else goes through encodeCommandScript's checks.
  if (!o.expanded && !o.indefinite && o.immediateAction === undefined && o.errorAction === undefined && o.scriptChaining === undefined) {
    return (await import('../remote/compact.js')).compactScript.encode(apdus);
  }
  const { encodeCommandScript } = await import('../remote/index.js');
  const opt = (v: string | undefined, f: string) => (v === undefined ? undefined : fromHex(v, f));
  return encodeCommandScript(apdus, {
    format: o.expanded ? 'expanded' : 'compact',
    indefinite: o.indefinite,
    immediateAction: opt(o.immediateAction, '--immediate-action'),
    errorAction: opt(o.errorAction, '--error-action'),
    scriptChaining: opt(o.scriptChaining, '--script-chaining'),
  });
}

export interface Prepared {
  input: CommandInput;
  keys: KeyMaterial;
  /** Set when --counter next reserved a counter value; call after a successful build. */
  counterKey?: string;
}

export async function prepareCommand(o: SecurityOpts): Promise<Prepared> {
  const ks = keysetOf(o);
  const spiHex = o.spi ?? ks?.defaults.spi ?? DEFAULT_SPI;
  const spiBytes = fromHex(spiHex, 'SPI');
  if (spiBytes.length !== 2) throw new InputError(`must be 2 octets, got ${spiBytes.length}`, { field: 'SPI' });
  const spi: Spi = spiCodec.decode(spiBytes);
  const tar = parseTar(o.tar ?? ks?.defaults.tar ?? DEFAULT_TAR);
  const kic = resolveKic(o.kic, o);
  const kid = resolveKid(o.kid, o, spi.integrity);
  const conflict = kvnConflicts(o, kic, kid, { kic: spi.ciphering, kid: spi.integrity === 'cc' });
  if (conflict.length) throw new InputError(conflict.join('; '), { field: '--kvn' });
  const keys = resolveKeys(o, kic, kid);
  if (o.allowWeakKey) keys.allowWeak = true;
  const ccLength = o.ccLen !== undefined ? intOption(o.ccLen, '--cc-len', 1, 16) : undefined;
  const paddingByte = octet(o.paddingByte, '--padding-byte');
  const fixed = o.counter === 'next' ? undefined : parseCounter(o.counter);
  const data = await secureData(o);
  let counter: bigint;
  if (fixed === undefined) {
    // Reserved last, once every other input is known to be good.
    const { nextCounter } = await import('../keys/counters.js');
    counter = await nextCounter({ state: o.state, keyset: keysetPath(o) }, kic, kid, tar);
  } else counter = fixed;
  return { input: { spi, kic, kid, tar, counter, data, ccLength, paddingByte }, keys };
}

/**
 * The first CNTR of a block of `count` commands (batch mode, a script cut into
 * packets): `given` as is, or with `--counter next` the whole block reserved
 * in the counter store at once; a block that would pass 2^40-1 is bad input,
 * or with `partial` (batch lines, each checking its own counter) reserved up to it.
 */
export async function counterBlock(o: Pick<SecurityOpts, 'counter' | 'state'> & KeyOptions, kic: number, kid: number, tar: Uint8Array, given: bigint, count: number, partial = false): Promise<bigint> {
  let first = given;
  if (o.counter === 'next') {
    const { nextCounter } = await import('../keys/counters.js');
    first = await nextCounter({ state: o.state, keyset: keysetPath(o) }, kic, kid, tar, count, partial);
  }
  const { CNTR_MAX } = await import('../secured/common.js');
  if (!partial && first + BigInt(count - 1) > CNTR_MAX) throw new InputError(`the ${count} commands would run the counter past 2^40-1`, { field: 'CNTR' });
  return first;
}

/**
 * The batch engine's `context` hook for `--counter next`: a block of counters per
 * group of lines, reserved up to 2^40-1 (counterBlock's `partial`); a group that
 * gets none (a counter store locked too long, counters exhausted) fails line by
 * line with that error, and the batch goes on (GroupError).
 */
export function batchCounters(o: Pick<SecurityOpts, 'counter' | 'state'> & KeyOptions, kic: number, kid: number, tar: Uint8Array): (seq0: number, count: number) => Promise<{ seq0: number; counter: bigint }> {
  return async (seq0, count) => {
    try {
      return { seq0, counter: await counterBlock(o, kic, kid, tar, 0n, count, true) };
    } catch (e) {
      throw e instanceof OtaError ? new GroupError(e) : e;
    }
  };
}

/** Inputs for a batch of `count` commands whose secured data comes later, one per command; `input.counter` is the first. */
export async function prepareBatch(o: SecurityOpts, count: number): Promise<Prepared> {
  const first = await prepareCommand({ ...o, apdu: [], data: '', counter: o.counter === 'next' ? '0' : o.counter });
  first.input.counter = await counterBlock(o, first.input.kic, first.input.kid, first.input.tar, first.input.counter, count);
  return first;
}

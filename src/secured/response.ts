/**
 * Response packet (Proof of Receipt), TS 102 225 cl. 5.2 (SMS-PP: TS 31.115 cl. 4).
 *
 *   [RPI] RPL RHL TAR(3) | CNTR(5) PCNTR status RC/CC/DS data padding
 *                        '------- ciphered when SPI2 b5 ---------'
 * RC/CC/DS input: [dialect prefix, SMS: 02 71 00] [RPI] RPL RHL TAR CNTR PCNTR status data padding.
 * Security follows the command's SPI octet 2 with the command's KIc/KID algorithms and keys.
 */
import { InputError } from '../util/errors.js';
import { scratch, scratchConcat } from '../util/bytes.js';
import { concat, hex2, toHex } from '../util/hex.js';
import { blockSize, checkKey, decrypt, encrypt, weakKey, type CipherAlg } from '../crypto/index.js';
import type { Dialect } from './dialect.js';
import type { Integrity } from './spi.js';
import { assertKeyFits, cipherAlgFor, missingKey, type KeyMaterial } from './keys.js';
import {
  checkIntegrityLength, computeIntegrity, decodeCounter, encodeCounter, integrityFor, padLength, verifyIntegrity,
  type ChecksumResult,
} from './common.js';
import { withMembers } from '../util/object.js';

export const LAYER = 'response packet';

export interface ResponseSecurity {
  /** SPI octet 2 b4b3 of the command. */
  integrity: Integrity;
  /** SPI octet 2 b5 of the command. */
  ciphered: boolean;
  /** The command's KIc and KID octets (they name the algorithms). */
  kic: number;
  kid: number;
  ccLength?: number;
}

export interface ResponseInput extends ResponseSecurity {
  tar: Uint8Array;
  counter: bigint;
  status: number;
  data: Uint8Array;
  paddingByte?: number;
}

export interface SecuredResponse {
  dialect: Dialect['name'];
  bytes: Uint8Array;
  rpi: number | null;
  rpl: number;
  rhl: number;
  tar: Uint8Array;
  ciphered: boolean;
  deciphered: boolean;
  cipherAlgorithm?: CipherAlg;
  counter?: bigint;
  pcntr?: number;
  status?: number;
  checksum: ChecksumResult;
  data?: Uint8Array;
  padding?: Uint8Array;
  offsets: Record<string, number>;
  notes: string[];
  failures: string[];
}

export function buildResponse(dialect: Dialect, p: ResponseInput, keys: KeyMaterial): SecuredResponse {
  const weakNotes: string[] = [];
  if (p.tar.length !== 3) throw new InputError('must be 3 octets', { field: 'TAR' });
  if (!Number.isInteger(p.status) || p.status < 0 || p.status > 255) throw new InputError('must be one octet', { field: 'status' });
  const integ = integrityFor(p.integrity, p.kid, keys, p.ccLength);
  const L = integ.length;
  const rhl = 10 + L;
  let alg: CipherAlg | undefined;
  let pcntr = 0;
  if (p.ciphered) {
    alg = cipherAlgFor(p.kic, keys);
    if (!keys.kicKey) throw new InputError(`a ciphered PoR needs the KIc key${keys.kicMissing ? ': ' + keys.kicMissing : ''}`, { field: 'KIc key' });
    assertKeyFits(keys, 'kic');
    checkKey(alg, keys.kicKey, 'KIc key', { allowWeak: keys.allowWeak });
    const weakKic = weakKey(alg, keys.kicKey);
    if (weakKic) weakNotes.push(`KIc key: ${weakKic} (used: --allow-weak-key)`);
    pcntr = padLength(alg, 7 + L + p.data.length);
  }
  if (integ.type === 'cc') {
    if (!keys.kidKey) throw new InputError(`a PoR CC needs the KID key${keys.kidMissing ? ': ' + keys.kidMissing : ''}`, { field: 'KID key' });
    assertKeyFits(keys, 'kid');
    checkKey(integ.algorithm as 'aes-cmac', keys.kidKey, 'KID key', { allowWeak: keys.allowWeak });
    const weakKid = weakKey(integ.algorithm as 'aes-cmac', keys.kidKey);
    if (weakKid) weakNotes.push(`KID key: ${weakKid} (used: --allow-weak-key)`);
  }
  // The padded data, the CC input and the secured part are scratch (util/bytes.ts): none of them is returned.
  const padded = scratch(p.data.length + pcntr);
  padded.set(p.data);
  if (p.paddingByte) padded.fill(p.paddingByte, p.data.length);
  const rpl = 1 + rhl + padded.length;
  const prefix = concat(dialect.rpi === null ? new Uint8Array(0) : Uint8Array.of(dialect.rpi), dialect.encodeLength(rpl, 'RPL'));
  const header = concat(Uint8Array.of(rhl), p.tar);
  const cntr = encodeCounter(p.counter);
  const sig = computeIntegrity(integ, keys.kidKey,
    scratchConcat(dialect.responseChecksumPrefix, prefix, header, cntr, Uint8Array.of(pcntr, p.status), padded), { allowWeak: keys.allowWeak });
  let secured = scratchConcat(cntr, Uint8Array.of(pcntr, p.status), sig, padded);
  if (alg) secured = encrypt(alg, keys.kicKey!, secured, { allowWeak: keys.allowWeak });
  const bytes = concat(prefix, header, secured);
  const h = prefix.length;
  return {
    dialect: dialect.name, bytes, rpi: dialect.rpi, rpl, rhl, tar: p.tar,
    ciphered: p.ciphered, deciphered: true, cipherAlgorithm: alg,
    counter: p.counter, pcntr, status: p.status,
    checksum: { type: integ.type, algorithm: integ.algorithm, value: sig, computed: sig, verified: integ.type === 'none' ? null : true },
    data: p.data, padding: padded.slice(p.data.length),
    offsets: offsetsFor(dialect.rpi === null ? 0 : 1, h, L), notes: weakNotes, failures: [],
  };
}

function offsetsFor(rplAt: number, h: number, L: number): Record<string, number> {
  return { RPL: rplAt, RHL: h, TAR: h + 1, CNTR: h + 4, PCNTR: h + 9, status: h + 10, 'RC/CC/DS': h + 11, data: h + 11 + L };
}

/**
 * Parse a response packet. `expect` is the security the command asked for;
 * when absent it is inferred from RHL (no ciphering assumed). Error PoRs are
 * often sent without security (cl. 5.2, status 06): a packet whose RHL says
 * no RC/CC/DS, or whose length is not a block multiple, is read in clear.
 */
export function parseResponse(dialect: Dialect, b: Uint8Array, keys: KeyMaterial, expect?: Partial<ResponseSecurity>): SecuredResponse {
  const where = (field: string, offset: number) => ({ layer: LAYER, field, offset });
  let o = 0;
  if (dialect.rpi !== null) {
    if (b.length < 1) throw new InputError('empty packet', where('RPI', 0));
    if (b[0] !== dialect.rpi) throw new InputError(`0x${hex2(b[0])} is not a response packet identifier (0x${hex2(dialect.rpi)})`, where('RPI', 0));
    o = 1;
  }
  const rplAt = o;
  if (b.length < o + 1) throw new InputError('packet ends before RPL', where('RPL', o));
  const { value: rpl, size } = dialect.decodeLength(b, o, 'RPL');
  o += size;
  const present = b.length - o;
  if (rpl !== present) throw new InputError(`says ${rpl} octets follow, ${present} present${rpl > present ? ' (truncated packet?)' : ''}`, where('RPL', rplAt));
  const h = o;
  if (present < 1) throw new InputError('packet ends before RHL', where('RHL', h));
  const rhl = b[h];
  if (rhl < 10) throw new InputError(`${rhl} is less than the 10 octets of TAR…status`, where('RHL', h));
  if (1 + rhl > present) throw new InputError(`says ${rhl} header octets but only ${present - 1} follow (PoR shorter than its RHL)`, where('RHL', h));
  const L = rhl - 10;
  const tar = b.slice(h + 1, h + 4);
  const kic = expect?.kic ?? 0;
  const kid = expect?.kid ?? 0;
  const notes: string[] = [];
  const failures: string[] = [];
  // Which integrity? From the command's SPI when known, else from RHL.
  let type: Integrity;
  // An error PoR (e.g. status 06) is sent unciphered and without RC/CC/DS (cl. 5.2): when the
  // command asked for an RC/CC but RHL says none, the whole PoR is in clear.
  let unsecured = false;
  if (expect?.integrity !== undefined) {
    type = expect.integrity;
    if (type !== 'none' && L === 0) {
      notes.push(`PoR carries no ${type.toUpperCase()} although the command asked for one: read in clear, as cards send error PoRs`);
      type = 'none';
      unsecured = true;
    }
  } else if (![0, 2, 4, 8].includes(L) && !keys.kidAlg) {
    throw new InputError(`${rhl} implies a ${L}-octet RC/CC/DS, which no algorithm has (is this a command packet?)`, where('RHL', h));
  } else if (L === 0) type = 'none';
  else if (keys.kidAlg === 'crc16' || keys.kidAlg === 'crc32') type = 'rc';
  else if (expect?.kid !== undefined) type = isRcKid(kid) && L <= 4 ? 'rc' : 'cc';
  else type = L === 2 || (L === 4 && !keys.kidKey) ? 'rc' : 'cc';
  // Without the command's KID, an RC's CRC follows from its length.
  const k: KeyMaterial = type === 'rc' && expect?.kid === undefined && !keys.kidAlg ? withMembers(keys, { kidAlg: L === 2 ? 'crc16' as const : 'crc32' as const }) : keys;
  const integ = type === 'none' ? { type, length: 0 } : checkIntegrityLength(type, kid, k, L, where('RHL', h));
  const secAt = h + 4;
  let ciphered = (expect?.ciphered ?? false) && !unsecured;
  const base: SecuredResponse = {
    dialect: dialect.name, bytes: b, rpi: dialect.rpi, rpl, rhl, tar, ciphered, deciphered: false,
    checksum: { type: integ.type, algorithm: integ.algorithm, value: null, verified: null },
    offsets: offsetsFor(rplAt, h, L), notes, failures,
  };
  let plain = b.subarray(secAt);
  if (ciphered) {
    let alg: CipherAlg | undefined;
    try {
      alg = cipherAlgFor(kic, keys, undefined);
    } catch (e) {
      notes.push(`not deciphered: ${(e as Error).message}`);
      return base;
    }
    const B = blockSize(alg);
    if (plain.length % B !== 0 || plain.length === 0) {
      notes.push(`PoR read in clear: ${plain.length} octets after TAR are not a multiple of the ${B}-octet block (unsecured error PoR)`);
      ciphered = false;
      base.ciphered = false;
    } else {
      base.cipherAlgorithm = alg;
      if (!keys.kicKey) {
        notes.push(`ciphered: CNTR, PCNTR, status, RC/CC/DS and data not shown (${missingKey(keys, 'kic')})`);
        base.checksum.reason = `ciphered and ${missingKey(keys, 'kic')}`;
        return base;
      }
      assertKeyFits(keys, 'kic');
      checkKey(alg, keys.kicKey, 'KIc key', { allowWeak: true });
      const weak = weakKey(alg, keys.kicKey);
      if (weak) notes.push(`KIc key: ${weak}`);
      plain = decrypt(alg, keys.kicKey, plain, { allowWeak: true });
    }
  }
  base.deciphered = true;
  if (plain.length < 7 + L) throw new InputError(`packet ends inside the response header (${plain.length} of ${7 + L} octets)`, where('CNTR', secAt));
  // Unciphered PoRs have no padding: a non-zero PCNTR read in clear means the PoR is ciphered
  // and we were not told so (no SPI): say so rather than show invented fields.
  if (!ciphered && plain[5] !== 0 && expect?.ciphered === undefined) {
    notes.push('not deciphered: the PoR looks ciphered (PCNTR read in clear is not 0); give the command\'s SPI, KIc and KID (--spi/--kic/--kid) or the command itself (--request)');
    base.ciphered = true;
    base.deciphered = false;
    base.checksum.reason = 'PoR ciphered and its security unknown (no --spi/--request)';
    return base;
  }
  base.counter = decodeCounter(plain.subarray(0, 5));
  const pcntr = plain[5];
  base.pcntr = pcntr;
  base.status = plain[6];
  const sig = plain.slice(7, 7 + L);
  const body = plain.subarray(7 + L);
  if (pcntr > body.length) {
    const msg = `PCNTR says ${pcntr} padding octets but only ${body.length} octets of data follow`;
    if (!ciphered) throw new InputError(msg, where('PCNTR', secAt + 5));
    failures.push(`deciphering: ${msg} (wrong KIc key or algorithm?)`);
    base.checksum.value = sig;
    base.checksum.reason = 'not checked: deciphering failed';
    return base;
  }
  base.data = body.slice(0, body.length - pcntr);
  base.padding = body.slice(body.length - pcntr);
  const input = scratchConcat(dialect.responseChecksumPrefix, b.subarray(0, secAt), plain.subarray(0, 7), body);
  if (integ.type === 'cc' && k.kidKey) {
    assertKeyFits(k, 'kid');
    const weak = integ.algorithm ? weakKey(integ.algorithm as 'aes-cmac', k.kidKey) : undefined;
    if (weak) notes.push(`KID key: ${weak}`);
  }
  base.checksum = verifyIntegrity(integ, k.kidKey, input, sig, k.kidMissing);
  // No KID known at all (a PoR read without its command): say that, not that some KID names no algorithm.
  if (base.checksum.verified === null && !integ.algorithm && expect?.kid === undefined && integ.type === 'cc') {
    base.checksum.reason = "the command's KID is unknown (give --request, or --kid / --kid-alg)";
  }
  if (base.checksum.verified === false) {
    failures.push(`${integ.type.toUpperCase()} mismatch: the ${integ.type.toUpperCase()} check failed, PoR carries ${toHex(sig)}${ciphered ? ' (wrong KID or KIc key?)' : ' (wrong KID key?)'}`);
  } else if (base.checksum.verified === null && integ.type !== 'none') {
    notes.push(`${integ.type.toUpperCase()} not checked: ${base.checksum.reason}`);
  }
  return base;
}

function isRcKid(kid: number): boolean {
  return (kid & 0x0f) === 0x1 || (kid & 0x0f) === 0x5;
}


/**
 * Command packet, TS 102 225 cl. 5.1 (SMS-PP profile: TS 31.115 cl. 4).
 *
 *   [CPI] CPL CHL SPI(2) KIc KID TAR(3) | CNTR(5) PCNTR RC/CC/DS data padding
 *                                       '------- ciphered when SPI b3 -------'
 * RC/CC/DS input: [CPI] CPL CHL SPI KIc KID TAR CNTR PCNTR data padding
 * (the dialect decides CPI/CPL coding; the SMS UDH is not included).
 */
import { InputError, VerifyError } from '../util/errors.js';
import { scratch, scratchConcat } from '../util/bytes.js';
import { concat, hex2, toHex } from '../util/hex.js';
import { blockSize, checkKey, checksummer, computeRc, decrypt, encrypt, encryptor, weakKey, type CipherAlg, type CcAlg, type RcAlg } from '../crypto/index.js';
import { CNTR_MAX } from './common.js';
import type { Dialect } from './dialect.js';
import { spiCodec, type Spi } from './spi.js';
import { assertKeyFits, cipherAlgFor, missingKey, type KeyMaterial } from './keys.js';
import { decodeKic } from './kic.js';
import {
  checkIntegrityLength, computeIntegrity, decodeCounter, encodeCounter, integrityFor, padLength, verifyIntegrity,
  type ChecksumResult,
} from './common.js';

export const LAYER = 'command packet';

export interface CommandInput {
  spi: Spi;
  kic: number;
  kid: number;
  tar: Uint8Array;
  counter: bigint;
  /** Secured data: the application message (e.g. a remote APDU script). */
  data: Uint8Array;
  /** CC length in octets (AES-CMAC: 4, 8 or 16; default 8). */
  ccLength?: number;
  /** Cipher padding octet; 00 as every real card and implementation uses. */
  paddingByte?: number;
}

export interface SecuredCommand {
  dialect: Dialect['name'];
  /** The packet as on the air: [CPI] CPL CHL … */
  bytes: Uint8Array;
  cpi: number | null;
  cpl: number;
  chl: number;
  spi: Spi;
  kic: number;
  kid: number;
  tar: Uint8Array;
  ciphered: boolean;
  /** false when ciphered and no KIc key was given: the fields below are then absent. */
  deciphered: boolean;
  cipherAlgorithm?: CipherAlg;
  counter?: bigint;
  pcntr?: number;
  checksum: ChecksumResult;
  data?: Uint8Array;
  padding?: Uint8Array;
  /** Byte offsets of the fields in `bytes`. */
  offsets: Record<string, number>;
  /** What could not be checked, and other remarks. */
  notes: string[];
  /** Failed checks (a non-empty list makes `parse` exit 1). */
  failures: string[];
}

/**
 * The header's checks and the algorithms and keys a command needs (TS 102 225
 * cl. 5.1), resolved once: shared by buildCommand and commandBuilder so both
 * refuse and note exactly the same things.
 */
export function commandAlgorithms(p: Omit<CommandInput, 'data' | 'counter'>, keys: KeyMaterial) {
  const weakNotes: string[] = [];
  if (p.tar.length !== 3) throw new InputError('must be 3 octets', { field: 'TAR' });
  const spiBytes = spiCodec.encode(p.spi);
  const integ = integrityFor(p.spi.integrity, p.kid, keys, p.ccLength);
  const L = integ.length;
  const chl = 13 + L;
  let alg: CipherAlg | undefined;
  if (p.spi.ciphering) {
    alg = cipherAlgFor(p.kic, keys);
    if (!keys.kicKey) throw new InputError(`ciphering needs the KIc key (--kic-key, UICC_OTA_KIC or --keyset)${keys.kicMissing ? ': ' + keys.kicMissing : ''}`, { field: 'KIc key' });
    assertKeyFits(keys, 'kic');
    checkKey(alg, keys.kicKey, 'KIc key', { allowWeak: keys.allowWeak });
    const weakKic = weakKey(alg, keys.kicKey);
    if (weakKic) weakNotes.push(`KIc key: ${weakKic} (used: --allow-weak-key)`);
  }
  if (integ.type === 'cc') {
    if (!keys.kidKey) throw new InputError(`a CC needs the KID key (--kid-key, UICC_OTA_KID or --keyset)${keys.kidMissing ? ': ' + keys.kidMissing : ''}`, { field: 'KID key' });
    assertKeyFits(keys, 'kid');
    checkKey(integ.algorithm as 'aes-cmac', keys.kidKey, 'KID key', { allowWeak: keys.allowWeak });
    const weakKid = weakKey(integ.algorithm as 'aes-cmac', keys.kidKey);
    if (weakKid) weakNotes.push(`KID key: ${weakKid} (used: --allow-weak-key)`);
  }
  return { spiBytes, integ, L, chl, alg, weakNotes };
}

export function buildCommand(dialect: Dialect, p: CommandInput, keys: KeyMaterial): SecuredCommand {
  const { spiBytes, integ, L, chl, alg, weakNotes } = commandAlgorithms(p, keys);
  // cl. 5.1: CNTR+PCNTR+RC/CC/DS+data fill whole blocks
  const pcntr = alg ? padLength(alg, 6 + L + p.data.length) : 0;
  // The padded data, the CC input and the secured part are scratch (util/bytes.ts): none of them is returned.
  const padded = scratch(p.data.length + pcntr);
  padded.set(p.data);
  if (p.paddingByte) padded.fill(p.paddingByte, p.data.length);
  const cpl = 1 + chl + padded.length;
  const prefix = concat(dialect.cpi === null ? new Uint8Array(0) : Uint8Array.of(dialect.cpi), dialect.encodeLength(cpl, 'CPL'));
  const header = concat(Uint8Array.of(chl), spiBytes, Uint8Array.of(p.kic, p.kid), p.tar);
  const cntr = encodeCounter(p.counter);
  const sig = computeIntegrity(integ, keys.kidKey, scratchConcat(prefix, header, cntr, Uint8Array.of(pcntr), padded), { allowWeak: keys.allowWeak });
  let secured = scratchConcat(cntr, Uint8Array.of(pcntr), sig, padded);
  if (alg) secured = encrypt(alg, keys.kicKey!, secured, { allowWeak: keys.allowWeak });
  const bytes = concat(prefix, header, secured);
  const h = prefix.length;
  return {
    dialect: dialect.name,
    bytes,
    cpi: dialect.cpi,
    cpl,
    chl,
    spi: p.spi,
    kic: p.kic,
    kid: p.kid,
    tar: p.tar,
    ciphered: p.spi.ciphering,
    deciphered: true,
    cipherAlgorithm: alg,
    counter: p.counter,
    pcntr,
    checksum: { type: integ.type, algorithm: integ.algorithm, value: sig, computed: sig, verified: integ.type === 'none' ? null : true },
    data: p.data,
    padding: padded.slice(p.data.length),
    offsets: stdOffsets(dialect.cpi === null ? 0 : 1, h, L),
    notes: weakNotes,
    failures: [],
  };
}

/**
 * buildCommand for the many packets of a batch: the header, the algorithms and
 * the keys are checked and resolved once; each call takes only the secured
 * data and the counter and returns the packet's octets (the same octets
 * buildCommand gives).
 */
export function commandBuilder(dialect: Dialect, p: Omit<CommandInput, 'data' | 'counter'>, keys: KeyMaterial): (data: Uint8Array, counter: bigint) => Uint8Array {
  const { spiBytes, integ, L, chl, alg } = commandAlgorithms(p, keys);
  const B = alg ? blockSize(alg) : 1;
  const enc = alg ? encryptor(alg) : undefined;
  const mac = integ.type === 'cc' ? checksummer(integ.algorithm as CcAlg) : undefined;
  const rc = integ.type === 'rc' ? (integ.algorithm as RcAlg) : undefined;
  const padByte = p.paddingByte ?? 0;
  const cpiLen = dialect.cpi === null ? 0 : 1;
  const hdr = Uint8Array.of(chl, spiBytes[0], spiBytes[1], p.kic, p.kid, p.tar[0], p.tar[1], p.tar[2]);
  const kicKey = keys.kicKey!;
  const kidKey = keys.kidKey!;
  return (data, counter) => {
    if (counter < 0n || counter > CNTR_MAX) throw new InputError(`${counter} does not fit 5 octets (0 … 2^40−1)`, { field: 'CNTR' });
    const pcntr = alg ? (B - ((6 + L + data.length) % B)) % B : 0;
    const cpl = 1 + chl + data.length + pcntr;
    const cplBytes = dialect.encodeLength(cpl, 'CPL');
    const h = cpiLen + cplBytes.length;
    // RC/CC input: [CPI] CPL CHL SPI KIc KID TAR CNTR PCNTR data padding (cl. 5.1.3)
    const m = new Uint8Array(h + 14 + data.length + pcntr);
    if (cpiLen) m[0] = dialect.cpi!;
    m.set(cplBytes, cpiLen);
    m.set(hdr, h);
    let v = Number(counter); // at most 2^40-1: exact in a double
    for (let i = h + 12; i >= h + 8; i--) {
      m[i] = v % 256;
      v = Math.floor(v / 256);
    }
    m[h + 13] = pcntr;
    m.set(data, h + 14);
    if (pcntr && padByte) m.fill(padByte, h + 14 + data.length);
    const sig = mac ? mac(kidKey, m).subarray(0, L) : rc ? computeRc(rc, m) : undefined;
    // Secured part: CNTR PCNTR RC/CC/DS data padding, ciphered as a whole (cl. 5.1.2).
    const sec = new Uint8Array(6 + L + data.length + pcntr);
    sec.set(m.subarray(h + 8, h + 14));
    if (sig) sec.set(sig, 6);
    sec.set(m.subarray(h + 14), 6 + L);
    const body = enc ? enc(kicKey, sec) : sec;
    const out = new Uint8Array(h + 8 + body.length);
    out.set(m.subarray(0, h + 8));
    out.set(body, h + 8);
    return out;
  };
}

function stdOffsets(cplAt: number, h: number, L: number): Record<string, number> {
  return {
    CPL: cplAt, CHL: h, SPI: h + 1, KIc: h + 3, KID: h + 4, TAR: h + 5,
    CNTR: h + 8, PCNTR: h + 13, 'RC/CC/DS': h + 14, data: h + 14 + L,
  };
}

export interface ParseOptions {
  /** Throw VerifyError on the first failed check instead of listing it. */
  strict?: boolean;
}

/** The clear part of a command packet: [CPI] CPL CHL SPI KIc KID TAR, with every length checked. */
export interface CommandHeader {
  cpl: number;
  /** Offset of CPL and of CHL in the packet. */
  cplAt: number;
  h: number;
  chl: number;
  spi: Spi;
  kic: number;
  kid: number;
  tar: Uint8Array;
}

export function parseCommandHeader(dialect: Dialect, b: Uint8Array): CommandHeader {
  const where = (field: string, offset: number) => ({ layer: LAYER, field, offset });
  let o = 0;
  if (dialect.cpi !== null) {
    if (b.length < 1) throw new InputError('empty packet', where('CPI', 0));
    if (b[0] !== dialect.cpi) throw new InputError(`0x${hex2(b[0])} is not a command packet identifier (0x${hex2(dialect.cpi)})`, where('CPI', 0));
    o = 1;
  }
  const cplAt = o;
  if (b.length < o + 1) throw new InputError('packet ends before CPL', where('CPL', o));
  const { value: cpl, size } = dialect.decodeLength(b, o, 'CPL');
  o += size;
  const present = b.length - o;
  if (cpl !== present) {
    throw new InputError(`says ${cpl} octets follow, ${present} present${cpl > present ? ' (truncated packet?)' : ''}`, where('CPL', cplAt));
  }
  if (present < 14) throw new InputError(`packet too short for a command header: ${present} octets after CPL, at least 14 needed`, where('CHL', o));
  const h = o;
  const chl = b[h];
  if (dialect.cpi !== null && chl >= 0x80) throw new InputError(`0x${hex2(chl)}: multi-octet CHL is not supported`, where('CHL', h));
  if (chl < 13) throw new InputError(`${chl} is less than the 13 octets of SPI…PCNTR`, where('CHL', h));
  if (1 + chl > present) throw new InputError(`says ${chl} header octets but only ${present - 1} follow`, where('CHL', h));
  return { cpl, cplAt, h, chl, spi: spiCodec.decode(b, h + 1), kic: b[h + 3], kid: b[h + 4], tar: b.slice(h + 5, h + 8) };
}

/**
 * Parse and check a command packet. `header` is parseCommandHeader's result for
 * the same `b` when the caller already has it (to pick the keys by KIc/KID), so
 * that the header is parsed once per packet.
 */
export function parseCommand(dialect: Dialect, b: Uint8Array, keys: KeyMaterial, header?: CommandHeader): SecuredCommand {
  const where = (field: string, offset: number) => ({ layer: LAYER, field, offset });
  const { cpl, cplAt, h, chl, spi, kic, kid, tar } = header ?? parseCommandHeader(dialect, b);
  const L = chl - 13;
  const integ = checkIntegrityLength(spi.integrity, kid, keys, L, { layer: LAYER, field: 'CHL', offset: h, kidOffset: h + 4 });
  const notes: string[] = [];
  const failures: string[] = [];
  const base: SecuredCommand = {
    dialect: dialect.name, bytes: b, cpi: dialect.cpi, cpl, chl, spi, kic, kid, tar,
    ciphered: spi.ciphering, deciphered: false,
    checksum: { type: integ.type, algorithm: integ.algorithm, value: null, verified: null },
    offsets: stdOffsets(cplAt, h, L), notes, failures,
  };
  const secAt = h + 8;
  let plain = b.subarray(secAt);
  if (spi.ciphering) {
    let alg: CipherAlg;
    if (decodeKic(kic).algorithm === null && !keys.kicAlg) {
      throw new InputError(`0x${hex2(kic)} is a reserved ciphering algorithm code`, where('KIc', h + 3));
    }
    try {
      alg = cipherAlgFor(kic, keys, h + 3);
    } catch (e) {
      notes.push(`not deciphered: ${(e as Error).message}`);
      base.checksum.reason = 'ciphered';
      return base;
    }
    base.cipherAlgorithm = alg;
    if (!keys.kicKey) {
      notes.push(`ciphered: CNTR, PCNTR, RC/CC/DS and data not shown (${missingKey(keys, 'kic')})`);
      base.checksum.reason = `ciphered and ${missingKey(keys, 'kic')}`;
      return base;
    }
    assertKeyFits(keys, 'kic');
    checkKey(alg, keys.kicKey, 'KIc key', { allowWeak: true });
    const weak = weakKey(alg, keys.kicKey);
    if (weak) notes.push(`KIc key: ${weak}`);
    const B = blockSize(alg);
    if (plain.length % B !== 0) {
      throw new InputError(`${plain.length} ciphered octets are not a multiple of the ${B}-octet block of ${alg}`, where('CNTR', secAt));
    }
    plain = decrypt(alg, keys.kicKey, plain, { allowWeak: true });
    base.deciphered = true;
  } else {
    base.deciphered = true;
  }
  if (plain.length < 6 + L) throw new InputError(`packet ends inside the security header (${plain.length} of ${6 + L} octets)`, where('CNTR', secAt));
  const counter = decodeCounter(plain.subarray(0, 5));
  const pcntr = plain[5];
  const sig = plain.slice(6, 6 + L);
  const body = plain.subarray(6 + L);
  base.counter = counter;
  base.pcntr = pcntr;
  if (pcntr > body.length) {
    const msg = `PCNTR says ${pcntr} padding octets but only ${body.length} octets of secured data follow`;
    if (!spi.ciphering) throw new InputError(msg, where('PCNTR', secAt + 5));
    failures.push(`deciphering: ${msg} (wrong KIc key or algorithm?)`);
    base.checksum.value = sig;
    base.checksum.reason = 'not checked: deciphering failed';
    return base;
  }
  if (!spi.ciphering && pcntr !== 0) notes.push(`PCNTR is ${pcntr} although the packet is not ciphered`);
  if (spi.ciphering && base.cipherAlgorithm && pcntr >= blockSize(base.cipherAlgorithm)) {
    notes.push(`PCNTR ${pcntr} is more than a block needs`);
  }
  base.data = body.slice(0, body.length - pcntr);
  base.padding = body.slice(body.length - pcntr);
  const input = scratchConcat(b.subarray(0, secAt), plain.subarray(0, 6), body);
  if (integ.type === 'cc' && keys.kidKey) {
    assertKeyFits(keys, 'kid');
    const weak = weakKey(integ.algorithm as 'aes-cmac', keys.kidKey);
    if (weak) notes.push(`KID key: ${weak}`);
  }
  base.checksum = verifyIntegrity(integ, keys.kidKey, input, sig, keys.kidMissing);
  if (base.checksum.verified === false) {
    failures.push(`${integ.type.toUpperCase()} mismatch: the ${integ.type.toUpperCase()} check failed, packet carries ${toHex(sig)}${spi.ciphering ? ' (wrong KID or KIc key?)' : ' (wrong KID key?)'}`);
  } else if (base.checksum.verified === null && integ.type !== 'none') {
    notes.push(`${integ.type.toUpperCase()} not checked: ${base.checksum.reason}`);
  }
  return base;
}

/** parse + throw VerifyError when a check failed (library convenience). */
export function parseCommandStrict(dialect: Dialect, b: Uint8Array, keys: KeyMaterial): SecuredCommand {
  const r = parseCommand(dialect, b, keys);
  if (r.failures.length) throw new VerifyError(r.failures[0], { layer: LAYER });
  return r;
}


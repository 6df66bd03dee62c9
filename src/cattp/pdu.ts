/**
 * CAT_TP PDU codec (ETSI TS 102 127; PDU header, variable header and checksum).
 *
 * A PDU is one UDP payload: 18-octet fixed header, a variable header whose
 * shape depends on the flags (SYN / SYN-ACK sizes and identification, EACK
 * list, RST reason), then the data. A wrong checksum is a verification result
 * (`checksumOk: false`), not an exception; structural problems are InputErrors
 * with layer 'CAT_TP', the field name and the byte offset.
 */
import { InputError } from '../util/errors.js';
import { hex4, toHex } from '../util/hex.js';
import { bitLine, node, type TreeNode } from '../render/tree.js';

export const LAYER = 'CAT_TP';
import { FIXED_HEADER_LENGTH } from './detect.js';
export { FIXED_HEADER_LENGTH };

export type CattpType = 'SYN' | 'SYN/ACK' | 'ACK' | 'DATA' | 'EACK' | 'RST' | 'NUL';
export type CattpFlagName = 'SYN' | 'ACK' | 'EAK' | 'RST' | 'NUL' | 'SEG';

/** Flag octet (octet 0): b8..b3 flags, b2–b1 version. */
export const FLAG_FIELDS: readonly { name: CattpFlagName; mask: number; label: string }[] = [
  { name: 'SYN', mask: 0x80, label: 'Synchronize' },
  { name: 'ACK', mask: 0x40, label: 'Acknowledge' },
  { name: 'EAK', mask: 0x20, label: 'Extended acknowledge' },
  { name: 'RST', mask: 0x10, label: 'Reset' },
  { name: 'NUL', mask: 0x08, label: 'Null (keep-alive)' },
  { name: 'SEG', mask: 0x04, label: 'Segmentation' },
];
export const FLAGS_MASK = 0xfc;
export const VERSION_MASK = 0x03;

const F = Object.fromEntries(FLAG_FIELDS.map((f) => [f.name, f.mask])) as Record<CattpFlagName, number>;

type HeaderKey = 'flags' | 'rfu' | 'hlen' | 'srcPort' | 'dstPort' | 'dataLength' | 'seq' | 'ack' | 'window' | 'checksum';

/** Fixed header, 18 octets (big-endian). Encoder and decoder both walk this table. */
export const HEADER_FIELDS: readonly { key: HeaderKey; name: string; offset: number; size: 1 | 2 }[] = [
  { key: 'flags', name: 'flags', offset: 0, size: 1 },
  { key: 'rfu', name: 'RFU', offset: 1, size: 2 },
  { key: 'hlen', name: 'header length', offset: 3, size: 1 },
  { key: 'srcPort', name: 'source port', offset: 4, size: 2 },
  { key: 'dstPort', name: 'destination port', offset: 6, size: 2 },
  { key: 'dataLength', name: 'data length', offset: 8, size: 2 },
  { key: 'seq', name: 'sequence number', offset: 10, size: 2 },
  { key: 'ack', name: 'acknowledgement number', offset: 12, size: 2 },
  { key: 'window', name: 'window size', offset: 14, size: 2 },
  { key: 'checksum', name: 'checksum', offset: 16, size: 2 },
];

/** Flag bits (without version) each type is encoded with. */
export const TYPE_FLAGS: Readonly<Record<CattpType, number>> = {
  SYN: F.SYN,
  'SYN/ACK': F.SYN | F.ACK,
  ACK: F.ACK,
  DATA: F.ACK,
  EACK: F.ACK | F.EAK,
  RST: F.RST,
  NUL: F.ACK | F.NUL,
};

/** RST reason codes (TS 102 127 RST variable header). */
export const RST_REASONS: Readonly<Record<number, string>> = {
  0: 'normal ending',
  1: 'connection set-up failed, illegal parameters',
  2: 'temporarily unable to set up this connection',
  3: 'requested port not available',
  4: 'unexpected PDU received',
  5: 'maximum retries exceeded',
  6: 'version not supported',
};

export function reasonName(code: number): string {
  return RST_REASONS[code] ?? 'RFU';
}

/** The semantic content of a PDU (what is encoded; what decode returns). */
export interface CattpPdu {
  type: CattpType;
  /** SEG flag: this data PDU is a segment that is not the last of its SDU. */
  seg?: boolean;
  /** RST only: also set the ACK flag (flags 50, which Wireshark accepts). */
  ackFlag?: boolean;
  /** Version bits b2–b1; 0 unless deliberately testing (decode rejects others). */
  version?: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  window: number;
  /** SYN, SYN/ACK: maximum PDU size the sender can receive. */
  maxPduSize?: number;
  /** SYN, SYN/ACK: maximum SDU size the sender can receive. */
  maxSduSize?: number;
  /** SYN, SYN/ACK: identification (often the ICCID), may be empty. */
  identification?: Uint8Array;
  /** EACK: sequence numbers received out of sequence. */
  eack?: number[];
  /** RST: reason code. */
  reason?: number;
  data: Uint8Array;
}

/** Deliberate deviations for tests; normally everything is computed. */
export interface EncodeOverrides {
  /** Raw flag bits (b8..b3); replaces what type/seg/ackFlag give. */
  flags?: number;
  hlen?: number;
  dataLength?: number;
  checksum?: number;
  rfu?: number;
}

export interface DecodedPdu {
  pdu: CattpPdu;
  /** Octet 0 as received (flags and version). */
  flagsOctet: number;
  flagNames: CattpFlagName[];
  rfu: number;
  hlen: number;
  dataLength: number;
  /** Checksum as received. */
  checksum: number;
  /** What the checksum field should hold (computed with the field as 00 00). */
  computedChecksum: number;
  checksumOk: boolean;
  /** Total PDU length (hlen + data length). */
  length: number;
}

// ---------------------------------------------------------------- checksum

/**
 * CAT_TP checksum (TS 102 127): complement of the one's-complement sum of the
 * big-endian 16-bit words of header + data, the checksum field (octets 16–17)
 * taken as 00 00, an odd last octet padded with 00; no pseudo-header.
 */
export function cattpChecksum(pdu: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < pdu.length; i += 2) {
    if (i === 16) continue;
    sum += (pdu[i] << 8) | (i + 1 < pdu.length ? pdu[i + 1] : 0);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  return ~sum & 0xffff;
}

// ---------------------------------------------------------------- ICCID helpers

/** ICCID digits → identification as cards send it: BCD, nibble-swapped, F-padded (as Wireshark's CAT-TP dissector reads it). */
export function iccidToIdentification(iccid: string): Uint8Array {
  if (!/^[0-9]{1,20}$/.test(iccid)) {
    throw new InputError(`ICCID must be 1–20 decimal digits, got ${JSON.stringify(iccid)}`, { layer: LAYER, field: 'identification' });
  }
  const d = iccid.length % 2 ? iccid + 'F' : iccid;
  const out = new Uint8Array(d.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = (parseInt(d[2 * i + 1], 16) << 4) | parseInt(d[2 * i], 16);
  return out;
}

/** The ICCID reading Wireshark applies: 9–10 octets starting 98, nibbles swapped. */
export function identificationToIccid(id: Uint8Array): string | undefined {
  if (id.length < 9 || id.length > 10 || id[0] !== 0x98) return undefined;
  let s = '';
  for (const c of id) s += ((c & 0x0f).toString(16) + (c >> 4).toString(16)).toUpperCase();
  return s;
}

// ---------------------------------------------------------------- encode

function err(message: string, field: string, offset?: number): InputError {
  return new InputError(message, offset === undefined ? { layer: LAYER, field } : { layer: LAYER, field, offset });
}

function checkUint(v: unknown, bits: 8 | 16, field: string): number {
  const max = bits === 8 ? 0xff : 0xffff;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw err(`must be an integer 0–${max}, got ${String(v)}`, field);
  }
  return v;
}

function flagBitsFor(p: CattpPdu): number {
  let f = TYPE_FLAGS[p.type];
  if (f === undefined) throw err(`unknown PDU type ${JSON.stringify(p.type)}`, 'flags');
  if (p.seg) {
    if (p.type !== 'DATA' && p.type !== 'EACK') throw err(`SEG is only meaningful on a PDU with data, not ${p.type}`, 'flags');
    f |= F.SEG;
  }
  if (p.ackFlag) {
    if (p.type !== 'RST') throw err('ackFlag is only for RST (the other types imply it)', 'flags');
    f |= F.ACK;
  }
  return f;
}

function variablePart(p: CattpPdu): Uint8Array {
  switch (p.type) {
    case 'SYN':
    case 'SYN/ACK': {
      const id = p.identification ?? new Uint8Array(0);
      if (p.maxPduSize === undefined) throw err(`${p.type} needs maxPduSize`, 'maximum PDU size');
      if (p.maxSduSize === undefined) throw err(`${p.type} needs maxSduSize`, 'maximum SDU size');
      checkUint(p.maxPduSize, 16, 'maximum PDU size');
      checkUint(p.maxSduSize, 16, 'maximum SDU size');
      if (id.length > 255 - 23) throw err(`${id.length} octets; at most ${255 - 23} fit the 1-octet header length`, 'identification');
      const v = new Uint8Array(5 + id.length);
      v[0] = p.maxPduSize >> 8;
      v[1] = p.maxPduSize & 0xff;
      v[2] = p.maxSduSize >> 8;
      v[3] = p.maxSduSize & 0xff;
      v[4] = id.length;
      v.set(id, 5);
      return v;
    }
    case 'EACK': {
      const list = p.eack ?? [];
      if (list.length > (255 - 18) >> 1) throw err(`${list.length} entries; at most ${(255 - 18) >> 1} fit`, 'EACK list');
      const v = new Uint8Array(list.length * 2);
      list.forEach((s, i) => {
        checkUint(s, 16, `EACK entry ${i}`);
        v[2 * i] = s >> 8;
        v[2 * i + 1] = s & 0xff;
      });
      return v;
    }
    case 'RST':
      if (p.reason === undefined) throw err('RST needs a reason code', 'reason code');
      return Uint8Array.of(checkUint(p.reason, 8, 'reason code'));
    default:
      return new Uint8Array(0);
  }
}

export function encodingLength(p: CattpPdu): number {
  return FIXED_HEADER_LENGTH + variablePart(p).length + (p.data ?? new Uint8Array(0)).length;
}

/** Encode a PDU; header length, data length and checksum are computed unless overridden. */
export function encodePdu(p: CattpPdu, o: EncodeOverrides = {}): Uint8Array {
  const data = p.data ?? new Uint8Array(0);
  if (data.length > 0xffff) throw err(`${data.length} octets; the field holds at most 65535`, 'data length');
  if (o.flags === undefined) {
    if ((p.type === 'SYN' || p.type === 'SYN/ACK' || p.type === 'RST' || p.type === 'NUL' || p.type === 'ACK') && data.length) {
      throw err(`a ${p.type} PDU carries no data (use DATA)`, 'data length');
    }
    if (p.type === 'DATA' && !data.length) throw err('a DATA PDU needs data (use ACK for none)', 'data length');
  }
  const version = checkUint(p.version ?? 0, 8, 'version');
  if (version > 3) throw err(`must be 0–3, got ${version}`, 'version');
  const flagBits = o.flags ?? flagBitsFor(p);
  const v = variablePart(p);
  const out = new Uint8Array(FIXED_HEADER_LENGTH + v.length + data.length);
  const values: Record<HeaderKey, number> = {
    flags: (flagBits & FLAGS_MASK) | version,
    rfu: o.rfu ?? 0,
    hlen: o.hlen ?? FIXED_HEADER_LENGTH + v.length,
    srcPort: p.srcPort,
    dstPort: p.dstPort,
    dataLength: o.dataLength ?? data.length,
    seq: p.seq,
    ack: p.ack,
    window: p.window,
    checksum: 0,
  };
  for (const f of HEADER_FIELDS) {
    const x = checkUint(values[f.key], f.size === 1 ? 8 : 16, f.name);
    if (f.size === 1) out[f.offset] = x;
    else {
      out[f.offset] = x >> 8;
      out[f.offset + 1] = x & 0xff;
    }
  }
  out.set(v, FIXED_HEADER_LENGTH);
  out.set(data, FIXED_HEADER_LENGTH + v.length);
  const ck = o.checksum === undefined ? cattpChecksum(out) : checkUint(o.checksum, 16, 'checksum');
  out[16] = ck >> 8;
  out[17] = ck & 0xff;
  return out;
}

// ---------------------------------------------------------------- decode

/** Classify flag bits (Wireshark CAT-TP heuristic plus per-type rules of TS 102 127). */
function classify(bits: number, dataLength: number): CattpType {
  const has = (n: CattpFlagName) => (bits & F[n]) !== 0;
  const names = FLAG_FIELDS.filter((f) => bits & f.mask).map((f) => f.name);
  const bad = (why: string) => err(`unknown flag combination ${names.join('+') || 'none'} (0x${bits.toString(16).padStart(2, '0').toUpperCase()}): ${why}`, 'flags', 0);
  if (has('SYN')) {
    if (has('EAK') || has('RST') || has('NUL') || has('SEG')) throw bad('SYN combines only with ACK');
    return has('ACK') ? 'SYN/ACK' : 'SYN';
  }
  if (has('RST')) {
    if (has('EAK') || has('NUL') || has('SEG')) throw bad('RST combines only with ACK');
    return 'RST';
  }
  if (!has('ACK')) throw bad('one of SYN, ACK, RST must be set');
  if (has('NUL')) {
    if (has('EAK') || has('SEG')) throw bad('NUL combines only with ACK');
    return 'NUL';
  }
  if (has('SEG') && dataLength === 0) throw bad('SEG set on a PDU without data');
  if (has('EAK')) return 'EACK';
  return dataLength > 0 ? 'DATA' : 'ACK';
}

/**
 * Decode one PDU occupying bytes[offset, end) (default: the rest of the
 * input — a whole UDP payload). Offsets in errors are relative to `bytes`.
 */
export function decodePdu(bytes: Uint8Array, offset = 0, end = bytes.length): DecodedPdu {
  const len = end - offset;
  if (len < FIXED_HEADER_LENGTH) {
    const cut = HEADER_FIELDS.find((f) => f.offset + f.size > len)!;
    throw err(`truncated: ${len} octet${len === 1 ? '' : 's'} present, the fixed header needs ${FIXED_HEADER_LENGTH}`, cut.name, offset + Math.max(len, 0));
  }
  const b = bytes.subarray(offset, end);
  const h = {} as Record<HeaderKey, number>;
  for (const f of HEADER_FIELDS) h[f.key] = f.size === 1 ? b[f.offset] : (b[f.offset] << 8) | b[f.offset + 1];
  const at = (field: HeaderKey) => offset + HEADER_FIELDS.find((f) => f.key === field)!.offset;

  const version = h.flags & VERSION_MASK;
  if (version !== 0) throw err(`version ${version} not supported (TS 102 127 requires 0)`, 'version', at('flags'));
  const bits = h.flags & FLAGS_MASK;
  const type = classify(bits, h.dataLength);

  const hlen = h.hlen;
  if (hlen < FIXED_HEADER_LENGTH) throw err(`says ${hlen} octets, less than the ${FIXED_HEADER_LENGTH}-octet fixed header`, 'header length', at('hlen'));
  if (hlen > len) throw err(`says ${hlen} octets, only ${len} present`, 'header length', at('hlen'));
  if (hlen + h.dataLength > len) {
    throw err(`says ${h.dataLength} octets, ${len - hlen} present after the ${hlen}-octet header`, 'data length', at('dataLength'));
  }
  if (hlen + h.dataLength < len) {
    throw err(`says ${h.dataLength} octets, but ${len - hlen} follow the ${hlen}-octet header`, 'data length', at('dataLength'));
  }
  if ((type === 'SYN' || type === 'SYN/ACK' || type === 'RST' || type === 'NUL') && h.dataLength > 0) {
    throw err(`says ${h.dataLength} octets, but a ${type} PDU carries no data`, 'data length', at('dataLength'));
  }

  const pdu: CattpPdu = {
    type,
    srcPort: h.srcPort,
    dstPort: h.dstPort,
    seq: h.seq,
    ack: h.ack,
    window: h.window,
    data: b.slice(hlen, hlen + h.dataLength),
  };
  if (version) pdu.version = version;
  if (bits & F.SEG) pdu.seg = true;

  switch (type) {
    case 'SYN':
    case 'SYN/ACK': {
      if (hlen < 23) throw err(`says ${hlen} octets; a ${type} header needs at least 23 (sizes and identification length)`, 'header length', at('hlen'));
      const idLen = b[22];
      if (hlen !== 23 + idLen) {
        throw err(`says ${hlen} octets, but identification length ${idLen} (byte ${offset + 22}) makes the ${type} header ${23 + idLen}`, 'header length', at('hlen'));
      }
      pdu.maxPduSize = (b[18] << 8) | b[19];
      pdu.maxSduSize = (b[20] << 8) | b[21];
      pdu.identification = b.slice(23, 23 + idLen);
      break;
    }
    case 'EACK': {
      const n = hlen - FIXED_HEADER_LENGTH;
      if (n % 2) throw err(`odd length ${n}: entries are 2-octet sequence numbers`, 'EACK list', offset + FIXED_HEADER_LENGTH);
      pdu.eack = [];
      for (let i = FIXED_HEADER_LENGTH; i < hlen; i += 2) pdu.eack.push((b[i] << 8) | b[i + 1]);
      break;
    }
    case 'RST':
      if (hlen !== 19) throw err(`says ${hlen} octets; an RST header is 19 (one reason-code octet)`, 'header length', at('hlen'));
      pdu.reason = b[18];
      if (bits & F.ACK) pdu.ackFlag = true;
      break;
    default:
      if (hlen !== FIXED_HEADER_LENGTH) throw err(`says ${hlen} octets; a ${type} PDU has no variable header (18)`, 'header length', at('hlen'));
  }

  const pduBytes = b.subarray(0, hlen + h.dataLength);
  const computed = cattpChecksum(pduBytes);
  return {
    pdu,
    flagsOctet: h.flags,
    flagNames: FLAG_FIELDS.filter((f) => bits & f.mask).map((f) => f.name),
    rfu: h.rfu,
    hlen,
    dataLength: h.dataLength,
    checksum: h.checksum,
    computedChecksum: computed,
    checksumOk: computed === h.checksum,
    length: hlen + h.dataLength,
  };
}

/** dns-packet style codec object. */
export const cattpPdu = {
  encode: encodePdu,
  decode: decodePdu,
  encodingLength,
};

// ---------------------------------------------------------------- presentation


/** One-line summary, e.g. "SYN 1024 → 1 seq=4660 ack=0 win=4". */
export function pduSummary(d: DecodedPdu): string {
  const p = d.pdu;
  let s = `${p.type}${p.seg ? '+SEG' : ''} ${p.srcPort} → ${p.dstPort} seq=${p.seq} ack=${p.ack} win=${p.window}`;
  if (d.dataLength) s += ` len=${d.dataLength}`;
  if (p.eack) s += ` eack=[${p.eack.join(',')}]`;
  if (p.reason !== undefined) s += ` reason=${p.reason} (${reasonName(p.reason)})`;
  if (!d.checksumOk) s += ' BAD CHECKSUM';
  return s;
}

/** Wireshark-like tree of one decoded PDU. */
export function pduTree(d: DecodedPdu): TreeNode {
  const p = d.pdu;
  const flagBits = FLAG_FIELDS.map((f) => bitLine(d.flagsOctet, f.mask, `${f.label} (${f.name}): ${d.flagsOctet & f.mask ? 'set' : 'not set'}`));
  flagBits.push(bitLine(d.flagsOctet, VERSION_MASK, `Version: ${d.flagsOctet & VERSION_MASK}`));
  const kids: TreeNode[] = [
    node('Flags', `0x${d.flagsOctet.toString(16).toUpperCase().padStart(2, '0')} (${d.flagNames.join(', ') || 'none'})`, undefined, { bits: flagBits }),
    node('RFU', `0x${hex4(d.rfu)}`, undefined, d.rfu ? { status: 'warn', note: 'should be 0000' } : {}),
    node('Header length', String(d.hlen)),
    node('Source port', String(p.srcPort)),
    node('Destination port', String(p.dstPort)),
    node('Data length', String(d.dataLength)),
    node('Sequence number', String(p.seq)),
    node('Acknowledgement number', String(p.ack)),
    node('Window size', `${p.window} PDU${p.window === 1 ? '' : 's'}`),
    node('Checksum', `0x${hex4(d.checksum)}`, undefined, d.checksumOk ? { status: 'ok', note: 'correct' } : { status: 'fail', note: `bad, should be 0x${hex4(d.computedChecksum)}` }),
  ];
  if (p.maxPduSize !== undefined) kids.push(node('Maximum PDU size', String(p.maxPduSize)));
  if (p.maxSduSize !== undefined) kids.push(node('Maximum SDU size', String(p.maxSduSize)));
  if (p.identification) {
    kids.push(node('Identification length', String(p.identification.length)));
    if (p.identification.length) {
      const iccid = identificationToIccid(p.identification);
      kids.push(node('Identification', iccid ? `ICCID ${iccid}` : undefined, undefined, { hex: toHex(p.identification) }));
    }
  }
  if (p.eack) {
    kids.push(node('EACK list', `${p.eack.length} sequence number${p.eack.length === 1 ? '' : 's'}`, p.eack.map((s, i) => node(`EACK ${i + 1}`, String(s)))));
  }
  if (p.reason !== undefined) kids.push(node('Reason code', `${p.reason} (${reasonName(p.reason)})`));
  if (p.data.length) kids.push(node('Data', `${p.data.length} octets`, undefined, { hex: toHex(p.data) }));
  return node('CAT_TP', `${p.type}${p.seg ? ' (segment)' : ''}`, kids, d.checksumOk ? {} : { status: 'fail' });
}

/** A type or flag in JSON v1: spelled as the CLI takes it (`syn`, `synack`, …). */
export type CattpTypeArg = 'syn' | 'synack' | 'ack' | 'data' | 'eack' | 'rst' | 'nul';
export function typeArg(t: CattpType): CattpTypeArg {
  return t.replace('/', '').toLowerCase() as CattpTypeArg;
}

export interface PduJson {
  type: CattpTypeArg;
  flags: Lowercase<CattpFlagName>[];
  version: number;
  hlen: number;
  srcPort: number;
  dstPort: number;
  dataLength: number;
  seq: number;
  ack: number;
  window: number;
  checksum: { value: string; computed: string; verified: boolean };
  maxPduSize?: number;
  maxSduSize?: number;
  identification?: string;
  iccid?: string;
  eack?: number[];
  reason?: { code: string; name: string };
  data: string;
}

/** JSON view (documented keys, camelCase). */
export function pduJson(d: DecodedPdu): PduJson {
  const p = d.pdu;
  const j: PduJson = {
    type: typeArg(p.type),
    flags: d.flagNames.map((f) => f.toLowerCase() as Lowercase<CattpFlagName>),
    version: d.flagsOctet & VERSION_MASK,
    hlen: d.hlen,
    srcPort: p.srcPort,
    dstPort: p.dstPort,
    dataLength: d.dataLength,
    seq: p.seq,
    ack: p.ack,
    window: p.window,
    checksum: { value: hex4(d.checksum), computed: hex4(d.computedChecksum), verified: d.checksumOk },
  } as PduJson;
  if (p.maxPduSize !== undefined) j.maxPduSize = p.maxPduSize;
  if (p.maxSduSize !== undefined) j.maxSduSize = p.maxSduSize;
  if (p.identification) {
    j.identification = toHex(p.identification);
    const iccid = identificationToIccid(p.identification);
    if (iccid) j.iccid = iccid;
  }
  if (p.eack) j.eack = [...p.eack];
  if (p.reason !== undefined) j.reason = { code: toHex(Uint8Array.of(p.reason)), name: reasonName(p.reason) };
  j.data = toHex(p.data);
  return j;
}

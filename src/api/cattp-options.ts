/**
 * Option preparation for CAT_TP PDUs (ETSI TS 102 127): the PDU `cattp build`
 * describes, an SDU as data PDUs (`build cattp`, `build por --format pdu`),
 * the secured command packet in the CAT_TP dialect (TS 102 225).
 */
import { InputError, OtaError } from '../util/errors.js';
import { fromHex, toHex } from '../util/hex.js';
import { intOption } from '../util/options.js';
import { node, type TreeNode } from '../render/tree.js';
import { decodePdu, encodePdu, iccidToIdentification, pduJson, pduTree, type CattpPdu, type CattpType, type EncodeOverrides } from '../cattp/pdu.js';
import { segmentSdu } from '../cattp/segment.js';
import { cattpDialect } from '../cattp/dialect.js';
import { ipv4Udp, writePcap } from '../pcap/pcap.js';
import type { SecuredCommand } from '../secured/command.js';
import type { SecurityOpts } from './secured-options.js';

export const U16 = 0xffff;

export function num(v: string | undefined, field: string, def: number, min = 0, max = U16): number {
  return v === undefined ? def : intOption(v, field, min, max);
}


/** `--identification HEX` or `--iccid DIGITS` (one of them). */
export function identificationOf(o: { identification?: string; iccid?: string }): Uint8Array | undefined {
  if (o.identification !== undefined && o.iccid !== undefined) throw new InputError('give either --identification or --iccid, not both', { field: '--iccid' });
  if (o.iccid !== undefined) return iccidToIdentification(o.iccid.trim());
  if (o.identification !== undefined) return o.identification.trim() === '' ? new Uint8Array(0) : fromHex(o.identification, '--identification');
  return undefined;
}

/** `--udp-port [SRC:]DST` → UDP ports of a pcap written by a build (default 1000 → 2000, which tshark's CAT-TP dissector is pointed at with -d udp.port==2000,cattp). */
export function udpPorts(v: string | undefined): { sport: number; dport: number } {
  if (v === undefined) return { sport: 1000, dport: 2000 };
  const m = /^\s*(?:([^:]+):)?([^:]+)\s*$/.exec(v);
  if (!m) throw new InputError(`"${v}" is not [SRC:]DST`, { field: '--udp-port' });
  return { sport: m[1] === undefined ? 1000 : intOption(m[1], '--udp-port', 1, U16), dport: intOption(m[2], '--udp-port', 1, U16) };
}

export function pduPcap(path: string, pdus: Uint8Array[], udp: string | undefined): void {
  const { sport, dport } = udpPorts(udp);
  writePcap(path, pdus.map((b, i) => ({ data: ipv4Udp('10.0.0.1', '10.0.0.2', sport, dport, b, i) })));
}


export const PDU_TYPES = ['syn', 'synack', 'ack', 'data', 'eack', 'rst', 'nul'] as const;
export type PduTypeArg = (typeof PDU_TYPES)[number];
export const TYPE_OF: Record<PduTypeArg, CattpType> = { syn: 'SYN', synack: 'SYN/ACK', ack: 'ACK', data: 'DATA', eack: 'EACK', rst: 'RST', nul: 'NUL' };

export interface CattpBuildOpts {
  srcPort?: string;
  dstPort?: string;
  seq?: string;
  ack?: string;
  window?: string;
  maxPdu?: string;
  maxSdu?: string;
  identification?: string;
  iccid?: string;
  eack?: string;
  reason?: string;
  data?: string;
  seg?: boolean;
  rstAck?: boolean;
  version?: string;
  flags?: string;
  hlen?: string;
  dataLength?: string;
  checksum?: string;
  show?: boolean;
  pcap?: string;
  udpPort?: string;
}

export function eackList(s: string): number[] {
  const parts = s.split(/[\s,]+/).filter(Boolean);
  if (!parts.length) throw new InputError('empty list', { field: '--eack' });
  return parts.map((p, i) => intOption(p, `--eack entry ${i + 1}`, 0, U16));
}

/** The PDU `cattp build` describes (exported for tests and `build por --format pdu`). */
export function pduFromOptions(typeArg: string, o: CattpBuildOpts): { pdu: CattpPdu; overrides: EncodeOverrides } {
  if (!(PDU_TYPES as readonly string[]).includes(typeArg)) throw new InputError(`"${typeArg}" is not a PDU type (${PDU_TYPES.join(', ')})`, { field: 'type' });
  const arg = typeArg as PduTypeArg;
  const data = o.data === undefined ? new Uint8Array(0) : fromHex(o.data, '--data');
  // "ack --data" is an ACK carrying data: the data PDU.
  const type: CattpType = arg === 'ack' && data.length ? 'DATA' : TYPE_OF[arg];
  const syn = type === 'SYN' || type === 'SYN/ACK';
  const only = (given: unknown, opt: string, ok: boolean, types: string) => {
    if (given !== undefined && given !== false && !ok) throw new InputError(`only for ${types}`, { field: opt });
  };
  only(o.maxPdu, '--max-pdu', syn, 'syn and synack');
  only(o.maxSdu, '--max-sdu', syn, 'syn and synack');
  only(o.identification ?? o.iccid, o.iccid !== undefined ? '--iccid' : '--identification', syn, 'syn and synack');
  only(o.eack, '--eack', type === 'EACK', 'eack');
  only(o.reason, '--reason', type === 'RST', 'rst');
  only(o.rstAck, '--rst-ack', type === 'RST', 'rst');
  const pdu: CattpPdu = {
    type,
    srcPort: num(o.srcPort, '--src-port', 1024),
    dstPort: num(o.dstPort, '--dst-port', 1),
    seq: num(o.seq, '--seq', 0),
    ack: num(o.ack, '--ack', 0),
    window: num(o.window, '--window', type === 'RST' ? 0 : 4),
    data,
  };
  if (o.seg) pdu.seg = true;
  if (o.rstAck) pdu.ackFlag = true;
  if (o.version !== undefined) pdu.version = intOption(o.version, '--version', 0, 3);
  if (syn) {
    pdu.maxPduSize = num(o.maxPdu, '--max-pdu', 1024);
    pdu.maxSduSize = num(o.maxSdu, '--max-sdu', 2048);
    pdu.identification = identificationOf(o) ?? new Uint8Array(0);
  }
  if (type === 'EACK') {
    if (o.eack === undefined) throw new InputError('an EACK needs the out-of-sequence list (--eack N,N,...)', { field: '--eack' });
    pdu.eack = eackList(o.eack);
  }
  if (type === 'RST') pdu.reason = num(o.reason, '--reason', 0, 0, 0xff);
  const overrides: EncodeOverrides = {};
  if (o.flags !== undefined) {
    const f = fromHex(o.flags, '--flags');
    if (f.length !== 1) throw new InputError('must be one octet', { field: '--flags' });
    overrides.flags = f[0];
  }
  if (o.hlen !== undefined) overrides.hlen = intOption(o.hlen, '--hlen', 0, 0xff);
  if (o.dataLength !== undefined) overrides.dataLength = intOption(o.dataLength, '--data-length', 0, U16);
  if (o.checksum !== undefined) {
    const c = fromHex(o.checksum, '--checksum');
    if (c.length !== 2) throw new InputError('must be 2 octets', { field: '--checksum' });
    overrides.checksum = (c[0] << 8) | c[1];
  }
  return { pdu, overrides };
}

/** Decode for display; a deliberately malformed PDU (overrides) is shown as far as possible. */
export function showable(bytes: Uint8Array): { tree: TreeNode; json: unknown } {
  try {
    const d = decodePdu(bytes);
    return { tree: pduTree(d), json: pduJson(d) };
  } catch (e) {
    if (!(e instanceof OtaError)) throw e;
    return { tree: node('CAT_TP', 'does not decode', undefined, { status: 'warn', note: e.message, hex: toHex(bytes) }), json: { error: e.message } };
  }
}


/** CAT_TP header options of `build cattp` / `build por --format pdu`. */
export interface PduHeaderOpts {
  maxPdu?: string;
  srcPort?: string;
  dstPort?: string;
  seq?: string;
  ack?: string;
  window?: string;
}

/**
 * An SDU as data PDUs within the receiver's maximum PDU size (SEG on all but
 * the last, TS 102 127 SEG). `from` gives the default ports: the server sends commands
 * from CAT_TP port 1 to the card's 1024, the card answers back.
 */
export function sduPdus(sdu: Uint8Array, o: PduHeaderOpts, from: 'server' | 'card' = 'server'): Uint8Array[] {
  const [src, dst] = from === 'server' ? [1, 1024] : [1024, 1];
  const maxPdu = num(o.maxPdu, '--max-pdu', 1024, 19, U16);
  return segmentSdu(sdu, {
    maxPdu,
    firstSeq: num(o.seq, '--seq', 1),
    srcPort: num(o.srcPort, '--src-port', src),
    dstPort: num(o.dstPort, '--dst-port', dst),
    ack: num(o.ack, '--ack', 0),
    window: num(o.window, '--window', 4),
  }).map((p) => encodePdu(p));
}

export interface BuildCattpOpts extends SecurityOpts, PduHeaderOpts {
  format: 'packet' | 'pdu';
  show?: boolean;
  pcap?: string;
  udpPort?: string;
}

/** The secured command packet in the CAT_TP dialect (TS 102 225: CPI 01, BER-TLV CPL). */
export async function buildSecuredCattp(o: SecurityOpts): Promise<SecuredCommand> {
  const { prepareCommand } = await import('./secured-options.js');
  const { buildCommand } = await import('../secured/command.js');
  const { input, keys } = await prepareCommand(o);
  return buildCommand(cattpDialect, input, keys);
}


/**
 * `build por --cattp --format pdu` (hook for frame.ts): the response packet as
 * data PDU(s), card → server, and with --pcap those PDUs as UDP.
 */
export function porPduFrames(packet: Uint8Array, o: PduHeaderOpts & { pcap?: string; udpPort?: string }): Uint8Array[] {
  const pdus = sduPdus(packet, o, 'card');
  if (o.pcap) pduPcap(o.pcap, pdus, o.udpPort);
  return pdus;
}


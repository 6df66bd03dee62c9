/**
 * Captures Wireshark can dissect.
 *
 * GSMTAP v2 (UDP port 4729) with type 4 = SIM: Wireshark hands the payload to
 * its gsm_sim dissector, which reads one ISO 7816 exchange as
 *   CLA INS P1 P2 P3 ‖ command data (P3 octets) ‖ [response data] ‖ SW1 SW2
 * and takes the last two octets as the status word (checked with tshark 4.0.17:
 * without a SW the last two TPDU octets are shown as "Status Word"). For
 * ENVELOPE (C2) the D1 data goes to etsi_cat, whose SMS TPDU object goes to
 * gsm_sms as SC→MS; for FETCH (12) the response data (D0) goes to etsi_cat with
 * the SMS TPDU as MS→SC. Response data after an ENVELOPE is not dissected.
 *
 * GSMTAP has no container for a bare TPDU, so SMS-DELIVER is wrapped in an
 * ENVELOPE (SMS-PP DOWNLOAD) and SMS-SUBMIT in a FETCH response (SEND SHORT
 * MESSAGE). SMS-DELIVER-REPORT (and any bare TPDU) goes into an "exported PDU"
 * capture instead (LINKTYPE_WIRESHARK_UPPER_PDU, dissector "gsm_sms" with the
 * P2P direction tag), a separate pcap since a pcap file has one link type.
 */
import { type PcapRecord, ipv4Udp } from '../pcap/pcap.js';
import { InputError } from '../util/errors.js';
import { concat } from '../util/hex.js';
import { buildEnvelope, type SmsPpDownload } from './envelope.js';
import { buildSendShortMessage, fetchApdu } from './proactive.js';
import { type Direction, decodeTpdu } from './tpdu.js';

export const GSMTAP_PORT = 4729;
export const GSMTAP_VERSION = 2;
export const GSMTAP_TYPE_SIM = 4;
/** Wireshark "upper PDU" link type. */
export const LINKTYPE_WIRESHARK_UPPER_PDU = 252;

export interface GsmtapOptions {
  subType?: number;
  arfcn?: number;
  /** ARFCN uplink flag (0x4000). */
  uplink?: boolean;
  timeslot?: number;
  frameNumber?: number;
}

/** 16-octet GSMTAP v2 header: version, hdr_len (words), type, timeslot, arfcn, signal, snr, frame number, sub type, antenna, sub slot, reserved. */
export function gsmtapHeader(type: number, o: GsmtapOptions = {}): Uint8Array {
  const h = new Uint8Array(16);
  const dv = new DataView(h.buffer);
  h[0] = GSMTAP_VERSION;
  h[1] = 4;
  h[2] = type;
  h[3] = o.timeslot ?? 0;
  dv.setUint16(4, ((o.arfcn ?? 0) & 0x3fff) | (o.uplink ? 0x4000 : 0));
  dv.setUint32(8, o.frameNumber ?? 0);
  h[12] = o.subType ?? 0;
  return h;
}

export interface SimExchange {
  /** C-APDU: header (+ data). */
  command: Uint8Array;
  /** Response data (not dissected by tshark 4.0 after an ENVELOPE, but kept). */
  response?: Uint8Array;
  /** Status word, default 0x9000. */
  sw?: number;
}

/** GSMTAP SIM frame payload: header ‖ command ‖ response ‖ SW. */
export function gsmtapSimPayload(x: SimExchange, o: GsmtapOptions = {}): Uint8Array {
  const sw = x.sw ?? 0x9000;
  if (!Number.isInteger(sw) || sw < 0 || sw > 0xffff) throw new InputError(`status word must be 0000..FFFF, got ${sw}`, { layer: 'GSMTAP', field: 'SW' });
  return concat(gsmtapHeader(GSMTAP_TYPE_SIM, o), x.command, x.response ?? new Uint8Array(0), Uint8Array.of(sw >> 8, sw & 0xff));
}

export interface RecordOptions {
  src?: string;
  dst?: string;
  /** Time of the first record (ms since epoch); later ones +1 ms each. Default: pcap.ts's fixed time. */
  startMs?: number;
}

function udpRecords(payloads: Uint8Array[], o: RecordOptions): PcapRecord[] {
  return payloads.map((p, i) => {
    const r: PcapRecord = { data: ipv4Udp(o.src ?? '127.0.0.1', o.dst ?? '127.0.0.1', GSMTAP_PORT, GSMTAP_PORT, p, i + 1) };
    if (o.startMs !== undefined) r.timeMs = o.startMs + i;
    return r;
  });
}

/** pcap records (raw IPv4/UDP to port 4729), one GSMTAP SIM frame per exchange. */
export function gsmtapSimRecords(exchanges: readonly SimExchange[], o: RecordOptions = {}): PcapRecord[] {
  return udpRecords(exchanges.map((x) => gsmtapSimPayload(x)), o);
}

/** One ENVELOPE (SMS-PP DOWNLOAD) exchange per SMS-DELIVER TPDU. */
export function envelopeRecords(tpdus: readonly Uint8Array[], env: Omit<SmsPpDownload, 'tpdu'> = {}, o: RecordOptions & { sw?: number } = {}): PcapRecord[] {
  return gsmtapSimRecords(tpdus.map((t) => ({ command: buildEnvelope(t, env), sw: o.sw })), o);
}

export interface WrappedRecords {
  records: PcapRecord[];
  /** How the TPDU was carried, for the tree/notes. */
  wrapper: 'ENVELOPE (SMS-PP DOWNLOAD)' | 'FETCH response (SEND SHORT MESSAGE)';
  note: string;
}

/**
 * A bare TPDU as a GSMTAP SIM capture: SMS-DELIVER inside an ENVELOPE,
 * SMS-SUBMIT inside a FETCH response. SMS-DELIVER-REPORT cannot be carried
 * by GSMTAP SIM; use exportedPduRecords for it.
 */
export function tpduGsmtapRecords(tpdu: Uint8Array, direction: Direction, o: RecordOptions = {}): WrappedRecords {
  const d = decodeTpdu(tpdu, direction);
  if (d.type === 'SMS-DELIVER') {
    return {
      records: envelopeRecords([tpdu], {}, o),
      wrapper: 'ENVELOPE (SMS-PP DOWNLOAD)',
      note: 'SMS-DELIVER wrapped in an ENVELOPE 80 C2 00 00 (device identities 83→81) + SW 90 00 for GSMTAP SIM',
    };
  }
  if (d.type === 'SMS-SUBMIT') {
    const d0 = buildSendShortMessage(tpdu);
    return {
      records: gsmtapSimRecords([{ command: fetchApdu(d0.length), response: d0 }], o),
      wrapper: 'FETCH response (SEND SHORT MESSAGE)',
      note: 'SMS-SUBMIT wrapped in a SEND SHORT MESSAGE proactive command (FETCH 80 12 00 00 + D0 + SW 90 00) for GSMTAP SIM',
    };
  }
  throw new InputError(`${d.type} has no GSMTAP SIM container; write it with exportedPduRecords (link type ${LINKTYPE_WIRESHARK_UPPER_PDU})`, { layer: 'GSMTAP', field: 'TPDU' });
}

/** Exported-PDU tags (Wireshark wsutil/exported_pdu_tlvs.h). */
const EXP_PDU_TAG_END = 0;
const EXP_PDU_TAG_PROTO_NAME = 12;
const EXP_PDU_TAG_P2P_DIRECTION = 35;
/** Wireshark P2P_DIR_SENT / P2P_DIR_RECV: gsm_sms reads RECV as MS→SC. */
const P2P_DIR_SENT = 0;
const P2P_DIR_RECV = 1;

/** One exported-PDU frame: dissector name tag, direction tag, end tag, PDU. */
export function exportedPdu(pdu: Uint8Array, dissector = 'gsm_sms', direction?: Direction): Uint8Array {
  const name = new TextEncoder().encode(dissector);
  const padded = new Uint8Array(Math.ceil((name.length + 1) / 4) * 4);
  padded.set(name);
  const tlv = (tag: number, v: Uint8Array) => concat(Uint8Array.of(tag >> 8, tag & 0xff, v.length >> 8, v.length & 0xff), v);
  const parts = [tlv(EXP_PDU_TAG_PROTO_NAME, padded)];
  if (direction) {
    const d = direction === 'ms-to-sc' ? P2P_DIR_RECV : P2P_DIR_SENT;
    parts.push(tlv(EXP_PDU_TAG_P2P_DIRECTION, Uint8Array.of(0, 0, 0, d)));
  }
  parts.push(tlv(EXP_PDU_TAG_END, new Uint8Array(0)));
  return concat(...parts, pdu);
}

/** Records for a LINKTYPE_WIRESHARK_UPPER_PDU pcap of bare TPDUs. */
export function exportedPduRecords(tpdus: readonly Uint8Array[], direction: Direction, o: { startMs?: number } = {}): PcapRecord[] {
  return tpdus.map((t, i) => {
    const r: PcapRecord = { data: exportedPdu(t, 'gsm_sms', direction) };
    if (o.startMs !== undefined) r.timeMs = o.startMs + i;
    return r;
  });
}

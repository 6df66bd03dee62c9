/**
 * Vector kinds for CAT_TP (ETSI TS 102 127 PDU header, checksum and SEG):
 * `cattp-pdu` is one PDU built from its fields (type, ports, numbers, the
 * variable header, data; the checksum computed unless given), parsed into
 * the `pduJson` keys; `cattp` is a secured command packet in the CAT_TP
 * dialect carried by data PDUs of at most maxPdu octets (SEG on all but the
 * last), parsed as `uicc-ota parse --json` does for CAT_TP PDUs.
 */
import { InputError } from '../util/errors.js';
import { fromHex, hex2, hex4, toHex } from '../util/hex.js';
import { decodePdu, encodePdu, iccidToIdentification, pduJson, type CattpPdu, type CattpType, type EncodeOverrides } from '../cattp/pdu.js';
import { segmentSdu } from '../cattp/segment.js';
import { peelCattpPdus } from '../cattp/peel.js';
import { commandKind, registerKind, type FieldSpan, type Inputs, type Layout, type VectorKind } from './kinds.js';
import { commandInputsFor, packetLayout, packetOf } from './kinds-framing.js';
import { hexOf, str } from './inputs.js';

/** Input `type` (the names of `uicc-ota cattp build TYPE`) → PDU type. */
export const PDU_TYPE: Readonly<Record<string, CattpType>> = {
  syn: 'SYN', synack: 'SYN/ACK', ack: 'ACK', data: 'DATA', eack: 'EACK', rst: 'RST', nul: 'NUL',
};

const int = (i: Inputs, k: string): number | undefined => (typeof i[k] === 'number' ? (i[k] as number) : undefined);

function need(i: Inputs, k: string): number {
  const v = int(i, k);
  if (v === undefined) throw new InputError('is required', { field: `inputs.${k}` });
  return v;
}

function pduOf(i: Inputs): { pdu: CattpPdu; overrides: EncodeOverrides } {
  const type = PDU_TYPE[str(i, 'type') ?? ''];
  if (!type) throw new InputError(`must be one of ${Object.keys(PDU_TYPE).join(', ')}`, { field: 'inputs.type' });
  const pdu: CattpPdu = {
    type,
    srcPort: need(i, 'srcPort'),
    dstPort: need(i, 'dstPort'),
    seq: need(i, 'seq'),
    ack: need(i, 'ack'),
    window: need(i, 'window'),
    data: str(i, 'data') !== undefined ? hexOf(i, 'data') : new Uint8Array(0),
  };
  if (i.seg === true) pdu.seg = true;
  if (i.rstAck === true) pdu.ackFlag = true;
  if (int(i, 'maxPdu') !== undefined) pdu.maxPduSize = int(i, 'maxPdu');
  if (int(i, 'maxSdu') !== undefined) pdu.maxSduSize = int(i, 'maxSdu');
  if (str(i, 'identification') !== undefined) pdu.identification = hexOf(i, 'identification');
  else if (str(i, 'iccid') !== undefined) pdu.identification = iccidToIdentification(str(i, 'iccid')!);
  else if (type === 'SYN' || type === 'SYN/ACK') pdu.identification = new Uint8Array(0);
  if (Array.isArray(i.eack)) pdu.eack = i.eack as number[];
  if (int(i, 'reason') !== undefined) pdu.reason = int(i, 'reason');
  const overrides: EncodeOverrides = {};
  if (str(i, 'checksum') !== undefined) {
    const c = hexOf(i, 'checksum', 2);
    overrides.checksum = (c[0] << 8) | c[1];
  }
  return { pdu, overrides };
}

/** Header field spans of the PDU at b[0…] (TS 102 127 fixed and variable header), read leniently from its own octets. */
function pduSpans(b: Uint8Array, prefix = ''): { spans: FieldSpan[]; hlen: number } {
  const spans: FieldSpan[] = [];
  let o = 0;
  const take = (name: string, n: number) => {
    if (o < b.length && n > 0) spans.push({ name: prefix + name, start: o, end: Math.min(b.length, o + n) });
    o += n;
  };
  const flags = b[0] ?? 0;
  const hlen = Math.max(18, b[3] ?? 18);
  take('flags', 1);
  take('RFU', 2);
  take('header length', 1);
  take('source port', 2);
  take('destination port', 2);
  take('data length', 2);
  take('sequence number', 2);
  take('acknowledgement number', 2);
  take('window size', 2);
  take('checksum', 2);
  if (flags & 0x80) {
    take('maximum PDU size', 2);
    take('maximum SDU size', 2);
    take('identification length', 1);
    take('identification', hlen - 23);
  } else if (flags & 0x20) {
    for (let k = 1; o < hlen; k++) take(`EACK entry ${k}`, 2);
  } else if (flags & 0x10) take('reason code', 1);
  if (o < hlen) take('variable header', hlen - o);
  return { spans, hlen };
}

export const cattpPduKind: VectorKind = {
  name: 'cattp-pdu',
  description: 'one CAT_TP PDU (TS 102 127): header, variable header (SYN sizes and identification, EACK list, RST reason), data, checksum',
  build(i) {
    const { pdu, overrides } = pduOf(i);
    return [encodePdu(pdu, overrides)];
  },
  parse(bytes) {
    if (bytes.length !== 1) throw new InputError(`this kind takes one output, got ${bytes.length}`, { field: 'expected.hex' });
    const d = decodePdu(bytes[0]);
    const failures = d.checksumOk ? [] : [`CAT_TP checksum 0x${hex4(d.checksum)}, should be 0x${hex4(d.computedChecksum)}`];
    return { ...pduJson(d), hex: toHex(bytes[0]), verified: d.checksumOk, failures };
  },
  implied(i) {
    const out: Record<string, unknown> = {
      // JSON v1 spells the type as the input (and the CLI) does: `syn`, `synack`, …
      type: PDU_TYPE[str(i, 'type') ?? ''] ? str(i, 'type') : undefined, srcPort: i.srcPort, dstPort: i.dstPort, seq: i.seq, ack: i.ack, window: i.window,
      data: str(i, 'data') !== undefined ? toHex(fromHex(String(i.data), 'inputs.data')) : '',
    };
    if (int(i, 'maxPdu') !== undefined) out.maxPduSize = i.maxPdu;
    if (int(i, 'maxSdu') !== undefined) out.maxSduSize = i.maxSdu;
    if (str(i, 'identification') !== undefined) out.identification = toHex(fromHex(String(i.identification), 'inputs.identification'));
    if (Array.isArray(i.eack)) out.eack = i.eack;
    if (int(i, 'reason') !== undefined) out.reason = { code: hex2(Number(i.reason)) };
    return out;
  },
  layout: (b) => ({ spans: pduSpans(b).spans }),
};

function segmentOpts(i: Inputs) {
  return { maxPdu: need(i, 'maxPdu'), firstSeq: need(i, 'seq'), srcPort: need(i, 'srcPort'), dstPort: need(i, 'dstPort'), ack: need(i, 'ack'), window: need(i, 'window') };
}

export const cattpKind: VectorKind = {
  name: 'cattp',
  description: 'command packet of the CAT_TP dialect (TS 102 225) carried by CAT_TP data PDUs of at most maxPdu octets, SEG on all but the last',
  build(i, ctx) {
    return segmentSdu(packetOf(commandKind, i, ctx), segmentOpts(i)).map((p) => encodePdu(p));
  },
  parse(outputs, i, ctx) {
    const pe = peelCattpPdus(outputs);
    if (!pe) throw new InputError('not CAT_TP PDUs', { layer: 'CAT_TP', field: 'flags', offset: 0 });
    if (pe.sdus.length !== 1) throw new InputError(`the PDUs carry ${pe.sdus.length} SDUs, expected one command packet`, { layer: 'CAT_TP', field: 'data' });
    const sdu = pe.sdus[0].data;
    const json = commandKind.parse([sdu], commandInputsFor(i, sdu, ctx), ctx);
    const failures = [...pe.failures, ...((json.failures as string[] | undefined) ?? [])];
    return {
      layers: ['CAT_TP', `${pe.sdus[0].kind ?? 'command'} packet`],
      ...json,
      framing: [pe.json],
      verified: failures.length ? false : json.verified,
    };
  },
  implied(i) {
    const pk = str(i, 'packet');
    return pk !== undefined ? { hex: toHex(fromHex(pk, 'inputs.packet')) } : commandKind.implied!(i);
  },
  layout(b, n, i, ctx): Layout {
    const { spans, hlen } = pduSpans(b, 'CAT_TP ');
    if (b.length <= hlen) return { spans };
    const room = Math.max(1, (int(i, 'maxPdu') ?? 0) - 18);
    const whole = n === 0 && ((b[0] ?? 0) & 0x04) === 0;
    const p = packetLayout(b, hlen, whole, 'command', i, ctx, n * room);
    return { spans: [...spans, ...p.spans], ciphered: p.ciphered };
  },
};

registerKind(cattpPduKind);
registerKind(cattpKind);

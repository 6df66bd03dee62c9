/**
 * Recognising CAT_TP PDUs among `parse` inputs (one UDP payload per input),
 * decoding each, and reassembling the data PDUs into SDUs (ETSI
 * TS 102 127). The SDUs are what the secured-packet parser reads.
 *
 * Outcomes: structural problems are InputErrors (exit 2) naming the input,
 * field and byte; a bad checksum is a verification failure (listed in
 * `failures`, exit 1) and the PDU is still shown and used; missing sequence
 * numbers or an SDU whose last segment is absent are InputErrors naming the
 * numbers; identical duplicates (retransmissions) are notes.
 */
import { InputError, OtaError, type ErrorWhere } from '../util/errors.js';
import { hex4, toHex } from '../util/hex.js';
import { node, type TreeNode } from '../render/tree.js';
import type { Layer, Peeled } from '../layers/types.js';
import { decodePdu, pduJson, pduTree, LAYER, type DecodedPdu, type PduJson } from './pdu.js';
import { looksLikeCattpPdu, cattpPacketKind } from './detect.js';
import { reassemble } from './segment.js';
import { withMembers } from '../util/object.js';

export { looksLikeCattpPdu, cattpPacketKind };

export interface PeeledPdu {
  /** 0-based index of the input. */
  input: number;
  decoded: DecodedPdu;
  tree: TreeNode;
  json: PduJson;
}

export interface CattpSdu {
  /** CAT_TP ports of the direction it travelled. */
  srcPort: number;
  dstPort: number;
  data: Uint8Array;
  firstSeq: number;
  lastSeq: number;
  /** Inputs (0-based) of its PDUs, in sequence order. */
  inputs: number[];
  /** From CPI 01 / RPI 02 with a consistent BER length; undefined: not a secured packet. */
  kind?: 'command' | 'response';
}

export interface CattpPeel {
  pdus: PeeledPdu[];
  /** In order of first appearance. */
  sdus: CattpSdu[];
  /** Bad checksums. */
  failures: string[];
  /** Retransmitted (identical) duplicates. */
  notes: string[];
  /** Trees: one per PDU, then the reassembly when an SDU spans several PDUs or duplicates were seen. */
  layers: Layer[];
  /** The CAT_TP layer for JSON output. */
  json: { layer: 'CAT_TP'; pdus: PduJson[]; sdus: { srcPort: number; dstPort: number; firstSeq: number; lastSeq: number; pdus: number; length: number; kind: string | null; data: string }[]; duplicates: number[] };
}

function rethrow(e: unknown, where: (w: ErrorWhere) => ErrorWhere): never {
  if (e instanceof OtaError) {
    const Cls = e.constructor as new (m: string, w: ErrorWhere) => OtaError;
    throw new Cls(e.detail, where(e.where));
  }
  throw e;
}

const label = (n: number, i: number) => (n > 1 ? `input ${i + 1}: ` : '');

/**
 * Decode `inputs` as CAT_TP PDUs; undefined when the first input does not look
 * like one (then it is some other layer). Every further input must be a PDU too.
 */
export function peelCattpPdus(inputs: Uint8Array[]): CattpPeel | undefined {
  if (!inputs.length || !looksLikeCattpPdu(inputs[0])) return undefined;
  const n = inputs.length;
  const pdus: PeeledPdu[] = inputs.map((b, i) => {
    if (i > 0 && !looksLikeCattpPdu(b)) {
      throw new InputError('not a CAT_TP PDU like input 1 (needs RFU 0000, header length ≥ 18 and one of SYN, ACK, RST); give one PDU per line', { layer: `${LAYER} (input ${i + 1})`, offset: 0 });
    }
    let decoded: DecodedPdu;
    try {
      decoded = decodePdu(b);
    } catch (e) {
      rethrow(e, (w) => ({ ...w, layer: n > 1 ? `${w.layer ?? LAYER} (input ${i + 1})` : w.layer }));
    }
    const t = pduTree(decoded);
    return { input: i, decoded, tree: n > 1 ? withMembers(t, { name: `CAT_TP (input ${i + 1})` }) : t, json: pduJson(decoded) };
  });

  const failures: string[] = [];
  for (const p of pdus) {
    const d = p.decoded;
    if (!d.checksumOk) {
      failures.push(`${label(n, p.input)}CAT_TP checksum of ${d.pdu.type} seq ${d.pdu.seq}: 0x${hex4(d.checksum)}, should be 0x${hex4(d.computedChecksum)}`);
    }
  }

  // Reassemble per direction (a session capture has data both ways).
  const streams = new Map<string, PeeledPdu[]>();
  for (const p of pdus) {
    if (!p.decoded.pdu.data.length) continue;
    const k = `${p.decoded.pdu.srcPort}>${p.decoded.pdu.dstPort}`;
    if (!streams.has(k)) streams.set(k, []);
    streams.get(k)!.push(p);
  }
  const sdus: (CattpSdu & { order: number })[] = [];
  const notes: string[] = [];
  const duplicates: number[] = [];
  for (const group of streams.values()) {
    const { srcPort, dstPort } = group[0].decoded.pdu;
    const dir = streams.size > 1 ? ` (${srcPort} → ${dstPort})` : '';
    const r = reassemble(group.map((p) => p.decoded.pdu));
    if (r.conflicts.length) {
      throw new InputError(`sequence number${r.conflicts.length > 1 ? 's' : ''} ${r.conflicts.join(', ')} given twice with different data or SEG flag${dir}`, { layer: LAYER, field: 'sequence number' });
    }
    if (r.gaps.length) {
      const shown = r.gaps.length > 8 ? `${r.gaps.slice(0, 8).join(', ')}, … (${r.gaps.length} in all)` : r.gaps.join(', ');
      throw new InputError(`data PDU${r.gaps.length > 1 ? 's' : ''} with sequence number${r.gaps.length > 1 ? 's' : ''} ${shown} missing${dir}: cannot reassemble the SDU`, { layer: LAYER, field: 'sequence number' });
    }
    if (r.duplicates.length) {
      duplicates.push(...r.duplicates);
      notes.push(`CAT_TP sequence number${r.duplicates.length > 1 ? 's' : ''} ${r.duplicates.join(', ')} given more than once (retransmission); the copies are identical and ignored`);
    }
    for (const s of r.sdus) {
      if (!s.complete) {
        throw new InputError(`the SDU starting at sequence number ${s.firstSeq} ends at ${s.lastSeq} with SEG set: its last segment is missing${dir}`, { layer: LAYER, field: 'SEG' });
      }
      const members = group.filter((p) => {
        const q = p.decoded.pdu.seq;
        return ((q - s.firstSeq) & 0xffff) <= ((s.lastSeq - s.firstSeq) & 0xffff);
      });
      const uniq = [...new Map(members.map((p) => [p.decoded.pdu.seq, p])).values()].sort((a, b) => ((a.decoded.pdu.seq - s.firstSeq) & 0xffff) - ((b.decoded.pdu.seq - s.firstSeq) & 0xffff));
      sdus.push({
        srcPort,
        dstPort,
        data: s.data,
        firstSeq: s.firstSeq,
        lastSeq: s.lastSeq,
        inputs: uniq.map((p) => p.input),
        kind: cattpPacketKind(s.data),
        order: Math.min(...members.map((p) => p.input)),
      });
    }
  }
  sdus.sort((a, b) => a.order - b.order);

  const layers: Layer[] = pdus.map((p) => ({ name: 'CAT_TP', tree: p.tree, json: { layer: 'CAT_TP', ...p.json } }));
  const sduJson = sdus.map((s) => ({
    srcPort: s.srcPort,
    dstPort: s.dstPort,
    firstSeq: s.firstSeq,
    lastSeq: s.lastSeq,
    pdus: s.inputs.length,
    length: s.data.length,
    kind: s.kind ? `${s.kind} packet` : null,
    data: toHex(s.data),
  }));
  if (sdus.some((s) => s.inputs.length > 1) || duplicates.length) {
    const kids = sdus.map((s) =>
      node(
        'SDU',
        `${s.data.length} octets from ${s.inputs.length} PDU${s.inputs.length > 1 ? 's' : ''}, seq ${s.firstSeq}${s.lastSeq !== s.firstSeq ? `–${s.lastSeq}` : ''} (${s.srcPort} → ${s.dstPort})`,
        undefined,
        { note: n > 1 ? `inputs ${s.inputs.map((i) => i + 1).join(', ')}` : undefined },
      ),
    );
    for (const d of notes) kids.push(node('Duplicates', undefined, undefined, { status: 'info', note: d }));
    layers.push({ name: 'CAT_TP reassembly', tree: node('CAT_TP reassembly', `${sdus.length} SDU${sdus.length === 1 ? '' : 's'}`, kids), json: { layer: 'CAT_TP reassembly', sdus: sduJson } });
  }
  return {
    pdus,
    sdus: sdus.map(({ order: _o, ...s }) => s),
    failures,
    notes,
    layers,
    json: { layer: 'CAT_TP', pdus: pdus.map((p) => p.json), sdus: sduJson, duplicates },
  };
}

/**
 * The `Peeled` of one reassembled SDU, for the secured-packet parser
 * (`parsePacket`). `offset` is where the packet starts in its input when it
 * came in one PDU (so error offsets point into that input), else 0.
 */
export function sduPeeled(pe: CattpPeel, sdu: CattpSdu, inputs: Uint8Array[]): Peeled {
  const single = sdu.inputs.length === 1 ? pe.pdus[sdu.inputs[0]].decoded.hlen : 0;
  return {
    layers: pe.layers,
    packet: sdu.data,
    dialect: 'cat_tp',
    kind: sdu.kind,
    offset: single,
    failures: [...pe.failures],
    inputs,
    outer: 'cattp',
  };
}

/**
 * Re-throw an error from decoding an SDU with locations that make sense to
 * the user: offsets re-based into the input for a one-PDU SDU, else named as
 * the reassembled SDU.
 */
export function relocateSduError(pe: CattpPeel, sdu: CattpSdu, e: unknown): never {
  const n = pe.pdus.length;
  if (sdu.inputs.length === 1) {
    const i = sdu.inputs[0];
    const base = pe.pdus[i].decoded.hlen;
    rethrow(e, (w) => ({ ...w, layer: `${w.layer ?? 'packet'} in CAT_TP data${n > 1 ? ` (input ${i + 1})` : ''}`, offset: w.offset === undefined ? undefined : w.offset + base }));
  }
  rethrow(e, (w) => ({ ...w, layer: `${w.layer ?? 'packet'} in the SDU reassembled from CAT_TP seq ${sdu.firstSeq}–${sdu.lastSeq} (offsets within the SDU)` }));
}

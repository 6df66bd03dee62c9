/**
 * Layer recognition for `parse`: from whatever the user gives (ENVELOPE,
 * TPDU, user data with UDH, bare packet, CAT_TP PDU...) down to the secured
 * packet, recording each layer on the way (outermost first).
 *
 * This module does not load the SMS-PP layer decoders (TPDU, ENVELOPE,
 * proactive command, concatenation: start-up of `parse` on a bare packet):
 * layers/peel.ts registers them, or loadSmsPeel() does. Without them a bare
 * packet or user data still peels; anything else throws SmsPeelNotLoaded,
 * which withSmsPeel() answers by loading them and trying again.
 */
import { InputError, shiftOffset } from '../util/errors.js';
import { toHex } from '../util/hex.js';
import { node, type TreeNode } from '../render/tree.js';
import { udh, ieName, findSecurityIe, type UdhDecoded } from '../smspp/udh.js';
import type { Peeled as SmsPeeled } from '../smspp/build.js';

type SmsPeelImpl = Pick<typeof import('../smspp/build.js'), 'detectSmsLayer' | 'peelSmsPp' | 'peelAndReassemble'>;
let sms: SmsPeelImpl | undefined;

/** Thrown (before anything else is done) when an input needs the SMS-PP decoders and none is registered. */
export class SmsPeelNotLoaded extends Error {}

/** The SMS-PP layer decoders (smspp/build.ts), for peel() and smsPeel(). */
export function registerSmsPeel(impl: SmsPeelImpl): void {
  sms = impl;
}

export async function loadSmsPeel(): Promise<void> {
  if (!sms) registerSmsPeel(await import('../smspp/build.js'));
}

/** Run `f` (pure: it may run twice); when it needs the SMS-PP decoders, load them and run it again. */
export async function withSmsPeel<T>(f: () => T): Promise<T> {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof SmsPeelNotLoaded)) throw e;
    await loadSmsPeel();
    return f();
  }
}

function smsImpl(): SmsPeelImpl {
  if (!sms) throw new SmsPeelNotLoaded('the SMS-PP layer decoders are not loaded');
  return sms;
}
import { cattpPacketKind } from '../cattp/detect.js';

import type { Layer, Peeled } from './types.js';
export type { Layer, Peeled };

export type PeelMode = 'auto' | 'sms' | 'cattp';

/** Command CHL = 13 + {0,2,4,8} and response RHL = 10 + {0,2,4,8} never collide: use them to tell a bare packet's kind. */
function smsPacketKind(b: Uint8Array): 'command' | 'response' | undefined {
  if (b.length < 3) return undefined;
  const len = (b[0] << 8) | b[1];
  if (len !== b.length - 2) return undefined;
  const h = b[2];
  if ([13, 15, 17, 21].includes(h)) return 'command';
  if ([10, 12, 14, 18].includes(h)) return 'response';
  return undefined;
}

function tryUdh(b: Uint8Array): UdhDecoded | undefined {
  if (b.length < 3 || b[0] < 2 || b[0] + 1 > b.length) return undefined;
  try {
    const h = udh.decode(b, 0);
    return h.ies.length ? h : undefined;
  } catch {
    return undefined;
  }
}

export function udhLayer(h: UdhDecoded, what = 'SMS user data'): Layer {
  const ies = h.ies.map((ie) => node(`IE 0x${toHex(Uint8Array.of(ie.iei))}`, ieName(ie.iei), undefined, { hex: ie.data.length ? toHex(ie.data) : undefined, note: `length ${ie.data.length}` }));
  return {
    name: 'user data',
    tree: node(what, undefined, [node('UDHL', `${h.udhl}`), ...ies]),
    json: { layer: 'user data', udhl: h.udhl, udh: h.ies.map((ie) => ({ iei: toHex(Uint8Array.of(ie.iei)), data: toHex(ie.data) })) },
  };
}

/** The SMS-PP layers of one input as one framing layer, its tree and JSON built on first use (text output reads no JSON). */
class SmsLayer implements Layer {
  private t?: TreeNode;
  private j?: Record<string, unknown>;
  constructor(readonly name: string, private readonly p: SmsPeeled) {}
  get tree(): TreeNode {
    return (this.t ??= this.p.tree.length === 1 ? this.p.tree[0] : node(this.name, undefined, this.p.tree));
  }
  get json(): Record<string, unknown> {
    return (this.j ??= { layer: this.name, ...this.p.json });
  }
  get jsonText(): string | undefined {
    if (this.j) return undefined;
    const inner = this.p.jsonText;
    // { layer, ...json }: the name first, then the members of the peeled layer's object (none of them named "layer").
    if (inner === undefined || inner.includes('"layer":')) return undefined;
    return `{"layer":${JSON.stringify(this.name)}${inner.length > 2 ? `,${inner.slice(1)}` : '}'}`;
  }
}

const SW_FIRST = new Set([0x90, 0x91, 0x61, 0x62, 0x63, 0x9e, 0x9f, 0x6f, 0x93]);

/** Names of the layers an SMS-PP peel went through, outermost first. */
function smsLayerNames(p: SmsPeeled): string[] {
  const names: string[] = [];
  if (p.kind === 'envelope') names.push('ENVELOPE');
  if (p.kind === 'proactive') names.push('proactive command');
  if (p.tpdu) names.push(p.tpdu.type);
  names.push('user data');
  return names;
}

export function smsPeel(b: Uint8Array): SmsPeeled {
  const { detectSmsLayer, peelSmsPp } = smsImpl();
  const kind = detectSmsLayer(b);
  if (kind !== 'tpdu') return peelSmsPp(b, { kind });
  // TP-MTI 01 is an SMS-SUBMIT (MS→SC); 00 an SMS-DELIVER (SC→MS) or, from the MS, an SMS-DELIVER-REPORT.
  if ((b[0] & 3) === 1) return peelSmsPp(b, { kind, direction: 'ms-to-sc' });
  try {
    return peelSmsPp(b, { kind, direction: 'sc-to-ms' });
  } catch (e) {
    try {
      return peelSmsPp(b, { kind, direction: 'ms-to-sc' });
    } catch {
      throw e;
    }
  }
}

export function peel(inputs: Uint8Array[], mode: PeelMode): Peeled {
  // The results are written out member by member, not as { ...base, … }: in Node 20 each member
  // added after a spread costs about a microsecond (a library parse made one per call).
  const base = { inputs, failures: [] as string[] };
  if (inputs.some((b) => b.length === 0)) throw new InputError('empty input', { field: 'input', offset: 0 });
  if (inputs.length > 1 && inputs.every((b) => smsPacketKind(b) !== undefined || cattpPacketKind(b) !== undefined)) {
    throw new InputError(`${inputs.length} inputs are whole packets, not segments of one SMS: give one, or use --each for a batch`, { field: 'input' });
  }
  if (inputs.length > 1) {
    // Segments of one concatenated SMS (ENVELOPEs, TPDUs or user data).
    const r = smsImpl().peelAndReassemble(inputs);
    const kind = r.iei === 0x71 ? 'response' : r.iei === 0x70 ? 'command' : smsPacketKind(r.packet);
    let outerNames: string[] = [];
    try {
      outerNames = smsLayerNames(smsPeel(inputs[0]));
    } catch {
      outerNames = ['user data'];
    }
    // Each segment's own layers (ENVELOPE, TPDU, UDH), in part order, then the reassembly.
    const segs: Layer[] = r.order.map((i, k) => {
      let p: SmsPeeled | undefined;
      try {
        p = smsPeel(inputs[i]);
      } catch {
        p = undefined;
      }
      const title = `Segment ${k + 1} of ${r.total} (input ${i + 1})`;
      if (!p || p.kind === 'ud') {
        const h = udh.decode(inputs[i], 0);
        const l = udhLayer(h, title);
        return { ...l, json: { ...l.json, segment: k + 1, input: i + 1 } };
      }
      return { name: title, tree: node(title, undefined, p.tree), json: { layer: 'segment', segment: k + 1, input: i + 1, ...p.json } };
    });
    // One framing layer: the segments' trees then the reassembly; JSON keeps its shape and adds `segments`.
    const tree = node(`Concatenated SMS: ${inputs.length} segments`, undefined, [...segs.map((l) => l.tree), r.tree]);
    return {
      inputs, failures: base.failures, packet: r.packet, dialect: 'sms-pp', kind, offset: 0, outer: 'segments',
      layers: [{ name: `concatenated SMS (${inputs.length} segments)`, tree, json: { layer: 'concatenated SMS', ...r.json, segments: segs.map((l) => l.json) } }],
      layerNames: [...outerNames, 'concatenated SMS'],
    };
  }
  const b = inputs[0];
  if (mode === 'cattp') {
    const kind = cattpPacketKind(b);
    return { inputs, failures: base.failures, layers: [], packet: b, dialect: 'cat_tp', kind, offset: 0, outer: 'packet' };
  }
  const sk = smsPacketKind(b);
  if (sk) return { inputs, failures: base.failures, layers: [], packet: b, dialect: 'sms-pp', kind: sk, offset: 0, outer: 'packet' };
  if (mode === 'auto') {
    const ck = cattpPacketKind(b);
    if (ck) return { inputs, failures: base.failures, layers: [], packet: b, dialect: 'cat_tp', kind: ck, offset: 0, outer: 'packet' };
  }
  // User data with a UDH carrying the CPI (70) or RPI (71) IE; a PoR taken from
  // ENVELOPE response data may still carry the card's status word.
  const h = tryUdh(b);
  if (h && findSecurityIe(h.ies) !== undefined && !h.ies.some((ie) => ie.iei === 0x00 || ie.iei === 0x08)) {
    const iei = findSecurityIe(h.ies)!;
    let packet = b.subarray(h.length);
    const layers = [udhLayer(h)];
    if (packet.length >= 4 && ((packet[0] << 8) | packet[1]) === packet.length - 4 && SW_FIRST.has(packet[packet.length - 2])) {
      const sw = toHex(packet.subarray(packet.length - 2));
      layers.unshift({ name: 'ENVELOPE response', tree: node('ENVELOPE response data', `PoR user data + SW ${sw}`), json: { layer: 'ENVELOPE response', sw } });
      packet = packet.subarray(0, packet.length - 2);
    }
    return { inputs, failures: base.failures, layers, packet, dialect: 'sms-pp', kind: iei === 0x71 ? 'response' : 'command', offset: h.length, outer: 'ud' };
  }
  // A lone segment of a concatenated SMS (its UDH has the concatenation IE but no 70/71).
  if (h && h.udhl <= 0x20 && h.ies.some((ie) => ie.iei === 0x00 || ie.iei === 0x08)) {
    throw new InputError('this is one segment of a concatenated SMS: give all segments (as arguments or stdin lines)', { layer: 'concatenation', field: 'UDH' });
  }
  // A header octet that is a valid CHL/RHL, or a CPL that matches the length: an SMS packet whose
  // other fields are wrong is still best reported as one.
  const cplMatches = b.length >= 3 && ((b[0] << 8) | b[1]) === b.length - 2;
  const looksSms = (b.length >= 3 && [10, 12, 13, 14, 15, 17, 18, 21].includes(b[2]) && b[0] === 0) || cplMatches;
  if (mode === 'sms' && !looksSms && !(h || b[0] === 0xd1 || b[0] === 0xd0 || b[1] === 0xc2)) {
    return { inputs, failures: base.failures, layers: [], packet: b, dialect: 'sms-pp', kind: undefined, offset: 0, outer: 'packet' };
  }
  if (looksSms) return { inputs, failures: base.failures, layers: [], packet: b, dialect: 'sms-pp', kind: undefined, offset: 0, outer: 'packet' };
  let p: SmsPeeled;
  try {
    p = smsPeel(b);
  } catch (e) {
    // An error deep inside a TPDU is the best explanation; one at its first octets means "not a TPDU at all".
    if (e instanceof InputError && mode === 'auto' && !(b[0] === 0xd1 || b[0] === 0xd0 || b[1] === 0xc2) && (e.where.offset ?? 0) < 2 && !/MTI/.test(e.message)) {
      throw new InputError(`not recognised as a secured packet, SMS user data, TPDU, ENVELOPE or CAT_TP PDU (as a TPDU: ${e.message})`, { field: 'input', offset: 0 });
    }
    throw e;
  }
  if (p.segment) {
    throw new InputError('this is one segment of a concatenated SMS: give all segments (as arguments or stdin lines)', { layer: 'concatenation', field: 'UDH' });
  }
  if (!p.packet || !p.packet.length) throw new InputError('carries no user data, so no secured packet', { layer: p.tpdu?.type ?? 'SMS', field: 'TP-UD' });
  const names = smsLayerNames(p);
  const kind = p.iei === 0x71 ? 'response' : p.iei === 0x70 ? 'command' : smsPacketKind(p.packet);
  if (p.iei === undefined && p.tpdu && !p.tpdu.udhi) {
    base.failures.push(`${p.tpdu.type} has no UDH, so no command/response packet identifier (IE 70/71)`);
  }
  return {
    inputs: base.inputs, failures: base.failures, packet: p.packet, dialect: 'sms-pp', kind, offset: 0, outer: p.kind,
    layers: [new SmsLayer(names.join(' / '), p)],
    layerNames: names,
  } as Peeled;
}

export { shiftOffset };

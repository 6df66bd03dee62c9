/**
 * Layer recognition for `parse`: from whatever the user gives (ENVELOPE,
 * TPDU, user data with UDH, bare packet, CAT_TP PDU...) down to the secured
 * packet, recording each layer on the way (outermost first).
 */
import { InputError, shiftOffset } from '../../util/errors.js';
import { toHex } from '../../util/hex.js';
import { node, type TreeNode } from '../../render/tree.js';
import { udh, ieName, findSecurityIe, type UdhDecoded } from '../../smspp/udh.js';
import { decodeBerLength } from '../../cattp/dialect.js';

export interface Layer {
  name: string;
  tree: TreeNode;
  json: Record<string, unknown>;
}

export interface Peeled {
  layers: Layer[];
  /** The secured packet: SMS-PP from CPL, CAT_TP from CPI/RPI. */
  packet: Uint8Array;
  dialect: 'sms-pp' | 'cat_tp';
  kind?: 'command' | 'response';
  /** Offset of `packet` in the (first) input, for error messages. */
  offset: number;
  failures: string[];
  /** Original inputs, for --pcap. */
  inputs: Uint8Array[];
  /** What the outermost layer was, for --pcap. */
  outer: string;
}

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

function cattpPacketKind(b: Uint8Array): 'command' | 'response' | undefined {
  if (b.length < 3 || (b[0] !== 1 && b[0] !== 2)) return undefined;
  try {
    const { value, size } = decodeBerLength(b, 1, 'length');
    if (value !== b.length - 1 - size) return undefined;
  } catch {
    return undefined;
  }
  return b[0] === 1 ? 'command' : 'response';
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

export function peel(inputs: Uint8Array[], mode: PeelMode): Peeled {
  if (inputs.length !== 1) throw new InputError(`${inputs.length} inputs given; only concatenated SMS segments may be given as several inputs`, { field: 'input' });
  const b = inputs[0];
  const base = { inputs, failures: [] as string[] };
  if (mode === 'cattp') {
    const kind = cattpPacketKind(b);
    return { ...base, layers: [], packet: b, dialect: 'cat_tp', kind, offset: 0, outer: 'packet' };
  }
  // SMS user data with a UDH carrying the CPI (70) or RPI (71) IE.
  const h = tryUdh(b);
  if (h && findSecurityIe(h.ies) !== undefined) {
    const iei = findSecurityIe(h.ies)!;
    const packet = b.subarray(h.length);
    return { ...base, layers: [udhLayer(h)], packet, dialect: 'sms-pp', kind: iei === 0x71 ? 'response' : 'command', offset: h.length, outer: 'ud' };
  }
  const sk = smsPacketKind(b);
  // A header octet that is a valid CHL/RHL: an SMS packet whose CPL is wrong is still best reported as one.
  const looksSms = b.length >= 3 && [10, 12, 13, 14, 15, 17, 18, 21].includes(b[2]) && b[0] === 0;
  if (sk || mode === 'sms' || (looksSms && !cattpPacketKind(b))) return { ...base, layers: [], packet: b, dialect: 'sms-pp', kind: sk, offset: 0, outer: 'packet' };
  const ck = cattpPacketKind(b);
  if (ck) return { ...base, layers: [], packet: b, dialect: 'cat_tp', kind: ck, offset: 0, outer: 'packet' };
  throw new InputError('not recognised as an SMS-PP or CAT_TP secured packet, SMS user data, TPDU, ENVELOPE or CAT_TP PDU', { field: 'input', offset: 0 });
}

export { shiftOffset };

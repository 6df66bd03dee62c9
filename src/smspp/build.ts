/**
 * Convenience entry points for the CLI: build every SMS-PP layer around a
 * secured packet, and peel the layers off user input down to the packet.
 */
import type { TreeNode } from '../render/tree.js';
import { InputError } from '../util/errors.js';
import { hex2, toHex } from '../util/hex.js';
import type { SmsAddress } from './address.js';
import { makeAddress } from './address.js';
import { reassemble, type Reassembled, splitPacket, type SplitOptions } from './concat.js';
import { buildEnvelope, type DecodedEnvelope, envelope, ENVELOPE_INS, TAG_SMS_PP_DOWNLOAD } from './envelope.js';
import { type DecodedProactiveCommand, proactiveCommand, TAG_PROACTIVE } from './proactive.js';
import {
  envelopeJsonText, envelopeToJson, envelopeToTree, jsonTextOk, proactiveJsonText, proactiveToJson, proactiveToTree, reassembledToJson, reassembledToTree, tpduJsonText, tpduToJson, tpduToTree, udhToTree,
} from './render.js';
import { buildSmsDeliver, type DecodedTpdu, type DeliverOptions, decodeTpdu, type Direction, smsDeliver } from './tpdu.js';
import { findSecurityIe, probeSecurityIe, udh } from './udh.js';
import { withMembers } from '../util/object.js';

export interface BuildSmsOptions extends Omit<DeliverOptions, 'ud' | 'udl'>, SplitOptions {
  /** SC address for the ENVELOPE address object (omitted when not given). */
  scAddress?: string | SmsAddress;
  /** ENVELOPE CLA (80 default, A0 for a 2G SIM). */
  cla?: number;
}

export interface BuiltSms {
  /** TP-UD of each SM (UDH included). */
  uds: Uint8Array[];
  /** SMS-DELIVER TPDU of each SM. */
  tpdus: Uint8Array[];
  /** ENVELOPE (SMS-PP DOWNLOAD) C-APDU of each SM. */
  envelopes: Uint8Array[];
}

/**
 * packet (CPL…end) → user data → SMS-DELIVER → ENVELOPE, one per segment.
 * `upTo`: the outermost layer wanted (default envelope); the lists of the
 * layers above it are left empty (a batch printing TPDUs builds no ENVELOPE).
 */
export function buildSmsPp(packet: Uint8Array, opts: BuildSmsOptions = {}, upTo: 'ud' | 'tpdu' | 'envelope' = 'envelope'): BuiltSms {
  const uds = splitPacket(packet, opts);
  if (upTo === 'ud') return { uds, tpdus: [], envelopes: [] };
  const tpdus = uds.map((ud) => smsDeliver.encode(buildSmsDeliver(withMembers(opts, { ud }))));
  if (upTo === 'tpdu') return { uds, tpdus, envelopes: [] };
  const sc = opts.scAddress === undefined ? undefined : typeof opts.scAddress === 'string' ? makeAddress(opts.scAddress, {}, 'SC address') : opts.scAddress;
  const envelopes = tpdus.map((t) => buildEnvelope(t, { address: sc, cla: opts.cla }));
  return { uds, tpdus, envelopes };
}

export type SmsLayerKind = 'envelope' | 'proactive' | 'tpdu' | 'ud';

export interface Peeled {
  kind: SmsLayerKind;
  envelope?: DecodedEnvelope;
  proactive?: DecodedProactiveCommand;
  tpdu?: DecodedTpdu;
  /** The secured packet after the UDH (CPL…end / RPL…end), when there is user data. */
  packet?: Uint8Array;
  /** 0x70 / 0x71 when the UDH has the CPI/RPI IE. */
  iei?: number;
  /** True when the UDH carries a concatenation IE (the packet is then only a part). */
  segment?: boolean;
  tree: TreeNode[];
  json: Record<string, unknown>;
  /** JSON.stringify(json) when it can be written directly (undefined: stringify `json`). */
  jsonText?: string;
}

/**
 * Guess the outermost layer: 80/A0 C2 (ENVELOPE APDU) or D1 → ENVELOPE,
 * D0 → proactive command, a valid UDH holding IE 70/71 → user data,
 * otherwise a TPDU (direction default sc-to-ms).
 */
export function detectSmsLayer(b: Uint8Array): SmsLayerKind {
  if (!b.length) throw new InputError('empty input', { layer: 'SMS-PP' });
  if (b[0] === TAG_SMS_PP_DOWNLOAD || (b.length >= 5 && b[1] === ENVELOPE_INS && (b[0] === 0x80 || b[0] === 0xa0))) return 'envelope';
  if (b[0] === TAG_PROACTIVE) return 'proactive';
  return probeSecurityIe(b) !== undefined ? 'ud' : 'tpdu';
}

function fromUd(ud: Uint8Array | undefined, udhi: boolean): Pick<Peeled, 'packet' | 'iei' | 'segment'> {
  if (!ud) return {};
  if (!udhi) return { packet: ud };
  const h = udh.decode(ud);
  return { packet: ud.slice(h.length), iei: findSecurityIe(h.ies), segment: h.ies.some((i) => i.iei === 0x00 || i.iei === 0x08) };
}

/**
 * fromUd for a decoded TPDU: its user data header was decoded with it
 * (TS 23.040 cl. 9.2.3.24), so the IEs and the body after it are reused
 * rather than decoded again.
 */
function fromTpdu(t: DecodedTpdu): Pick<Peeled, 'packet' | 'iei' | 'segment'> {
  const info = t.userData;
  if (!info || !t.udhi || !info.udh) return fromUd(t.ud, t.udhi);
  const ies = info.udh;
  return { packet: info.body, iei: findSecurityIe(ies), segment: ies.some((i) => i.iei === 0x00 || i.iei === 0x08) };
}

/**
 * A peeled ENVELOPE, proactive command or TPDU whose `tree` and `json` are built on first use
 * (text output reads no JSON, JSON output no tree).
 */
class PeeledLayer implements Peeled {
  envelope?: DecodedEnvelope;
  proactive?: DecodedProactiveCommand;
  packet?: Uint8Array;
  iei?: number;
  segment?: boolean;
  private t?: TreeNode[];
  private j?: Record<string, unknown>;
  constructor(
    readonly kind: 'envelope' | 'proactive' | 'tpdu',
    readonly tpdu: DecodedTpdu | undefined,
    ud: Pick<Peeled, 'packet' | 'iei' | 'segment'>,
  ) {
    this.packet = ud.packet;
    this.iei = ud.iei;
    this.segment = ud.segment;
  }
  get tree(): TreeNode[] {
    return (this.t ??= [this.kind === 'envelope' ? envelopeToTree(this.envelope!) : this.kind === 'proactive' ? proactiveToTree(this.proactive!) : tpduToTree(this.tpdu!)]);
  }
  get json(): Record<string, unknown> {
    return (this.j ??= this.kind === 'envelope' ? envelopeToJson(this.envelope!) : this.kind === 'proactive' ? proactiveToJson(this.proactive!) : tpduToJson(this.tpdu!));
  }
  /** JSON.stringify(this.json), written without building the object (undefined when it may differ: see jsonTextOk). */
  get jsonText(): string | undefined {
    if (this.j) return undefined;
    const s = this.kind === 'envelope' ? envelopeJsonText(this.envelope!) : this.kind === 'proactive' ? proactiveJsonText(this.proactive!) : tpduJsonText(this.tpdu!);
    return jsonTextOk(s) ? s : undefined;
  }
}

/** Decode whatever SMS-PP layer `b` is, down to the secured packet. */
export function peelSmsPp(b: Uint8Array, opts: { kind?: SmsLayerKind | 'auto'; direction?: Direction } = {}): Peeled {
  const kind = !opts.kind || opts.kind === 'auto' ? detectSmsLayer(b) : opts.kind;
  if (kind === 'envelope') {
    const e = envelope.decode(b);
    const t = e.sms!;
    const p = new PeeledLayer(kind, t, fromTpdu(t));
    p.envelope = e;
    return p;
  }
  if (kind === 'proactive') {
    const c = proactiveCommand.decode(b);
    const p = new PeeledLayer(kind, c.sms, c.sms ? fromTpdu(c.sms) : {});
    p.proactive = c;
    return p;
  }
  if (kind === 'tpdu') {
    const t = decodeTpdu(b, opts.direction ?? 'sc-to-ms');
    return new PeeledLayer(kind, t, fromTpdu(t));
  }
  const h = udh.decode(b);
  const r = fromUd(b, true);
  return {
    kind: 'ud',
    ...r,
    tree: [udhToTree(h.ies)],
    json: { udh: h.ies.map((i) => ({ iei: hex2(i.iei), data: toHex(i.data) })), packet: toHex(r.packet!), iei: r.iei === undefined ? null : hex2(r.iei) },
  };
}

/** Reassemble several inputs (ENVELOPEs, TPDUs or UDs, each peeled first). */
export function peelAndReassemble(inputs: readonly Uint8Array[], opts: { kind?: SmsLayerKind | 'auto'; direction?: Direction } = {}): Reassembled & { tree: TreeNode; json: Record<string, unknown> } {
  // Continuation segments of bare user data carry no IE 70/71, so they are not
  // recognisable alone: if any segment is user data, all are. A TPDU's direction
  // follows its TP-MTI (01: SMS-SUBMIT, MS to SC).
  const auto = !opts.kind || opts.kind === 'auto';
  const kinds = inputs.map((b) => (auto ? detectSmsLayer(b) : opts.kind));
  const allUd = auto && kinds.includes('ud');
  const uds = inputs.map((b, i) => {
    let p: Peeled;
    try {
      const kind = allUd ? 'ud' : kinds[i];
      const direction = opts.direction ?? (kind === 'tpdu' && (b[0] & 3) === 1 ? 'ms-to-sc' : 'sc-to-ms');
      p = peelSmsPp(b, { kind, direction });
    } catch (e) {
      if (e instanceof InputError) throw new InputError(`segment ${i + 1}: ${e.detail}`, e.where);
      throw e;
    }
    const ud = p.kind === 'ud' ? b : p.tpdu?.ud;
    if (!ud || (p.kind !== 'ud' && !p.tpdu?.udhi)) throw new InputError(`segment ${i + 1} has no user data header`, { layer: 'concatenation' });
    return ud;
  });
  const r = reassemble(uds);
  return withMembers(r, { tree: reassembledToTree(r), json: reassembledToJson(r) });
}

/**
 * Remote APDU scripts and responses of ETSI TS 102 226 (the secured data of
 * RFM/RAM command packets and the additional data of their PoRs):
 * compact (cl. 5.1) and expanded (cl. 5.2) formats, trees and JSON.
 */
import { InputError } from '../util/errors.js';
import { hex2, hex4, toHex, toHexSpaced } from '../util/hex.js';
import { type TreeNode, node } from '../render/tree.js';
import {
  type ApduCase, type ApduHeader, type CApdu, type Direction, type ScriptApdu,
  encodeCApdu, insDirection, insName, parseCApdu, swName, swStatus,
} from './apdu.js';
import {
  COMPACT_LAYER, type CompactDecodeOptions, type CompactResponse, type CompactScript,
  compactResponse, compactScript, toCompactTpdu,
} from './compact.js';
import {
  EXPANDED_LAYER, TAG, type ExpandedResponse, type ExpandedScript, type ExpandedScriptInput, type RApdu,
  type ResponseElement, type ScriptElement, commandTagName, expandedResponse, expandedScript, responseTagName,
} from './expanded.js';
import { tagHex } from './tlv.js';
import { withMembers } from '../util/object.js';

export type { ApduCase, ApduHeader, CApdu, Direction, ScriptApdu };
export type { CompactDecodeOptions, CompactResponse, CompactScript };
export type { ExpandedResponse, ExpandedScript, ExpandedScriptInput, RApdu, ResponseElement, ScriptElement };
export {
  COMPACT_LAYER, EXPANDED_LAYER, TAG, compactResponse, compactScript, encodeCApdu, expandedResponse, expandedScript,
  insDirection, insName, parseCApdu, swName, swStatus, toCompactTpdu,
};
export * as tlv from './tlv.js';

/** A decoded remote command script (secured data of an RFM/RAM command packet). */
export type CommandScript = CompactScript | ExpandedScript;
/** A decoded remote response (additional response data of a PoR). */
export type RemoteResponse = CompactResponse | ExpandedResponse;
export type RemoteFormat = 'compact' | 'expanded';

export interface CommandScriptOptions {
  format: RemoteFormat;
  /** Expanded only: `AE 80 … 00 00` instead of `AA len …`. */
  indefinite?: boolean;
  /** Expanded only: Immediate Action TLV (81) value, opaque. */
  immediateAction?: Uint8Array;
  /** Expanded only: Error Action TLV (82) value, opaque. */
  errorAction?: Uint8Array;
  /** Expanded only: Script Chaining TLV (83) value, opaque. */
  scriptChaining?: Uint8Array;
}

/**
 * Build a command script from raw C-APDUs (ISO 7816-4 form; the case follows
 * from the length). Compact: T=0 TPDUs concatenated — case 1 gains P3 = 00,
 * case 4 loses its Le (send a GET RESPONSE next). Expanded: each APDU byte for
 * byte in a C-APDU TLV.
 */
export function encodeCommandScript(apdus: Uint8Array[], opts: CommandScriptOptions): Uint8Array {
  if (opts.format === 'compact') {
    for (const k of ['indefinite', 'immediateAction', 'errorAction', 'scriptChaining'] as const) {
      if (opts[k]) throw new InputError('exists only in the expanded format', { layer: COMPACT_LAYER, field: k });
    }
    return compactScript.encode(apdus);
  }
  if (opts.format === 'expanded') return expandedScript.encode(withMembers(opts, { apdus }));
  throw new InputError(`unknown format ${JSON.stringify(opts.format)} (compact or expanded)`, { field: 'format' });
}

/**
 * Decode a command script. `auto` (default) takes a first octet AA/AE as the
 * expanded format, anything else as compact.
 */
export function decodeCommandScript(
  data: Uint8Array, format: RemoteFormat | 'auto' = 'auto', opts: CompactDecodeOptions = {},
): CommandScript {
  const f = format === 'auto' ? (data[0] === TAG.COMMAND_DEFINITE || data[0] === TAG.COMMAND_INDEFINITE ? 'expanded' : 'compact') : format;
  return f === 'expanded' ? expandedScript.decode(data) : compactScript.decode(data, 0, opts);
}

export function encodeResponse(r: RemoteResponse): Uint8Array {
  return r.format === 'expanded' ? expandedResponse.encode(r) : compactResponse.encode(r);
}

/** Decode a PoR's remote response: first octet AB/AF → expanded, else compact (TS 102 226 cl. 5.1.2 / 5.2.2). */
export function decodeResponse(data: Uint8Array): RemoteResponse {
  const b = data[0];
  return b === TAG.RESPONSE_DEFINITE || b === TAG.RESPONSE_INDEFINITE ? expandedResponse.decode(data) : compactResponse.decode(data);
}

// ---------------------------------------------------------------- trees

const octets = (n: number) => `${n} octet${n === 1 ? '' : 's'}`;

function swNode(name: string, sw: number): TreeNode {
  const m = swName(sw);
  return node(name, m ? `${hex4(sw)} (${m})` : hex4(sw), undefined, { hex: hex4(sw), status: swStatus(sw) });
}

function apduTitle(a: ScriptApdu): string {
  const n = insName(a);
  return `${n ?? `INS ${hex2(a.ins)}`} (${toHexSpaced(a.raw.subarray(0, 4))}, case ${a.case})`;
}

function apduFields(a: ScriptApdu, compact: boolean): TreeNode[] {
  const n = insName(a);
  const out: TreeNode[] = [
    node('CLA', hex2(a.cla), undefined, { hex: hex2(a.cla) }),
    node('INS', n ? `${hex2(a.ins)} (${n})` : hex2(a.ins), undefined, { hex: hex2(a.ins) }),
    node('P1', hex2(a.p1), undefined, { hex: hex2(a.p1) }),
    node('P2', hex2(a.p2), undefined, { hex: hex2(a.p2) }),
  ];
  const lcHex = a.data ? (a.extended ? `00${hex4(a.data.length)}` : hex2(a.data.length)) : undefined;
  if (compact && a.case === 1) {
    out.push(node('P3', '00 (no data, no Le)', undefined, { hex: '00' }));
  }
  if (a.data && lcHex) {
    const extra: Partial<TreeNode> = { hex: lcHex };
    if (a.inferred) {
      extra.status = 'warn';
      extra.note = 'INS not in the direction table: P3 read as Lc because only that reading splits the whole script';
    }
    out.push(node('Lc', `${octets(a.data.length)}${a.extended ? ' (extended)' : ''}`, undefined, extra));
    out.push(node('Data', octets(a.data.length), undefined, { hex: toHex(a.data) }));
  }
  if (a.le !== undefined) {
    const coded = a.extended ? hex4(a.le & 0xffff) : hex2(a.le & 0xff);
    const extra: Partial<TreeNode> = { hex: coded };
    if (a.inferred) {
      extra.status = 'warn';
      extra.note = 'INS not in the direction table: P3 read as Le because only that reading splits the whole script';
    }
    out.push(node('Le', `${coded} (up to ${octets(a.le)})`, undefined, extra));
  }
  if (compact && a.case === 3) {
    out.push(node('Case', '3 (or 4: compact coding has no Le; the card answers 61xx/9Fxx and a GET RESPONSE fetches the data)'));
  }
  return out;
}

function actionNode(name: string, el: { tag: number; value: Uint8Array }, note: string): TreeNode {
  return node(`${name} (${tagHex(el.tag)})`, toHex(el.value) || '(empty)', undefined, { hex: toHex(el.value), note });
}

function elementNode(el: ScriptElement, apduIndex: number): TreeNode {
  switch (el.tag) {
    case TAG.C_APDU: {
      const a = el.apdu!;
      return node(`C-APDU ${apduIndex} (22)`, apduTitle(a), apduFields(a, false), { hex: toHex(a.raw) });
    }
    case TAG.IMMEDIATE_ACTION:
      return actionNode('Immediate Action', el, 'executed when encountered (cl. 5.2.1.2); value coding not interpreted');
    case TAG.ERROR_ACTION:
      return actionNode('Error Action', el, 'applies if a later C-APDU fails (cl. 5.2.1.3); value coding not interpreted');
    case TAG.SCRIPT_CHAINING:
      return actionNode('Script Chaining', el, 'first/subsequent/last script of a chain (cl. 5.2.1.4); value coding not interpreted');
    default:
      return node(`Unknown TLV (${tagHex(el.tag)})`, octets(el.value.length), undefined, {
        hex: toHex(el.value), status: 'warn', note: 'not a Command Scripting TLV; a card would answer Bad format 01 (unknown tag)',
      });
  }
}

/** Wireshark-like tree of a command script. */
export function commandScriptTree(s: CommandScript): TreeNode {
  if (s.format === 'compact') {
    return node(
      'Remote command script',
      `compact (TS 102 226 cl. 5.1.1), ${s.apdus.length} C-APDU${s.apdus.length === 1 ? '' : 's'}`,
      s.apdus.map((a, i) => node(`C-APDU ${i + 1}`, apduTitle(a), apduFields(a, true), { hex: toHex(a.raw) })),
    );
  }
  let k = 0;
  const children = s.elements.map((el) => elementNode(el, el.tag === TAG.C_APDU ? ++k : k));
  return node(
    'Command Scripting template',
    `${s.indefinite ? 'AE, indefinite length' : 'AA, definite length'} (TS 102 226 cl. 5.2.1), ${s.apdus.length} C-APDU${s.apdus.length === 1 ? '' : 's'}`,
    children,
  );
}

const BAD_FORMAT: Record<number, string> = { 1: 'unknown tag', 2: 'wrong length', 3: 'length not found' };
/** pySim-exp's reading of the Script Chaining response values (unconfirmed, TS 102 226 cl. 5.2.2). */
const CHAINING_RESPONSE: Record<number, string> = {
  1: 'no previous script', 2: 'script chaining not supported', 3: 'unable to process script chaining',
};

function badFormatMeaning(v: Uint8Array): string | undefined {
  return v.length === 1 ? BAD_FORMAT[v[0]] : undefined;
}

function rapduNode(x: RApdu, i: number): TreeNode {
  const m = swName(x.sw);
  return node(`R-APDU ${i} (23)`, `SW ${hex4(x.sw)}${m ? ` (${m})` : ''}, ${octets(x.data.length)} of data`, [
    node('Response data', octets(x.data.length), undefined, x.data.length ? { hex: toHex(x.data) } : {}),
    swNode('SW1 SW2', x.sw),
  ], { status: swStatus(x.sw) });
}

function responseElementNodes(r: ExpandedResponse): TreeNode[] {
  const els: ResponseElement[] = r.elements ?? [];
  if (!r.elements) {
    // Built by hand rather than decoded: show the fields in encoding order.
    const n: TreeNode[] = [];
    if (r.executed !== undefined) n.push(node('Number of executed C-APDUs (80)', String(r.executed)));
    r.rapdus.forEach((x, i) => n.push(rapduNode(x, i + 1)));
    if (r.immediateActionResponse) n.push(node('Immediate Action response (81)', toHex(r.immediateActionResponse)));
    if (r.scriptChainingResponse) n.push(node('Script Chaining response (83)', toHex(r.scriptChainingResponse)));
    if (r.badFormat) n.push(node('Bad format (90)', toHex(r.badFormat), undefined, { status: 'fail' }));
    return n;
  }
  let k = 0;
  return els.map((el) => {
    const h = toHex(el.value);
    switch (el.tag) {
      case TAG.EXECUTED: {
        let n = 0;
        for (const x of el.value) n = n * 256 + x;
        return node('Number of executed C-APDUs (80)', String(n), undefined, { hex: h });
      }
      case TAG.R_APDU: {
        const v = el.value;
        return rapduNode({ data: v.subarray(0, v.length - 2), sw: (v[v.length - 2] << 8) | v[v.length - 1] }, ++k);
      }
      case TAG.IMMEDIATE_ACTION_RESPONSE:
        return node('Immediate Action response (81)', el.value.length === 1 && el.value[0] === 1 ? '01 (suspension error)' : h, undefined, {
          hex: h, status: 'fail',
        });
      case TAG.SCRIPT_CHAINING_RESPONSE: {
        const m = el.value.length === 1 ? CHAINING_RESPONSE[el.value[0]] : undefined;
        return node('Script Chaining response (83)', m ? `${h} (${m})` : h, undefined, {
          hex: h, status: 'fail', note: 'value meanings as read by pySim, not confirmed',
        });
      }
      case TAG.BAD_FORMAT: {
        const m = badFormatMeaning(el.value);
        return node('Bad format (90)', m ? `${h} (${m})` : h, undefined, { hex: h, status: 'fail' });
      }
      default:
        return node(`Unknown TLV (${tagHex(el.tag)})`, octets(el.value.length), undefined, { hex: h, status: 'warn' });
    }
  });
}

/** Wireshark-like tree of a remote response. */
export function responseTree(r: RemoteResponse): TreeNode {
  if (r.format === 'compact') {
    return node('Remote response', 'compact (TS 102 226 cl. 5.1.2)', [
      node('Number of executed commands', String(r.executed), undefined, { hex: hex2(r.executed) }),
      swNode('SW1 SW2 of the last command', r.sw),
      node('Response data of the last command', octets(r.data.length), undefined, r.data.length ? { hex: toHex(r.data) } : {}),
    ]);
  }
  return node(
    'Response Scripting template',
    `${r.indefinite ? 'AF, indefinite length' : 'AB, definite length'} (TS 102 226 cl. 5.2.2)`,
    responseElementNodes(r),
  );
}

// ---------------------------------------------------------------- JSON

function apduJson(a: ScriptApdu): object {
  const o: Record<string, unknown> = {
    offset: a.offset,
    case: a.case,
    cla: hex2(a.cla),
    ins: hex2(a.ins),
    p1: hex2(a.p1),
    p2: hex2(a.p2),
  };
  const n = insName(a);
  if (n) o.name = n;
  if (a.data) {
    o.lc = a.data.length;
    o.data = toHex(a.data);
  }
  if (a.le !== undefined) o.le = a.le;
  if (a.extended) o.extended = true;
  if (a.inferred) o.inferred = true;
  return o;
}

/**
 * JSON of a command script: `scriptFormat` (compact or expanded), `apdus` (hex of each C-APDU as coded),
 * `commands` (field breakdown; `le` is Ne, 256 for a coded 00); expanded adds
 * `indefinite`, `scriptChaining` / `immediateAction` / `errorAction` (hex of the
 * first occurrence) and `elements` (every TLV in order).
 */
export function commandScriptJson(s: CommandScript): object {
  const base = {
    scriptFormat: s.format,
    apdus: s.apdus.map((a) => toHex(a.raw)),
    commands: s.apdus.map(apduJson),
  };
  if (s.format === 'compact') return base;
  const o: Record<string, unknown> = withMembers(base, { indefinite: s.indefinite });
  if (s.scriptChaining) o.scriptChaining = toHex(s.scriptChaining);
  if (s.immediateAction) o.immediateAction = toHex(s.immediateAction);
  if (s.errorAction) o.errorAction = toHex(s.errorAction);
  o.elements = s.elements.map((el) => ({
    tag: tagHex(el.tag),
    name: commandTagName(el.tag) ?? 'unknown',
    offset: el.offset,
    value: toHex(el.value),
  }));
  return o;
}

/**
 * JSON of a remote response. Compact: `scriptFormat`, `executed`, `sw` (4 hex
 * digits), `swMeaning`, `data` (hex). Expanded: `scriptFormat`, `indefinite`,
 * `executed` (if present), `rapdus` [{data, sw}], `badFormat` (hex) and
 * `badFormatMeaning`, `immediateActionResponse`, `scriptChainingResponse` (if present).
 */
export function responseJson(r: RemoteResponse): object {
  if (r.format === 'compact') {
    const o: Record<string, unknown> = { scriptFormat: 'compact', executed: r.executed, sw: hex4(r.sw) };
    const m = swName(r.sw);
    if (m) o.swMeaning = m;
    o.data = toHex(r.data);
    return o;
  }
  const o: Record<string, unknown> = { scriptFormat: 'expanded', indefinite: r.indefinite };
  if (r.executed !== undefined) o.executed = r.executed;
  o.rapdus = r.rapdus.map((x) => ({ data: toHex(x.data), sw: hex4(x.sw) }));
  if (r.badFormat) {
    o.badFormat = toHex(r.badFormat);
    const m = badFormatMeaning(r.badFormat);
    if (m) o.badFormatMeaning = m;
  }
  if (r.immediateActionResponse) o.immediateActionResponse = toHex(r.immediateActionResponse);
  if (r.scriptChainingResponse) o.scriptChainingResponse = toHex(r.scriptChainingResponse);
  if (r.elements) {
    o.elements = r.elements.map((el) => ({
      tag: tagHex(el.tag), name: responseTagName(el.tag) ?? 'unknown', offset: el.offset, value: toHex(el.value),
    }));
  }
  return o;
}

/**
 * Expanded remote APDU format, TS 102 226 cl. 5.2: BER-TLV
 * templates with tags from TS 101 220 Tables 7.18–7.20.
 *
 * Command Scripting template `AA` (definite) / `AE` (indefinite)
 * holding C-APDU `22`, Immediate Action `81`, Error Action `82`, Script
 * Chaining `83` TLVs. Response Scripting template `AB` / `AF` holding number of
 * executed C-APDUs `80`, R-APDU `23`, Immediate Action response `81`, Script
 * Chaining response `83`, Bad format `90`. Action/chaining values are opaque
 * (their codings are not confirmed).
 */
import { InputError } from '../util/errors.js';
import { concat, hex2 } from '../util/hex.js';
import { type CApdu, type ScriptApdu, encodeCApdu, parseCApdu } from './apdu.js';
import {
  INDEFINITE, type Tlv, type TagNamer, encodeIndefinite, encodeTlv, readHeader, readIndefinite, readTlv, tagHex,
} from './tlv.js';

export const EXPANDED_LAYER = 'remote APDU (expanded)';

export const TAG = {
  COMMAND_DEFINITE: 0xaa,
  COMMAND_INDEFINITE: 0xae,
  RESPONSE_DEFINITE: 0xab,
  RESPONSE_INDEFINITE: 0xaf,
  C_APDU: 0x22,
  IMMEDIATE_ACTION: 0x81,
  ERROR_ACTION: 0x82,
  SCRIPT_CHAINING: 0x83,
  EXECUTED: 0x80,
  R_APDU: 0x23,
  IMMEDIATE_ACTION_RESPONSE: 0x81,
  SCRIPT_CHAINING_RESPONSE: 0x83,
  BAD_FORMAT: 0x90,
} as const;

export const commandTagName: TagNamer = (t) =>
  ({
    0xaa: 'Command Scripting template',
    0xae: 'Command Scripting template',
    0x22: 'C-APDU TLV',
    0x81: 'Immediate Action TLV',
    0x82: 'Error Action TLV',
    0x83: 'Script Chaining TLV',
  })[t];

export const responseTagName: TagNamer = (t) =>
  ({
    0xab: 'Response Scripting template',
    0xaf: 'Response Scripting template',
    0x80: 'Number of executed C-APDUs TLV',
    0x23: 'R-APDU TLV',
    0x81: 'Immediate Action Response TLV',
    0x83: 'Script Chaining Response TLV',
    0x90: 'Bad format TLV',
  })[t];

/** One TLV of a Command Scripting template, in order of appearance. */
export interface ScriptElement {
  tag: number;
  /** Offset of the tag octet in the decoded input. */
  offset: number;
  value: Uint8Array;
  /** Decoded C-APDU when tag is 22. */
  apdu?: ScriptApdu;
}

export interface ExpandedScript {
  format: 'expanded';
  /** `AE 80 … 00 00` rather than `AA len …`. */
  indefinite: boolean;
  /** The C-APDU TLVs' contents, in order. */
  apdus: ScriptApdu[];
  /** Value of the Script Chaining TLV (83), if present. */
  scriptChaining?: Uint8Array;
  /** Value of the first Immediate Action TLV (81), if present (all are in `elements`). */
  immediateAction?: Uint8Array;
  /** Value of the first Error Action TLV (82), if present (all are in `elements`). */
  errorAction?: Uint8Array;
  /** Every TLV in the template, in order, including unknown tags (decode only). */
  elements: ScriptElement[];
}

/** What encode() needs for a command script. */
export interface ExpandedScriptInput {
  apdus: (CApdu | Uint8Array)[];
  indefinite?: boolean;
  scriptChaining?: Uint8Array;
  immediateAction?: Uint8Array;
  errorAction?: Uint8Array;
}

export interface RApdu {
  /** Response data (may be empty). */
  data: Uint8Array;
  /** SW1 SW2. */
  sw: number;
}

export interface ResponseElement {
  tag: number;
  offset: number;
  value: Uint8Array;
}

export interface ExpandedResponse {
  format: 'expanded';
  /** `AF 80 … 00 00` rather than `AB len …`. */
  indefinite: boolean;
  /** Number of executed C-APDUs (TLV 80), if present (absent in the indefinite form). */
  executed?: number;
  /** R-APDU TLVs (23), in order; cards may return one per C-APDU or only the last. */
  rapdus: RApdu[];
  /** Bad format TLV (90) value: 01 unknown tag, 02 wrong length, 03 length not found. */
  badFormat?: Uint8Array;
  /** Immediate Action response TLV (81) value (01 = suspension error). */
  immediateActionResponse?: Uint8Array;
  /** Script Chaining response TLV (83) value. */
  scriptChainingResponse?: Uint8Array;
  /** Every TLV in the template, in order, including unknown tags (decode only). */
  elements?: ResponseElement[];
}


/**
 * Read a template at `start`: one of the two tags, with definite (`defTag`) or
 * indefinite (`indefTag`) length; the template must end the input.
 */
function readTemplate(
  b: Uint8Array, start: number, defTag: number, indefTag: number, what: string, names: TagNamer,
): { indefinite: boolean; items: Tlv[] } {
  const layer = EXPANDED_LAYER;
  const end = b.length;
  if (start >= end) throw new InputError(`empty: expected a ${what}`, { layer, field: `${what} tag`, offset: start });
  const first = b[start];
  if (first !== defTag && first !== indefTag) {
    const hint = first === defTag + 2 || first === indefTag - 2 ? ' (AC/AD are pycrate\'s reading of the indefinite templates; this toolkit follows AE/AF)' : '';
    throw new InputError(
      `tag ${hex2(first)} is not a ${what} (${hex2(defTag)} definite or ${hex2(indefTag)} indefinite)${hint}`,
      { layer, field: `${what} tag`, offset: start },
    );
  }
  const h = readHeader(b, start, end, layer, names);
  const lenField = `${what} (${hex2(first)}) length`;
  let items: Tlv[];
  let stop: number;
  if (first === defTag) {
    if (h.length === INDEFINITE) {
      throw new InputError(`${hex2(defTag)} is the definite-length template; indefinite length 80 needs tag ${hex2(indefTag)}`, {
        layer, field: lenField, offset: h.lengthOffset,
      });
    }
    const avail = end - h.valueOffset;
    if (h.length > avail) {
      throw new InputError(`says ${h.length} octets, ${avail} present`, { layer, field: lenField, offset: h.lengthOffset });
    }
    stop = h.valueOffset + h.length;
    items = [];
    for (let p = h.valueOffset; p < stop; ) {
      const t = readTlv(b, p, stop, layer, names);
      items.push(t);
      p = t.end;
    }
  } else {
    if (h.length !== INDEFINITE) {
      throw new InputError(`${hex2(indefTag)} is the indefinite-length template: length must be 80, got a definite length`, {
        layer, field: lenField, offset: h.lengthOffset,
      });
    }
    const r = readIndefinite(b, h.valueOffset, end, layer, names);
    items = r.items;
    stop = r.end;
  }
  if (stop < end) {
    throw new InputError(`${end - stop} octet${end - stop === 1 ? '' : 's'} after the end of the ${what}`, {
      layer, field: 'trailing data', offset: stop,
    });
  }
  return { indefinite: first === indefTag, items };
}

export const expandedScript = {
  encode(s: ExpandedScriptInput): Uint8Array {
    const parts: Uint8Array[] = [];
    // Script Chaining first so that the card knows the chain state before any command (cl. 5.2.1.4).
    if (s.scriptChaining) parts.push(encodeTlv(TAG.SCRIPT_CHAINING, s.scriptChaining));
    if (s.immediateAction) parts.push(encodeTlv(TAG.IMMEDIATE_ACTION, s.immediateAction));
    if (s.errorAction) parts.push(encodeTlv(TAG.ERROR_ACTION, s.errorAction));
    s.apdus.forEach((a, i) => {
      // Raw APDUs are validated but kept byte for byte.
      const raw = a instanceof Uint8Array ? parseCApdu(a, EXPANDED_LAYER, `C-APDU ${i + 1}`).raw : encodeCApdu(a, EXPANDED_LAYER);
      parts.push(encodeTlv(TAG.C_APDU, raw));
    });
    const contents = concat(...parts);
    return s.indefinite
      ? encodeIndefinite(TAG.COMMAND_INDEFINITE, contents)
      : encodeTlv(TAG.COMMAND_DEFINITE, contents);
  },

  encodingLength(s: ExpandedScriptInput): number {
    return expandedScript.encode(s).length;
  },

  decode(b: Uint8Array, start = 0): ExpandedScript {
    const { indefinite, items } = readTemplate(
      b, start, TAG.COMMAND_DEFINITE, TAG.COMMAND_INDEFINITE, 'Command Scripting template', commandTagName,
    );
    const out: ExpandedScript = { format: 'expanded', indefinite, apdus: [], elements: [] };
    for (const t of items) {
      const el: ScriptElement = { tag: t.tag, offset: t.offset, value: t.value };
      switch (t.tag) {
        case TAG.C_APDU:
          el.apdu = parseCApdu(t.value, EXPANDED_LAYER, `C-APDU ${out.apdus.length + 1}`, t.valueOffset);
          out.apdus.push(el.apdu);
          break;
        case TAG.IMMEDIATE_ACTION:
          out.immediateAction ??= t.value;
          break;
        case TAG.ERROR_ACTION:
          out.errorAction ??= t.value;
          break;
        case TAG.SCRIPT_CHAINING:
          out.scriptChaining ??= t.value;
          break;
      }
      out.elements.push(el);
    }
    return out;
  },
};

function uint(v: Uint8Array, field: string, offset: number): number {
  if (v.length < 1 || v.length > 4) {
    throw new InputError(`integer of ${v.length} octets (expected 1–4)`, { layer: EXPANDED_LAYER, field, offset });
  }
  let n = 0;
  for (const x of v) n = n * 256 + x;
  return n;
}

function uintBytes(n: number, field: string): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new InputError(`must be a 0–4294967295 integer, got ${n}`, { layer: EXPANDED_LAYER, field });
  }
  const out: number[] = [];
  do {
    out.unshift(n % 256);
    n = Math.floor(n / 256);
  } while (n > 0);
  return Uint8Array.from(out);
}

export const expandedResponse = {
  encode(r: Omit<ExpandedResponse, 'format' | 'elements'>): Uint8Array {
    const parts: Uint8Array[] = [];
    if (r.executed !== undefined) parts.push(encodeTlv(TAG.EXECUTED, uintBytes(r.executed, 'number of executed C-APDUs')));
    r.rapdus.forEach((x, i) => {
      if (!Number.isInteger(x.sw) || x.sw < 0 || x.sw > 0xffff) {
        throw new InputError(`must be 0000–FFFF, got ${x.sw}`, { layer: EXPANDED_LAYER, field: `R-APDU ${i + 1} SW1 SW2` });
      }
      parts.push(encodeTlv(TAG.R_APDU, concat(x.data, Uint8Array.of(x.sw >> 8, x.sw & 0xff))));
    });
    if (r.immediateActionResponse) parts.push(encodeTlv(TAG.IMMEDIATE_ACTION_RESPONSE, r.immediateActionResponse));
    if (r.scriptChainingResponse) parts.push(encodeTlv(TAG.SCRIPT_CHAINING_RESPONSE, r.scriptChainingResponse));
    if (r.badFormat) parts.push(encodeTlv(TAG.BAD_FORMAT, r.badFormat));
    const contents = concat(...parts);
    return r.indefinite
      ? encodeIndefinite(TAG.RESPONSE_INDEFINITE, contents)
      : encodeTlv(TAG.RESPONSE_DEFINITE, contents);
  },

  encodingLength(r: Omit<ExpandedResponse, 'format' | 'elements'>): number {
    return expandedResponse.encode(r).length;
  },

  decode(b: Uint8Array, start = 0): ExpandedResponse {
    const { indefinite, items } = readTemplate(
      b, start, TAG.RESPONSE_DEFINITE, TAG.RESPONSE_INDEFINITE, 'Response Scripting template', responseTagName,
    );
    const out: ExpandedResponse = { format: 'expanded', indefinite, rapdus: [], elements: [] };
    for (const t of items) {
      switch (t.tag) {
        case TAG.EXECUTED:
          out.executed ??= uint(t.value, 'Number of executed C-APDUs TLV (80) value', t.valueOffset);
          break;
        case TAG.R_APDU: {
          const v = t.value;
          if (v.length < 2) {
            throw new InputError(`needs at least SW1 SW2 (2 octets), ${v.length} present`, {
              layer: EXPANDED_LAYER, field: `R-APDU ${out.rapdus.length + 1}`, offset: t.valueOffset,
            });
          }
          out.rapdus.push({ data: v.subarray(0, v.length - 2), sw: (v[v.length - 2] << 8) | v[v.length - 1] });
          break;
        }
        case TAG.IMMEDIATE_ACTION_RESPONSE:
          out.immediateActionResponse ??= t.value;
          break;
        case TAG.SCRIPT_CHAINING_RESPONSE:
          out.scriptChainingResponse ??= t.value;
          break;
        case TAG.BAD_FORMAT:
          out.badFormat ??= t.value;
          break;
      }
      out.elements!.push({ tag: t.tag, offset: t.offset, value: t.value });
    }
    return out;
  },
};

export { tagHex };

/**
 * Vector kinds: what a case builds and parses. Each kind is one object; a new
 * layer (sms-tpdu, envelope, ud, cattp-pdu, por-tpdu, ...) plugs in with
 * `registerKind` plus an if/then clause for its inputs in vectors/schema.json.
 */
import { InputError } from '../util/errors.js';
import { fromHex, toHex } from '../util/hex.js';
import { blockSize, decrypt, type CipherAlg } from '../crypto/index.js';
import type { Dialect } from '../secured/dialect.js';
import { buildCommand, parseCommand } from '../secured/command.js';
import { buildResponse, parseResponse } from '../secured/response.js';
import { commandJson, responseJson } from '../secured/view.js';
import { spiCodec } from '../secured/spi.js';
import { cipherAlgFor } from '../secured/keys.js';
import { smsDialect } from '../smspp/dialect.js';
import { cattpDialect } from '../cattp/dialect.js';
import { encodeCommandScript } from '../remote/index.js';
import { scriptView, responseView } from '../remote/view.js';
import { counterOf, hexOf, keysOf, octetOf, str, type CaseContext, type Inputs } from './inputs.js';

export type { CaseContext, Inputs };

/** A field of an output: octets [start, end). */
export interface FieldSpan {
  name: string;
  start: number;
  end: number;
}

export interface Layout {
  spans: FieldSpan[];
  /** The ciphered part, when the keys allow deciphering it: names plaintext fields too. */
  ciphered?: {
    start: number;
    decipher(bytes: Uint8Array): Uint8Array | undefined;
    spans(plain: Uint8Array): FieldSpan[];
  };
}

export interface VectorKind {
  readonly name: string;
  readonly description: string;
  /** Build the outputs from the inputs (usually one). */
  build(inputs: Inputs, ctx: CaseContext): Uint8Array[];
  /** Parse the expected outputs with the inputs' keys: the `parse --json` object. */
  parse(bytes: Uint8Array[], inputs: Inputs, ctx: CaseContext): Record<string, unknown>;
  /** Fields the parse must give back because they are inputs (checked besides expected.fields). */
  implied?(inputs: Inputs): Record<string, unknown>;
  /** Field map of output `index`, to name the first differing byte. */
  layout?(bytes: Uint8Array, index: number, inputs: Inputs, ctx: CaseContext): Layout | undefined;
  /** The fields `vectors record` stores (a readable subset of the parse output). */
  summary?(fields: Record<string, unknown>): Record<string, unknown>;
}

const registry = new Map<string, VectorKind>();

export function registerKind(k: VectorKind): void {
  if (registry.has(k.name)) throw new Error(`vector kind ${k.name} registered twice`);
  registry.set(k.name, k);
}

export function getKind(name: string): VectorKind | undefined {
  return registry.get(name);
}

export function kindNames(): string[] {
  return [...registry.keys()];
}

export function dialectOf(ctx: CaseContext): Dialect {
  return ctx.dialect === 'cat_tp' ? cattpDialect : smsDialect;
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

function one(bytes: Uint8Array[]): Uint8Array {
  if (bytes.length !== 1) throw new InputError(`this kind takes one output, got ${bytes.length}`, { field: 'expected.hex' });
  return bytes[0];
}

/** Decipher the part from `start` if the cipher and key are known and the length fits. */
function decipherFrom(start: number, alg: CipherAlg | undefined, key: Uint8Array | undefined) {
  return (b: Uint8Array): Uint8Array | undefined => {
    const part = b.subarray(start);
    if (!alg || !key || part.length === 0 || part.length % blockSize(alg) !== 0) return undefined;
    try {
      return decrypt(alg, key, part);
    } catch {
      return undefined;
    }
  };
}

/** Spans of CNTR … padding in a plaintext, relative to `base`. `head` = fields before RC/CC/DS. */
function securedSpans(plain: Uint8Array, base: number, head: [string, number][], L: number, pcntr: number | undefined): FieldSpan[] {
  const spans: FieldSpan[] = [];
  let o = base;
  for (const [name, n] of head) {
    spans.push({ name, start: o, end: o + n });
    o += n;
  }
  if (L) spans.push({ name: 'RC/CC/DS', start: o, end: o + L });
  o += L;
  const end = base + plain.length;
  const pad = pcntr !== undefined && pcntr <= end - o ? pcntr : 0;
  spans.push({ name: 'secured data', start: o, end: end - pad });
  if (pad) spans.push({ name: 'padding', start: end - pad, end });
  return spans;
}

// ------------------------------------------------------------------ command

function commandData(i: Inputs): Uint8Array {
  if (Array.isArray(i.apdus)) {
    const apdus = (i.apdus as string[]).map((a, n) => fromHex(a, `inputs.apdus[${n}]`));
    return encodeCommandScript(apdus, { format: i.expanded ? 'expanded' : 'compact', indefinite: i.indefinite === true ? true : undefined });
  }
  return hexOf(i, 'data');
}

function spiOf(i: Inputs) {
  return spiCodec.decode(hexOf(i, 'spi', 2));
}

export const commandKind: VectorKind = {
  name: 'command',
  description: 'secured command packet, TS 102 225 cl. 5.1 (SMS-PP: from CPL, without the UDH; CAT_TP: from CPI)',
  build(i, ctx) {
    const kic = octetOf(i, 'kic');
    const kid = octetOf(i, 'kid');
    const c = buildCommand(dialectOf(ctx), {
      spi: spiOf(i), kic, kid, tar: hexOf(i, 'tar', 3), counter: counterOf(i), data: commandData(i),
      ccLength: typeof i.ccLen === 'number' ? i.ccLen : undefined,
      paddingByte: str(i, 'paddingByte') !== undefined ? octetOf(i, 'paddingByte') : undefined,
    }, keysOf(i, ctx, kic, kid));
    return [c.bytes];
  },
  parse(bytes, i, ctx) {
    const c = parseCommand(dialectOf(ctx), one(bytes), keysOf(i, ctx, octetOf(i, 'kic'), octetOf(i, 'kid')));
    const fmt = i.expanded === true ? 'expanded' : Array.isArray(i.apdus) ? 'compact' : 'auto';
    const view = c.data ? scriptView(c.data, fmt) : { apdus: null, json: null };
    return commandJson(c, view.apdus ?? undefined, { script: view.json });
  },
  implied(i) {
    const out: Record<string, unknown> = {
      spi: { hex: (str(i, 'spi') ?? '').toUpperCase() },
      kic: { hex: (str(i, 'kic') ?? '').toUpperCase() },
      kid: { hex: (str(i, 'kid') ?? '').toUpperCase() },
      tar: (str(i, 'tar') ?? '').toUpperCase(),
      counter: Number(counterOf(i)),
    };
    if (str(i, 'data') !== undefined) out.data = toHex(hexOf(i, 'data'));
    return out;
  },
  layout(b, _n, i, ctx) {
    const keys = keysOf(i, ctx, octetOf(i, 'kic'), octetOf(i, 'kid'));
    let c;
    try {
      c = parseCommand(dialectOf(ctx), b, keys);
    } catch {
      return undefined;
    }
    const o = c.offsets;
    const L = c.chl - 13;
    const spans: FieldSpan[] = [];
    if (c.cpi !== null) spans.push({ name: 'CPI', start: 0, end: 1 });
    spans.push({ name: 'CPL', start: o.CPL, end: o.CHL }, { name: 'CHL', start: o.CHL, end: o.SPI }, { name: 'SPI', start: o.SPI, end: o.KIc },
      { name: 'KIc', start: o.KIc, end: o.KID }, { name: 'KID', start: o.KID, end: o.TAR }, { name: 'TAR', start: o.TAR, end: o.CNTR });
    const head: [string, number][] = [['CNTR', 5], ['PCNTR', 1]];
    if (!c.ciphered) {
      spans.push(...securedSpans(b.subarray(o.CNTR), o.CNTR, head, L, c.pcntr));
      return { spans };
    }
    spans.push({ name: 'ciphered CNTR…padding', start: o.CNTR, end: b.length });
    let alg: CipherAlg | undefined;
    try {
      alg = cipherAlgFor(c.kic, keys);
    } catch {
      alg = undefined;
    }
    return {
      spans,
      ciphered: { start: o.CNTR, decipher: decipherFrom(o.CNTR, alg, keys.kicKey), spans: (p) => securedSpans(p, 0, head, L, p[5]) },
    };
  },
  summary(f) {
    const spi = f.spi as Record<string, unknown>;
    const cs = f.checksum as Record<string, unknown>;
    return {
      ...pick(f, ['cpl', 'chl']),
      spi: { hex: spi.hex },
      kic: { hex: (f.kic as Record<string, unknown>).hex },
      kid: { hex: (f.kid as Record<string, unknown>).hex },
      ...pick(f, ['tar', 'ciphered', 'counter', 'pcntr']),
      checksum: pick(cs, ['type', 'value', 'verified']),
      ...pick(f, ['data', 'apdus']),
    };
  },
};

// ----------------------------------------------------------------- response

function responseExpect(i: Inputs) {
  const spi = spiOf(i);
  return { integrity: spi.porIntegrity, ciphered: spi.porCiphered, kic: octetOf(i, 'kic'), kid: octetOf(i, 'kid') };
}

export const responseKind: VectorKind = {
  name: 'response',
  description: 'response packet / PoR, TS 102 225 cl. 5.2 (SMS-PP: from RPL, without the UDH 02 71 00, which still enters the RC/CC; CAT_TP: from RPI)',
  build(i, ctx) {
    const e = responseExpect(i);
    const unsecured = i.unsecured === true;
    const r = buildResponse(dialectOf(ctx), {
      integrity: unsecured ? 'none' : e.integrity, ciphered: unsecured ? false : e.ciphered, kic: e.kic, kid: e.kid,
      ccLength: typeof i.ccLen === 'number' ? i.ccLen : undefined,
      tar: hexOf(i, 'tar', 3), counter: counterOf(i), status: octetOf(i, 'status'), data: hexOf(i, 'data'),
      paddingByte: str(i, 'paddingByte') !== undefined ? octetOf(i, 'paddingByte') : undefined,
    }, keysOf(i, ctx, e.kic, e.kid));
    return [r.bytes];
  },
  parse(bytes, i, ctx) {
    const e = responseExpect(i);
    const r = parseResponse(dialectOf(ctx), one(bytes), keysOf(i, ctx, e.kic, e.kid), e);
    const view = r.data ? responseView(r.data) : { json: null };
    return responseJson(r, view.json);
  },
  implied(i) {
    return {
      tar: (str(i, 'tar') ?? '').toUpperCase(),
      counter: Number(counterOf(i)),
      status: { code: (str(i, 'status') ?? '').toUpperCase() },
      data: toHex(hexOf(i, 'data')),
    };
  },
  layout(b, _n, i, ctx) {
    const e = responseExpect(i);
    const keys = keysOf(i, ctx, e.kic, e.kid);
    let r;
    try {
      r = parseResponse(dialectOf(ctx), b, keys, e);
    } catch {
      return undefined;
    }
    const o = r.offsets;
    const L = r.rhl - 10;
    const spans: FieldSpan[] = [];
    if (r.rpi !== null) spans.push({ name: 'RPI', start: 0, end: 1 });
    spans.push({ name: 'RPL', start: o.RPL, end: o.RHL }, { name: 'RHL', start: o.RHL, end: o.TAR }, { name: 'TAR', start: o.TAR, end: o.CNTR });
    const head: [string, number][] = [['CNTR', 5], ['PCNTR', 1], ['status', 1]];
    if (!r.ciphered) {
      spans.push(...securedSpans(b.subarray(o.CNTR), o.CNTR, head, L, r.pcntr).map((s) => (s.name === 'secured data' ? { ...s, name: 'additional response data' } : s)));
      return { spans };
    }
    spans.push({ name: 'ciphered CNTR…padding', start: o.CNTR, end: b.length });
    return {
      spans,
      ciphered: {
        start: o.CNTR,
        decipher: decipherFrom(o.CNTR, r.cipherAlgorithm, keys.kicKey),
        spans: (p) => securedSpans(p, 0, head, L, p[5]).map((s) => (s.name === 'secured data' ? { ...s, name: 'additional response data' } : s)),
      },
    };
  },
  summary(f) {
    const cs = f.checksum as Record<string, unknown>;
    const st = f.status as Record<string, unknown> | null;
    return {
      ...pick(f, ['rpl', 'rhl', 'tar', 'ciphered', 'counter', 'pcntr']),
      status: st ? { code: st.code } : null,
      checksum: pick(cs, ['type', 'value', 'verified']),
      ...pick(f, ['data']),
    };
  },
};

registerKind(commandKind);
registerKind(responseKind);

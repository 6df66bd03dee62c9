/**
 * CARD.json: the configuration of the simulated receiving entity (`uicc-ota
 * card process`). Format `uicc-ota-card/1`:
 *
 *   {
 *     "format": "uicc-ota-card/1",          optional; if present exactly this
 *     "description": "free text",            optional
 *     "iccid": "8988211000000467285",        optional, 18–20 decimal digits
 *     "keysets": [                           key sets by KVN (= KIc/KID high nibble), the
 *       { "kvn": 1,                          shape of a keyset file (vectors/keysets/test.json)
 *         "kic": { "algorithm": "3des-2key-cbc",     "key": "hex" },
 *         "kid": { "algorithm": "3des-2key-cbc-mac", "key": "hex" },
 *         "kik": { "algorithm": "3des-2key-cbc",     "key": "hex" } } ],
 *     "applications": [                      receiving applications by TAR
 *       { "tar": "B00010",                   3 octets, unique
 *         "name": "SIM RFM",                 optional
 *         "msl": "06",                       minimum security level, coded like SPI octet 1
 *                                            (TS 102 226 cl. 8.2.1.3.2.4), default "00"
 *         "kvns": [1, 2],                    optional: the only KVNs this TAR accepts
 *         "format": "compact",               compact | expanded | auto (by first octet AA/AE)
 *         "counter": "0",                    the RE counter (decimal string), updated by
 *                                            `card process` after accepted commands
 *         "swByApdu": {                      C-APDU hex prefix (as coded in the script) →
 *           "A0A40000027F20": { "sw": "9F16" },        answer; the longest prefix wins;
 *           "A0C0000016": { "sw": "9000", "data": "0000FFFF…" },
 *           "80F2": "6D00" },                a plain string is the SW without data
 *         "defaultSw": "9000",               SW for every other C-APDU, default 9000
 *         "handler": "files" } ],            optional: commands answered from the card's content
 *                                            after swByApdu, before defaultSw: "files" (RFM:
 *                                            SELECT, READ/UPDATE BINARY/RECORD, GET RESPONSE on
 *                                            "files"; class A0 as a SIM, 00 as a UICC) or "gp"
 *                                            (RAM: INSTALL, LOAD, DELETE, GET STATUS, PUT KEY on
 *                                            "registry" and "keysets"; PUT KEY unwraps with the
 *                                            KIK of the command's key set and checks the KCVs)
 *     "files": { "3F00/7F20/6F07": { "data": "hex" },           EFs by path (transparent, or
 *                "3F00/7F10/6F40": { "records": ["hex"] } },     "records", "cyclic": true)
 *     "registry": { "loadFiles": [{ "aid", "modules": [] }],     GlobalPlatform registry;
 *                   "instances": [{ "aid", "loadFile", "module",  a LOAD in progress is kept
 *                                   "privileges", "lifeCycle" }], in "loading"
 *                   "loading": { "aid", "nextBlock", "data" } },
 *                                            files, registry and keysets are rewritten by
 *                                            `card process` (locked, atomic) when a script
 *                                            changes them
 *     "options": {                           card-specific behaviour (all optional):
 *       "kvnMismatch": "reject",             reject | accept: KIc and KID naming different
 *                                            non-zero KVNs → status 06 (TS 102 225 Annex A.2)
 *       "porSecurityMustMatch": false,       true: a ciphered PoR for an unciphered command,
 *                                            or a PoR RC/CC/DS type other than the command's,
 *                                            → 06 (cardOS reading of cl. 5.1.1)
 *       "unsecuredErrorStatuses": ["06"],    error PoRs sent without RC/CC/DS and unciphered
 *                                            (hex codes, or "all" for every status but 00
 *                                            and 0B, which are not errors)
 *       "errorPorCounter": "zero",           CNTR in error PoRs: zero (SJA2 trace) | echo
 *       "porOnAuthFailure": true,            false: no PoR at all when the RC/CC fails
 *                                            (TS 31.111 Rel-18 reading)
 *       "counterLowStatus": "02",            status for CNTR low / replay ("06" like SJA2)
 *       "storeCounterWhenNoCheck": false,    SPI1 b5b4 = 01: store CNTR (as onomondo-uicc does)
 *       "successSw1": ["90","91","61","9F"], SW1 values that let a script go on (TS 102 226 cl. 5.1.2)
 *       "countGetResponse": true,            false: a GET RESPONSE after 61xx/9Fxx is not
 *                                            counted in a compact response (Gemalto trace)
 *       "expandedRApdus": "all",             all | last: R-APDU TLVs in an expanded response
 *       "maxDeliverReportUd": 140 }          SMS-PP, PoR via SMS-DELIVER-REPORT: longest PoR
 *                                            user data (02 71 00 …) the ENVELOPE response
 *                                            carries; a longer PoR → status 0B + SMS-SUBMIT
 *                                            (TS 31.115 cl. 7; 25 … 256)
 *   }
 *
 * Keys named "comment" or starting with "_" or "//" are ignored anywhere;
 * any other unknown key is an error (it is most likely a typo).
 */
import { parseJsonFileText } from '../util/json-text.js';
import { InputError } from '../util/errors.js';
import { fromHex, toHex } from '../util/hex.js';
import { validateKeyset, type KeySet } from '../keys/keyset.js';
import { checkKey, type CipherAlg, type CcAlg } from '../crypto/index.js';
import { CNTR_MAX } from '../secured/common.js';
import { validateFiles, validateRegistry, type CardFile, type Registry } from './content.js';

export const CARD_FORMAT = 'uicc-ota-card/1';
export const CARD_STATE_FORMAT = 'uicc-ota-card-state/1';

export type ScriptFormat = 'compact' | 'expanded' | 'auto';

export interface SwRule {
  /** C-APDU prefix as configured (upper-case hex). */
  prefix: string;
  sw: number;
  data: Uint8Array;
}

export interface CardApp {
  tar: Uint8Array;
  /** Upper-case hex of the TAR (the key in state files). */
  tarHex: string;
  name?: string;
  /** MSL data octet, coded like SPI octet 1. */
  msl: number;
  kvns?: number[];
  format: ScriptFormat;
  counter: bigint;
  /** Longest prefix first. */
  swByApdu: SwRule[];
  defaultSw: number;
  /** Commands answered by the card's content (after swByApdu, before defaultSw): files (RFM) or gp (RAM). */
  handler?: 'files' | 'gp';
}

export interface CardOptions {
  kvnMismatch: 'reject' | 'accept';
  porSecurityMustMatch: boolean;
  unsecuredErrorStatuses: number[] | 'all';
  errorPorCounter: 'zero' | 'echo';
  porOnAuthFailure: boolean;
  counterLowStatus: number;
  storeCounterWhenNoCheck: boolean;
  successSw1: number[];
  countGetResponse: boolean;
  expandedRApdus: 'all' | 'last';
  maxDeliverReportUd: number;
}

export interface Card {
  path: string;
  description?: string;
  iccid?: string;
  keysets: KeySet[];
  applications: CardApp[];
  options: CardOptions;
  /** RFM file system (see content.ts). */
  files: Map<string, CardFile>;
  /** GlobalPlatform registry (see content.ts). */
  registry: Registry;
}

export const DEFAULT_OPTIONS: CardOptions = {
  kvnMismatch: 'reject',
  porSecurityMustMatch: false,
  unsecuredErrorStatuses: [0x06],
  errorPorCounter: 'zero',
  porOnAuthFailure: true,
  counterLowStatus: 0x02,
  storeCounterWhenNoCheck: false,
  successSw1: [0x90, 0x91, 0x61, 0x9f],
  countGetResponse: true,
  expandedRApdus: 'all',
  maxDeliverReportUd: 140,
};

/**
 * Bounds of options.maxDeliverReportUd. Lower: the longest status-0B PoR
 * (02 71 00, RPL, RHL, TAR, then CNTR…CC of 15 octets ciphered to 16) must
 * itself fit. Upper: one ENVELOPE response carries at most 256 octets.
 */
export const MIN_DELIVER_REPORT_UD = 25;
export const MAX_DELIVER_REPORT_UD = 256;

type Obj = Record<string, unknown>;

class Checker {
  constructor(readonly path: string) {}
  fail(field: string, msg: string): never {
    throw new InputError(msg, { layer: `card file ${this.path}`, field });
  }
  obj(v: unknown, field: string): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, 'must be a JSON object');
    return v as Obj;
  }
  /** Reject keys not in `known` (comments excepted). */
  keys(o: Obj, field: string, known: readonly string[]): void {
    for (const k of Object.keys(o)) {
      if (known.includes(k) || isComment(k)) continue;
      this.fail(field ? `${field}.${k}` : k, `unknown field (known: ${known.join(', ')})`);
    }
  }
  hex(v: unknown, field: string, n?: number): Uint8Array {
    if (typeof v !== 'string') this.fail(field, `must be a hex string${n ? ` of ${n} octet${n === 1 ? '' : 's'}` : ''}`);
    let b: Uint8Array;
    try {
      b = fromHex(v, field);
    } catch (e) {
      this.fail(field, (e as InputError).detail);
    }
    if (n !== undefined && b.length !== n) this.fail(field, `must be ${n} octet${n === 1 ? '' : 's'} (${2 * n} hex digits), got ${b.length}`);
    return b;
  }
  sw(v: unknown, field: string): number {
    const b = this.hex(v, field, 2);
    return (b[0] << 8) | b[1];
  }
  bool(v: unknown, field: string): boolean {
    if (typeof v !== 'boolean') this.fail(field, 'must be true or false');
    return v;
  }
  oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[]): T {
    if (typeof v !== 'string' || !allowed.includes(v as T)) this.fail(field, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
    return v as T;
  }
  list(v: unknown, field: string): unknown[] {
    if (!Array.isArray(v)) this.fail(field, 'must be a list');
    return v;
  }
}

function isComment(k: string): boolean {
  return k === 'comment' || k.startsWith('_') || k.startsWith('//');
}

/** A stored counter: decimal string (or a JSON integer), 0 … 2^40−1. */
export function parseStoredCounter(v: unknown, field: string, c: Checker | string): bigint {
  const ck: Checker = typeof c === 'string' ? new Checker(c) : c;
  let n: bigint;
  if (typeof v === 'string' && /^[0-9]+$/.test(v.trim())) n = BigInt(v.trim());
  else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) n = BigInt(v);
  else ck.fail(field, 'must be an integer (or an older decimal string), e.g. 0');
  if (n > CNTR_MAX) ck.fail(field, `${n} is more than the 5-octet maximum 1099511627775 (2^40−1)`);
  return n;
}

const APP_KEYS = ['tar', 'name', 'msl', 'kvns', 'format', 'counter', 'swByApdu', 'defaultSw', 'description', 'handler'] as const;
const TOP_KEYS = ['format', 'description', 'iccid', 'keysets', 'applications', 'options', 'files', 'registry'] as const;
const OPTION_KEYS = Object.keys(DEFAULT_OPTIONS);

/** Validate the parsed JSON of a CARD.json; InputError (exit 2) names the field. */
export function validateCard(raw: unknown, path: string): Card {
  const ck: Checker = new Checker(path);
  const top = ck.obj(raw, '(top level)');
  ck.keys(top, '', TOP_KEYS);
  if (top.format !== undefined && top.format !== CARD_FORMAT) ck.fail('format', `must be "${CARD_FORMAT}"`);
  const card: Card = { path, keysets: [], applications: [], options: { ...DEFAULT_OPTIONS }, files: new Map(), registry: { loadFiles: [], instances: [] } };
  card.files = validateFiles(top.files, (f, m) => ck.fail(f, m));
  card.registry = validateRegistry(top.registry, (f, m) => ck.fail(f, m));
  if (top.description !== undefined) {
    if (typeof top.description !== 'string') ck.fail('description', 'must be a string');
    card.description = top.description;
  }
  if (top.iccid !== undefined) {
    if (typeof top.iccid !== 'string' || !/^[0-9]{18,20}$/.test(top.iccid)) ck.fail('iccid', 'must be a string of 18–20 decimal digits');
    card.iccid = top.iccid;
  }

  // Key sets: the keyset-file validator, re-labelled, plus key-length checks.
  const ksRaw = top.keysets ?? [];
  ck.list(ksRaw, 'keysets');
  (ksRaw as unknown[]).forEach((e, i) => {
    const s = ck.obj(e, `keysets[${i}]`);
    ck.keys(s, `keysets[${i}]`, ['kvn', 'kic', 'kid', 'kik', 'description']);
    for (const role of ['kic', 'kid', 'kik']) {
      if (s[role] !== undefined) ck.keys(ck.obj(s[role], `keysets[${i}].${role}`), `keysets[${i}].${role}`, ['algorithm', 'key']);
    }
  });
  try {
    card.keysets = validateKeyset({ keysets: ksRaw }, path).keysets;
  } catch (e) {
    if (e instanceof InputError) ck.fail(e.where.field ?? 'keysets', e.detail);
    throw e;
  }
  card.keysets.forEach((s, i) => {
    for (const role of ['kic', 'kid', 'kik'] as const) {
      const k = s[role];
      if (!k || k.algorithm === 'crc16' || k.algorithm === 'crc32') continue;
      try {
        checkKey(k.algorithm as CipherAlg | CcAlg, k.key, 'key');
      } catch (e) {
        if (e instanceof InputError) ck.fail(`keysets[${i}].${role}.key`, e.detail);
        throw e;
      }
    }
  });

  const appsRaw = ck.list(top.applications, 'applications');
  const seen = new Map<string, number>();
  appsRaw.forEach((e, i) => {
    const at = `applications[${i}]`;
    const a = ck.obj(e, at);
    ck.keys(a, at, APP_KEYS);
    const tar = ck.hex(a.tar, `${at}.tar`, 3);
    const tarHex = toHex(tar);
    if (seen.has(tarHex)) ck.fail(`${at}.tar`, `TAR ${tarHex} is already used by applications[${seen.get(tarHex)}]`);
    seen.set(tarHex, i);
    const app: CardApp = { tar, tarHex, msl: 0, format: 'compact', counter: 0n, swByApdu: [], defaultSw: 0x9000 };
    if (a.name !== undefined) {
      if (typeof a.name !== 'string') ck.fail(`${at}.name`, 'must be a string');
      app.name = a.name;
    }
    if (a.msl !== undefined) {
      app.msl = ck.hex(a.msl, `${at}.msl`, 1)[0];
      if (app.msl & 0xe0) ck.fail(`${at}.msl`, 'bits b8–b6 are reserved in SPI octet 1 coding: use 00–1F');
    }
    if (a.kvns !== undefined) {
      const l = ck.list(a.kvns, `${at}.kvns`);
      app.kvns = l.map((k, j) => {
        if (!Number.isInteger(k) || (k as number) < 0 || (k as number) > 15) ck.fail(`${at}.kvns[${j}]`, 'must be a key version number 0 … 15');
        if (!card.keysets.some((s) => s.kvn === k)) ck.fail(`${at}.kvns[${j}]`, `no key set with KVN ${k} in "keysets"`);
        return k as number;
      });
    }
    if (a.format !== undefined) app.format = ck.oneOf(a.format, `${at}.format`, ['compact', 'expanded', 'auto'] as const);
    if (a.handler !== undefined) app.handler = ck.oneOf(a.handler, `${at}.handler`, ['files', 'gp'] as const);
    if (a.counter !== undefined) app.counter = parseStoredCounter(a.counter, `${at}.counter`, ck);
    if (a.defaultSw !== undefined) app.defaultSw = ck.sw(a.defaultSw, `${at}.defaultSw`);
    if (a.swByApdu !== undefined) {
      const m = ck.obj(a.swByApdu, `${at}.swByApdu`);
      const prefixes = new Set<string>();
      for (const [k, v] of Object.entries(m)) {
        if (isComment(k)) continue;
        const f = `${at}.swByApdu["${k}"]`;
        const p = ck.hex(k, `${f} (prefix)`);
        if (p.length === 0) ck.fail(f, 'empty prefix (use defaultSw for "every other C-APDU")');
        const prefix = toHex(p);
        if (prefixes.has(prefix)) ck.fail(f, `prefix ${prefix} appears twice`);
        prefixes.add(prefix);
        if (typeof v === 'string') {
          app.swByApdu.push({ prefix, sw: ck.sw(v, f), data: new Uint8Array(0) });
          continue;
        }
        const r = ck.obj(v, f);
        ck.keys(r, f, ['sw', 'data']);
        const sw = ck.sw(r.sw, `${f}.sw`);
        const data = r.data === undefined ? new Uint8Array(0) : ck.hex(r.data, `${f}.data`);
        app.swByApdu.push({ prefix, sw, data });
      }
      app.swByApdu.sort((x, y) => y.prefix.length - x.prefix.length);
    }
    card.applications.push(app);
  });

  if (top.options !== undefined) {
    const o = ck.obj(top.options, 'options');
    ck.keys(o, 'options', OPTION_KEYS);
    const opt = card.options;
    const f = (k: string) => `options.${k}`;
    if (o.kvnMismatch !== undefined) opt.kvnMismatch = ck.oneOf(o.kvnMismatch, f('kvnMismatch'), ['reject', 'accept'] as const);
    if (o.porSecurityMustMatch !== undefined) opt.porSecurityMustMatch = ck.bool(o.porSecurityMustMatch, f('porSecurityMustMatch'));
    if (o.unsecuredErrorStatuses !== undefined) {
      const v = o.unsecuredErrorStatuses;
      if (v === 'all') opt.unsecuredErrorStatuses = 'all';
      else if (Array.isArray(v)) opt.unsecuredErrorStatuses = v.map((s, j) => ck.hex(s, `${f('unsecuredErrorStatuses')}[${j}]`, 1)[0]);
      else ck.fail(f('unsecuredErrorStatuses'), 'must be a list of status codes (e.g. ["06"]) or "all"');
    }
    if (o.errorPorCounter !== undefined) opt.errorPorCounter = ck.oneOf(o.errorPorCounter, f('errorPorCounter'), ['zero', 'echo'] as const);
    if (o.porOnAuthFailure !== undefined) opt.porOnAuthFailure = ck.bool(o.porOnAuthFailure, f('porOnAuthFailure'));
    if (o.counterLowStatus !== undefined) opt.counterLowStatus = ck.hex(o.counterLowStatus, f('counterLowStatus'), 1)[0];
    if (o.storeCounterWhenNoCheck !== undefined) opt.storeCounterWhenNoCheck = ck.bool(o.storeCounterWhenNoCheck, f('storeCounterWhenNoCheck'));
    if (o.successSw1 !== undefined) {
      opt.successSw1 = ck.list(o.successSw1, f('successSw1')).map((s, j) => ck.hex(s, `${f('successSw1')}[${j}]`, 1)[0]);
    }
    if (o.countGetResponse !== undefined) opt.countGetResponse = ck.bool(o.countGetResponse, f('countGetResponse'));
    if (o.expandedRApdus !== undefined) opt.expandedRApdus = ck.oneOf(o.expandedRApdus, f('expandedRApdus'), ['all', 'last'] as const);
    if (o.maxDeliverReportUd !== undefined) {
      const v = o.maxDeliverReportUd;
      if (!Number.isInteger(v) || (v as number) < MIN_DELIVER_REPORT_UD || (v as number) > MAX_DELIVER_REPORT_UD) {
        ck.fail(f('maxDeliverReportUd'), `must be a whole number of octets, ${MIN_DELIVER_REPORT_UD} … ${MAX_DELIVER_REPORT_UD} (e.g. 140)`);
      }
      opt.maxDeliverReportUd = v as number;
    }
  }
  return card;
}

/** Parse CARD.json text (exit 2 for invalid JSON, like a keyset file). */
export function parseCardText(text: string, path: string): { raw: unknown; card: Card } {
  const raw = parseJsonFileText(text, path, 'card file');
  return { raw, card: validateCard(raw, path) };
}

/** Copy of the raw CARD.json with one application's counter replaced (other content kept as written). */
export function withCounter(raw: unknown, tarHex: string, counter: bigint): unknown {
  const top = { ...(raw as Obj) };
  top.applications = (top.applications as unknown[]).map((a) => {
    const o = a as Obj;
    return typeof o.tar === 'string' && toHex(fromHex(o.tar)) === tarHex ? { ...o, counter: Number(counter) } : o;
  });
  return top;
}

/** `--state FILE` content: RE counters by TAR, overriding those in CARD.json (which then stays untouched). */
export interface CardState {
  format: string;
  counters: Record<string, string>;
}

export function validateState(raw: unknown, path: string): Record<string, bigint> {
  const ck: Checker = new Checker(path);
  const fail = (field: string, msg: string): never => {
    throw new InputError(msg, { layer: `card state file ${path}`, field });
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('(top level)', 'must be a JSON object');
  const o = raw as Obj;
  if (o.format !== undefined && o.format !== CARD_STATE_FORMAT) fail('format', `must be "${CARD_STATE_FORMAT}"`);
  if (typeof o.counters !== 'object' || o.counters === null || Array.isArray(o.counters)) fail('counters', 'must be an object {"TAR": "counter"}');
  const out: Record<string, bigint> = {};
  for (const [k, v] of Object.entries(o.counters as Obj)) {
    if (!/^[0-9A-Fa-f]{6}$/.test(k)) fail(`counters.${k}`, 'key must be a TAR of 6 hex digits');
    try {
      out[k.toUpperCase()] = parseStoredCounter(v, `counters.${k}`, ck);
    } catch (e) {
      if (e instanceof InputError) fail(`counters.${k}`, e.detail);
      throw e;
    }
  }
  return out;
}

/**
 * The example written by `card init`. Keys: vectors/keysets/test.json (KVN 1:
 * sysmoISIM-SJA2 3DES keys from pySim's docs; KVN 2: SJA5 AES-128 test keys
 * from pySim's unit tests). The SW table of B00010 reproduces the SJA2 trace
 * published in pySim docs/smpp-ota-tool.rst, that of B00011 the SJA5 trace of
 * pySim tests/unittests/test_ota.py, and B00000 answers 6D00 to GET STATUS like
 * the eUICC of pySim's laforge/ota test_ota.py.
 */
export function exampleCard(): Record<string, unknown> {
  return {
    format: CARD_FORMAT,
    description:
      'Example card for `uicc-ota card process` (documented in man uicc-ota, FILES: CARD.json). Public test keys: never use them on a production card.',
    iccid: '8949000000000000001',
    keysets: [
      {
        kvn: 1,
        kic: { algorithm: '3des-2key-cbc', key: 'F09C43EE1A0391665CC9F05AF4E0BD10' },
        kid: { algorithm: '3des-2key-cbc-mac', key: '01981F4A20999F62AF99988007BAF6CA' },
        kik: { algorithm: '3des-2key-cbc', key: '8F8AEE5CDCC5D361368BC45673D99195' },
      },
      {
        kvn: 2,
        kic: { algorithm: 'aes-cbc', key: '200102030405060708090A0B0C0D0E0F' },
        kid: { algorithm: 'aes-cmac', key: '201102030405060708090A0B0C0D0E0F' },
        kik: { algorithm: 'aes-cbc', key: '202102030405060708090A0B0C0D0E0F' },
      },
    ],
    applications: [
      {
        tar: 'B00010',
        name: 'SIM RFM (SIM file system)',
        comment: 'answers like the sysmoISIM-SJA2 trace of pySim docs/smpp-ota-tool.rst',
        msl: '06',
        format: 'compact',
        counter: 0,
        swByApdu: {
          A0A40000027F20: { sw: '9F16' },
          A0C0000016: { sw: '9000', data: '0000FFFF7F2002000000000009B106350400838A838A' },
        },
        defaultSw: '9000',
        handler: 'files',
      },
      {
        tar: 'B00011',
        name: 'USIM RFM',
        comment: 'answers SELECT MF like the sysmoISIM-SJA5 of pySim tests/unittests/test_ota.py',
        msl: '06',
        format: 'compact',
        counter: 0,
        swByApdu: { '00A40004023F00': { sw: '6132' } },
        defaultSw: '9000',
      },
      {
        tar: 'B00000',
        name: 'UICC shared file system RFM (expanded or compact format)',
        comment: 'GET STATUS answered 6D00 like the eUICC of pySim (laforge/ota) tests/unittests/test_ota.py; format auto: AA/AE scripts are expanded',
        msl: '06',
        format: 'auto',
        counter: 0,
        swByApdu: { '80F2': { sw: '6D00' } },
        defaultSw: '9000',
        handler: 'files',
      },
      {
        tar: '000000',
        name: 'Issuer Security Domain (RAM, GlobalPlatform)',
        comment: 'answers INSTALL, LOAD, DELETE, GET STATUS and PUT KEY from "registry" and "keysets"',
        msl: '06',
        format: 'auto',
        counter: 0,
        defaultSw: '6D00',
        handler: 'gp',
      },
    ],
    files: {
      comment: 'EFs for rfm (handler "files"): transparent ("data") or records ("records"); DFs follow from the paths',
      '3F00/2FE2': { data: '98940000000000000010' },
      '3F00/7F20/6F07': { data: '082943019999999999' },
      '3F00/7F10/6F40': { records: ['FFFFFFFFFFFFFFFFFFFFFFFFFFFF', 'FFFFFFFFFFFFFFFFFFFFFFFFFFFF'] },
    },
    registry: { loadFiles: [], instances: [] },
    options: {
      kvnMismatch: 'reject',
      porSecurityMustMatch: false,
      unsecuredErrorStatuses: ['06'],
      errorPorCounter: 'zero',
      porOnAuthFailure: true,
      counterLowStatus: '02',
      storeCounterWhenNoCheck: false,
      successSw1: ['90', '91', '61', '9F'],
      countGetResponse: true,
      expandedRApdus: 'all',
      maxDeliverReportUd: 140,
    },
  };
}

/**
 * Below `vectors verify` (run golden-vector suites, format vectors/schema.json)
 * and `vectors record` (turn one build into a case for review): the CLI only renders.
 */
import { vectorSchemaRef } from './record-refs.js';
import type { SmsFrameOpts } from '../api/frame.js';
import type { ResponseDataOpts } from '../api/por-options.js';
import type { CattpBuildOpts } from '../api/cattp-options.js';
import { responseData } from '../api/por-options.js';
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { InputError, IoError } from '../util/errors.js';
import { fromHex, hex2, hex4, toHex } from '../util/hex.js';
import type { KeyMaterial } from '../secured/keys.js';
import type { SecuredCommand } from '../secured/command.js';
import { writeFileAtomic } from '../keys/state.js';
import { spiCodec, spiHex } from '../secured/spi.js';
import { parseTar } from '../secured/tar.js';
import { parseCounter } from '../secured/common.js';
import { getKind, type Inputs } from './kinds.js';
import { FORMAT, loadFile, packageRoot, runCase, runSuite, vectorSchema, type Report } from './runner.js';
import { validate } from './schema.js';
import { keysetOf, keysetPath, resolveKeys, resolveKic, resolveKid } from '../api/keys.js';
import { intOption, octet } from '../util/options.js';
import { prepareCommand, DEFAULT_SPI, DEFAULT_TAR, type SecurityOpts } from '../api/secured-options.js';

/** The suite to run when no path is given: ./vectors, else the package's own. */
export function defaultVectorsDir(): string {
  const local = resolve('vectors');
  if (existsSync(local) && statSync(local).isDirectory()) return local;
  return join(packageRoot(), 'vectors');
}

/** The object `vectors verify --json` prints. */
export interface VectorsReport {
  format: 'uicc-ota-vectors-report/1';
  passed: number;
  failed: number;
  errors: number;
  files: Report['files'];
  cases: Report['cases'];
}

/** `vectors verify`: run vector files or folders (default: ./vectors, else the package's); `filter` is a regex on id or kind. */
export function verifyReport(paths: string[], o: { filter?: string } = {}): VectorsReport {
  let filter: RegExp | undefined;
  if (o.filter !== undefined) {
    try {
      filter = new RegExp(o.filter);
    } catch (e) {
      throw new InputError(`not a valid regular expression: ${(e as Error).message}`, { field: '--filter' });
    }
  }
  const report = runSuite(paths.length ? paths : [defaultVectorsDir()], { filter });
  return { format: 'uicc-ota-vectors-report/1', passed: report.passed, failed: report.failed, errors: report.errors, files: report.files, cases: report.cases };
}

// ------------------------------------------------------------------ record

/**
 * Options of `vectors record`: those of `build sms`, `build por`, `build cattp`
 * and `cattp build`, under the same names (the positional TYPE of `cattp build`
 * becomes `--type`). Which of them apply depends on the kind.
 */
export interface RecordOpts
  extends SecurityOpts,
    Partial<Omit<SmsFrameOpts, 'format' | 'pcap'>>,
    ResponseDataOpts,
    Pick<CattpBuildOpts, 'srcPort' | 'dstPort' | 'seq' | 'ack' | 'window' | 'maxPdu' | 'maxSdu' | 'identification' | 'iccid' | 'eack' | 'reason' | 'rstAck' | 'seg' | 'checksum'> {
  out: string;
  id?: string;
  kind?: string;
  dialect?: 'sms-pp' | 'cat_tp';
  /** As `build por --cattp`: the CAT_TP dialect. */
  cattp?: boolean;
  description?: string;
  provenance?: string;
  force?: boolean;
  /** The layer, as the build commands name it. */
  format?: string;
  // build por
  request?: string;
  status?: string;
  anyStatus?: boolean;
  unsecured?: boolean;
  da?: string;
  /** The TYPE of `cattp build`. */
  type?: string;
}

/** Whether an option was given on the command line (commander's value source: defaults do not count). */
export type GivenFn = (key: string) => boolean;

const givenByValue = (o: RecordOpts): GivenFn => (k) => {
  const v = (o as unknown as Record<string, unknown>)[k];
  return v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0);
};

const SECURED = ['command', 'response', 'sms', 'por', 'cattp'] as const;
const COMMANDS = ['command', 'sms', 'cattp'] as const;
const RESPONSES = ['response', 'por'] as const;
const PDUS = ['cattp', 'cattp-pdu'] as const;
const PDU_ONLY = ['cattp-pdu'] as const;

/** The kinds each option applies to (`--data` applies to all). An option given for another kind is refused, never dropped. */
const OPTION_KINDS: Record<string, readonly string[]> = {
  spi: SECURED, kic: SECURED, kid: SECURED, tar: SECURED, counter: SECURED, ccLen: SECURED, paddingByte: SECURED,
  kicKey: SECURED, kidKey: SECURED, keyset: SECURED, kvn: SECURED, kicAlg: SECURED, kidAlg: SECURED,
  apdu: COMMANDS, expanded: SECURED, indefinite: SECURED, immediateAction: COMMANDS, errorAction: COMMANDS, scriptChaining: COMMANDS, state: COMMANDS,
  oa: ['sms'], oaTon: ['sms'], oaNpi: ['sms'], pid: ['sms'], dcs: ['sms'], scts: ['sms'], smsc: ['sms'], concatRef: ['sms', 'por'], concat16: ['sms'],
  request: RESPONSES, status: RESPONSES, anyStatus: RESPONSES, unsecured: RESPONSES,
  executed: RESPONSES, sw: RESPONSES, rdata: RESPONSES, rapdu: RESPONSES, badFormat: RESPONSES, da: ['por'],
  type: PDU_ONLY, srcPort: PDUS, dstPort: PDUS, seq: PDUS, ack: PDUS, window: PDUS, maxPdu: PDUS,
  maxSdu: PDU_ONLY, identification: PDU_ONLY, iccid: PDU_ONLY, eack: PDU_ONLY, reason: PDU_ONLY, rstAck: PDU_ONLY, seg: PDU_ONLY, checksum: PDU_ONLY,
};

/** The --format values of each kind, as the build commands name their layers. */
const KIND_FORMATS: Record<string, readonly string[]> = {
  command: ['packet'],
  response: ['packet'],
  sms: ['ud', 'tpdu', 'envelope'],
  por: ['ud', 'submit', 'deliver-report', 'proactive'],
  cattp: ['pdu'],
  'cattp-pdu': [],
};

/** camelCase option key → its flag (concat16 → --concat-16). */
const flagOf = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/([a-z])(\d+)$/, '$1-$2')}`;

interface Resolved {
  kind: string;
  /** What implied the kind when --kind was not given. */
  why?: string;
  dialect: 'sms-pp' | 'cat_tp';
  format?: string;
}

function formatMismatch(kind: string, f: string): string {
  const takes = KIND_FORMATS[kind];
  const base = takes.length ? `kind ${kind} takes --format ${takes.join('|')}` : `kind ${kind} takes no --format`;
  if (f === 'pdu' && (kind === 'response' || kind === 'por')) return `${base}; no vector kind holds a PoR in CAT_TP PDUs: record the packet (--kind response --cattp)`;
  if (f === 'packet') return `${base}; the bare packet is --kind ${kind === 'por' ? 'response' : kind === 'cattp' ? 'command --dialect cat_tp' : 'command'}`;
  const owners = Object.keys(KIND_FORMATS).filter((k) => KIND_FORMATS[k].includes(f));
  const side = kind === 'response' || kind === 'por' ? 'por' : 'sms';
  return `${base}; --format ${f} is --kind ${owners.includes(side) ? side : owners.join(' or ')}`;
}

/**
 * The kind: --kind, else what the options imply, so that a build command line
 * works as it is: --type → cattp-pdu; --format ud|tpdu|envelope → sms (the
 * formats of build sms); submit|deliver-report|proactive → por; pdu → cattp;
 * otherwise command. (`--format ud` means the command side, as for build sms:
 * a PoR as user data needs --kind por.)
 */
function resolveKind(o: RecordOpts, given: GivenFn): Resolved {
  let kind = o.kind;
  let why: string | undefined;
  const f = o.format;
  if (kind === undefined) {
    if (o.type !== undefined) [kind, why] = ['cattp-pdu', '--type'];
    else if (f === undefined || f === 'packet') kind = 'command';
    else {
      kind = KIND_FORMATS.sms.includes(f) ? 'sms' : KIND_FORMATS.por.includes(f) ? 'por' : f === 'pdu' ? 'cattp' : undefined;
      if (!kind) throw new InputError(`unknown format "${f}"`, { field: '--format' });
      why = `--format ${f}`;
    }
  }
  if (!getKind(kind) || !KIND_FORMATS[kind]) throw new InputError(`unknown kind "${kind}" (known: ${Object.keys(KIND_FORMATS).join(', ')})`, { field: '--kind' });
  if (f !== undefined && !KIND_FORMATS[kind].includes(f)) throw new InputError(formatMismatch(kind, f), { field: '--format' });
  if ((kind === 'sms' || kind === 'por') && f === undefined) throw new InputError(`kind ${kind} needs --format ${KIND_FORMATS[kind].join('|')}`, { field: '--format' });
  if (kind === 'cattp-pdu' && o.type === undefined) throw new InputError('kind cattp-pdu needs --type syn|synack|ack|data|eack|rst|nul (the TYPE of cattp build)', { field: '--type' });

  for (const [key, kinds] of Object.entries(OPTION_KINDS)) {
    if (!kinds.includes(kind) && given(key)) {
      throw new InputError(`is for --kind ${kinds.join('|')}, not ${kind}${why ? ` (the kind ${why} implies; say --kind)` : ''}`, { field: flagOf(key) });
    }
  }

  // sms, por: SMS-PP only; cattp, cattp-pdu: CAT_TP only; command, response: either.
  const fixed = kind === 'sms' || kind === 'por' ? 'sms-pp' : kind === 'cattp' || kind === 'cattp-pdu' ? 'cat_tp' : undefined;
  if (o.cattp && o.dialect === 'sms-pp') throw new InputError('--cattp is the cat_tp dialect', { field: '--dialect' });
  const asked = o.dialect ?? (o.cattp ? 'cat_tp' : undefined);
  if (fixed && asked && asked !== fixed) throw new InputError(`kind ${kind} exists only for the ${fixed} dialect`, { field: o.dialect ? '--dialect' : '--cattp' });
  return { kind, why, dialect: fixed ?? asked ?? 'sms-pp', format: f ?? (kind === 'cattp' ? 'pdu' : undefined) };
}

const isInlineKey = (v: string | Uint8Array | undefined) => v !== undefined && !(typeof v === 'string' && (v.startsWith('@') || v.startsWith('env:')));


/** Command-packet inputs (kinds command, sms, cattp), through the same code as `build sms`. */
async function commandInputs(o: RecordOpts): Promise<Inputs> {
  if (o.counter === 'next') throw new InputError('record needs a fixed counter value (a vector must rebuild the same bytes)', { field: '--counter' });
  const { input } = await prepareCommand(o);
  const inputs: Inputs = { spi: spiHex(input.spi), kic: hex2(input.kic), kid: hex2(input.kid), tar: toHex(input.tar), counter: Number(input.counter) };
  // The schema's apdus have no place for the TLVs 81/82/83: such a script is stored as the data it encodes to.
  const tlvs = o.immediateAction !== undefined || o.errorAction !== undefined || o.scriptChaining !== undefined;
  if (o.apdu.length && !tlvs) {
    inputs.apdus = o.apdu.map((a) => toHex(fromHex(a, '--apdu')));
    if (o.expanded) inputs.expanded = true;
    if (o.indefinite) inputs.indefinite = true;
  } else inputs.data = toHex(input.data);
  if (input.ccLength !== undefined) inputs.ccLen = input.ccLength;
  if (input.paddingByte !== undefined && input.paddingByte !== 0) inputs.paddingByte = hex2(input.paddingByte);
  return inputs;
}

/** Response-packet inputs (kinds response, por), as `build por` takes them (--request gives SPI, KIc, KID, TAR, CNTR). */
async function responseInputs(o: RecordOpts, given: GivenFn, dialect: string): Promise<Inputs> {
  const ks = keysetOf(o);
  let req: SecuredCommand | undefined;
  if (o.request !== undefined) {
    const { peel } = await import('../layers/peel.js');
    const { parseCommand, parseCommandHeader } = await import('../secured/command.js');
    const { smsDialect } = await import('../smspp/dialect.js');
    const { cattpDialect } = await import('../cattp/dialect.js');
    const p = peel([fromHex(o.request, '--request')], dialect === 'cat_tp' ? 'cattp' : 'sms');
    const d = p.dialect === 'cat_tp' ? cattpDialect : smsDialect;
    const hdr = parseCommandHeader(d, p.packet);
    req = parseCommand(d, p.packet, resolveKeys(o, hdr.kic, hdr.kid), hdr);
  }
  let spi;
  if (o.spi !== undefined || !req) {
    const b = fromHex(o.spi ?? ks?.defaults.spi ?? DEFAULT_SPI, 'SPI');
    if (b.length !== 2) throw new InputError(`must be 2 octets, got ${b.length}`, { field: 'SPI' });
    spi = spiCodec.decode(b);
  } else spi = req.spi;
  if (given('counter') && o.counter === 'next') throw new InputError('a response takes the command\'s counter value, not "next"', { field: '--counter' });
  const status = octet(o.status ?? '00', '--status');
  const { statusKnown } = await import('../secured/status.js');
  if (!statusKnown(status) && !o.anyStatus) {
    throw new InputError(`0x${hex2(status)} is a reserved status code (TS 102 225 Table 5; --any-status to record it anyway)`, { field: '--status' });
  }
  const inputs: Inputs = {
    spi: spiHex(spi),
    kic: hex2(o.kic !== undefined ? octet(o.kic, 'KIc') : req ? req.kic : resolveKic(undefined, o)),
    kid: hex2(o.kid !== undefined ? octet(o.kid, 'KID') : req ? req.kid : resolveKid(undefined, o, spi.porIntegrity)),
    tar: toHex(o.tar !== undefined ? parseTar(o.tar) : req ? req.tar : parseTar(ks?.defaults.tar ?? DEFAULT_TAR)),
    counter: Number(given('counter') || !req ? parseCounter(o.counter ?? '0') : req.counter),
    status: hex2(status),
    data: toHex(await responseData(o)),
  };
  if (o.unsecured) inputs.unsecured = true;
  if (o.ccLen !== undefined) inputs.ccLen = intOption(o.ccLen, '--cc-len', 4, 8);
  if (o.paddingByte !== undefined && octet(o.paddingByte, '--padding-byte') !== 0) inputs.paddingByte = hex2(octet(o.paddingByte, '--padding-byte'));
  return inputs;
}

/** The framing of `build sms --format`, checked by the same code; the SCTS is stored as its 7 octets ("now" = the time of recording). */
async function smsFraming(o: RecordOpts, format: string): Promise<Inputs> {
  const { smsOptions } = await import('../api/frame.js');
  const b = smsOptions({ format: format as 'ud', oa: o.oa, oaTon: o.oaTon, oaNpi: o.oaNpi, pid: o.pid, dcs: o.dcs, scts: o.scts, smsc: o.smsc, concatRef: o.concatRef ?? '0', concat16: o.concat16 });
  const f: Inputs = { format };
  if (o.oa !== undefined) f.oa = o.oa.trim();
  if (b.ton !== undefined) f.ton = b.ton;
  if (b.npi !== undefined) f.npi = b.npi;
  if (b.pid !== undefined) f.pid = hex2(b.pid);
  if (b.dcs !== undefined) f.dcs = hex2(b.dcs);
  if (o.scts !== undefined) {
    const { scts, sctsFromDate } = await import('../smspp/scts.js');
    const s = b.scts;
    f.scts = toHex(s instanceof Uint8Array ? s : s instanceof Date || s === undefined ? scts.encode(sctsFromDate(s ?? new Date(), 0)) : scts.encode(s));
  }
  if (o.smsc !== undefined) f.smsc = o.smsc.trim();
  if (o.concatRef !== undefined) f.concatRef = b.ref;
  if (o.concat16) f.concat16 = true;
  return f;
}

/** The framing of `build por --format`. */
async function porFraming(o: RecordOpts, format: string): Promise<Inputs> {
  const f: Inputs = { format };
  if (o.da !== undefined) {
    const { makeAddress } = await import('../smspp/address.js');
    makeAddress(o.da, {}, '--da');
    f.da = o.da.trim();
  }
  if (o.concatRef !== undefined) f.concatRef = intOption(o.concatRef, '--concat-ref', 0, 255);
  return f;
}

/** One PDU as `cattp build TYPE` makes it (same checks and defaults), as the inputs of kind cattp-pdu. */
async function cattpPduInputs(o: RecordOpts): Promise<Inputs> {
  const { pduFromOptions } = await import('../api/cattp-options.js');
  const { PDU_TYPE } = await import('./kinds-cattp.js');
  const { pdu, overrides } = pduFromOptions(o.type!, o);
  const i: Inputs = {
    type: Object.keys(PDU_TYPE).find((k) => PDU_TYPE[k] === pdu.type)!,
    srcPort: pdu.srcPort, dstPort: pdu.dstPort, seq: pdu.seq, ack: pdu.ack, window: pdu.window,
  };
  if (pdu.maxPduSize !== undefined) i.maxPdu = pdu.maxPduSize;
  if (pdu.maxSduSize !== undefined) i.maxSdu = pdu.maxSduSize;
  if (o.iccid !== undefined) i.iccid = o.iccid.trim();
  else if (pdu.identification?.length) i.identification = toHex(pdu.identification);
  if (pdu.eack) i.eack = pdu.eack;
  if (pdu.reason !== undefined) i.reason = pdu.reason;
  if (pdu.ackFlag) i.rstAck = true;
  if (pdu.data.length || pdu.type === 'DATA') i.data = toHex(pdu.data);
  if (pdu.seg) i.seg = true;
  if (overrides.checksum !== undefined) i.checksum = hex4(overrides.checksum);
  return i;
}

/** The data-PDU header of `build cattp` (same defaults: server port 1 → card port 1024, first sequence number 1). */
function cattpHeader(o: RecordOpts): Inputs {
  const num = (v: string | undefined, flag: string, def: number, min = 0) => (v === undefined ? def : intOption(v, flag, min, 0xffff));
  return {
    maxPdu: num(o.maxPdu, '--max-pdu', 1024, 19),
    srcPort: num(o.srcPort, '--src-port', 1),
    dstPort: num(o.dstPort, '--dst-port', 1024),
    seq: num(o.seq, '--seq', 1),
    ack: num(o.ack, '--ack', 0),
    window: num(o.window, '--window', 4),
  };
}

/** The case inputs for the options (only what `verify` needs to rebuild; key values only when given inline). */
async function recordInputs(o: RecordOpts, r: Resolved, given: GivenFn, outFile: string): Promise<{ inputs: Inputs; warnings: string[]; keys?: KeyMaterial }> {
  const warnings: string[] = [];
  let inputs: Inputs;
  switch (r.kind) {
    case 'cattp-pdu':
      return { inputs: await cattpPduInputs(o), warnings };
    case 'command':
      inputs = await commandInputs(o);
      break;
    case 'sms':
      inputs = { ...(await commandInputs(o)), ...(await smsFraming(o, r.format!)) };
      break;
    case 'cattp':
      inputs = { ...(await commandInputs(o)), ...cattpHeader(o) };
      break;
    default: // response, por
      inputs = await responseInputs(o, given, r.dialect);
      if (r.kind === 'por') Object.assign(inputs, await porFraming(o, r.format!));
  }
  // resolveKeys validates the key options without echoing them; inline ones are what it read.
  const resolved = resolveKeys(o, parseInt(String(inputs.kic), 16), parseInt(String(inputs.kid), 16));
  const keys: Record<string, string> = {};
  if (storeKeys(o) && isInlineKey(o.kicKey) && resolved.kicKey) keys.kic = toHex(resolved.kicKey);
  if (storeKeys(o) && isInlineKey(o.kidKey) && resolved.kidKey) keys.kid = toHex(resolved.kidKey);
  if (Object.keys(keys).length) inputs.keys = keys;
  const ksPath = keysetPath(o);
  if (ksPath) {
    const rel = relative(dirname(resolve(outFile)), resolve(ksPath));
    // No "kvn": the stored KIc/KID octets already name the key sets, exactly as `build` looks keys up.
    inputs.keyset = isAbsolute(rel) ? rel : rel.split('\\').join('/');
  }
  if (o.kicAlg) inputs.kicAlg = o.kicAlg;
  if (o.kidAlg) inputs.kidAlg = o.kidAlg;
  const notStored = [
    (!isInlineKey(o.kicKey) || !storeKeys(o)) && (o.kicKey !== undefined || process.env.UICC_OTA_KIC) ? 'KIc key' : '',
    (!isInlineKey(o.kidKey) || !storeKeys(o)) && (o.kidKey !== undefined || process.env.UICC_OTA_KID) ? 'KID key' : '',
  ].filter(Boolean);
  if (notStored.length) {
    warnings.push(`the ${notStored.join(' and ')} ${notStored.length > 1 ? 'were' : 'was'} not stored (keys are written only with --store-keys): refer to a keyset file with --keyset, or add test keys under "keys" to the case's inputs, or it will not verify`);
  }
  return { inputs, warnings, keys: resolved };
}

/** A default id from the inputs (the schema allows no "_" in ids: cat_tp → cat-tp). */
function defaultId(r: Resolved, i: Inputs): string {
  const d = r.dialect.replace('_', '-');
  if (r.kind === 'cattp-pdu') return [d, r.kind, i.type, `src${i.srcPort}`, `dst${i.dstPort}`, `seq${i.seq}`, `ack${i.ack}`].join('-');
  const parts = [d, r.kind, ...(r.kind === 'sms' || r.kind === 'por' ? [r.format!] : []), `spi${i.spi}`, `kic${i.kic}`, `kid${i.kid}`, `tar${i.tar}`, `cntr${i.counter}`];
  if (r.kind === 'cattp') parts.push(`pdu${i.maxPdu}`);
  return parts.join('-');
}

/** Order of the options in the stored command line. */
const LINE_ORDER = ((k) => ['type', 'format', ...k.slice(0, k.indexOf('apdu') + 1), 'data', ...k.slice(k.indexOf('apdu') + 1).filter((x) => x !== 'type')])(Object.keys(OPTION_KINDS));

/** A readable copy of the command line (key values never included; defaults left out). */
function commandLine(o: RecordOpts, r: Resolved, given: GivenFn): string {
  const a = ['uicc-ota', 'vectors', 'record', '--out', o.out, '--kind', r.kind, '--dialect', r.dialect];
  const opts = o as unknown as Record<string, unknown>;
  for (const key of LINE_ORDER) {
    if (key === 'format' ? o.format === undefined : !given(key)) continue;
    const v = opts[key];
    const flag = flagOf(key);
    if (key === 'kicKey' || key === 'kidKey') a.push(flag, '…');
    else if (v === true) a.push(flag);
    else if (Array.isArray(v)) for (const x of v) a.push(flag, String(x));
    else if (v !== undefined && v !== false) a.push(flag, String(v));
  }
  return a.map((x) => (/^[\w@%+=:,./\u2026-]+$/.test(x) ? x : `'${x.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Parse output as it will read back from JSON (bigint → number, octets → hex, as `parse --json`). */
function jsonSafe(v: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x instanceof Uint8Array ? toHex(x) : x))) as Record<string, unknown>;
}

/**
 * Refuse to write a case that would not pass `vectors verify`: it must match
 * the schema, and (when its keys are stored) rebuild and re-parse from its
 * own inputs alone, exactly as verify does.
 */
function checkCase(entry: Record<string, unknown>, outFile: string, keysStored: boolean): void {
  const root = vectorSchema();
  const errs = validate(root, { $ref: '#/$defs/case' }, entry, '');
  if (errs.length) throw new InputError(`the case would not match vectors/schema.json (${errs[0].path || 'case'}: ${errs[0].message}); not written`, { field: '--out' });
  if (!keysStored) return;
  const res = runCase(entry, outFile);
  if (res.status !== 'pass') throw new InputError(`the case does not verify from its own inputs (${res.problems[0]?.message ?? res.status}); not written`, { field: '--out' });
}

/** What `vectors record` did: the case written, and warnings for stderr. */
export interface Recorded {
  id: string;
  replaced: boolean;
  out: string;
  hex: string[];
  /** The case as written in the vector file. */
  case: Record<string, unknown>;
  warnings: string[];
}

/** `vectors record`: build, check, and add (or replace) the case in the vector file, atomically. */
export async function recordVector(o: RecordOpts, given: GivenFn = givenByValue(o)): Promise<Recorded> {
  const r = resolveKind(o, given);
  const kind = getKind(r.kind)!;
  const outFile = resolve(o.out);
  let doc: Record<string, unknown>;
  if (existsSync(outFile)) {
    const { error, doc: d } = loadFile(outFile);
    if (error) throw new IoError(`will not add to a file that is not a valid vector file (${error.message})`, { field: o.out });
    doc = d!;
  } else {
    doc = { $schema: vectorSchemaRef(outFile), format: FORMAT, description: o.description ?? 'recorded vectors', cases: [] };
  }
  const { inputs, warnings, keys } = await recordInputs(o, r, given, outFile);
  const id = o.id ?? defaultId(r, inputs);
  const cases = doc.cases as Record<string, unknown>[];
  const at = cases.findIndex((c) => c.id === id);
  if (at >= 0 && !o.force) throw new InputError(`case "${id}" already exists in ${o.out} (use --force to replace it)`, { field: '--id' });

  // Build and parse with the keys the options resolve to, exactly as verify will from the stored inputs.
  const ctx = { file: outFile, dialect: r.dialect, keys };
  const bytes = kind.build(inputs, ctx);
  const fields = jsonSafe(kind.parse(bytes, inputs, ctx));
  const entry: Record<string, unknown> = {
    id,
    kind: r.kind,
    dialect: r.dialect,
    description: o.description ?? `recorded with uicc-ota vectors record`,
    inputs,
    expected: { hex: bytes.length === 1 ? toHex(bytes[0]) : bytes.map(toHex), fields: kind.summary ? kind.summary(fields) : fields },
    provenance: {
      method: 'recorded',
      commands: [commandLine(o, r, given)],
      source: o.provenance ?? 'output of uicc-ota itself, NOT independent: check it against an independent implementation or a real card, then say how here',
    },
  };
  checkCase(entry, outFile, warnings.length === 0);
  if (at >= 0) cases[at] = entry;
  else cases.push(entry);
  writeFileAtomic(outFile, JSON.stringify(doc, null, 2) + '\n');
  if (!o.provenance) warnings.push('no --provenance: the case says it is not independently checked; a golden vector needs an independent source');
  return { id, replaced: at >= 0, out: o.out, hex: bytes.map(toHex), case: entry, warnings };
}

/** --store-keys: inline keys go into the vector file (test keys only); without it no key material is written. */
function storeKeys(o: RecordOpts): boolean {
  return (o as { storeKeys?: boolean }).storeKeys === true;
}

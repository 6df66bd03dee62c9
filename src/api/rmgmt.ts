/**
 * `rfm(operation, options)` and `ram(operation, options)`: remote management
 * scripts (TS 102 226: RFM clause 6, RAM clause 8 with GlobalPlatform
 * commands) secured like `buildSms` / `buildCattp` (TS 102 225 clause 5.1),
 * cut into packets that fit the bearer (one counter per packet). Options are
 * the long options of `uicc-ota rfm|ram` in camelCase. This module builds
 * the scripts; src/api/rmgmt-run.ts runs them in every mode of the command
 * (--por, --card, --send, --format scp81-scripts) and returns the object
 * `--json` prints.
 */
import { readFileSync } from 'node:fs';
import { formatTag } from '../util/json-format.js';
import { InputError, IoError } from '../util/errors.js';
import { fromHex, toHex } from '../util/hex.js';
import { intOption, octet } from '../util/options.js';
import { parseCApdu, toCompactTpdu } from '../remote/index.js';
import type { RemoteScript } from '../remote/script.js';
import type { Bearer } from '../remote/packets.js';
import { keysetOf, keysetKvn } from './keys.js';
import { findKeyset } from '../keys/keyset.js';
import { readKeyMaterial } from '../keys/material.js';
import { secureScript, type AdapterOpts, type ScriptBuild } from './script-packets.js';

export interface RmgmtOptions extends Omit<AdapterOpts, 'bearer' | 'apdu' | 'counter' | 'paddingByte'> {
  /** CNTR of the first packet (default 0), or 'next' (one stored counter per packet). */
  counter?: string | number;
  /** Cipher padding octet (default 00). */
  paddingByte?: string;
  /** Further C-APDUs (hex) appended to the script. */
  apdu?: string[];
  bearer?: string;
  maxSms?: string;
  maxSdu?: string;
  dryRun?: boolean;
  show?: boolean;
  /** The PoR(s) of this script, one hex line each (--format scp81-scripts: response strings, hex or `scp81 serve --responses` JSON lines). The command reads them from stdin for "-". */
  por?: string;
  /** The card simulator (CARD.json path) answers each packet. */
  card?: string;
  cardState?: string;
  /** Send the packets: pcsc (card in a PC/SC reader), smpp (through an SMSC) or cattp (OTA server on UDP, the card connects). */
  send?: string;
  reader?: string;
  /** --send pcsc: the terminal's class (00 UICC, A0 2G SIM), TERMINAL PROFILE (hex or "none"), ADF to select (true: the USIM), general result of other proactive commands' TERMINAL RESPONSE (as send pcsc). */
  cla?: string;
  terminalProfile?: string;
  selectAdf?: string | boolean;
  proactiveResult?: string;
  /** --send: every APDU (pcsc), SMPP PDU (smpp) or CAT_TP PDU (cattp) on stderr (the CLI; the library gets them through the hooks). */
  trace?: boolean;
  timeout?: string;
  host?: string;
  port?: string;
  systemId?: string;
  password?: string;
  dest?: string;
  source?: string;
  /** --format scp81-scripts: the key of the scripts in the `scp81 serve --scripts` file. */
  scp81Agent?: string;
  /** --format scp81-scripts: largest command string in octets (default none); a longer script is split into several. */
  maxScript?: string;
  // rfm
  path?: string;
  family?: string;
  select?: string;
  record?: string;
  recordMode?: string;
  offset?: string;
  length?: string;
  // ram
  cap?: string;
  packageAid?: string;
  appletAid?: string;
  instanceAid?: string;
  sdAid?: string;
  maxBlock?: string;
  install?: boolean;
  privileges?: string;
  appParams?: string;
  toolkitParams?: string;
  uiccToolkit?: boolean;
  maxServices?: string;
  uiccToolkitParams?: string;
  uiccAccess?: string[];
  uiccAdminAccess?: string[];
  hash?: string;
  dap?: string[];
  accessDomain?: string;
  priority?: string;
  maxTimers?: string;
  menuTextLength?: string;
  menu?: string[];
  maxChannels?: string;
  msl?: string;
  toolkitTar?: string[];
  volatileQuota?: string;
  nonVolatileQuota?: string;
  codeSpace?: string;
  aid?: string;
  related?: boolean;
  subset?: string;
  legacy?: boolean;
  newKvn?: string;
  replaceKvn?: string;
  newKic?: string;
  newKid?: string;
  newKik?: string;
  newAlg?: string;
  kikFrom?: string;
  kikKey?: string;
  kikAlg?: string;
}

/** Default TARs (TS 101 220 Annex D): UICC shared file system RFM B00000, SIM file system RFM B00010, Issuer Security Domain 000000. */
export const DEFAULT_TARS = { uicc: 'B00000', sim: 'B00010', ram: '000000' } as const;

function bearerOf(o: RmgmtOptions): Bearer {
  const b = o.bearer ?? 'sms';
  if (o.format === 'scp81-scripts') {
    if (b !== 'sms') throw new InputError('--format scp81-scripts makes SCP81 command strings (HTTPS): drop --bearer', { field: '--bearer' });
    if (o.maxSms !== undefined || o.maxSdu !== undefined) throw new InputError('--format scp81-scripts has no SMS or SDU limit (--max-script bounds a command string)', { field: o.maxSms !== undefined ? '--max-sms' : '--max-sdu' });
    return { kind: 'https', maxScript: o.maxScript !== undefined ? intOption(o.maxScript, '--max-script', 16, 1_000_000) : undefined };
  }
  if (o.scp81Agent !== undefined) throw new InputError('is for --format scp81-scripts', { field: '--scp81-agent' });
  if (o.maxScript !== undefined) throw new InputError('is for --format scp81-scripts', { field: '--max-script' });
  if (b === 'cattp') {
    if (o.format && !['pdu', 'packet'].includes(o.format)) throw new InputError(`format ${o.format} is for SMS-PP; with --bearer cattp use pdu or packet`, { field: '--format' });
    if (o.maxSms !== undefined) throw new InputError('--max-sms is for --bearer sms', { field: '--max-sms' });
    return { kind: 'cattp', maxSdu: o.maxSdu !== undefined ? intOption(o.maxSdu, '--max-sdu', 32, 65535) : 1024 };
  }
  if (b !== 'sms') throw new InputError(`"${b}": sms or cattp`, { field: '--bearer' });
  if (o.format && !['packet', 'ud', 'tpdu', 'envelope'].includes(o.format)) throw new InputError(`format ${o.format} is for CAT_TP; with --bearer sms use packet, ud, tpdu or envelope`, { field: '--format' });
  if (o.maxSdu !== undefined) throw new InputError('--max-sdu is for --bearer cattp', { field: '--max-sdu' });
  return { kind: 'sms', maxSms: o.maxSms !== undefined ? intOption(o.maxSms, '--max-sms', 1, 255) : 1 };
}

const hexOpt = (v: string | undefined, f: string) => (v === undefined ? undefined : fromHex(v, f));
const numOpt = (v: string | undefined, f: string, min: number, max: number) => (v === undefined ? undefined : intOption(v, f, min, max));

function extraApdus(o: RmgmtOptions): Uint8Array[] {
  return (o.apdu ?? []).map((a, i) => {
    const b = fromHex(a, `--apdu ${i + 1}`);
    parseCApdu(b, 'C-APDU', `--apdu ${i + 1}`);
    return b;
  });
}

// ------------------------------------------------------------------ RFM

function family(o: RmgmtOptions): 'sim' | 'uicc' {
  const f = o.family ?? 'uicc';
  if (f !== 'sim' && f !== 'uicc') throw new InputError(`"${f}": sim or uicc`, { field: '--family' });
  return f;
}

async function rfmScript(op: 'read' | 'update' | 'select', o: RmgmtOptions): Promise<() => RemoteScript> {
  const { rfm } = await import('../remote/rfm.js');
  if (!o.path) throw new InputError('missing (give e.g. --path 3F00/7F20/6F07)', { field: '--path' });
  const fam = family(o);
  if (o.select !== undefined && o.select !== 'path' && o.select !== 'fid') throw new InputError(`"${o.select}": path or fid`, { field: '--select' });
  const sel = o.select as 'path' | 'fid' | undefined;
  const recordMode = o.recordMode === undefined ? undefined : ['absolute', 'next', 'previous', 'current'].includes(o.recordMode)
    ? (o.recordMode as 'absolute') : (() => { throw new InputError(`"${o.recordMode}": absolute, next, previous or current`, { field: '--record-mode' }); })();
  const t = { path: o.path, family: fam, select: sel, record: numOpt(o.record, '--record', 1, 254), recordMode, offset: numOpt(o.offset, '--offset', 0, 0x7fff) };
  rfm.parsePath(o.path); // bad path: exit 2 before anything else
  if (op === 'read') {
    if (o.data !== undefined) throw new InputError('rfm read takes no --data', { field: '--data' });
    const length = numOpt(o.length, '--length', 0, 256);
    return () => rfm.read({ ...t, length });
  }
  if (op === 'update') {
    if (o.data === undefined) throw new InputError('missing: the octets to write (--data HEX)', { field: '--data' });
    const data = fromHex(o.data, '--data');
    return () => rfm.update({ ...t, data });
  }
  if (o.data !== undefined) throw new InputError('rfm select takes no --data', { field: '--data' });
  return () => rfm.select(t);
}

// ------------------------------------------------------------------ RAM

function aidOpt(v: string | undefined, field: string): Uint8Array | undefined {
  if (v === undefined) return undefined;
  const b = fromHex(v, field);
  if (b.length < 5 || b.length > 16) throw new InputError(`an AID is 5 … 16 octets (ISO/IEC 7816-5), got ${b.length}`, { field });
  return b;
}

async function installOptions(o: RmgmtOptions, loadFileAid: Uint8Array | undefined, moduleAid: Uint8Array | undefined) {
  const gp = await import('../remote/gp/index.js');
  if (!loadFileAid) throw new InputError('missing (give --package-aid, the executable load file AID)', { field: '--package-aid' });
  if (!moduleAid) throw new InputError('missing (give --applet-aid, the executable module AID)', { field: '--applet-aid' });
  let toolkit: Uint8Array | undefined;
  const named = [o.accessDomain, o.priority, o.maxTimers, o.menuTextLength, o.maxChannels, o.msl].some((x) => x !== undefined) || (o.menu?.length ?? 0) > 0 || (o.toolkitTar?.length ?? 0) > 0;
  const uicc = await uiccParams(o);
  // With --uicc-toolkit (or --max-services) the named toolkit options go into the UICC toolkit field (EA/80), not the SIM one (CA).
  const namedInUicc = Boolean(o.uiccToolkit) || o.maxServices !== undefined;
  if (namedInUicc) {
    // nothing for CA
  } else if (o.toolkitParams !== undefined) {
    if (named) throw new InputError('give either --toolkit-params HEX or the named toolkit options, not both', { field: '--toolkit-params' });
    toolkit = fromHex(o.toolkitParams, '--toolkit-params');
  } else if (named) {
    toolkit = gp.toolkitParams({
      accessDomain: hexOpt(o.accessDomain, '--access-domain'),
      ...toolkitFields(o),
    });
  }
  return {
    loadFileAid, moduleAid, instanceAid: aidOpt(o.instanceAid, '--instance-aid'),
    privileges: hexOpt(o.privileges, '--privileges'),
    params: {
      appParams: hexOpt(o.appParams, '--app-params'),
      volatileQuota: numOpt(o.volatileQuota, '--volatile-quota', 0, 0xffffffff),
      nonVolatileQuota: numOpt(o.nonVolatileQuota, '--non-volatile-quota', 0, 0xffffffff),
      toolkit,
      uicc,
    },
  };
}

/** The toolkit fields shared by the SIM (CA) and UICC (EA/80) toolkit parameters, from the named options. */
function toolkitFields(o: RmgmtOptions) {
  return {
    priority: numOpt(o.priority, '--priority', 0, 255),
    maxTimers: numOpt(o.maxTimers, '--max-timers', 0, 255),
    menuTextLength: numOpt(o.menuTextLength, '--menu-text-length', 0, 255),
    menuEntries: (o.menu ?? []).map((m) => {
      const x = /^(\d+):(\d+)$/.exec(m.trim());
      if (!x) throw new InputError(`"${m}": give POSITION:IDENTIFIER, e.g. 1:1`, { field: '--menu' });
      return { position: intOption(x[1], '--menu position', 0, 255), id: intOption(x[2], '--menu identifier', 0, 255) };
    }),
    maxChannels: numOpt(o.maxChannels, '--max-channels', 0, 255),
    msl: hexOpt(o.msl, '--msl'),
    tars: (o.toolkitTar ?? []).map((t) => fromHex(t, '--toolkit-tar')),
  };
}

/** `--access-list` style value: [ADF_AID]:ACCESS_DOMAIN[:DAP] (empty AID: the UICC shared file system). */
function accessEntry(v: string, field: string) {
  const m = /^([0-9A-Fa-f]*):([0-9A-Fa-f]+)(?::([0-9A-Fa-f]*))?$/.exec(v.replace(/\s/g, ''));
  if (!m) throw new InputError(`"${v}": give [ADF_AID]:ACCESS_DOMAIN[:DAP] in hex, e.g. :00 (UICC shared file system, full access) or A0000000871002:00`, { field });
  const adf = m[1] ? aidOpt(m[1], field) : undefined;
  return { adf, accessDomain: fromHex(m[2], field), dap: m[3] ? fromHex(m[3], field) : undefined };
}

/** UICC System Specific Parameters (EA, TS 102 226 cl. 8.2.1.3.2.2) from --uicc-toolkit / --max-services / --uicc-toolkit-params / --uicc-access / --uicc-admin-access. */
async function uiccParams(o: RmgmtOptions) {
  const gp = await import('../remote/gp/index.js');
  const wantsToolkit = Boolean(o.uiccToolkit) || o.maxServices !== undefined;
  if (wantsToolkit && o.uiccToolkitParams !== undefined) throw new InputError('give either --uicc-toolkit-params HEX or --uicc-toolkit with the named toolkit options, not both', { field: '--uicc-toolkit-params' });
  if (wantsToolkit && o.toolkitParams !== undefined) throw new InputError('--toolkit-params is the SIM toolkit field (CA); with --uicc-toolkit use the named options or --uicc-toolkit-params', { field: '--toolkit-params' });
  if (wantsToolkit && o.accessDomain !== undefined) throw new InputError('the UICC toolkit field (EA/80) has no access domain: give --uicc-access [ADF]:DOMAIN', { field: '--access-domain' });
  let toolkit: Uint8Array | undefined;
  if (o.uiccToolkitParams !== undefined) toolkit = fromHex(o.uiccToolkitParams, '--uicc-toolkit-params');
  else if (wantsToolkit) {
    toolkit = gp.uiccToolkitParams({
      ...toolkitFields(o),
      maxServices: numOpt(o.maxServices, '--max-services', 0, 255),
    });
  }
  const access = (o.uiccAccess ?? []).map((v) => accessEntry(v, '--uicc-access'));
  const admin = (o.uiccAdminAccess ?? []).map((v) => accessEntry(v, '--uicc-admin-access'));
  if (!toolkit && !access.length && !admin.length) return undefined;
  return {
    toolkit,
    access: access.length ? gp.uiccAccessParams(access) : undefined,
    adminAccess: admin.length ? gp.uiccAccessParams(admin) : undefined,
  };
}

function readCapFile(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new IoError(`cannot read CAP file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { field: path });
  }
}

async function putKeyRequest(o: RmgmtOptions) {
  const gp = await import('../remote/gp/index.js');
  if (o.newKvn === undefined) throw new InputError('missing: the key version number of the new keys (--new-kvn N)', { field: '--new-kvn' });
  const newKvn = intOption(o.newKvn, '--new-kvn', 1, 0x7f);
  const alg = o.newAlg ?? '3des';
  if (alg !== '3des' && alg !== 'aes') throw new InputError(`"${alg}": 3des or aes`, { field: '--new-alg' });
  const family = alg === 'aes' ? 'aes' : 'des';
  const keys: { id: number; family: 'des' | 'aes'; key: Uint8Array }[] = [];
  if (o.newKic) keys.push({ id: 1, family, key: readKeyMaterial(o.newKic, '--new-kic') });
  if (o.newKid) keys.push({ id: 2, family, key: readKeyMaterial(o.newKid, '--new-kid') });
  if (o.newKik) keys.push({ id: 3, family, key: readKeyMaterial(o.newKik, '--new-kik') });
  for (const k of keys) gp.checkFamilyKey(k.family, k.key, ['', '--new-kic', '--new-kid', '--new-kik'][k.id]);
  let kik: { family: 'des' | 'aes'; key: Uint8Array };
  if (o.kikKey) {
    const a = o.kikAlg ?? '3des';
    if (a !== '3des' && a !== 'aes') throw new InputError(`"${a}": 3des or aes`, { field: '--kik-alg' });
    kik = { family: a === 'aes' ? 'aes' : 'des', key: readKeyMaterial(o.kikKey, '--kik-key') };
  } else {
    if (o.kikFrom !== undefined && o.kikFrom !== 'keyset') throw new InputError(`"${o.kikFrom}": only "keyset" (or give --kik-key)`, { field: '--kik-from' });
    const ks = keysetOf(o);
    if (!ks) throw new InputError('the KIK comes from the keyset: give --keyset (or --kik-key HEX)', { field: '--kik-from' });
    // The KIK of the key set that secures the command: the KID's KVN (or KIc's), else --kvn / the keyset default.
    const kvn = o.kid !== undefined ? octet(o.kid, 'KID') >> 4 : o.kic !== undefined ? octet(o.kic, 'KIc') >> 4 : keysetKvn(o, ks);
    const e = findKeyset(ks, kvn)?.kik;
    if (!e) throw new InputError(`keyset ${ks.path} has no kik key for KVN ${kvn}`, { field: '--kik-from' });
    kik = { family: gp.familyOf(e.algorithm), key: e.key };
  }
  gp.checkFamilyKey(kik.family, kik.key, 'KIK');
  return { newKvn, replaceKvn: numOpt(o.replaceKvn, '--replace-kvn', 0, 0x7f), keys, kik };
}

// ------------------------------------------------------------------ common

/** A step's C-APDU as coded in the script: compact = T=0 TPDU (case 4 without Le), expanded = ISO form. */
export function codedApdu(apdu: Uint8Array, o: RmgmtOptions): string {
  return toHex(o.expanded ? apdu : toCompactTpdu(parseCApdu(apdu, 'C-APDU')));
}


export type RfmOperation = 'read' | 'update' | 'select';
export type RamOperation = 'load' | 'install' | 'delete' | 'status' | 'put-key';
export type ScriptMaker = Parameters<typeof secureScript>[4];

async function ramScript(op: RamOperation, o: RmgmtOptions): Promise<ScriptMaker> {
  const gp = await import('../remote/gp/index.js');
  if (o.data !== undefined) throw new InputError(`ram ${op} takes no --data (the script is built from the options; add commands with --apdu)`, { field: '--data' });

  if (op === 'load') {
    if (!o.cap) throw new InputError('missing (give --cap FILE.cap)', { field: '--cap' });
    const cap = gp.readCap(readCapFile(o.cap), `CAP file ${o.cap}`);
    const pkg = aidOpt(o.packageAid, '--package-aid') ?? cap.packageAid;
    const applet = aidOpt(o.appletAid, '--applet-aid') ?? (o.install || o.instanceAid ? cap.appletAids[0] : undefined);
    const install = o.install || o.instanceAid || o.appletAid ? await installOptions(o, pkg, applet) : undefined;
    const sdAid = aidOpt(o.sdAid, '--sd-aid');
    const maxBlock = numOpt(o.maxBlock, '--max-block', 1, 255);
    const codeSpace = numOpt(o.codeSpace, '--code-space', 0, 0xffffffff);
    const bearer = bearerOf(o);
    if (o.hash !== undefined && !(o.hash in gp.HASH_ALGS)) throw new InputError(`"${o.hash}": sha1 or sha256`, { field: '--hash' });
    const hash = o.hash as keyof typeof gp.HASH_ALGS | undefined;
    const dap = (o.dap ?? []).map((v) => {
      const m = /^([0-9A-Fa-f]+)(?::([0-9A-Fa-f]*))?$/.exec(v.replace(/\s/g, ''));
      if (!m) throw new InputError(`"${v}": give SD_AID[:SIGNATURE] in hex`, { field: '--dap' });
      return { sdAid: aidOpt(m[1], '--dap')!, signature: fromHex(m[2] ?? '', '--dap') };
    });
    if (dap.length && !hash) throw new InputError('a DAP signs the Load File Data Block hash (GP cl. C.2): give --hash sha1|sha256 too', { field: '--dap' });
    const { fitBlockSize } = await import('../remote/packets.js');
    return ({ sizer, script }) => gp.ram.load({ cap, packageAid: pkg, sdAid, params: { codeSpace }, blockSize: fitBlockSize(sizer, script, bearer, maxBlock), install, hash, dap });
  } else if (op === 'install') {
    const inst = await installOptions(o, aidOpt(o.packageAid, '--package-aid'), aidOpt(o.appletAid, '--applet-aid'));
    return () => gp.ram.install(inst);
  } else if (op === 'delete') {
    const aid = aidOpt(o.aid, '--aid');
    if (!aid) throw new InputError('missing (give --aid HEX)', { field: '--aid' });
    return () => gp.ram.delete(aid, o.related);
  } else if (op === 'status') {
    const subset = (o.subset ?? 'apps') as keyof typeof gp.STATUS_P1;
    if (!(subset in gp.STATUS_P1)) throw new InputError(`"${o.subset}": isd, apps, load-files or modules`, { field: '--subset' });
    const aid = o.aid === undefined ? undefined : fromHex(o.aid, '--aid');
    return () => gp.ram.status(subset, { aid, legacy: o.legacy });
  } else {
    const req = await putKeyRequest(o);
    return () => gp.ram.putKey(req);
  }
}

/**
 * What `rfm OP` / `ram OP` secure: the script maker, the default TAR (TS 101
 * 220 Annex D) and the options the packets are secured with (for rfm, --data
 * is the RFM payload, not raw secured data).
 */
export async function rmgmtScript(kind: 'rfm' | 'ram', op: string, o: RmgmtOptions): Promise<{ make: ScriptMaker; defaultTar: string; opts: RmgmtOptions }> {
  if (kind === 'rfm') {
    if (!['read', 'update', 'select'].includes(op)) throw new InputError(`"${op}": read, update or select`, { field: 'operation' });
    const make = await rfmScript(op as RfmOperation, o);
    return { make: () => make(), defaultTar: DEFAULT_TARS[family(o)], opts: { ...o, data: undefined } };
  }
  if (!['load', 'install', 'delete', 'status', 'put-key'].includes(op)) throw new InputError(`"${op}": load, install, delete, status or put-key`, { field: 'operation' });
  return { make: await ramScript(op as RamOperation, o), defaultTar: DEFAULT_TARS.ram, opts: o };
}

/** The bearer (--bearer, --max-sms, --max-sdu, --format scp81-scripts) and the extra C-APDUs (--apdu), checked. */
export function scriptBearer(o: RmgmtOptions): { bearer: Bearer; extra: Uint8Array[] } {
  return { bearer: bearerOf(o), extra: extraApdus(o) };
}

/** The `--json` object of a built script (`dry`: `--dry-run --json`, nothing secured). */
export function scriptJson(b: ScriptBuild & { script: RemoteScript }, bearer: Bearer, o: RmgmtOptions, dry: boolean): Record<string, unknown> {
  if (dry) return { format: formatTag('rmgmt-script'), operation: `${b.script.kind} ${b.script.operation}`, dryRun: true, notes: b.script.notes, packets: b.plans.map((p) => ({ apdus: p.steps.map((s) => codedApdu(s.apdu, o)), steps: p.steps.map((s) => s.title), data: toHex(p.data) })) };
  return {
    format: formatTag('rmgmt-script'), operation: `${b.script.kind} ${b.script.operation}`, bearer: bearer.kind, outputFormat: o.format ?? (bearer.kind === 'sms' ? 'packet' : 'pdu'), notes: b.script.notes,
    packets: b.packets.map((c, i) => ({ counter: Number(c.counter), apdus: b.plans[i].steps.map((s) => codedApdu(s.apdu, o)), steps: b.plans[i].steps.map((s) => s.title), packet: toHex(c.bytes), output: b.frames[i].map(toHex) })),
  };
}

/**
 * `rfm read|update|select` and `ram load|install|delete|status|put-key`:
 * remote management scripts (TS 102 226) secured like `build sms` / `build
 * cattp`, cut into packets that fit the bearer (one counter per packet),
 * printed at the requested layer, or answered by the card simulator
 * (--card), or — with --por — the PoR decoded against what was asked.
 */
import { formatTag } from '../../util/json-format.js';
import { readFileSync } from 'node:fs';
import { InputError, IoError, VerifyError } from '../../util/errors.js';
import { fromHex, hex2, toHex } from '../../util/hex.js';
import { node, type TreeNode } from '../../render/tree.js';
import { insName, parseCApdu, toCompactTpdu } from '../../remote/index.js';
import type { RemoteScript } from '../../remote/script.js';
import type { Bearer } from '../../remote/packets.js';
import { answerTree, decodeAnswer, type ScriptAnswer } from '../../remote/answer.js';
import { intOption, octet, readStdin } from '../input.js';
import { printJson, printTree, writeOut, type OutputOptions } from '../output.js';
import { keysetOf, keysetKvn } from '../../api/keys.js';
import { findKeyset } from '../../keys/keyset.js';
import { readKeyMaterial } from '../../keys/material.js';
import { readPor, secureScript, type AdapterOpts, type ScriptBuild } from './rmgmt-adapter.js';

export interface RmgmtOpts extends Omit<AdapterOpts, 'bearer'>, OutputOptions {
  bearer?: string;
  maxSms?: string;
  maxSdu?: string;
  dryRun?: boolean;
  show?: boolean;
  por?: string;
  card?: string;
  cardState?: string;
  /** Send the packets: pcsc (card in a PC/SC reader) or smpp (through an SMSC). */
  send?: string;
  reader?: string;
  timeout?: string;
  host?: string;
  port?: string;
  systemId?: string;
  password?: string;
  dest?: string;
  source?: string;
  /** --format scp81-scripts: the key of the scripts in the `scp81 serve --scripts` file. */
  scp81Agent?: string;
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

function bearerOf(o: RmgmtOpts): Bearer {
  const b = o.bearer ?? 'sms';
  if (o.format === 'scp81-scripts') {
    if (b !== 'sms') throw new InputError('--format scp81-scripts makes SCP81 command strings (HTTPS): drop --bearer', { field: '--bearer' });
    if (o.maxSms !== undefined || o.maxSdu !== undefined) throw new InputError('--format scp81-scripts has no SMS or SDU limit', { field: o.maxSms !== undefined ? '--max-sms' : '--max-sdu' });
    return { kind: 'https' };
  }
  if (o.scp81Agent !== undefined) throw new InputError('is for --format scp81-scripts', { field: '--scp81-agent' });
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

function extraApdus(o: RmgmtOpts): Uint8Array[] {
  return o.apdu.map((a, i) => {
    const b = fromHex(a, `--apdu ${i + 1}`);
    parseCApdu(b, 'C-APDU', `--apdu ${i + 1}`);
    return b;
  });
}

// ------------------------------------------------------------------ RFM

function family(o: RmgmtOpts): 'sim' | 'uicc' {
  const f = o.family ?? 'uicc';
  if (f !== 'sim' && f !== 'uicc') throw new InputError(`"${f}": sim or uicc`, { field: '--family' });
  return f;
}

async function rfmScript(op: 'read' | 'update' | 'select', o: RmgmtOpts): Promise<() => RemoteScript> {
  const { rfm } = await import('../../remote/rfm.js');
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

export async function rfmCommand(op: 'read' | 'update' | 'select', o: RmgmtOpts): Promise<void> {
  const make = await rfmScript(op, o);
  // --data is the RFM payload, not the raw secured data of build sms.
  await run({ ...o, data: undefined }, DEFAULT_TARS[family(o)], () => make());
}

// ------------------------------------------------------------------ RAM

function aidOpt(v: string | undefined, field: string): Uint8Array | undefined {
  if (v === undefined) return undefined;
  const b = fromHex(v, field);
  if (b.length < 5 || b.length > 16) throw new InputError(`an AID is 5 … 16 octets (ISO/IEC 7816-5), got ${b.length}`, { field });
  return b;
}

async function installOptions(o: RmgmtOpts, loadFileAid: Uint8Array | undefined, moduleAid: Uint8Array | undefined) {
  const gp = await import('../../remote/gp/index.js');
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

/** `--access-list` style value: [ADF_AID]:ACCESS_DOMAIN[:DAP] (empty AID: the UICC shared file system). */
function accessEntry(v: string, field: string) {
  const m = /^([0-9A-Fa-f]*):([0-9A-Fa-f]+)(?::([0-9A-Fa-f]*))?$/.exec(v.replace(/\s/g, ''));
  if (!m) throw new InputError(`"${v}": give [ADF_AID]:ACCESS_DOMAIN[:DAP] in hex, e.g. :00 (UICC shared file system, full access) or A0000000871002:00`, { field });
  const adf = m[1] ? aidOpt(m[1], field) : undefined;
  return { adf, accessDomain: fromHex(m[2], field), dap: m[3] ? fromHex(m[3], field) : undefined };
}

/** UICC System Specific Parameters (EA, TS 102 226 cl. 8.2.1.3.2.2) from --uicc-toolkit / --max-services / --uicc-toolkit-params / --uicc-access / --uicc-admin-access. */
async function uiccParams(o: RmgmtOpts) {
  const gp = await import('../../remote/gp/index.js');
  const wantsToolkit = Boolean(o.uiccToolkit) || o.maxServices !== undefined;
  if (wantsToolkit && o.uiccToolkitParams !== undefined) throw new InputError('give either --uicc-toolkit-params HEX or --uicc-toolkit with the named toolkit options, not both', { field: '--uicc-toolkit-params' });
  if (wantsToolkit && o.toolkitParams !== undefined) throw new InputError('--toolkit-params is the SIM toolkit field (CA); with --uicc-toolkit use the named options or --uicc-toolkit-params', { field: '--toolkit-params' });
  if (wantsToolkit && o.accessDomain !== undefined) throw new InputError('the UICC toolkit field (EA/80) has no access domain: give --uicc-access [ADF]:DOMAIN', { field: '--access-domain' });
  let toolkit: Uint8Array | undefined;
  if (o.uiccToolkitParams !== undefined) toolkit = fromHex(o.uiccToolkitParams, '--uicc-toolkit-params');
  else if (wantsToolkit) {
    toolkit = gp.uiccToolkitParams({
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

export async function ramCommand(op: 'load' | 'install' | 'delete' | 'status' | 'put-key', o: RmgmtOpts): Promise<void> {
  const gp = await import('../../remote/gp/index.js');
  if (o.data !== undefined) throw new InputError(`ram ${op} takes no --data (the script is built from the options; add commands with --apdu)`, { field: '--data' });
  let make: (fit: Parameters<Parameters<typeof secureScript>[4]>[0]) => RemoteScript;
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
    const { fitBlockSize } = await import('../../remote/packets.js');
    make = ({ sizer, script }) => gp.ram.load({ cap, packageAid: pkg, sdAid, params: { codeSpace }, blockSize: fitBlockSize(sizer, script, bearer, maxBlock), install, hash, dap });
  } else if (op === 'install') {
    const inst = await installOptions(o, aidOpt(o.packageAid, '--package-aid'), aidOpt(o.appletAid, '--applet-aid'));
    make = () => gp.ram.install(inst);
  } else if (op === 'delete') {
    const aid = aidOpt(o.aid, '--aid');
    if (!aid) throw new InputError('missing (give --aid HEX)', { field: '--aid' });
    make = () => gp.ram.delete(aid, o.related);
  } else if (op === 'status') {
    const subset = (o.subset ?? 'apps') as keyof typeof gp.STATUS_P1;
    if (!(subset in gp.STATUS_P1)) throw new InputError(`"${o.subset}": isd, apps, load-files or modules`, { field: '--subset' });
    const aid = o.aid === undefined ? undefined : fromHex(o.aid, '--aid');
    make = () => gp.ram.status(subset, { aid, legacy: o.legacy });
  } else {
    const req = await putKeyRequest(o);
    make = () => gp.ram.putKey(req);
  }
  await run(o, DEFAULT_TARS.ram, make);
}

/** PUT KEY: the new keys (family from --new-alg), wrapped with the KIK of the securing key set (or --kik-key). */
async function putKeyRequest(o: RmgmtOpts) {
  const gp = await import('../../remote/gp/index.js');
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
function coded(apdu: Uint8Array, o: RmgmtOpts): string {
  return toHex(o.expanded ? apdu : toCompactTpdu(parseCApdu(apdu, 'C-APDU')));
}

function scriptTree(b: ScriptBuild & { script: RemoteScript }, dry: boolean, o: RmgmtOpts): TreeNode {
  const packets = b.plans.map((p, i) => {
    const counter = b.packets[i] ? `CNTR ${b.packets[i].counter}` : 'counter not reserved';
    return node(`Packet ${i + 1}`, `${p.data.length} octets of secured data, ${counter}`, p.steps.map((s) => {
      const a = parseCApdu(s.apdu, 'C-APDU');
      return node(s.title, `${insName(a) ?? hex2(a.ins)} ${toHex(s.apdu.subarray(0, 4))}`, undefined, { hex: coded(s.apdu, o) });
    }));
  });
  return node(`${b.script.kind.toUpperCase()} ${b.script.operation}`, `${b.plans.length} packet${b.plans.length > 1 ? 's' : ''}, TAR ${toHex(b.tar)}, SPI ${b.spi}, KIc ${hex2(b.kic)}, KID ${hex2(b.kid)}${dry ? ' (dry run: nothing secured)' : ''}`,
    [...b.script.notes.map((n) => node('Note', n)), ...packets]);
}

function porLines(arg: string): Uint8Array[] {
  const text = arg === '-' ? readStdin() : arg;
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (!lines.length) throw new InputError('no PoR given', { field: '--por' });
  return lines.map((l, i) => fromHex(l, lines.length > 1 ? `--por line ${i + 1}` : '--por'));
}

interface PorOutcome {
  packet: number;
  status: string;
  statusName?: string;
  verified: boolean | null;
  failures: string[];
  answer?: ScriptAnswer;
  tree: TreeNode[];
}

async function decodePor(b: ScriptBuild, planIndex: number, por: Uint8Array | Uint8Array[], o: RmgmtOpts): Promise<PorOutcome> {
  const r = await readPor(por, b, o);
  const resp = r.response!;
  const failures = [...r.failures];
  const status = resp.status ?? 0xff;
  if (status !== 0) failures.push(`PoR status ${hex2(status)}`);
  let answer: ScriptAnswer | undefined;
  if (resp.data && resp.data.length) {
    answer = decodeAnswer(resp.data, b.plans[planIndex].steps);
    if (!answer.ok) failures.push(`packet ${planIndex + 1}: ${answer.problem}`);
  }
  return {
    packet: planIndex + 1, status: hex2(status), statusName: (r.json as { status?: { name?: string } }).status?.name,
    verified: failures.length ? false : resp.checksum.verified ?? null, failures, answer,
    tree: [r.tree, ...(answer ? [answerTree(answer)] : [])],
  };
}

async function run(o: RmgmtOpts, defaultTar: string, make: Parameters<typeof secureScript>[4]): Promise<void> {
  const bearer = bearerOf(o);
  const extra = extraApdus(o);
  const modes = [o.dryRun && '--dry-run', o.por !== undefined && '--por', o.card && '--card', o.send && '--send'].filter(Boolean);
  if (modes.length > 1) throw new InputError(`give only one of ${modes.join(', ')}`, { field: String(modes[1]) });
  if (bearer.kind === 'https') {
    if (o.send) throw new InputError('with --format scp81-scripts the scripts go out by scp81 serve --scripts', { field: '--send' });
    return runScp81(o, bearer, extra, make);
  }
  // The transport is checked (options, binding) before any counter is reserved.
  const via = o.send ? await deliveryOf(o, bearer) : undefined;
  const dry = Boolean(o.dryRun || o.por !== undefined);
  const format = via ? (via.kind === 'pcsc' ? 'envelope' : 'ud') : o.format;
  const b = await secureScript({ ...o, bearer, format }, defaultTar, extra, dry, make);

  if (via) {
    const { sendScriptPackets } = await import('../../api/script-send.js');
    const outs: PorOutcome[] = [];
    try {
      await sendScriptPackets(b.packets, b.frames, b.keys, via, async (sent) => {
        let out: PorOutcome;
        if (!sent.porUds) {
          const failed = b.packets[sent.packet - 1].spi.porRequest === 'required';
          out = { packet: sent.packet, status: 'FF', statusName: 'no PoR', verified: null, failures: failed ? [`packet ${sent.packet}: ${sent.notes.join('; ') || 'no PoR'}`] : [], tree: [node(`Packet ${sent.packet}`, `no PoR (${sent.notes.join('; ')})`)] };
        } else {
          out = await decodePor(b, sent.packet - 1, sent.porUds, o);
          const head = sent.pcsc ? `${sent.pcsc.reader}${sent.pcsc.atr ? `, ATR ${toHex(sent.pcsc.atr)}` : ''}, PoR by ${sent.via === 'submit' ? 'SEND SHORT MESSAGE (SMS-SUBMIT)' : 'ENVELOPE response (SMS-DELIVER-REPORT)'}` : 'PoR in a deliver_sm';
          out.tree = [node(`Packet ${sent.packet} via ${via.kind}`, head, sent.notes.map((n) => node('Note', n))), ...out.tree];
        }
        outs.push(out);
        return out.failures.length === 0; // an OTA server stops at the first failing packet
      });
    } catch (e) {
      if (outs.length) await report(outs, o, b).catch(() => undefined);
      throw e;
    }
    await report(outs, o, b);
    return;
  }

  if (o.dryRun) {
    if (o.json) printJson({ format: formatTag('rmgmt-script'), operation: `${b.script.kind} ${b.script.operation}`, dryRun: true, notes: b.script.notes, packets: b.plans.map((p) => ({ apdus: p.steps.map((s) => coded(s.apdu, o)), steps: p.steps.map((s) => s.title), data: toHex(p.data) })) });
    else await printTree([scriptTree(b, true, o)], o);
    return;
  }

  if (o.por !== undefined) {
    const pors = porLines(o.por);
    if (pors.length > b.plans.length) throw new InputError(`${pors.length} PoRs for a script of ${b.plans.length} packet${b.plans.length > 1 ? 's' : ''}`, { field: '--por' });
    // N PoRs answer the last N packets (usually: the one PoR of a one-packet script).
    const first = b.plans.length - pors.length;
    const outs: PorOutcome[] = [];
    for (let i = 0; i < pors.length; i++) outs.push(await decodePor(b, first + i, pors[i], o));
    await report(outs, o);
    return;
  }

  if (o.card) {
    const { processWithState } = await import('./card.js');
    const outs: PorOutcome[] = [];
    for (let i = 0; i < b.packets.length; i++) {
      const r = await processWithState({ card: o.card, state: o.cardState }, b.packets[i].bytes, b.dialect);
      const p = r.porPacket;
      if (!p) {
        outs.push({ packet: i + 1, status: hex2(r.status), statusName: r.statusName, verified: null, failures: r.status ? [`packet ${i + 1}: status ${hex2(r.status)} ${r.statusName}, no PoR`] : [], tree: [node(`Packet ${i + 1}`, `no PoR (status ${hex2(r.status)} ${r.statusName})`)] });
      } else {
        // The complete PoR (status 0B: the one sent by SMS-SUBMIT).
        const full = r.pors[r.pors.length - 1].packet;
        outs.push(await decodePor(b, i, b.dialect.name === 'cat_tp' ? full : smsPorUd(full), o));
      }
      if (outs[outs.length - 1].failures.length) break; // an OTA server stops at the first failing packet
    }
    await report(outs, o, b);
    return;
  }

  const lines = b.frames.flat().map(toHex);
  if (o.json) {
    printJson({
      format: formatTag('rmgmt-script'), operation: `${b.script.kind} ${b.script.operation}`, bearer: bearer.kind, outputFormat: o.format ?? (bearer.kind === 'sms' ? 'packet' : 'pdu'), notes: b.script.notes,
      packets: b.packets.map((c, i) => ({ counter: Number(c.counter), apdus: b.plans[i].steps.map((s) => coded(s.apdu, o)), steps: b.plans[i].steps.map((s) => s.title), packet: toHex(c.bytes), output: b.frames[i].map(toHex) })),
    });
  } else if (o.show) {
    await printTree([scriptTree(b, false, o)], o);
  } else writeOut(lines.join('\n'));
}

/** SMS-PP PoR packet as the user data `02 71 00 …` that `parse` recognises. */
function smsPorUd(packet: Uint8Array): Uint8Array {
  return Uint8Array.from([0x02, 0x71, 0x00, ...packet]);
}

async function report(outs: PorOutcome[], o: RmgmtOpts, b?: ScriptBuild, scripts?: number): Promise<void> {
  const failures = outs.flatMap((x) => x.failures);
  if (o.json) {
    printJson({ format: formatTag('rmgmt-pors'), ...(scripts !== undefined ? { bearer: 'https' } : {}), packets: b ? b.packets.length : scripts, pors: outs.map((x) => ({ packet: x.packet, status: x.status, statusName: x.statusName, verified: x.verified, failures: x.failures, answer: x.answer ?? null })) });
  } else {
    const trees = outs.flatMap((x) => (outs.length > 1 ? [node(`PoR of packet ${x.packet}`, `status ${x.status}`, x.tree, { status: x.failures.length ? 'fail' : 'ok' })] : x.tree));
    await printTree(trees, o);
  }
  if (failures.length) throw new VerifyError(failures.join('; '));
}

// ------------------------------------------------------------------ SCP81 (HTTPS)

/**
 * --format scp81-scripts: the script as SCP81 command strings (expanded
 * format, indefinite length: TS 102 226 cl. 5.2 and the HTTPS binding of
 * GP Amendment B), in the JSON file `scp81 serve --scripts` reads. Nothing
 * is secured here (PSK-TLS secures the session) and no counter is used.
 * With --por: the response strings (hex, or the JSON lines of `scp81 serve
 * --responses`) decoded against what was asked.
 */
async function runScp81(o: RmgmtOpts, bearer: Bearer, extra: Uint8Array[], make: Parameters<typeof secureScript>[4]): Promise<void> {
  if (o.card) throw new InputError('with --format scp81-scripts the card is reached by HTTPS: run scp81 serve --scripts FILE and scp81 agent --card CARD.json', { field: '--card' });
  if (o.show) throw new InputError('use --dry-run to see the script as a tree', { field: '--show' });
  const { planPackets } = await import('../../remote/packets.js');
  const { encodeCommandScript } = await import('../../remote/index.js');
  const opt = (v: string | undefined, f: string) => (v === undefined ? undefined : fromHex(v, f));
  const scriptOpts = {
    format: 'expanded' as const, indefinite: true,
    immediateAction: opt(o.immediateAction, '--immediate-action'), errorAction: opt(o.errorAction, '--error-action'), scriptChaining: opt(o.scriptChaining, '--script-chaining'),
  };
  const always = () => true;
  const script = make({ sizer: always, script: scriptOpts });
  const plans = planPackets(script, extra, scriptOpts, always, bearer);
  const agent = o.scp81Agent ?? '*';
  const label = `${script.kind.toUpperCase()} ${script.operation}`;
  if (o.dryRun) {
    if (o.json) printJson({ format: formatTag('rmgmt-script'), operation: `${script.kind} ${script.operation}`, dryRun: true, bearer: 'https', notes: script.notes, packets: plans.map((p) => ({ apdus: p.steps.map((st) => toHex(st.apdu)), steps: p.steps.map((st) => st.title), data: toHex(p.data) })) });
    else {
      await printTree([node(label, `${plans.length} SCP81 command string${plans.length > 1 ? 's' : ''} for agent "${agent}" (dry run)`, [
        ...script.notes.map((n) => node('Note', n)),
        ...plans.map((p, i) => node(`Script ${i + 1}`, `${p.data.length} octets`, p.steps.map((st) => {
          const a = parseCApdu(st.apdu, 'C-APDU');
          return node(st.title, `${insName(a) ?? hex2(a.ins)} ${toHex(st.apdu.subarray(0, 4))}`, undefined, { hex: toHex(st.apdu) });
        }))),
      ])], o);
    }
    return;
  }
  if (o.por !== undefined) {
    const responses = responseStrings(o.por);
    if (responses.length > plans.length) throw new InputError(`${responses.length} response strings for ${plans.length} script${plans.length > 1 ? 's' : ''}`, { field: '--por' });
    const first = plans.length - responses.length;
    const outs: PorOutcome[] = responses.map((r, i) => {
      const plan = plans[first + i];
      let answer: ScriptAnswer;
      try {
        answer = decodeAnswer(r, plan.steps);
      } catch (e) {
        if (e instanceof InputError) throw new InputError(e.detail, { ...e.where, field: responses.length > 1 ? `--por line ${i + 1}` : '--por' });
        throw e;
      }
      const failures = answer.ok ? [] : [`script ${first + i + 1}: ${answer.problem}`];
      return {
        packet: first + i + 1, status: '00', statusName: 'response string received (SCP81: no PoR, PSK-TLS secured the session)', verified: null, failures, answer,
        tree: [node(`Response string ${first + i + 1}`, `${r.length} octets`, undefined, { hex: toHex(r) }), answerTree(answer)],
      };
    });
    await report(outs, o, undefined, plans.length);
    return;
  }
  // Reuse encodeCommandScript so that the file holds exactly what planPackets measured.
  const scripts = plans.map((p) => toHex(encodeCommandScript(p.steps.map((st) => st.apdu), scriptOpts)));
  writeOut(JSON.stringify({ [agent]: scripts }, null, 2));
}

/** Response strings (Response Scripting template AB/AF): hex lines, or JSON lines with "response" as `scp81 serve --responses` writes them. */
function responseStrings(arg: string): Uint8Array[] {
  const text = arg === '-' ? readStdin() : arg;
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (!lines.length) throw new InputError('no response string given', { field: '--por' });
  return lines.map((l, i) => {
    const field = lines.length > 1 ? `--por line ${i + 1}` : '--por';
    if (!l.startsWith('{')) return fromHex(l, field);
    let j: unknown;
    try {
      j = JSON.parse(l);
    } catch (e) {
      throw new InputError(`not valid JSON: ${(e as Error).message}`, { field });
    }
    const r = (j as { response?: unknown }).response;
    if (typeof r !== 'string') throw new InputError('a JSON line needs "response" (hex), as scp81 serve --responses writes', { field });
    return fromHex(r, `${field} response`);
  });
}

// ------------------------------------------------------------------ --send

/** The transport of --send, checked before anything is secured (exit 2 bad option, 3 transport not installed). */
async function deliveryOf(o: RmgmtOpts, bearer: Bearer) {
  if (bearer.kind !== 'sms') throw new InputError('--send pcsc|smpp carries SMS-PP: use --bearer sms (CAT_TP goes by cattp send)', { field: '--bearer' });
  if (o.format !== undefined) throw new InputError('--send frames the packets itself (ENVELOPEs for pcsc, SMS user data for smpp): drop --format', { field: '--format' });
  const timeoutMs = o.timeout !== undefined ? intOption(o.timeout, '--timeout', 1, 3_600_000) : undefined;
  if (o.send === 'pcsc') {
    for (const [v, f] of [[o.host, '--host'], [o.port, '--port'], [o.systemId, '--system-id'], [o.dest, '--dest'], [o.source, '--source']] as const) {
      if (v !== undefined) throw new InputError('is an SMPP option (--send smpp)', { field: f });
    }
    const { loadBinding } = await import('../../transport/pcsc/binding.js');
    loadBinding();
    return { kind: 'pcsc' as const, reader: o.reader, timeoutMs };
  }
  if (o.send !== 'smpp') throw new InputError(`"${o.send}": pcsc or smpp`, { field: '--send' });
  if (o.reader !== undefined) throw new InputError('is a PC/SC option (--send pcsc)', { field: '--reader' });
  if (o.port === undefined) throw new InputError('missing: the SMSC port (--port N) for --send smpp', { field: '--port' });
  if (o.systemId === undefined) throw new InputError('missing: the SMPP system_id (--system-id ID) for --send smpp', { field: '--system-id' });
  if (o.dest === undefined) throw new InputError('missing: the card\'s MSISDN (--dest) for --send smpp', { field: '--dest' });
  const { password, systemId, smppAddress } = await import('./smpp.js');
  const { loadSmpp } = await import('../../transport/smpp/index.js');
  const via = {
    kind: 'smpp' as const, host: o.host ?? '127.0.0.1', port: intOption(o.port, '--port', 1, 65535), systemId: systemId(o.systemId), password: password(o.password),
    dest: smppAddress(o.dest, undefined, undefined, '--dest'), source: o.source !== undefined ? smppAddress(o.source, undefined, undefined, '--source') : undefined, timeoutMs: timeoutMs ?? 10000,
  };
  loadSmpp(); // exit 3 with what to install, before any counter is reserved
  return via;
}

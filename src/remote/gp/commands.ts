/**
 * GlobalPlatform card-management commands as sent to a security domain by
 * RAM (TS 102 226 cl. 8.2): INSTALL (GP Card Specification cl. 11.5), LOAD
 * (cl. 11.6), DELETE (cl. 11.2), GET STATUS (cl. 11.4), PUT KEY (cl. 11.8).
 * All with CLA 80 (no secure messaging: the OTA packet secures them).
 */
import { createHash } from 'node:crypto';
import { InputError } from '../../util/errors.js';
import { concat, hex2, toHex } from '../../util/hex.js';
import { encodeTlv } from '../tlv.js';
import type { CApdu } from '../apdu.js';
import { checkAid } from './cap.js';
import { keyDataField, type KeyFamily } from './keys.js';

const CLA = 0x80;
const lv = (b: Uint8Array): Uint8Array => {
  if (b.length > 255) throw new InputError(`${b.length} octets do not fit a one-octet length`, { field: 'LV' });
  return concat(Uint8Array.of(b.length), b);
};
const empty = new Uint8Array(0);

/** Memory quotas / code space: 2 octets, or 4 when larger (GP Card Specification Table 11-49). */
function quota(n: number, field: string): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new InputError(`must be 0 … 4294967295, got ${n}`, { field });
  return n <= 0xffff ? Uint8Array.of(n >> 8, n & 0xff) : Uint8Array.of(n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

export interface LoadParams {
  /** Non-volatile code space limit (tag C6), volatile data (C7), non-volatile data (C8). */
  codeSpace?: number;
  volatileData?: number;
  nonVolatileData?: number;
}

/** INSTALL [for load] (P1 02): load file AID, SD AID, hash, load parameters, token (GP cl. 11.5.2.3.1). */
export function installForLoad(o: { loadFileAid: Uint8Array; sdAid?: Uint8Array; hash?: Uint8Array; params?: LoadParams }): CApdu {
  checkAid(o.loadFileAid, 'load file AID');
  if (o.sdAid?.length) checkAid(o.sdAid, 'security domain AID');
  const p = o.params ?? {};
  const sys: Uint8Array[] = [];
  if (p.codeSpace !== undefined) sys.push(encodeTlv(0xc6, quota(p.codeSpace, '--code-space')));
  if (p.volatileData !== undefined) sys.push(encodeTlv(0xc7, quota(p.volatileData, '--volatile-data')));
  if (p.nonVolatileData !== undefined) sys.push(encodeTlv(0xc8, quota(p.nonVolatileData, '--non-volatile-data')));
  const params = sys.length ? encodeTlv(0xef, concat(...sys)) : empty;
  return { cla: CLA, ins: 0xe6, p1: 0x02, p2: 0x00, data: concat(lv(o.loadFileAid), lv(o.sdAid ?? empty), lv(o.hash ?? empty), lv(params), lv(empty)) };
}

/** Load File Data Block hash algorithms (GP Card Specification cl. C.2: SHA-1; later versions also SHA-256). */
export const HASH_ALGS = { sha1: { name: 'sha1', length: 20 }, sha256: { name: 'sha256', length: 32 } } as const;
export type HashAlg = keyof typeof HASH_ALGS;

/** The hash of a Load File Data Block (the value of C4: the CAP components in load order). */
export function loadFileHash(alg: HashAlg, loadFileDataBlock: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(HASH_ALGS[alg].name).update(loadFileDataBlock).digest());
}

/**
 * A DAP block (GP Card Specification cl. 11.6.2.3): E2 { 4F security domain
 * AID ‖ C3 signature of the Load File Data Block hash }. The signature is
 * taken as given: uicc-ota computes no DAP signature (empty = unsigned).
 */
export function dapBlock(sdAid: Uint8Array, signature: Uint8Array): Uint8Array {
  checkAid(sdAid, 'DAP security domain AID');
  return encodeTlv(0xe2, concat(encodeTlv(0x4f, sdAid), encodeTlv(0xc3, signature)));
}

/** LOAD (GP cl. 11.6): P1 00 more blocks / 80 last block, P2 block number 00 … FF. */
export function load(block: Uint8Array, blockNumber: number, last: boolean): CApdu {
  if (blockNumber < 0 || blockNumber > 255) throw new InputError(`block number ${blockNumber}: LOAD numbers blocks 0 … 255`, { field: '--max-block' });
  return { cla: CLA, ins: 0xe8, p1: last ? 0x80 : 0x00, p2: blockNumber, data: block };
}

/**
 * SIM file access and toolkit application specific parameters (tag CA),
 * TS 102 226 cl. 8.2.1.3.2.1:
 *   length of access domain (1) ‖ access domain ‖ priority level (1) ‖
 *   max number of timers (1) ‖ max text length for a menu entry (1) ‖
 *   max number of menu entries (1) ‖ { position (1) ‖ identifier (1) } per
 *   menu entry ‖ max number of channels (1) ‖ length of MSL (1) ‖ MSL ‖
 *   [length of TAR values (1) ‖ TAR values (3 each)].
 */
export interface ToolkitParams {
  /** Access domain (TS 102 226 cl. 8.2.1.3.2.1.1): 00 full access, FF no access; default 00. */
  accessDomain?: Uint8Array;
  /** Priority level of the toolkit application instance; default 01. */
  priority?: number;
  maxTimers?: number;
  /** Maximum text length for a menu entry; default 16. */
  menuTextLength?: number;
  /** Menu entries: position and identifier each (00 00 reserves an entry). */
  menuEntries?: { position: number; id: number }[];
  maxChannels?: number;
  /** Minimum security level (cl. 8.2.1.3.2.4: coded like SPI octet 1 for SCP80); absent = length 0. */
  msl?: Uint8Array;
  /** TAR values (3 octets each); none = the TAR is taken from the instance AID. */
  tars?: Uint8Array[];
}

const byte = (n: number, field: string) => {
  if (!Number.isInteger(n) || n < 0 || n > 255) throw new InputError(`must be 0 … 255, got ${n}`, { field });
  return n;
};

export function toolkitParams(t: ToolkitParams): Uint8Array {
  const ad = t.accessDomain ?? Uint8Array.of(0x00);
  const menus = t.menuEntries ?? [];
  const tars = t.tars ?? [];
  for (const x of tars) if (x.length !== 3) throw new InputError(`a TAR is 3 octets, got ${x.length}`, { field: '--toolkit-tar' });
  return concat(
    lv(ad),
    Uint8Array.of(
      byte(t.priority ?? 1, '--priority'), byte(t.maxTimers ?? 0, '--max-timers'), byte(t.menuTextLength ?? 16, '--menu-text-length'), byte(menus.length, '--menu'),
      ...menus.flatMap((m) => [byte(m.position, '--menu position'), byte(m.id, '--menu identifier')]),
      byte(t.maxChannels ?? 0, '--max-channels'),
    ),
    lv(t.msl ?? empty),
    // The TAR field is optional: without it the TAR comes from the instance AID (cl. 8.2.1.3.2.1).
    tars.length ? lv(concat(...tars)) : empty,
  );
}

/**
 * UICC Toolkit Application specific parameters field (tag 80 inside the UICC
 * System Specific Parameters EA, TS 102 226 cl. 8.2.1.3.2.2.1):
 *   priority level (1) ‖ max number of timers (1) ‖ max text length for a
 *   menu entry (1) ‖ max number of menu entries (1) ‖ { position (1) ‖
 *   identifier (1) } per menu entry ‖ max number of channels (1) ‖ length of
 *   MSL (1) ‖ MSL ‖ length of TAR values (1) ‖ TAR values (3 each) ‖ max
 *   number of services (1).
 * Unlike the SIM toolkit field (CA) it has no access domain (file access is
 * given by the UICC Access fields 81 / 82) and ends with the services count.
 */
export function uiccToolkitParams(t: Omit<ToolkitParams, 'accessDomain'> & { maxServices?: number }): Uint8Array {
  const menus = t.menuEntries ?? [];
  const tars = t.tars ?? [];
  for (const x of tars) if (x.length !== 3) throw new InputError(`a TAR is 3 octets, got ${x.length}`, { field: '--toolkit-tar' });
  return concat(
    Uint8Array.of(
      byte(t.priority ?? 1, '--priority'), byte(t.maxTimers ?? 0, '--max-timers'), byte(t.menuTextLength ?? 16, '--menu-text-length'), byte(menus.length, '--menu'),
      ...menus.flatMap((m) => [byte(m.position, '--menu position'), byte(m.id, '--menu identifier')]),
      byte(t.maxChannels ?? 0, '--max-channels'),
    ),
    lv(t.msl ?? empty),
    lv(concat(...tars)),
    Uint8Array.of(byte(t.maxServices ?? 0, '--max-services')),
  );
}

/** One UICC file system the application may access (TS 102 226 cl. 8.2.1.3.2.3.1 / 8.2.1.3.2.4.1). */
export interface UiccAccess {
  /** AID of the ADF; empty or absent: the UICC shared file system (MF). */
  adf?: Uint8Array;
  /** Access domain (TS 102 226 cl. 8.2.1.3.2.1.1: 00 full access, 02 by access conditions, FF none). */
  accessDomain: Uint8Array;
  /** Access domain DAP (absent: length 0). */
  dap?: Uint8Array;
}

/**
 * UICC Access (tag 81) and UICC Administrative Access (tag 82) Application
 * specific parameters fields: per file system, length of the UICC file
 * system AID (1) ‖ AID ‖ length of access domain (1) ‖ access domain ‖
 * length of access domain DAP (1) ‖ access domain DAP (TS 102 226
 * cl. 8.2.1.3.2.3.1, 8.2.1.3.2.4.1).
 */
export function uiccAccessParams(list: UiccAccess[]): Uint8Array {
  return concat(...list.map((x) => {
    if (x.adf?.length) checkAid(x.adf, 'UICC file system AID');
    if (!x.accessDomain.length) throw new InputError('an access domain has at least its parameter octet (00 full access, FF none)', { field: '--uicc-access' });
    return concat(lv(x.adf ?? empty), lv(x.accessDomain), lv(x.dap ?? empty));
  }));
}

/** UICC System Specific Parameters (tag EA, TS 102 226 cl. 8.2.1.3.2.2): 80 toolkit, 81 access, 82 administrative access. */
export interface UiccSystemParams {
  toolkit?: Uint8Array;
  access?: Uint8Array;
  adminAccess?: Uint8Array;
}

export function uiccSystemParams(u: UiccSystemParams): Uint8Array {
  return concat(
    ...(u.toolkit ? [encodeTlv(0x80, u.toolkit)] : []),
    ...(u.access ? [encodeTlv(0x81, u.access)] : []),
    ...(u.adminAccess ? [encodeTlv(0x82, u.adminAccess)] : []),
  );
}

export interface InstallParams {
  /** Application specific parameters (tag C9, always present, may be empty). */
  appParams?: Uint8Array;
  volatileQuota?: number;
  nonVolatileQuota?: number;
  /** SIM file access and toolkit parameters (tag CA), already coded (TS 102 226 cl. 8.2.1.3.2.1). */
  toolkit?: Uint8Array;
  /** Further system specific TLVs, raw, appended inside EF. */
  extraSystem?: Uint8Array;
  /** UICC System Specific Parameters (the EA template, TS 102 226 cl. 8.2.1.3.2.2). */
  uicc?: UiccSystemParams;
}

/**
 * Install parameters: C9 ‖ [EF { C7 ‖ C8 ‖ CA ‖ … }] ‖ [EA { 80 ‖ 81 ‖ 82 }]
 * (GP Card Specification Table 11-49; TS 102 226 cl. 8.2.1.3.2).
 */
export function installParams(p: InstallParams): Uint8Array {
  const sys: Uint8Array[] = [];
  if (p.volatileQuota !== undefined) sys.push(encodeTlv(0xc7, quota(p.volatileQuota, '--volatile-quota')));
  if (p.nonVolatileQuota !== undefined) sys.push(encodeTlv(0xc8, quota(p.nonVolatileQuota, '--non-volatile-quota')));
  if (p.toolkit) sys.push(encodeTlv(0xca, p.toolkit));
  if (p.extraSystem) sys.push(p.extraSystem);
  const uicc = p.uicc ? uiccSystemParams(p.uicc) : empty;
  return concat(encodeTlv(0xc9, p.appParams ?? empty), sys.length ? encodeTlv(0xef, concat(...sys)) : empty, uicc.length ? encodeTlv(0xea, uicc) : empty);
}

/** INSTALL [for install and make selectable] (P1 0C, GP cl. 11.5.2.3.2). */
export function installForInstall(o: {
  loadFileAid: Uint8Array; moduleAid: Uint8Array; instanceAid?: Uint8Array; privileges?: Uint8Array; params?: InstallParams;
}): CApdu {
  checkAid(o.loadFileAid, 'load file AID');
  checkAid(o.moduleAid, 'applet (module) AID');
  const inst = o.instanceAid ?? o.moduleAid;
  checkAid(inst, 'instance AID');
  const priv = o.privileges ?? Uint8Array.of(0);
  if (priv.length !== 1 && priv.length !== 3) throw new InputError(`privileges are 1 or 3 octets (GP cl. 11.1.2), got ${priv.length}`, { field: '--privileges' });
  const data = concat(lv(o.loadFileAid), lv(o.moduleAid), lv(inst), lv(priv), lv(installParams(o.params ?? {})), lv(empty));
  return { cla: CLA, ins: 0xe6, p1: 0x0c, p2: 0x00, data };
}

/** DELETE (GP cl. 11.2): 4F AID; P2 80 also deletes related objects (a load file with its instances). */
export function deleteAid(aid: Uint8Array, related = false): CApdu {
  checkAid(aid, '--aid');
  return { cla: CLA, ins: 0xe4, p1: 0x00, p2: related ? 0x80 : 0x00, data: encodeTlv(0x4f, aid) };
}

/** GET STATUS subsets (P1, GP cl. 11.4.2.1). */
export const STATUS_P1 = { isd: 0x80, apps: 0x40, 'load-files': 0x20, modules: 0x10 } as const;
export type StatusSubset = keyof typeof STATUS_P1;

/** GET STATUS: search criteria 4F 00 (every AID); P2 02 = GP registry TLVs (E3), 00 = the older fixed layout. */
export function getStatus(subset: StatusSubset, opts: { aid?: Uint8Array; legacy?: boolean; next?: boolean } = {}): CApdu {
  const p2 = (opts.legacy ? 0x00 : 0x02) | (opts.next ? 0x01 : 0x00);
  return { cla: CLA, ins: 0xf2, p1: STATUS_P1[subset], p2, data: encodeTlv(0x4f, opts.aid ?? empty), le: 256 };
}

export interface NewKey {
  /** Key identifier: 1 KIc, 2 KID, 3 KIK (TS 102 226 cl. 8.2.1.5 / GP UICC Configuration). */
  id: number;
  family: KeyFamily;
  key: Uint8Array;
}

/**
 * PUT KEY (GP cl. 11.8): P1 = KVN to replace (00: add a new key set), P2 =
 * first key identifier (b8 set when several keys follow); data: new KVN ‖ key
 * data fields (keyDataField) in key identifier order.
 */
export function putKey(o: { newKvn: number; replaceKvn?: number; keys: NewKey[]; kik: { family: KeyFamily; key: Uint8Array } }): CApdu {
  if (!Number.isInteger(o.newKvn) || o.newKvn < 1 || o.newKvn > 0x7f) throw new InputError(`must be 1 … 127, got ${o.newKvn}`, { field: '--new-kvn' });
  if (!o.keys.length) throw new InputError('no key to put (give --new-kic, --new-kid and/or --new-kik)', { field: 'PUT KEY' });
  const keys = [...o.keys].sort((a, b) => a.id - b.id);
  keys.forEach((k, i) => {
    if (i && k.id !== keys[i - 1].id + 1) throw new InputError(`key identifiers must be consecutive (GP cl. 11.8.2.2), got ${keys.map((x) => x.id).join(', ')}`, { field: 'PUT KEY' });
  });
  const p1 = o.replaceKvn ?? 0;
  const p2 = keys[0].id | (keys.length > 1 ? 0x80 : 0);
  const data = concat(Uint8Array.of(o.newKvn), ...keys.map((k) => keyDataField(k.family, k.key, o.kik.family, o.kik.key)));
  return { cla: CLA, ins: 0xd8, p1, p2, data };
}

export const aidHex = (a: Uint8Array) => toHex(a);
export const p2Hex = hex2;

/**
 * Remote Application Management scripts (TS 102 226 cl. 8.2) from
 * GlobalPlatform commands: load a CAP file, install, delete, list (GET
 * STATUS), put keys.
 */
import { InputError } from '../../util/errors.js';
import { concat, toHex } from '../../util/hex.js';
import { step, type RemoteScript, type ScriptStep } from '../script.js';
import type { CapFile } from './cap.js';
import * as gp from './commands.js';

export * from './cap.js';
export * from './commands.js';
export * from './keys.js';
export * from './registry.js';

export interface LoadOptions {
  cap: CapFile;
  /** Load file AID (default: the CAP's package AID). */
  packageAid?: Uint8Array;
  sdAid?: Uint8Array;
  params?: gp.LoadParams;
  /** Octets of the Load File Data Block per LOAD (1 … 255). */
  blockSize: number;
  /** Also install (INSTALL [for install and make selectable]) after the last LOAD. */
  install?: InstallOptions;
  /** Load File Data Block hash in INSTALL [for load] (GP cl. 11.5.2.3.1, C.2). */
  hash?: gp.HashAlg;
  /** DAP blocks sent before the Load File Data Block (GP cl. 11.6.2.3); signatures as given, possibly empty. */
  dap?: { sdAid: Uint8Array; signature: Uint8Array }[];
}

export interface InstallOptions {
  loadFileAid: Uint8Array;
  moduleAid: Uint8Array;
  instanceAid?: Uint8Array;
  privileges?: Uint8Array;
  params?: gp.InstallParams;
}

/** LOAD commands of a Load File Data Block cut into `blockSize` pieces, numbered from 0, the last flagged. */
export function loadSteps(block: Uint8Array, blockSize: number): ScriptStep[] {
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > 255) throw new InputError(`must be 1 … 255 octets (short Lc), got ${blockSize}`, { field: '--max-block' });
  const n = Math.ceil(block.length / blockSize);
  if (n > 256) throw new InputError(`${n} blocks of ${blockSize} octets: LOAD numbers at most 256 blocks (P2 00 … FF); allow more octets per block`, { field: '--max-block' });
  const out: ScriptStep[] = [];
  for (let i = 0; i < n; i++) {
    const last = i === n - 1;
    out.push(step(gp.load(block.subarray(i * blockSize, (i + 1) * blockSize), i, last), `LOAD block ${i}${last ? ' (last)' : ''}`, 'none', { block: i }));
  }
  return out;
}

export function installStep(o: InstallOptions): ScriptStep {
  const inst = o.instanceAid ?? o.moduleAid;
  return step(gp.installForInstall(o), `INSTALL [for install and make selectable] ${toHex(inst)}`);
}

export function load(o: LoadOptions): RemoteScript {
  const aid = o.packageAid ?? o.cap.packageAid;
  const dap = o.dap ?? [];
  if (dap.length && !o.hash) throw new InputError('a DAP signs the Load File Data Block hash (GP cl. C.2): give --hash sha1|sha256 too', { field: '--dap' });
  const value = concat(...o.cap.components.map((c) => c.bytes));
  const hash = o.hash ? gp.loadFileHash(o.hash, value) : undefined;
  const loadFile = concat(...dap.map((d) => gp.dapBlock(d.sdAid, d.signature)), o.cap.loadFileDataBlock);
  const steps = [
    step(gp.installForLoad({ loadFileAid: aid, sdAid: o.sdAid, hash, params: o.params }), `INSTALL [for load] ${toHex(aid)}${hash ? ` with ${o.hash!.toUpperCase()} hash` : ''}`),
    ...loadSteps(loadFile, o.blockSize),
  ];
  if (o.install) steps.push(installStep(o.install));
  const notes = [
    `CAP package ${toHex(o.cap.packageAid)} v${o.cap.version}, applets ${o.cap.appletAids.map(toHex).join(', ') || 'none'}`,
    `components in load order: ${o.cap.components.map((c) => `${c.name} (${c.bytes.length})`).join(', ')}${o.cap.skipped.length ? `; not loaded: ${o.cap.skipped.join(', ')}` : ''}`,
    `Load File Data Block ${o.cap.loadFileDataBlock.length} octets${dap.length ? ` after ${dap.length} DAP block${dap.length > 1 ? 's' : ''}` : ''} in ${steps.filter((s) => s.block !== undefined).length} LOAD blocks of up to ${o.blockSize}`,
    ...(hash ? [`Load File Data Block hash (${o.hash!.toUpperCase()} over the C4 value): ${toHex(hash)}`] : []),
    ...dap.map((d) => d.signature.length
      ? `DAP block for security domain ${toHex(d.sdAid)}: signature of ${d.signature.length} octets as given (not computed nor checked by uicc-ota)`
      : `DAP block for security domain ${toHex(d.sdAid)} is UNSIGNED (empty C3): a card that verifies DAPs refuses this load`),
  ];
  return { kind: 'ram', operation: 'load', steps, notes };
}

export function install(o: InstallOptions): RemoteScript {
  return { kind: 'ram', operation: 'install', steps: [installStep(o)], notes: [] };
}

export function remove(aid: Uint8Array, related = false): RemoteScript {
  return { kind: 'ram', operation: 'delete', steps: [step(gp.deleteAid(aid, related), `DELETE ${toHex(aid)}${related ? ' and related objects' : ''}`)], notes: [] };
}

export function status(subset: gp.StatusSubset, opts: { aid?: Uint8Array; legacy?: boolean } = {}): RemoteScript {
  return {
    kind: 'ram',
    operation: 'status',
    steps: [
      step(gp.getStatus(subset, opts), `GET STATUS ${subset}${opts.legacy ? ' (legacy layout)' : ' (TLV)'}`, 'gp-status'),
      // Compact format: the case-4 GET STATUS is coded without Le; the card answers 61xx.
      step({ cla: 0x00, ins: 0xc0, p1: 0, p2: 0, le: 256 }, 'GET RESPONSE (registry entries)', 'gp-status', { compactOnly: true }),
    ],
    notes: [],
  };
}

export function putKey(o: Parameters<typeof gp.putKey>[0]): RemoteScript {
  const ids = o.keys.map((k) => k.id).join(', ');
  return {
    kind: 'ram',
    operation: 'put-key',
    steps: [step(gp.putKey(o), `PUT KEY KVN ${o.newKvn}${o.replaceKvn ? ` replacing ${o.replaceKvn}` : ' (new key set)'}, key id ${ids}`)],
    notes: [`keys wrapped with the ${o.kik.family === 'des' ? '3DES (ECB)' : 'AES (CBC, zero ICV)'} KIK`],
  };
}

export const ram = { load, install, delete: remove, status, putKey, loadSteps };

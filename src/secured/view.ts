/** Tree and JSON views of command and response packets (the JSON keys are a documented contract, man page JSON OUTPUT). */
import { node, octets, treeMemo, type TreeNode } from '../render/tree.js';
import { toHex } from '../util/hex.js';
import { hex2 } from './bitfields.js';
import { spiJson, spiTree } from './spi.js';
import { decodeKic, decodeKidCc, decodeKidRc, keyIdJson, kicTree, kidTree } from './kic.js';
import { tarName } from './tar.js';
import { statusName } from './status.js';
import { checksumJson, type ChecksumResult } from './common.js';
import type { SecuredCommand } from './command.js';
import type { SecuredResponse } from './response.js';
import { formatTag } from '../util/json-format.js';

/** View options. `showComputed`: print the computed RC/CC on a mismatch (off: no MAC oracle). */
export interface ViewOptions {
  showComputed?: boolean;
}

function counterText(c: bigint): string {
  return `${c} (0x${c.toString(16).toUpperCase().padStart(10, '0')})`;
}

export function tarText(tar: Uint8Array): string {
  const n = tarName(tar);
  return n ? `${toHex(tar)} (${n})` : toHex(tar);
}

export function checksumTree(c: ChecksumResult, o: ViewOptions = {}): TreeNode | undefined {
  if (c.type === 'none') return undefined;
  const label = c.type === 'rc' ? 'RC' : c.type === 'cc' ? 'CC' : 'DS';
  const alg = c.algorithm ? ` [${c.algorithm}]` : '';
  if (c.value === null) return node(label, `(ciphered)${alg}`, undefined, { status: 'info', note: c.reason });
  if (c.verified === true) return node(label, `${toHex(c.value)}${alg}`, undefined, { status: 'ok', note: 'verified' });
  if (c.verified === false) {
    // The computed value is withheld unless asked for: it would let anyone forge the packet.
    const shown = o.showComputed && c.computed ? `, computed ${toHex(c.computed)}` : ' (computed value not shown; --show-computed)';
    return node(label, `${toHex(c.value)}${alg}`, undefined, { status: 'fail', note: `mismatch: ${label} check failed${shown}` });
  }
  return node(label, `${toHex(c.value)}${alg}`, undefined, { status: 'warn', note: `not verified: ${c.reason}` });
}

/** Header lines that depend on one small number each: built once per value and shared (treeMemo; the text renderer keeps their lines). */
const cplMemo = treeMemo<number>();
const chlMemo = treeMemo<number>();
const rplMemo = treeMemo<number>();
const rhlMemo = treeMemo<number>();
const pcntrMemo = treeMemo<number>();
const tarMemo = treeMemo<number>();

const pcntrNode = (pcntr: number | undefined) => (pcntr === undefined ? node('PCNTR', `${pcntr}`, undefined, { note: 'padding octets' }) : pcntrMemo(pcntr, () => node('PCNTR', `${pcntr}`, undefined, { note: 'padding octets' })));
const tarNode = (tar: Uint8Array) => (tar.length === 3 ? tarMemo((tar[0] << 16) | (tar[1] << 8) | tar[2], () => node('TAR', tarText(tar))) : node('TAR', tarText(tar)));

/**
 * Tree of a command packet. `dataChildren` lets the caller hang the decoded
 * application message (remote APDUs) under the secured data.
 */
export function commandTree(c: SecuredCommand, dataChildren?: TreeNode[], built = false, o: ViewOptions = {}): TreeNode {
  const cipherNote = c.ciphered ? (built ? `ciphered (${c.cipherAlgorithm})` : c.deciphered ? `deciphered (${c.cipherAlgorithm})` : 'ciphered') : undefined;
  const integrity = c.spi.integrity;
  const kids = [
    ...(c.cpi !== null ? [node('CPI', `0x${hex2(c.cpi)} (command packet)`)] : []),
    cplMemo(c.cpl, () => node('CPL', `${c.cpl}`, undefined, { note: 'octets after CPL, padding included' })),
    chlMemo(c.chl, () => node('CHL', `${c.chl}`, undefined, { note: `13 + ${c.chl - 13}-octet RC/CC/DS` })),
    spiTree(c.spi),
    kicTree(c.kic, c.ciphered ? 'KIc' : 'KIc (not used: no ciphering)'),
    kidTree(c.kid, integrity === 'rc' ? 'rc' : integrity === 'cc' ? 'cc' : 'none'),
    tarNode(c.tar),
  ];
  if (c.counter !== undefined) {
    kids.push(node('CNTR', counterText(c.counter), undefined, { note: c.spi.counter === 'none' ? 'ignored: SPI says no counter' : undefined }));
    kids.push(pcntrNode(c.pcntr));
    const cs = checksumTree(c.checksum, o);
    if (cs) kids.push(cs);
    if (c.data) kids.push(node('Secured data', octets(c.data.length), dataChildren, { hex: toHex(c.data) }));
    if (c.padding && c.padding.length) kids.push(node('Padding', octets(c.padding.length), undefined, { hex: toHex(c.padding) }));
  } else {
    kids.push(node('Ciphered part', `${c.bytes.length - c.offsets.CNTR} octets`, undefined, {
      hex: toHex(c.bytes.subarray(c.offsets.CNTR)), status: 'info', note: c.notes.join('; '),
    }));
  }
  return node(`Command packet (TS 102 225, ${c.dialect === 'sms-pp' ? 'SMS-PP' : 'CAT_TP'} dialect)`, cipherNote, kids, {
    status: c.failures.length ? 'fail' : undefined,
  });
}

export function commandJson(c: SecuredCommand, apdus?: string[], extra: Record<string, unknown> = {}, o: ViewOptions = {}): Record<string, unknown> {
  const reading = c.spi.integrity === 'rc' ? decodeKidRc(c.kid) : decodeKidCc(c.kid);
  const out: Record<string, unknown> = {
    format: formatTag('command'),
    type: 'command',
    dialect: c.dialect,
    hex: toHex(c.bytes),
    cpl: c.cpl,
    chl: c.chl,
    spi: spiJson(c.spi),
    kic: keyIdJson(decodeKic(c.kic)),
    kid: Object.assign(keyIdJson(reading), { reading: c.spi.integrity === 'rc' ? 'rc' : 'cc' }),
    tar: toHex(c.tar),
    tarName: tarName(c.tar) ?? null,
    ciphered: c.ciphered,
    // `deciphered` only where there was something to decipher (an unciphered packet is not "deciphered").
    ...(c.ciphered ? { deciphered: c.deciphered } : {}),
    counter: c.counter === undefined ? null : Number(c.counter),
    counterHex: c.counter === undefined ? null : c.counter.toString(16).toUpperCase().padStart(10, '0'),
    pcntr: c.pcntr ?? null,
    checksum: checksumJson(c.checksum, o.showComputed),
    data: c.data ? toHex(c.data) : null,
    padding: c.padding ? toHex(c.padding) : null,
    apdus: apdus ?? null,
    ...extra,
    verified: c.failures.length ? false : c.checksum.verified,
    failures: c.failures,
    notes: c.notes,
  };
  if (c.cpi !== null) out.cpi = hex2(c.cpi);
  if (c.cipherAlgorithm) out.cipherAlgorithm = c.cipherAlgorithm;
  return out;
}

export function responseTree(r: SecuredResponse, dataChildren?: TreeNode[], built = false, o: ViewOptions = {}): TreeNode {
  const kids = [
    ...(r.rpi !== null ? [node('RPI', `0x${hex2(r.rpi)} (response packet)`)] : []),
    rplMemo(r.rpl, () => node('RPL', `${r.rpl}`, undefined, { note: 'octets after RPL, padding included' })),
    rhlMemo(r.rhl, () => node('RHL', `${r.rhl}`, undefined, { note: `10 + ${r.rhl - 10}-octet RC/CC/DS` })),
    tarNode(r.tar),
  ];
  if (r.counter !== undefined) {
    kids.push(node('CNTR', counterText(r.counter)));
    kids.push(pcntrNode(r.pcntr));
    kids.push(node('Status', `0x${hex2(r.status!)} ${statusName(r.status!)}`, undefined, { status: r.status === 0 ? 'ok' : 'warn' }));
    const cs = checksumTree(r.checksum, o);
    if (cs) kids.push(cs);
    if (r.data) kids.push(node('Additional response data', octets(r.data.length), dataChildren, { hex: toHex(r.data) }));
    if (r.padding && r.padding.length) kids.push(node('Padding', octets(r.padding.length), undefined, { hex: toHex(r.padding) }));
  } else {
    kids.push(node('Ciphered part', `${r.bytes.length - r.offsets.CNTR} octets`, undefined, {
      hex: toHex(r.bytes.subarray(r.offsets.CNTR)), status: 'info', note: r.notes.join('; '),
    }));
  }
  const cipherNote = r.ciphered ? (built ? `ciphered (${r.cipherAlgorithm})` : r.deciphered ? `deciphered (${r.cipherAlgorithm})` : 'ciphered') : undefined;
  return node(`Response packet / PoR (TS 102 225, ${r.dialect === 'sms-pp' ? 'SMS-PP' : 'CAT_TP'} dialect)`, cipherNote, kids, {
    status: r.failures.length ? 'fail' : undefined,
  });
}

export function responseJson(r: SecuredResponse, response?: unknown, extra: Record<string, unknown> = {}, o: ViewOptions = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {
    format: formatTag('response'),
    type: 'response',
    dialect: r.dialect,
    hex: toHex(r.bytes),
    rpl: r.rpl,
    rhl: r.rhl,
    tar: toHex(r.tar),
    tarName: tarName(r.tar) ?? null,
    ciphered: r.ciphered,
    // `deciphered` only where there was something to decipher (an unciphered packet is not "deciphered").
    ...(r.ciphered ? { deciphered: r.deciphered } : {}),
    counter: r.counter === undefined ? null : Number(r.counter),
    counterHex: r.counter === undefined ? null : r.counter.toString(16).toUpperCase().padStart(10, '0'),
    pcntr: r.pcntr ?? null,
    status: r.status === undefined ? null : { code: hex2(r.status), name: statusName(r.status) },
    checksum: checksumJson(r.checksum, o.showComputed),
    data: r.data ? toHex(r.data) : null,
    padding: r.padding ? toHex(r.padding) : null,
    response: response ?? null,
    ...extra,
    verified: r.failures.length ? false : r.checksum.verified,
    failures: r.failures,
    notes: r.notes,
  };
  if (r.rpi !== null) out.rpi = hex2(r.rpi);
  if (r.cipherAlgorithm) out.cipherAlgorithm = r.cipherAlgorithm;
  return out;
}

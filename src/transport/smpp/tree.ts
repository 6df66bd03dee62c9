/** SMPP PDUs as trees (for --trace and the smsc log): header, then every field the PDU carries. */
import { node, type TreeNode } from '../../render/tree.js';
import { toHex } from '../../util/hex.js';
import { loadSmpp, statusText, type SmppPdu } from './lib.js';
import type { Direction } from './session.js';

const HEADER = new Set(['command', 'command_length', 'command_id', 'command_status', 'sequence_number']);
const hex8 = (n: number) => '0x' + n.toString(16).toUpperCase().padStart(8, '0');
const hex2 = (n: number) => '0x' + n.toString(16).toUpperCase().padStart(2, '0');

function fieldValue(k: string, v: unknown): { value?: string; hex?: string } {
  if (v instanceof Uint8Array) return { value: `${v.length} octet${v.length === 1 ? '' : 's'}`, hex: toHex(v) };
  // A time field the package could not read as a date (a peer's garbage) is shown, not thrown.
  if (v instanceof Date) return { value: Number.isNaN(v.getTime()) ? 'invalid time' : v.toISOString() };
  if (typeof v === 'number') {
    if (/_ton$|_npi$|esm_class|protocol_id|data_coding|registered_delivery|interface_version|priority_flag|replace_if_present_flag|sm_default_msg_id/.test(k)) return { value: hex2(v) };
    return { value: String(v) };
  }
  if (typeof v === 'string') return { value: JSON.stringify(v) };
  return { value: JSON.stringify(v) };
}

const ESM_TYPES: Record<number, string> = { 0: 'default message type', 1: 'SMSC delivery receipt', 2: 'SME delivery acknowledgement', 4: 'SME manual/user acknowledgement', 6: 'conversation abort', 8: 'intermediate delivery notification' };

export function pduTree(pdu: SmppPdu, direction: Direction, label?: string, children: TreeNode[] = []): TreeNode {
  const lib = loadSmpp();
  const fields: TreeNode[] = [
    node('command_length', String(pdu.command_length)),
    node('command_id', `${hex8(pdu.command_id)} (${pdu.command})`),
    node('command_status', statusText(pdu.command_status), undefined, pdu.command_status ? { status: 'fail' } : {}),
    node('sequence_number', String(pdu.sequence_number)),
  ];
  const params = Object.keys(lib.commands[pdu.command]?.params ?? {});
  const keys = [...params, ...Object.keys(pdu).filter((k) => !params.includes(k) && !HEADER.has(k) && typeof pdu[k] !== 'function')];
  for (const k of keys) {
    const v = pdu[k];
    if (v === undefined || v === null) continue;
    // A bind's password is a secret: its length only.
    const f = k === 'password' ? { value: `(${String(v).length} characters, not shown)` } : fieldValue(k, v);
    const extra: TreeNode[] = [];
    if (k === 'esm_class' && typeof v === 'number') {
      extra.push(node(`UDHI ${(v & 0x40) ? 1 : 0}`), node(`message type: ${ESM_TYPES[(v >> 2) & 0x0f] ?? 'reserved'}`));
    }
    fields.push(node(k, f.value, extra, f.hex ? { hex: f.hex } : {}));
  }
  const arrow = direction === 'out' ? '→' : '←';
  return node(`SMPP ${pdu.command}`, `${arrow} seq ${pdu.sequence_number}${label ? ` (${label})` : ''}`, [...fields, ...children]);
}

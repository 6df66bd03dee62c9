/**
 * The SMPP 3.4 PDU codec comes from the npm package `smpp` (loaded only by
 * `send smpp` and `smsc`, at run time, so the rest of the CLI never pays for
 * it and works without it). We use its PDU class (encode/decode of every
 * SMPP 3.4 command and TLV) and do the framing and sessions ourselves: we need
 * byte-exact short_message octets, a generic_nack for a PDU that cannot be
 * decoded, and a session that survives one bad PDU.
 */
import { createRequire } from 'node:module';
import { IoError } from '../../util/errors.js';

/** The decoded PDU as the `smpp` package represents it (fields by SMPP 3.4 name). */
export interface SmppPdu {
  command: string;
  command_id: number;
  command_status: number;
  sequence_number: number;
  command_length: number;
  [field: string]: unknown;
  isResponse(): boolean;
  toBuffer(): Buffer;
}

export interface SmppLib {
  PDU: {
    new (command: string, options?: Record<string, unknown>): SmppPdu;
    new (buffer: Buffer): SmppPdu;
    maxLength: number;
  };
  commands: Record<string, { id: number; params?: Record<string, { type: unknown; filter?: unknown }> }>;
  commandsById: Record<number, { command: string }>;
  tlvs: Record<string, { id: number; filter?: unknown }>;
  errors: Record<string, number>;
}

let lib: SmppLib | undefined;

/** Load `smpp`; without it: exit 3 with what to install. */
export function loadSmpp(): SmppLib {
  if (lib) return lib;
  let m: SmppLib;
  try {
    const req = createRequire(import.meta.url);
    m = req('smpp') as SmppLib;
  } catch {
    throw new IoError('the SMPP commands need the npm package "smpp" (npm install smpp)', { layer: 'SMPP' });
  }
  // short_message / message_payload are octets for OTA (DCS F6, binary user data
  // with a UDH): switch the package's text codecs off so no octet is re-encoded.
  const raw = { encode: (v: unknown) => v, decode: (v: unknown) => v };
  for (const c of ['submit_sm', 'deliver_sm', 'submit_multi', 'replace_sm']) {
    const p = m.commands[c]?.params?.short_message;
    if (p) p.filter = raw;
  }
  if (m.tlvs.message_payload) m.tlvs.message_payload.filter = raw;
  lib = m;
  return m;
}

/** SMPP 3.4 command status by name (ESME_RINVDSTADR …), as Table 5-2 names it. */
export function statusName(code: number): string {
  const l = lib ?? loadSmpp();
  for (const [k, v] of Object.entries(l.errors)) if (v === code) return k;
  return code >= 0x400 && code <= 0x4ff ? `SMSC vendor-specific error` : 'reserved';
}

export function statusText(code: number): string {
  return `${statusName(code)} (0x${code.toString(16).toUpperCase().padStart(8, '0')})`;
}

export function statusCode(name: string): number {
  const v = loadSmpp().errors[name];
  if (v === undefined) throw new Error(`unknown SMPP status ${name}`);
  return v;
}

/** SMPP 3.4 cl. 5.2.12 esm_class: UDHI indicator (bit 6). */
export const ESM_UDHI = 0x40;
/** esm_class message type bits 5-2 (cl. 5.2.12): SMSC delivery receipt. */
export const ESM_DELIVERY_RECEIPT = 0x04;

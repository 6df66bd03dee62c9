/**
 * SMPP 3.4 connection options shared by `send smpp`, `smsc` and `rmgmt --send
 * smpp`: system_id, password and addresses, checked against the sizes SMPP 3.4
 * cl. 5.2 gives them (C-Octet Strings with their terminating NUL).
 */
import { readFileSync } from 'node:fs';
import { InputError, IoError } from '../util/errors.js';
import { intOption } from '../util/options.js';
import type { SmppAddress } from '../transport/smpp/mapping.js';

/** A password given as text, @file, or through UICC_OTA_SMPP_PASSWORD. */
export function password(v: string | undefined): string {
  const p = v ?? process.env.UICC_OTA_SMPP_PASSWORD;
  if (p === undefined) throw new InputError('missing (or env UICC_OTA_SMPP_PASSWORD)', { field: '--password' });
  if (p.startsWith('@')) {
    try {
      return readFileSync(p.slice(1), 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new IoError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { field: `--password ${p}` });
    }
  }
  // SMPP 3.4 cl. 5.2.1: password is a C-Octet String of at most 9 octets.
  if (Buffer.byteLength(p) > 8) throw new InputError('SMPP 3.4 allows at most 8 characters', { field: '--password' });
  return p;
}

export function systemId(v: string): string {
  if (!v) throw new InputError('missing', { field: '--system-id' });
  if (Buffer.byteLength(v) > 15) throw new InputError('SMPP 3.4 allows at most 15 characters', { field: '--system-id' });
  return v;
}

/** "+4912345" → TON 1 (international), NPI 1; digits → TON 0 unknown, NPI 1; letters → TON 5 alphanumeric, NPI 0. */
export function smppAddress(v: string, ton: string | undefined, npi: string | undefined, field: string): SmppAddress {
  const alpha = /[^0-9+*#]/.test(v);
  const a: SmppAddress = { ton: v.startsWith('+') ? 1 : alpha ? 5 : 0, npi: alpha ? 0 : 1, addr: v.replace(/^\+/, '') };
  if (ton !== undefined) a.ton = intOption(ton, `${field}-ton`, 0, 6);
  if (npi !== undefined) a.npi = intOption(npi, `${field}-npi`, 0, 18);
  if (Buffer.byteLength(a.addr) > 20) throw new InputError('SMPP 3.4 allows at most 20 characters', { field });
  return a;
}

/**
 * The SMS-PP dialect of the secured packet (3GPP TS 31.115 cl. 4): CPI/RPI
 * travel as UDH IEs 70/71, CPL/RPL are plain 16-bit, and the response
 * checksum covers the UDH octets `02 71 00` (the command checksum does not).
 */
import { InputError } from '../util/errors.js';
import type { Dialect } from '../secured/dialect.js';

export const UDH_COMMAND = Uint8Array.of(0x02, 0x70, 0x00);
export const UDH_RESPONSE = Uint8Array.of(0x02, 0x71, 0x00);

export const smsDialect: Dialect = {
  name: 'sms-pp',
  cpi: null,
  rpi: null,
  encodeLength(n: number, field: string): Uint8Array {
    if (n > 0xffff) throw new InputError(`${n} does not fit 2 octets`, { field });
    return Uint8Array.of(n >> 8, n & 0xff);
  },
  decodeLength(b: Uint8Array, offset: number, field: string) {
    if (b.length < offset + 2) throw new InputError('needs 2 octets', { layer: field === 'CPL' ? 'command packet' : 'response packet', field, offset });
    return { value: (b[offset] << 8) | b[offset + 1], size: 2 };
  },
  responseChecksumPrefix: UDH_RESPONSE,
};

/** Largest command packet (CPL…end) in one SMS: 140 octets of UD minus `02 70 00`. */
export const SINGLE_SMS_MAX_PACKET = 137;

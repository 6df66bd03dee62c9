/**
 * Telling CAT_TP inputs from the others, without the CAT_TP decoder (start-up
 * of `parse` on an SMS-PP input loads none of it).
 */
import { decodeBerLength } from './dialect.js';
import { hex2 } from '../util/hex.js';

/** The fixed part of a CAT_TP PDU header (ETSI TS 102 127): 18 octets. */
export const FIXED_HEADER_LENGTH = 18;

/**
 * Cheap recognition (as Wireshark's CAT-TP heuristic): a CAT_TP PDU has RFU octets 00 00, at least the
 * fixed header, a header length ≥ 18 and one of SYN/ACK/RST set. Loose on
 * purpose: a PDU that passes this but is inconsistent gets the decoder's
 * precise error instead of "not recognised". None of the other inputs
 * `parse` takes can pass: SMS packets start with CPL 00xx (no flag set),
 * CAT_TP packets with 01/02, SMS user data with UDHL 02 and IEI 70/71,
 * SMS-DELIVER TPDUs have a TOA ≥ 80 at octet 2; an SMS-SUBMIT or ENVELOPE
 * (version bits 01) is taken only if header and data length add up exactly.
 */
export function looksLikeCattpPdu(b: Uint8Array): boolean {
  if (b.length < FIXED_HEADER_LENGTH || b[1] !== 0 || b[2] !== 0 || b[3] < FIXED_HEADER_LENGTH || (b[0] & 0xd0) === 0) return false;
  if ((b[0] & 0x03) === 0) return true;
  // Version bits set (an SMS-SUBMIT or ENVELOPE could start so): only when the lengths add up exactly.
  return b[3] + ((b[8] << 8) | b[9]) === b.length;
}

/** A TS 102 225 CAT_TP-dialect packet: CPI 01 / RPI 02 and a BER length matching the octets present. */
export function cattpPacketKind(b: Uint8Array): 'command' | 'response' | undefined {
  if (b.length < 3 || (b[0] !== 1 && b[0] !== 2)) return undefined;
  try {
    const { value, size } = decodeBerLength(b, 1, 'length');
    if (value !== b.length - 1 - size) return undefined;
  } catch {
    return undefined;
  }
  return b[0] === 1 ? 'command' : 'response';
}

/** Why an SDU (cattpPacketKind undefined) is not a TS 102 225 packet: the note parse gives it. */
export function notPacketWhy(sdu: Uint8Array): string {
  return sdu[0] === 1 || sdu[0] === 2 ? 'its BER length does not match the octets present' : `first octet ${hex2(sdu[0] ?? 0)} is neither CPI 01 nor RPI 02`;
}

/** The note of an SDU that is not a TS 102 225 packet. */
export function notPacketNote(sdu: Uint8Array): string {
  return `SDU of ${sdu.length} octets is not a TS 102 225 packet: ${notPacketWhy(sdu)}`;
}

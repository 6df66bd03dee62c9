/**
 * The one status-word table: every place that prints what an SW means (the
 * PC/SC terminal's error lines, rfm/ram answers, PoR details, `read`) asks here.
 * Meanings from ISO/IEC 7816-4, ETSI TS 102 221 clause 10.2.1, 3GPP TS 51.011
 * clause 9.4 (the "SIM:" ones), TS 102 223 / TS 31.111 (93 00, 9E xx) and
 * GlobalPlatform.
 */

import { hex4 } from '../util/hex.js';

const EXACT: Record<number, string> = {
  0x9000: 'normal ending',
  0x9300: 'toolkit busy',
  0x6200: 'warning: no information given',
  0x6281: 'warning: part of returned data may be corrupted',
  0x6282: 'warning: end of file/record reached before reading Le bytes',
  0x6283: 'warning: selected file invalidated',
  0x6285: 'warning: selected file in termination state',
  0x62f1: 'warning: more data available (response truncated)',
  0x62f2: 'warning: more data available and proactive command pending',
  0x62f3: 'warning: response data available',
  0x6310: 'warning: more data available',
  0x63f1: 'warning: more data expected',
  0x63f2: 'warning: more data expected and proactive command pending',
  0x6400: 'execution error: state of non-volatile memory unchanged',
  0x6581: 'execution error: memory problem',
  0x6700: 'wrong length',
  0x6881: 'logical channel not supported',
  0x6882: 'secure messaging not supported',
  0x6981: 'command incompatible with file structure',
  0x6982: 'security status not satisfied',
  0x6983: 'authentication/PIN method blocked',
  0x6984: 'referenced data invalidated',
  0x6985: 'conditions of use not satisfied',
  0x6986: 'command not allowed (no EF selected)',
  0x6a80: 'incorrect parameters in the data field',
  0x6a81: 'function not supported',
  0x6a82: 'file or application not found',
  0x6a83: 'record not found',
  0x6a84: 'not enough memory space',
  0x6a86: 'incorrect parameters P1-P2',
  0x6a87: 'Lc inconsistent with P1-P2',
  0x6a88: 'referenced data not found',
  0x6b00: 'wrong parameters P1-P2',
  0x6d00: 'instruction code not supported or invalid',
  0x6e00: 'class not supported',
  0x6f00: 'technical problem, no precise diagnosis',
  0x9240: 'SIM: memory problem',
  0x9400: 'SIM: no EF selected',
  0x9402: 'SIM: out of range (invalid address)',
  0x9404: 'SIM: file ID / pattern not found',
  0x9408: 'SIM: file inconsistent with the command',
  0x9802: 'SIM: no CHV initialized',
  0x9804: 'SIM: access condition not fulfilled',
  0x9808: 'SIM: in contradiction with CHV status',
  0x9810: 'SIM: in contradiction with invalidation status',
  0x9840: 'SIM: CHV blocked',
};

/** What a status word means, or undefined when the table does not know it. */
export function swMeaning(sw: number): string | undefined {
  const sw1 = sw >> 8;
  const sw2 = sw & 0xff;
  const exact = EXACT[sw];
  if (exact !== undefined) return exact;
  switch (sw1) {
    case 0x61: return `${sw2 || 256} response octets available (GET RESPONSE)`;
    case 0x9f: return `SIM: ${sw2 || 256} response octets available (GET RESPONSE)`;
    case 0x91: return `proactive command pending, ${sw2 || 256} octets`;
    case 0x9e: return `${sw2 || 256} octets of data download error response available`;
    case 0x92: return sw2 < 0x10 ? `SIM: success after ${sw2} internal retries` : undefined;
    case 0x6c: return `wrong Le: ${sw2 || 256} octets available`;
    case 0x67: return 'wrong length';
    case 0x6b: return 'wrong parameters P1-P2';
    case 0x6d: return 'instruction code not supported or invalid';
    case 0x6e: return 'class not supported';
    case 0x6f: return 'technical problem';
    case 0x98: return 'SIM: security problem';
  }
  if (sw1 === 0x63 && (sw2 & 0xf0) === 0xc0) return `warning: verification failed, ${sw2 & 0x0f} retries left`;
  if (sw1 === 0x62) return 'warning: state of non-volatile memory unchanged';
  if (sw1 === 0x63) return 'warning: state of non-volatile memory changed';
  return undefined;
}


/** `SW 6A82 (file or application not found)`; `SW XXXX` alone when the meaning is unknown. */
export function swText(sw: number | undefined): string {
  if (sw === undefined) return 'no status word';
  const m = swMeaning(sw);
  return m ? `SW ${hex4(sw)} (${m})` : `SW ${hex4(sw)}`;
}

/** Response status codes: TS 102 225 Table 5, with 0B/0C from TS 31.115 cl. 7. */
const NAMES: Record<number, string> = {
  0x00: 'PoR OK',
  0x01: 'RC/CC/DS failed',
  0x02: 'CNTR low',
  0x03: 'CNTR high',
  0x04: 'CNTR blocked',
  0x05: 'ciphering error',
  0x06: 'unidentified security error',
  0x07: 'insufficient memory to process incoming message',
  0x08: 'more time needed',
  0x09: 'TAR unknown',
  0x0a: 'insufficient security level',
  0x0b: 'actual response data to be sent using SMS-SUBMIT',
  0x0c: 'actual response data to be sent using Process Unstructured SS Request',
};

export const STATUS = {
  OK: 0x00, CHECKSUM_FAILED: 0x01, CNTR_LOW: 0x02, CNTR_HIGH: 0x03, CNTR_BLOCKED: 0x04,
  CIPHERING_ERROR: 0x05, UNIDENTIFIED: 0x06, NO_MEMORY: 0x07, MORE_TIME: 0x08,
  TAR_UNKNOWN: 0x09, INSUFFICIENT_SECURITY: 0x0a, VIA_SMS_SUBMIT: 0x0b, VIA_USSD: 0x0c,
} as const;

export function statusName(code: number): string {
  if (NAMES[code] !== undefined) return NAMES[code];
  if (code >= 0xc0 && code <= 0xfe) return 'proprietary';
  return 'reserved for future use';
}

/** Known (defined) status code? Reserved values are reported, not rejected. */
export function statusKnown(code: number): boolean {
  return NAMES[code] !== undefined || (code >= 0xc0 && code <= 0xfe);
}

export function statusTable(): Array<{ code: string; name: string }> {
  return Object.entries(NAMES).map(([k, v]) => ({ code: Number(k).toString(16).toUpperCase().padStart(2, '0'), name: v }));
}

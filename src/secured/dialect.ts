/**
 * A transport dialect of the secured packet (TS 102 225 cl. 5, TS 31.115 cl. 4):
 * how the packet identifier and the length fields are coded, and which framing
 * octets enter the RC/CC/DS. The generic codecs in this folder take one of
 * these; the dialect objects themselves live beside the transport
 * (src/smspp/dialect.ts, src/cattp/dialect.ts).
 */
export interface Dialect {
  readonly name: 'sms-pp' | 'cat_tp';
  /** Command Packet Identifier octet, or null when it travels outside the packet (SMS UDH IE 70). */
  readonly cpi: number | null;
  /** Response Packet Identifier octet, or null (SMS UDH IE 71). */
  readonly rpi: number | null;
  /** Encode CPL/RPL. */
  encodeLength(n: number, field: string): Uint8Array;
  /** Decode CPL/RPL at `offset`; returns the value and the octets it took. */
  decodeLength(b: Uint8Array, offset: number, field: string): { value: number; size: number };
  /**
   * Octets that precede the response packet in the RC/CC/DS input although
   * they are not part of it (SMS-PP: the UDH `02 71 00`, TS 31.115 cl. 4).
   */
  readonly responseChecksumPrefix: Uint8Array;
}

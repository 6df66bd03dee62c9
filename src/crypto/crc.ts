/**
 * Redundancy checks of TS 102 225 cl. 5.1.3.2: the HDLC CRCs of
 * ISO/IEC 13239 — reflected, init all ones, final complement — written into
 * the packet most-significant octet first.
 *   CRC-16/X-25:      poly 0x1021 (reflected 0x8408), check("123456789") = 906E
 *   CRC-32/ISO-HDLC:  poly 0x04C11DB7 (reflected 0xEDB88320), check = CBF43926
 */

function table(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
}

const T16 = table(0x8408);
const T32 = table(0xedb88320);

/** CRC-16/X-25 as 2 octets, big-endian. */
export function crc16x25(data: Uint8Array): Uint8Array {
  let c = 0xffff;
  for (let i = 0; i < data.length; i++) c = (c >>> 8) ^ T16[(c ^ data[i]) & 0xff];
  c ^= 0xffff;
  return Uint8Array.of(c >>> 8, c & 0xff);
}

/** CRC-32/ISO-HDLC (zlib/Ethernet CRC-32) as 4 octets, big-endian. */
export function crc32(data: Uint8Array): Uint8Array {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = (c >>> 8) ^ T32[(c ^ data[i]) & 0xff];
  c = (c ^ 0xffffffff) >>> 0;
  return Uint8Array.of(c >>> 24, (c >>> 16) & 0xff, (c >>> 8) & 0xff, c & 0xff);
}

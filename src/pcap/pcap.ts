/**
 * Minimal pcap (libpcap classic format) writer, enough for Wireshark/tshark to
 * open what we built or parsed. Frames are raw IPv4 (LINKTYPE_RAW = 101) so that
 * both GSMTAP (UDP 4729) and CAT_TP (UDP, any port) captures need no Ethernet.
 */
import { writeFileSync } from 'node:fs';
import { IoError } from '../util/errors.js';

export const LINKTYPE_RAW = 101;

export interface PcapRecord {
  /** Frame bytes (for LINKTYPE_RAW: an IPv4 packet). */
  data: Uint8Array;
  /** Timestamp in milliseconds since the epoch; defaults to index-based fixed times. */
  timeMs?: number;
}

/** IPv4 address "127.0.0.1" → 4 octets. */
export function ipv4(addr: string): Uint8Array {
  const p = addr.split('.').map((x) => Number(x));
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) {
    throw new IoError(`not an IPv4 address: ${addr}`, { field: 'pcap address' });
  }
  return Uint8Array.from(p);
}

function ipChecksum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** One UDP datagram inside an IPv4 header (UDP checksum 0 = not computed, legal for IPv4). */
export function ipv4Udp(src: string, dst: string, sport: number, dport: number, payload: Uint8Array, ipId = 0): Uint8Array {
  const udpLen = 8 + payload.length;
  const total = 20 + udpLen;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out[0] = 0x45;
  dv.setUint16(2, total);
  dv.setUint16(4, ipId & 0xffff);
  out[8] = 64; // TTL
  out[9] = 17; // UDP
  out.set(ipv4(src), 12);
  out.set(ipv4(dst), 16);
  dv.setUint16(10, ipChecksum(out.subarray(0, 20)));
  dv.setUint16(20, sport);
  dv.setUint16(22, dport);
  dv.setUint16(24, udpLen);
  out.set(payload, 28);
  return out;
}

/** Serialise records as a pcap file image. */
export function pcapBytes(records: PcapRecord[], linktype = LINKTYPE_RAW): Uint8Array {
  let size = 24;
  for (const r of records) size += 16 + r.data.length;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, 65535, true);
  dv.setUint32(20, linktype, true);
  let o = 24;
  // Fixed default time (2026-01-01T00:00:00Z) keeps captures reproducible.
  const base = Date.UTC(2026, 0, 1);
  records.forEach((r, i) => {
    const t = r.timeMs ?? base + i;
    dv.setUint32(o, Math.floor(t / 1000), true);
    dv.setUint32(o + 4, Math.floor(t % 1000) * 1000, true);
    dv.setUint32(o + 8, r.data.length, true);
    dv.setUint32(o + 12, r.data.length, true);
    out.set(r.data, o + 16);
    o += 16 + r.data.length;
  });
  return out;
}

export function writePcap(path: string, records: PcapRecord[], linktype = LINKTYPE_RAW): void {
  try {
    writeFileSync(path, pcapBytes(records, linktype));
  } catch (e) {
    throw new IoError(`cannot write pcap: ${(e as Error).message}`, { field: path });
  }
}

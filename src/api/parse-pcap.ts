/** --pcap for parse: the input as Wireshark would see it (the frames: pcap-records.ts). */
import type { Peeled } from '../layers/peel.js';
import { writePcap } from '../pcap/pcap.js';
import { parsedPcap } from './pcap-records.js';

export function writeParsedPcap(path: string, p: Peeled): void {
  const r = parsedPcap(p);
  writePcap(path, r.records, r.linktype);
}

/** --pcap for parse: write the input as Wireshark would see it. */
import type { Peeled } from './peel.js';
import { InputError } from '../../util/errors.js';

export function writeParsedPcap(path: string, p: Peeled): void {
  throw new InputError(`--pcap needs an ENVELOPE, TPDU or user data input (got ${p.outer})`, { field: '--pcap' });
}

/**
 * Append-mode pcap writer for batches: frames are added to one file as they
 * come (never rewriting it), a missing or empty file gets the global header
 * first, an existing one must be a classic little-endian microsecond pcap of
 * the same link type. The header is written at once; frames are gathered (one
 * write per ~64 KiB at most) and go out on flush()/close(): the batch engine
 * flushes before it writes the output lines of those frames, so the file is
 * never behind standard output (readers behind `tail -f`, a run cut short).
 * Several runs may append to one file at once on a local file system: each
 * flush is one write of whole records to a descriptor opened with O_APPEND,
 * which Linux does not interleave with another's; two runs creating the file
 * write the same header at offset 0. (On a network file system, where O_APPEND
 * is not atomic, give each run its own file.)
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { IoError } from '../util/errors.js';
import { LINKTYPE_RAW, pcapBytes, type PcapRecord } from './pcap.js';

const FLUSH_AT = 64 * 1024;
/** Same fixed default time base as pcapBytes (2026-01-01T00:00:00Z): captures stay reproducible. */
const BASE_MS = Date.UTC(2026, 0, 1);

export class PcapAppender {
  private fd: number;
  private parts: Uint8Array[] = [];
  private pending = 0;
  /** Frames in the file, including those already there when it was opened. */
  count = 0;

  constructor(readonly path: string, readonly linktype = LINKTYPE_RAW) {
    try {
      this.fd = openSync(path, 'a+');
    } catch (e) {
      throw new IoError(`cannot open pcap for appending: ${(e as Error).message}`, { field: path });
    }
    try {
      const st = fstatSync(this.fd);
      if (!st.isFile()) {
        // A FIFO, /dev/stdout, a pipe (live Wireshark): nothing to scan, no offset to write at.
        this.parts.push(pcapBytes([], linktype));
        this.pending = 24;
        this.flush();
      } else if (st.size === 0) this.writeHeader();
      else this.count = this.scan(st.size);
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  /**
   * The global header of a new (empty) file, written at offset 0 and not appended:
   * two runs starting on the same new file both see it empty, and both write the
   * same 24 octets at the same place (appended, the second header would land after
   * the first one's frames and break the file for every reader).
   */
  private writeHeader(): void {
    const h = pcapBytes([], this.linktype);
    let fd: number;
    try {
      fd = openSync(this.path, 'r+'); // without O_APPEND: a positioned write goes where it is told
    } catch (e) {
      throw new IoError(`cannot write pcap header: ${(e as Error).message}`, { field: this.path });
    }
    try {
      let o = 0;
      while (o < h.length) o += writeSync(fd, h, o, h.length - o, o);
    } catch (e) {
      throw new IoError(`cannot write pcap header: ${(e as Error).message}`, { field: this.path });
    } finally {
      closeSync(fd);
    }
  }

  /** Check the global header and count the records; refuse a file that ends inside a record. */
  private scan(size: number): number {
    const where = { field: this.path };
    const h = Buffer.alloc(24);
    if (size < 24 || readSync(this.fd, h, 0, 24, 0) !== 24) throw new IoError('not a pcap file (shorter than its 24-octet header)', where);
    if (h.readUInt32LE(0) !== 0xa1b2c3d4) throw new IoError('can only append to a little-endian microsecond pcap (magic D4 C3 B2 A1)', { ...where, offset: 0 });
    if (h.readUInt32LE(20) !== this.linktype) {
      throw new IoError(`link type ${h.readUInt32LE(20)} in the file, ${this.linktype} to append`, { ...where, offset: 20 });
    }
    const r = Buffer.alloc(16);
    let o = 24;
    let n = 0;
    while (o < size) {
      if (o + 16 > size || readSync(this.fd, r, 0, 16, o) !== 16) throw new IoError('file ends inside a record header: not appending after damage', { ...where, offset: o });
      const len = r.readUInt32LE(8);
      if (o + 16 + len > size) throw new IoError('file ends inside a record: not appending after damage', { ...where, offset: o });
      o += 16 + len;
      n++;
    }
    return n;
  }

  /** Add one frame; its default time is the fixed base plus its index in the file, in milliseconds. */
  append(r: PcapRecord): void {
    const rec = new Uint8Array(16 + r.data.length);
    const dv = new DataView(rec.buffer);
    const t = r.timeMs ?? BASE_MS + this.count;
    dv.setUint32(0, Math.floor(t / 1000), true);
    dv.setUint32(4, Math.floor(t % 1000) * 1000, true);
    dv.setUint32(8, r.data.length, true);
    dv.setUint32(12, r.data.length, true);
    rec.set(r.data, 16);
    this.parts.push(rec);
    this.pending += rec.length;
    this.count++;
    if (this.pending >= FLUSH_AT) this.flush();
  }

  flush(): void {
    if (!this.pending) return;
    const all = Buffer.concat(this.parts, this.pending);
    this.parts = [];
    this.pending = 0;
    try {
      let o = 0;
      while (o < all.length) o += writeSync(this.fd, all, o); // 'a+': always at the end
    } catch (e) {
      throw new IoError(`cannot write pcap: ${(e as Error).message}`, { field: this.path });
    }
  }

  close(): void {
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
    }
  }
}

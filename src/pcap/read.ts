/**
 * Capture reader: classic pcap (both byte orders, micro- and nanosecond
 * magic, and the "modified" Kuznetzov variant) and pcapng (SHB, IDB, EPB,
 * SPB and the obsolete PB, several sections, per-interface link types), then
 * the link layer down to UDP (raw IP 101/228/229, Ethernet with VLAN tags,
 * Linux cooked SLL/SLL2, BSD loopback 0/108) and Wireshark's exported-PDU
 * frames (252). IPv4 and IPv6; fragments are not reassembled.
 *
 * A file whose structure is broken is an InputError naming the file, the
 * frame or block (1-based, as Wireshark counts) and the byte; a frame whose
 * link or IP header is damaged is only reported as `other` (that is about one
 * packet, not about the file).
 */
import { readFileSync } from 'node:fs';
import { InputError, IoError } from '../util/errors.js';
import { hex4 } from '../util/hex.js';

export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LINUX_SLL: 113,
  LOOP: 108,
  IPV4: 228,
  IPV6: 229,
  WIRESHARK_UPPER_PDU: 252,
  LINUX_SLL2: 276,
} as const;

export interface CaptureFrame {
  /** 1-based, in file order (Wireshark's frame number). */
  number: number;
  linktype: number;
  /** Seconds since the epoch (fractional). */
  time: number;
  data: Uint8Array;
  /** Length on the wire; more than data.length when the capture was cut by the snap length. */
  origLength: number;
  /** Byte offset of the record / block in the file. */
  offset: number;
  /** pcapng interface id. */
  interfaceId?: number;
}

export interface Capture {
  format: 'pcap' | 'pcapng';
  frames: CaptureFrame[];
}

// ------------------------------------------------------------------ file formats

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
/** Alexey Kuznetzov's patched libpcap: 8 more octets per record header. */
const PCAP_MAGIC_KUZNETZOV = 0xa1b2cd34;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;

const BLOCK_NAMES: Record<number, string> = {
  0x00000001: 'Interface Description Block',
  0x00000002: 'Packet Block',
  0x00000003: 'Simple Packet Block',
  0x00000004: 'Name Resolution Block',
  0x00000005: 'Interface Statistics Block',
  0x00000006: 'Enhanced Packet Block',
  0x0000000a: 'Decryption Secrets Block',
  [PCAPNG_SHB]: 'Section Header Block',
};

const hex8 = (n: number) => '0x' + (n >>> 0).toString(16).toUpperCase().padStart(8, '0');

/** Read and decode a capture file ("-": standard input) at once; OS errors are IoErrors, structural ones InputErrors. */
export function readCaptureFile(path: string): Capture {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path === '-' ? 0 : path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new IoError(`cannot read the capture: ${why}`, { layer: path });
  }
  return readCapture(bytes, path === '-' ? 'standard input' : path);
}

/** Decode a whole pcap or pcapng image; `name` is used in error messages. */
export function readCapture(bytes: Uint8Array, name = 'capture'): Capture {
  const frames: CaptureFrame[] = [];
  const p = new CaptureParser(name);
  const push = (f: CaptureFrame) => void frames.push(f);
  p.push(bytes, push);
  p.end(push);
  return { format: p.format!, frames };
}

interface Iface {
  linktype: number;
  snaplen: number;
  /** Seconds per timestamp unit. */
  unit: number;
  /** if_tsoffset, seconds. */
  tsOffset: number;
}

/** A block bigger than this is taken as a corrupt length, not waited for. */
const MAX_BLOCK = 0x4000000;
/** The largest frame a pcap record holds (libpcap's MAXIMUM_SNAPLEN, Wireshark's limit too). */
const MAX_RECORD = 262144;

/**
 * Incremental pcap / pcapng reader: bytes go in as they arrive (any chunk
 * size), frames come out as soon as their record or block is complete. The
 * frame data are views of the chunks given, never copies. A structural error
 * is an InputError naming the frame or block and the absolute byte offset;
 * the frames before it have been delivered by then.
 */
export class CaptureParser {
  format?: 'pcap' | 'pcapng';
  /** Frames delivered so far. */
  frames = 0;
  /** pcapng blocks read so far. */
  blocks = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private dv = new DataView(this.buf.buffer);
  /** Absolute file offset of buf[0]. */
  private base = 0;
  /**
   * Chunks received after buf while it holds less than `want` octets: they are
   * joined only once the record or block under way is complete (or its next
   * header is there), so one big record in many small chunks is copied once,
   * not once per chunk.
   */
  private pending: Uint8Array[] = [];
  private pendingLen = 0;
  /** Octets buf must hold before parsing can move on (set where the parser stops for more input). */
  private want = 0;
  private received = 0;
  // pcap
  private little = true;
  private linktype = 0;
  private fraction = 1e-6;
  private recHdr = 16;
  private headerDone = false;
  // pcapng
  private ifaces: Iface[] = [];
  private sawShb = false;

  constructor(readonly name: string) {}

  /** Absolute byte offset up to which the input has been consumed. */
  get offset(): number {
    return this.base;
  }

  /** Feed the next bytes; `onFrame` is called for every frame they complete. */
  push(chunk: Uint8Array, onFrame: (f: CaptureFrame) => void): void {
    if (!chunk.length) return;
    // A plain Uint8Array view of a Buffer (what fs reads give): every frame, and every field
    // cut from it downstream, is then of one class, so the decoders' code stays specialised
    // to it instead of being recompiled when the other class turns up.
    if (Object.getPrototypeOf(chunk) !== Uint8Array.prototype) chunk = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.received += chunk.length;
    if (this.buf.length) {
      this.pending.push(chunk);
      this.pendingLen += chunk.length;
      // Nothing new can be decided before the record or block under way is whole.
      if (this.buf.length + this.pendingLen < this.want) return;
      this.join();
    } else this.setBuf(chunk);
    this.run(false, onFrame);
  }

  /** No more input: what is left over is a record or block cut short (an InputError). */
  /** Octets received and not yet read as frames (an incomplete record, or a header still to come). */
  get unread(): number {
    return this.buf.length + this.pendingLen;
  }

  end(onFrame: (f: CaptureFrame) => void): void {
    if (this.received === 0) throw new InputError('empty file, not a pcap or pcapng capture', { layer: this.name });
    if (this.pendingLen) this.join();
    this.run(true, onFrame);
  }

  /** buf ‖ the pending chunks, in one copy. */
  private join(): void {
    const b = new Uint8Array(this.buf.length + this.pendingLen);
    b.set(this.buf);
    let o = this.buf.length;
    for (const c of this.pending) {
      b.set(c, o);
      o += c.length;
    }
    this.pending = [];
    this.pendingLen = 0;
    this.setBuf(b);
  }

  private setBuf(b: Uint8Array): void {
    this.buf = b;
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  private consume(n: number): void {
    this.base += n;
    this.setBuf(this.buf.subarray(n));
  }

  private run(final: boolean, onFrame: (f: CaptureFrame) => void): void {
    this.want = 0;
    if (!this.format) {
      const b = this.buf;
      if (b.length < 4) {
        this.want = 4;
        if (final) throw new InputError(`${b.length} octets, too short for any capture header`, { layer: this.name, field: 'file header', offset: 0 });
        return;
      }
      const le = this.dv.getUint32(0, true);
      const be = this.dv.getUint32(0, false);
      if (be === PCAPNG_SHB) this.format = 'pcapng';
      else {
        for (const [m, little] of [[le, true], [be, false]] as const) {
          if (m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS || m === PCAP_MAGIC_KUZNETZOV) {
            this.format = 'pcap';
            this.little = little;
            this.fraction = m === PCAP_MAGIC_NS ? 1e-9 : 1e-6;
            this.recHdr = m === PCAP_MAGIC_KUZNETZOV ? 24 : 16;
          }
        }
        if (!this.format) throw new InputError(`magic number ${hex8(be)} is neither pcap (A1B2C3D4, A1B23C4D, either byte order) nor pcapng (0A0D0D0A)`, { layer: this.name, field: 'file header', offset: 0 });
      }
    }
    if (this.format === 'pcap') this.pcap(final, onFrame);
    else this.pcapng(final, onFrame);
  }

  /** Classic libpcap file: 24-octet header, then records of 16 (Kuznetzov: 24) octets + data. */
  private pcap(final: boolean, onFrame: (f: CaptureFrame) => void): void {
    const name = this.name;
    const little = this.little;
    if (!this.headerDone) {
      if (this.buf.length < 24) {
        this.want = 24;
        if (final) throw new InputError(`${this.buf.length} octets, a pcap file header needs 24 (file cut short)`, { layer: name, field: 'file header', offset: 0 });
        return;
      }
      const major = this.dv.getUint16(4, little);
      if (major !== 2) throw new InputError(`pcap version ${major}.${this.dv.getUint16(6, little)} is not supported (2.4 is the only one in use)`, { layer: name, field: 'file header', offset: 4 });
      // Low 16 bits: link type; the upper bits may carry FCS information.
      this.linktype = this.dv.getUint32(20, little) & 0xffff;
      this.headerDone = true;
      this.consume(24);
    }
    const b = this.buf;
    const dv = this.dv;
    const recHdr = this.recHdr;
    const n = b.length;
    let o = 0;
    while (o < n) {
      if (n - o < recHdr) {
        this.want = recHdr;
        if (!final) break;
        throw new InputError(`record header needs ${recHdr} octets, ${n - o} left (file cut short)`, { layer: name, field: `frame ${this.frames + 1}`, offset: this.base + o });
      }
      const incl = dv.getUint32(o + 8, little);
      if (incl > MAX_RECORD) throw new InputError(`record says ${incl} captured octets, more than the ${MAX_RECORD} of any real frame (corrupt record header)`, { layer: name, field: `frame ${this.frames + 1}`, offset: this.base + o });
      if (o + recHdr + incl > n) {
        this.want = recHdr + incl;
        if (!final) break;
        throw new InputError(`record says ${incl} captured octets, ${n - o - recHdr} present (file cut short)`, { layer: name, field: `frame ${this.frames + 1}`, offset: this.base + o });
      }
      const orig = dv.getUint32(o + 12, little);
      onFrame({
        number: ++this.frames, linktype: this.linktype, time: dv.getUint32(o, little) + dv.getUint32(o + 4, little) * this.fraction,
        data: b.subarray(o + recHdr, o + recHdr + incl), origLength: orig > incl ? orig : incl, offset: this.base + o,
      });
      o += recHdr + incl;
    }
    this.consume(o);
  }

  /** pcapng (draft-ietf-opsawg-pcapng): a sequence of blocks, each type ‖ total length ‖ body ‖ total length. */
  private pcapng(final: boolean, onFrame: (f: CaptureFrame) => void): void {
    const name = this.name;
    const b = this.buf;
    const dv = this.dv;
    const n = b.length;
    let o = 0;
    for (; o < n; ) {
      const block = this.blocks + 1;
      const abs = this.base + o;
      const at = (what: string, off = abs) => ({ layer: name, field: `block ${block}${what ? ` (${what})` : ''}`, offset: off });
      if (n - o < 12) {
        this.want = 12;
        if (!final) break;
        throw new InputError(`${n - o} octets left, a block needs at least 12 (file cut short)`, at(''));
      }
      const typeBe = dv.getUint32(o, false);
      if (typeBe === PCAPNG_SHB) {
        // The byte-order magic of each section says how to read that section.
        if (n - o < 28) {
          this.want = 28;
          if (!final) break;
          throw new InputError(`${n - o} octets left, a Section Header Block needs at least 28 (file cut short)`, at('Section Header Block'));
        }
        const bom = dv.getUint32(o + 8, true);
        if (bom === PCAPNG_BOM) this.little = true;
        else if (bom === 0x4d3c2b1a) this.little = false;
        else throw new InputError(`byte-order magic ${hex8(dv.getUint32(o + 8, false))} is not 1A2B3C4D`, at('Section Header Block', abs + 8));
        const major = dv.getUint16(o + 12, this.little);
        if (major !== 1) throw new InputError(`pcapng version ${major}.${dv.getUint16(o + 14, this.little)} is not supported (1.x)`, at('Section Header Block', abs + 12));
        this.sawShb = true;
      } else if (!this.sawShb) {
        throw new InputError('a pcapng file must start with a Section Header Block', at(''));
      }
      const little = this.little;
      const type = dv.getUint32(o, little);
      const what = BLOCK_NAMES[type] ?? `block type ${hex8(type)}`;
      const len = dv.getUint32(o + 4, little);
      if (len < 12 || len % 4 !== 0) throw new InputError(`block total length ${len} is ${len < 12 ? 'less than 12' : 'not a multiple of 4'}`, at(what, abs + 4));
      if (len > MAX_BLOCK) throw new InputError(`block total length ${len} is more than any real block (corrupt block header)`, at(what, abs + 4));
      if (o + len > n) {
        this.want = len;
        if (!final) break;
        throw new InputError(`block total length ${len} runs past the end of the file (${n - o} octets left; file cut short)`, at(what, abs + 4));
      }
      if (type === PCAPNG_SHB) this.ifaces = [];
      const trailer = dv.getUint32(o + len - 4, little);
      if (trailer !== len) throw new InputError(`trailing block total length ${trailer} differs from the leading ${len}`, at(what, abs + len - 4));
      const body = o + 8;
      const bodyEnd = o + len - 4;
      const need = (k: number) => {
        if (bodyEnd - body < k) throw new InputError(`block total length ${len} leaves ${bodyEnd - body} octets for a body that needs at least ${k}`, at(what, abs + 4));
      };
      const ifaceOf = (id: number, off: number) => {
        const f = this.ifaces[id];
        if (!f) throw new InputError(`interface id ${id} has no Interface Description Block before it (${this.ifaces.length} defined)`, at(what, this.base + off));
        return f;
      };
      if (type === 1) {
        need(8);
        const iface: Iface = { linktype: dv.getUint16(body, little), snaplen: dv.getUint32(body + 4, little), unit: 1e-6, tsOffset: 0 };
        for (const opt of options(dv, body + 8, bodyEnd, little, at(what), this.base)) {
          if (opt.code === 9 && opt.length >= 1) {
            // if_tsresol: MSB clear → 10^-n, set → 2^-n.
            const v = b[opt.offset];
            iface.unit = v & 0x80 ? 2 ** -(v & 0x7f) : 10 ** -v;
          } else if (opt.code === 14 && opt.length >= 8) {
            iface.tsOffset = Number(dv.getBigInt64(opt.offset, little));
          }
        }
        this.ifaces.push(iface);
      } else if (type === 6 || type === 2) {
        need(20);
        const id = type === 6 ? dv.getUint32(body, little) : dv.getUint16(body, little);
        const iface = ifaceOf(id, body);
        const cap = dv.getUint32(body + 12, little);
        const orig = dv.getUint32(body + 16, little);
        if (body + 20 + cap > bodyEnd) throw new InputError(`captured length ${cap} runs past the block end (${bodyEnd - body - 20} octets of packet data)`, at(what, this.base + body + 12));
        onFrame({
          number: ++this.frames, linktype: iface.linktype, time: (dv.getUint32(body + 4, little) * 4294967296 + dv.getUint32(body + 8, little)) * iface.unit + iface.tsOffset,
          data: b.subarray(body + 20, body + 20 + cap), origLength: orig > cap ? orig : cap, offset: abs, interfaceId: id,
        });
      } else if (type === 3) {
        need(4);
        const iface = ifaceOf(0, body);
        const orig = dv.getUint32(body, little);
        // No captured length: the smaller of the original length, the snap length and the room in the block.
        let cap = Math.min(orig, bodyEnd - body - 4);
        if (iface.snaplen) cap = Math.min(cap, iface.snaplen);
        onFrame({ number: ++this.frames, linktype: iface.linktype, time: NaN, data: b.subarray(body + 4, body + 4 + cap), origLength: Math.max(orig, cap), offset: abs, interfaceId: 0 });
      }
      // Other blocks (name resolution, statistics, secrets, custom) carry no packets.
      this.blocks++;
      o += len;
    }
    this.consume(o);
  }
}

/** pcapng options: code ‖ length ‖ value padded to 4, ending with opt_endofopt (0) or the body end. */
function options(dv: DataView, start: number, end: number, little: boolean, where: { layer: string; field: string; offset: number }, base = 0): { code: number; offset: number; length: number }[] {
  const out: { code: number; offset: number; length: number }[] = [];
  let o = start;
  while (o + 4 <= end) {
    const code = dv.getUint16(o, little);
    const length = dv.getUint16(o + 2, little);
    if (code === 0) break;
    if (o + 4 + length > end) throw new InputError(`option ${code} says ${length} octets, ${end - o - 4} left in the block`, { ...where, offset: base + o + 2 });
    out.push({ code, offset: o + 4, length });
    o += 4 + Math.ceil(length / 4) * 4;
  }
  return out;
}

// ------------------------------------------------------------------ link layer → UDP

export interface UdpDatagram {
  ipVersion: 4 | 6;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  payload: Uint8Array;
  /** The UDP length says more than the frame holds (snap length). */
  truncated: boolean;
  /** When truncated: why, in words (the snap length, or a UDP length past the end of a whole record). */
  cutWhy?: string;
}

export type FramePayload =
  | { kind: 'udp'; udp: UdpDatagram }
  /** LINKTYPE_WIRESHARK_UPPER_PDU: a PDU for the named dissector. */
  | { kind: 'exported'; proto: string; direction?: number; pdu: Uint8Array }
  | { kind: 'other'; why: string };

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const VLAN_TAGS = new Set([0x8100, 0x88a8, 0x9100]);

const other = (why: string): FramePayload => ({ kind: 'other', why });

/** Down from the link layer to a UDP datagram (or an exported PDU). */
export function decodeFrame(f: CaptureFrame): FramePayload {
  const b = f.data;
  // Network byte order, read octet by octet (no DataView per frame).
  const u16 = (o: number) => (b[o] << 8) | b[o + 1];
  const u32 = (o: number, little: boolean) => (little ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0 : ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0);
  switch (f.linktype) {
    case LINKTYPE.RAW:
    case 12: // DLT_RAW on most BSDs, as some old files store it
    case 14: // DLT_RAW on OpenBSD
      if (!b.length) return other('empty frame');
      return ip(b, b[0] >> 4);
    case LINKTYPE.IPV4:
      return ip(b, 4);
    case LINKTYPE.IPV6:
      return ip(b, 6);
    case LINKTYPE.ETHERNET: {
      if (b.length < 14) return other('Ethernet header cut short');
      let o = 12;
      let type = u16(o);
      while (VLAN_TAGS.has(type)) {
        o += 4;
        if (b.length < o + 2) return other('VLAN tag cut short');
        type = u16(o);
      }
      return ethertype(type, b.subarray(o + 2));
    }
    case LINKTYPE.LINUX_SLL:
      if (b.length < 16) return other('Linux cooked header cut short');
      return ethertype(u16(14), b.subarray(16));
    case LINKTYPE.LINUX_SLL2:
      if (b.length < 20) return other('Linux cooked v2 header cut short');
      return ethertype(u16(0), b.subarray(20));
    case LINKTYPE.NULL:
    case LINKTYPE.LOOP: {
      if (b.length < 4) return other('loopback header cut short');
      // NULL: address family in the capturing host's byte order; LOOP: network order.
      const fams = f.linktype === LINKTYPE.LOOP ? [u32(0, false)] : [u32(0, true), u32(0, false)];
      if (fams.includes(2)) return ip(b.subarray(4), 4);
      if (fams.some((x) => x === 24 || x === 28 || x === 30 || x === 10)) return ip(b.subarray(4), 6);
      return other(`loopback address family ${fams[0]}`);
    }
    case LINKTYPE.WIRESHARK_UPPER_PDU:
      return exported(b);
    default:
      return other(`link type ${f.linktype} not supported`);
  }
}

function ethertype(type: number, b: Uint8Array): FramePayload {
  if (type === ETH_IPV4) return ip(b, 4);
  if (type === ETH_IPV6) return ip(b, 6);
  return other(`EtherType 0x${hex4(type)}`);
}

/** Dotted-quad text of the IPv4 addresses seen, by address (a capture has few): made once each. */
const IPV4_TEXT = new Map<number, string>();

function ipv4Text(b: Uint8Array, o: number): string {
  const a = ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  let t = IPV4_TEXT.get(a);
  if (t === undefined) {
    t = `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
    if (IPV4_TEXT.size >= 4096) IPV4_TEXT.clear();
    IPV4_TEXT.set(a, t);
  }
  return t;
}

function ip(b: Uint8Array, version: number): FramePayload {
  if (version === 4) {
    if (b.length < 20 || b[0] >> 4 !== 4) return other('not an IPv4 header');
    const ihl = (b[0] & 0x0f) * 4;
    const total = (b[2] << 8) | b[3];
    if (ihl < 20 || b.length < ihl) return other('IPv4 header length wrong');
    const frag = (b[6] << 8) | b[7];
    if (frag & 0x3fff) return other('IPv4 fragment (not reassembled)');
    if (b[9] !== 17) return other(`IP protocol ${b[9]}`);
    // Ethernet pads short frames: the IP total length bounds the datagram.
    const end = total >= ihl && total <= b.length ? total : b.length;
    return udp(b.subarray(ihl, end), 4, ipv4Text(b, 12), ipv4Text(b, 16), total > b.length);
  }
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (version === 6) {
    if (b.length < 40 || b[0] >> 4 !== 6) return other('not an IPv6 header');
    const plen = dv.getUint16(4);
    let next = b[6];
    let o = 40;
    // Extension headers before UDP: hop-by-hop, routing, destination options; an atomic fragment header.
    while (next === 0 || next === 43 || next === 60 || next === 44) {
      if (b.length < o + 8) return other('IPv6 extension header cut short');
      if (next === 44) {
        if (dv.getUint16(o + 2) & 0xfff9) return other('IPv6 fragment (not reassembled)');
        next = b[o];
        o += 8;
      } else {
        const n = b[o];
        o += (b[o + 1] + 1) * 8;
        next = n;
      }
    }
    if (next !== 17) return other(`IPv6 next header ${next}`);
    const end = Math.min(b.length, 40 + plen);
    const addr = (off: number) => {
      const g: number[] = [];
      for (let i = 0; i < 16; i += 2) g.push(dv.getUint16(off + i));
      return ipv6Text(g);
    };
    return udp(b.subarray(o, Math.max(o, end)), 6, addr(8), addr(24), 40 + plen > b.length);
  }
  return other(`IP version ${version}`);
}

/** RFC 5952 text: lower-case hex, the longest run of two or more zero groups as "::". */
function ipv6Text(g: number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const h = g.map((x) => x.toString(16));
  if (best < 0) return h.join(':');
  return `${h.slice(0, best).join(':')}::${h.slice(best + bestLen).join(':')}`;
}

function udp(b: Uint8Array, ipVersion: 4 | 6, src: string, dst: string, cut: boolean): FramePayload {
  if (b.length < 8) return other('UDP header cut short');
  const len = (b[4] << 8) | b[5];
  if (len < 8) return other(`UDP length ${len} < 8`);
  const end = Math.min(len, b.length);
  const truncated = cut || len > b.length;
  const cutWhy = !truncated
    ? undefined
    : cut
      ? `cut short by the capture's snap length (${end} of ${len} octets of the UDP datagram captured)`
      : `the UDP length says ${len} octets, the record holds ${b.length}`;
  return { kind: 'udp', udp: { ipVersion, src, dst, sport: (b[0] << 8) | b[1], dport: (b[2] << 8) | b[3], payload: b.subarray(8, end), truncated, cutWhy } };
}

/** Exported-PDU tags (Wireshark wsutil/exported_pdu_tlvs.h): 12 protocol name, 35 P2P direction, 0 end. */
function exported(b: Uint8Array): FramePayload {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let o = 0;
  let proto = '';
  let direction: number | undefined;
  for (;;) {
    if (b.length < o + 4) return other('exported-PDU tags cut short');
    const tag = dv.getUint16(o);
    const len = dv.getUint16(o + 2);
    if (b.length < o + 4 + len) return other('exported-PDU tag cut short');
    const v = b.subarray(o + 4, o + 4 + len);
    o += 4 + len;
    if (tag === 0) break;
    if (tag === 12) proto = new TextDecoder().decode(v).replace(/\0+$/, '');
    else if (tag === 35 && len === 4) direction = new DataView(v.buffer, v.byteOffset, 4).getUint32(0);
  }
  return { kind: 'exported', proto, direction, pdu: b.subarray(o) };
}

// ------------------------------------------------------------------ GSMTAP

export const GSMTAP_UDP_PORT = 4729;
export const GSMTAP_TYPE_SIM = 4;
/** GSMTAP SIM sub-types (libosmocore gsmtap.h). */
export const GSMTAP_SIM = { APDU: 0, ATR: 1, PPS_REQ: 2, PPS_RSP: 3, TPDU_HDR: 4, TPDU_CMD: 5, TPDU_RSP: 6, TPDU_SW: 7 } as const;

export interface GsmtapFrame {
  version: number;
  /** Header length in octets (hdr_len × 4). */
  headerLength: number;
  type: number;
  subType: number;
  payload: Uint8Array;
}

/** GSMTAP v1/v2 header: version, hdr_len (32-bit words), type, …, sub_type at octet 12. */
export function decodeGsmtap(b: Uint8Array): GsmtapFrame | { error: string } {
  if (b.length < 16) return { error: `${b.length} octets, a GSMTAP header needs 16` };
  const version = b[0];
  if (version !== 1 && version !== 2) return { error: `GSMTAP version ${version} not supported (1, 2)` };
  const headerLength = b[1] * 4;
  if (headerLength < 16 || headerLength > b.length) return { error: `GSMTAP header length ${headerLength} octets does not fit the ${b.length}-octet datagram` };
  return { version, headerLength, type: b[2], subType: b[12], payload: b.subarray(headerLength) };
}

/**
 * The `parse --each --json` line of an SMS-PP command packet whose CC checked
 * out, written as UTF-8 octets from the parts of the packet (the group fast
 * path of src/api/batch.ts). The object is the one parsePacket + commandJson give
 * (src/api/packet.ts, src/secured/view.ts), key for key in their order: the
 * parts that are the same for every packet of one header (SPI, KIc, KID, CHL)
 * are serialised once, by the same functions, and the per-packet values
 * (hex, CPL, TAR, CNTR, PCNTR, CC, data, padding, script, notes) filled in.
 * test/each.test.ts compares it with the per-line path octet for octet.
 */
import { hexOut, toHex } from '../util/hex.js';
import { formatTag } from '../util/json-format.js';
import type { CommandHeader } from '../secured/command.js';
import { spiJson } from '../secured/spi.js';
import { decodeKic, decodeKidCc, keyIdJson } from '../secured/kic.js';
import { tarName } from '../secured/tar.js';
import { smsDialect } from '../smspp/dialect.js';
import { scriptView } from '../remote/view.js';
import { commandScriptJson, decodeCommandScript, insDirection, type ApduHeader } from '../remote/index.js';
import { looksLikePush } from '../https/push.js';
import { blockSize, weakKey, type CcAlg, type CipherAlg } from '../crypto/index.js';
import type { KeyMaterial } from '../secured/keys.js';

/** What one header contributes to the JSON line, serialised once (UTF-8 octets). */
export interface JsonHead {
  /** From `,"chl":` to `"tar":"` (exclusive of the TAR). */
  head: Uint8Array;
  /** From `,"ciphered":` to `"counter":` (exclusive of its value). */
  cipher: Uint8Array;
  /** From the end of the CC value to `,"data":"`. */
  cc: Uint8Array;
  /** The notes of the keys (a weak key is noted, not refused), before and after the PCNTR notes. */
  kicNote?: string;
  kidNote?: string;
  /** The block of the cipher (PCNTR notes), 0 when not ciphered. */
  block: number;
  /** From `,"cipherAlgorithm"` (when ciphered) to the end of the object and its "\n". */
  tail: Uint8Array;
  /** From `,"verified"` to the end, without notes (the common line). */
  end: Uint8Array;
  /** From `","cpl":` to `"counter":`, by TAR and packet length (the writer's cache; the last one first). */
  mids: Map<number, Uint8Array>;
  midTar: number;
  midLen: number;
  mid?: Uint8Array;
  /** From the end of the CC value to the end of the line, by a hash of the data and padding octets (the writer's cache). */
  tails: Map<number, Tail>;
}

/** The end of the lines of one data and padding (`key`, padding `pcntr` octets long): `out`, or null when the per-line path must give them. */
interface Tail {
  key: Uint8Array;
  pcntr: number;
  out: Uint8Array | null;
}

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const VERIFIED_TEXT = ',"verified":true,"failures":[],"notes":';

/** The serialised parts of one header: `ccAlg` the CC algorithm, `cipher` the KIc algorithm when ciphered. */
export function jsonHead(hdr: CommandHeader, keys: KeyMaterial, ccAlg: CcAlg, cipher: CipherAlg | undefined): JsonHead {
  const { spi, kic, kid, chl } = hdr;
  const kidJson = { ...keyIdJson(decodeKidCc(kid)), reading: 'cc' };
  const tail = `${cipher ? `,"cipherAlgorithm":${JSON.stringify(cipher)}` : ''},"unverified":[]}\n`;
  const kw = cipher && keys.kicKey ? weakKey(cipher, keys.kicKey) : undefined;
  const dw = keys.kidKey ? weakKey(ccAlg, keys.kidKey) : undefined;
  return {
    head: utf8(`,"chl":${chl},"spi":${JSON.stringify(spiJson(spi))},"kic":${JSON.stringify(keyIdJson(decodeKic(kic)))},"kid":${JSON.stringify(kidJson)},"tar":"`),
    cipher: utf8(spi.ciphering ? ',"ciphered":true,"deciphered":true,"counter":' : ',"ciphered":false,"counter":'),
    cc: utf8(`","verified":true,"algorithm":${JSON.stringify(ccAlg)}},"data":"`),
    kicNote: kw && `KIc key: ${kw}`,
    kidNote: dw && `KID key: ${dw}`,
    block: cipher ? blockSize(cipher) : 0,
    tail: utf8(tail),
    end: utf8(`${VERIFIED_TEXT}[]${tail}`),
    mids: new Map(),
    midTar: -1,
    midLen: -1,
    tails: new Map(),
  };
}

const LINE = utf8('{"line":');
const PREFIX = utf8(`,"layers":["command packet"],"format":${JSON.stringify(formatTag('command'))},"type":"command","dialect":${JSON.stringify(smsDialect.name)},"hex":"`);
const CPL = utf8('","cpl":');
const COUNTER_HEX = utf8(',"counterHex":"');
const PCNTR = utf8('","pcntr":');
const CC = utf8(',"checksum":{"type":"cc","value":"');
const PADDING = utf8('","padding":"');
const VERIFIED = utf8(VERIFIED_TEXT);

/** Output octets growing as lines are written. */
export class JsonOut {
  buf: Buffer = Buffer.allocUnsafeSlow(0);
  at = 0;
  /** Buffers written out and given back (LineFn.recycle): filled again rather than fresh memory (fresh pages cost). */
  private free: Buffer[] = [];
  private made = new WeakSet<ArrayBufferLike>();
  private alloc(size: number): Buffer {
    const b = Buffer.allocUnsafeSlow(size);
    this.made.add(b.buffer);
    return b;
  }
  /** A buffer of at least `size` octets (the last one may still be on its way out). */
  start(size: number): void {
    const b = this.free.pop();
    // A quarter to spare: lines grow slowly (line numbers, counters), and a buffer given back must fit the next chunks.
    this.buf = b && b.length >= size ? b : this.alloc(size + (size >> 2));
    this.at = 0;
  }
  /**
   * `b` (or a part of it), a buffer this object made, is written out: it may be
   * filled again. As many are kept as chunks can be on their way out at once
   * (the engine writes after each read of the input, several chunks together).
   */
  recycle(b: Uint8Array): void {
    if (this.free.length < 32 && this.made.has(b.buffer) && b.buffer instanceof ArrayBuffer) this.free.push(Buffer.from(b.buffer));
  }
  /** Room for `n` more octets. */
  room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = this.alloc(Math.max(2 * this.buf.length, this.at + n));
    bigger.set(this.buf.subarray(0, this.at));
    this.buf = bigger;
  }
  put(b: Uint8Array): void {
    this.buf.set(b, this.at);
    this.at += b.length;
  }
  /** A non-negative integer below 2^53 as JSON writes it. */
  int(v: number): void {
    const buf = this.buf;
    if (v < 10) {
      buf[this.at++] = 48 + v;
      return;
    }
    // The digits from the last, without a string per number.
    let d = 1;
    for (let t = v; t >= 10; t = Math.floor(t / 10)) d++;
    let at = (this.at += d);
    while (d-- > 0) {
      const q = Math.floor(v / 10);
      buf[--at] = 48 + v - 10 * q;
      v = q;
    }
  }
  hex(b: Uint8Array, from: number, to: number): void {
    this.at = hexOut(b, from, to, this.buf, this.at);
  }
}

/** One C-APDU of a compact script as the script's JSON gives it: its hex as a JSON string, and its command object after `{"offset":N,`. */
interface ApduPart {
  hex: string;
  cmd: string;
}

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');

/** The part of C-APDU `raw` (decoded alone, at offset 0, by the script decoder), undefined when it is not one C-APDU. */
function apduPart(raw: Uint8Array): ApduPart | undefined {
  try {
    const j = commandScriptJson(decodeCommandScript(raw, 'compact')) as { apdus: string[]; commands: object[] };
    const cmd = JSON.stringify(j.commands[0]);
    const head = '{"offset":0,';
    return j.apdus.length === 1 && cmd.startsWith(head) ? { hex: JSON.stringify(j.apdus[0]), cmd: cmd.slice(head.length) } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `","apdus":…,"script":…` part of the line for compact script `data` when
 * the direction of every INS is known (TS 102 226 cl. 5.1.1: P3 is then Lc or
 * Le, one reading, so this split is the one decodeCommandScript makes), made
 * of the parts of its C-APDUs (`parts`: by their octets; a campaign repeats
 * its commands); undefined otherwise (the caller asks scriptView).
 */
function compactPart(data: Uint8Array, parts: Map<string, ApduPart>): string | undefined {
  const h: ApduHeader = { cla: 0, ins: 0, p1: 0, p2: 0 };
  let hexes = '';
  let cmds = '';
  for (let o = 0; o < data.length; ) {
    if (data.length - o < 5) return undefined;
    h.cla = data[o];
    h.ins = data[o + 1];
    h.p1 = data[o + 2];
    h.p2 = data[o + 3];
    const dir = insDirection(h);
    if (dir === undefined) return undefined;
    const next = dir === 'in' ? o + 5 + data[o + 4] : o + 5;
    if (next > data.length) return undefined;
    const raw = data.subarray(o, next);
    const key = latin1(raw);
    let p = parts.get(key);
    if (p === undefined) {
      p = apduPart(raw);
      if (p === undefined) return undefined;
      if (parts.size < 4096) parts.set(key, p);
    }
    const sep = o ? ',' : '';
    hexes += sep + p.hex;
    cmds += `${sep}{"offset":${o},${p.cmd}`;
    o = next;
  }
  return `","apdus":[${hexes}],"script":{"scriptFormat":"compact","apdus":[${hexes}],"commands":[${cmds}]}`;
}

/**
 * Writes JSON lines for one batch: `fmt` is how the secured data is read as a
 * script (TS 102 226 cl. 5.2: compact or expanded), the same for every line.
 */
export function commandJsonWriter(fmt: 'compact' | 'expanded' | 'auto') {
  const tars = new Map<number, Uint8Array>();
  // The script's part (`"apdus":…,"script":…`) by its octets: a pure function of them and `fmt`.
  const scripts = new Map<string, Uint8Array | null>();
  const parts = new Map<string, ApduPart>();
  const script = (data: Uint8Array, key: string): Uint8Array | null => {
    let s = scripts.get(key);
    if (s === undefined) {
      // Compact and every direction known (the common script): from its C-APDUs' parts; else as parse decodes it.
      const part = fmt !== 'expanded' && data.length && (fmt === 'compact' || (data[0] !== 0xaa && data[0] !== 0xae)) && !looksLikePush(data) ? compactPart(data, parts) : undefined;
      if (part !== undefined) s = utf8(part);
      else {
        const view = scriptView(data, fmt, { tree: false });
        // A broken SCP81 push or --expanded script is bad input: the per-line path gives its error.
        s = view.error ? null : utf8(`","apdus":${JSON.stringify(view.apdus ?? null)},"script":${JSON.stringify(view.json)}`);
      }
      if (scripts.size >= 4096) scripts.clear();
      scripts.set(key, s);
    }
    return s;
  };
  /** The end of the line from the CC value on: a pure function of the header, the data and padding octets (p[from..]) and PCNTR. */
  const tailOf = (h: JsonHead, p: Uint8Array, from: number, to: number, pcntr: number): Uint8Array | null => {
    // FNV-1a over the octets: looked up without a string per packet (a campaign repeats its scripts).
    let x = 0x811c9dc5 ^ pcntr;
    for (let i = from; i < to; i++) x = Math.imul(x ^ p[i], 0x01000193);
    x &= 0x3fffffff;
    const t = h.tails.get(x);
    if (t !== undefined && t.pcntr === pcntr && t.key.length === to - from) {
      const k = t.key;
      let i = 0;
      while (i < k.length && k[i] === p[from + i]) i++;
      if (i === k.length) return t.out;
    }
    return newTail(h, p, from, to, pcntr, x);
  };
  // The cold paths on their own (newTail, newMid): the hot lookups are compiled without them.
  const newTail = (h: JsonHead, p: Uint8Array, from: number, to: number, pcntr: number, x: number): Uint8Array | null => {
    const dataEnd = to - pcntr;
    const data = p.subarray(from, dataEnd);
    const sc = script(data, data.length ? latin1(data) : '');
    let o: Uint8Array | null = null;
    if (sc !== null) {
      // The notes of parseCommand (src/secured/command.ts), in its order.
      const pn = h.block ? (pcntr >= h.block ? `PCNTR ${pcntr} is more than a block needs` : undefined) : pcntr !== 0 ? `PCNTR is ${pcntr} although the packet is not ciphered` : undefined;
      const notes = h.kicNote || pn || h.kidNote ? [VERIFIED, utf8(JSON.stringify([h.kicNote, pn, h.kidNote].filter((n) => n !== undefined))), h.tail] : [h.end];
      o = Buffer.concat([h.cc, utf8(toHex(data)), PADDING, utf8(toHex(p.subarray(dataEnd, to))), sc, ...notes]);
    }
    if (h.tails.size >= 4096) h.tails.clear();
    h.tails.set(x, { key: p.slice(from, to), pcntr, out: o });
    return o;
  };
  /** From `","cpl":` to `"counter":`: a pure function of the header, the TAR and the packet length. */
  const midOf = (h: JsonHead, b: Uint8Array, bAt: number, bLen: number): Uint8Array => {
    const t = (b[bAt + 7] << 16) | (b[bAt + 8] << 8) | b[bAt + 9];
    // The last one first, compared field by field (their sum as one key is no small integer).
    if (t === h.midTar && bLen === h.midLen) return h.mid!;
    return newMid(h, b, bAt, bLen, t);
  };
  const newMid = (h: JsonHead, b: Uint8Array, bAt: number, bLen: number, t: number): Uint8Array => {
    const key = t * 0x20000 + bLen;
    let m = h.mids.get(key);
    if (m === undefined) {
      let tar = tars.get(t);
      if (tar === undefined) {
        const tb = b.slice(bAt + 7, bAt + 10);
        tar = utf8(`${toHex(tb)}","tarName":${JSON.stringify(tarName(tb) ?? null)}`);
        if (tars.size < 4096) tars.set(t, tar);
      }
      m = Buffer.concat([CPL, utf8(String(bLen - 2)), h.head, tar, h.cipher]);
      if (h.mids.size >= 4096) h.mids.clear();
      h.mids.set(key, m);
    }
    h.midTar = t;
    h.midLen = bLen;
    h.mid = m;
    return m;
  };
  /**
   * Writes the line of packet b[bAt .. bAt + bLen) (TAR at 7-9, TS 31.115 cl. 4.2)
   * with its deciphered part p[pAt .. pAt + pLen) (CNTR 0-4, PCNTR 5, CC 6..,
   * TS 102 225 cl. 5.1) and CC length `L` to `out`; false (nothing written) when
   * the per-line path must give it (a script that is bad input).
   */
  return (out: JsonOut, lineNo: number, b: Uint8Array, bAt: number, bLen: number, p: Uint8Array, pAt: number, pLen: number, L: number, h: JsonHead): boolean => {
    const pcntr = p[pAt + 5];
    const tail = tailOf(h, p, pAt + 6 + L, pAt + pLen, pcntr);
    if (tail === null) return false;
    const mid = midOf(h, b, bAt, bLen);
    out.room(64 + PREFIX.length + 2 * bLen + mid.length + COUNTER_HEX.length + PCNTR.length + CC.length + 2 * L + tail.length);
    out.put(LINE);
    out.int(lineNo);
    out.put(PREFIX);
    out.hex(b, bAt, bAt + bLen);
    out.put(mid);
    // CNTR: 5 octets, below 2^53.
    out.int(p[pAt] * 4294967296 + (((p[pAt + 1] << 24) | (p[pAt + 2] << 16) | (p[pAt + 3] << 8) | p[pAt + 4]) >>> 0));
    out.put(COUNTER_HEX);
    out.hex(p, pAt, pAt + 5);
    out.put(PCNTR);
    out.int(pcntr);
    out.put(CC);
    out.hex(p, pAt + 6, pAt + 6 + L);
    out.put(tail);
    return true;
  };
}

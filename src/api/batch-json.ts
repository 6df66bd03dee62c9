/**
 * The `parse --each --json` line of an SMS-PP command packet whose CC checked
 * out, written as UTF-8 octets from the parts of the packet (the group fast
 * path of src/api/batch.ts). The object is the one parsePacket + commandJson give
 * (src/api/packet.ts, src/secured/view.ts), key for key in their order: the
 * parts that are the same for every packet of one header (SPI, KIc, KID, CHL)
 * are serialised once, by the same functions, and the per-packet values
 * (hex, CPL, TAR, CNTR, PCNTR, CC, data, padding, script, notes) filled in.
 * The same writer gives build sms --each --json's line (--format packet),
 * which agrees with parse's up to `cipherAlgorithm` (jsonHead's `line`).
 * test/each.test.ts compares both with their per-line paths octet for octet.
 */
import { hexOut, toHex } from '../util/hex.js';
import { formatTag } from '../util/json-format.js';
import type { CommandHeader } from '../secured/command.js';
import { spiJson } from '../secured/spi.js';
import { decodeKic, decodeKidCc, keyIdJson } from '../secured/kic.js';
import { tarName } from '../secured/tar.js';
import { smsDialect } from '../smspp/dialect.js';
import { scriptView } from '../remote/view.js';
import { commandScriptJson, decodeCommandScript, insDirection, insName } from '../remote/index.js';
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
  /** From `,"cipherAlgorithm"` (when ciphered) to the end of the object and its "\n" (build: to the output's hex). */
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
  /** Lookups in `tails` that found / did not find the line's end lately: whether keeping them pays. */
  tailHits: number;
  tailMisses: number;
}

/** The end of the lines of one data and padding (`key`, padding `pcntr` octets long): `out`, or null when the per-line path must give them. */
interface Tail {
  key: Uint8Array;
  pcntr: number;
  out: Uint8Array | null;
}

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');
/**
 * Octets of their own (an exact ArrayBuffer), for what the caches here keep:
 * a small Buffer.from() is a slice of an 8 KiB pool, and a Buffer's slice() a
 * view of its whole buffer (a chunk's plaintext), which the entry would keep
 * alive with it.
 */
const own = (b: Uint8Array): Uint8Array => new Uint8Array(b);
const VERIFIED_TEXT = ',"verified":true,"failures":[],"notes":';

/**
 * The serialised parts of one header: `ccAlg` the CC algorithm, `cipher` the
 * KIc algorithm when ciphered. `line`: how the line ends, after
 * `cipherAlgorithm`: parse's (`unverified`, `framing`, the end of the object),
 * or the start of build sms --json's (`framing`, `outputFormat`, `output`
 * up to the packet's hex, which the caller writes and closes).
 */
export function jsonHead(hdr: CommandHeader, keys: KeyMaterial, ccAlg: CcAlg, cipher: CipherAlg | undefined, line: 'parse' | 'build' = 'parse'): JsonHead {
  const { spi, kic, kid, chl } = hdr;
  const kidJson = Object.assign(keyIdJson(decodeKidCc(kid)), { reading: 'cc' });
  const last = line === 'parse' ? ',"unverified":[],"framing":[]}\n' : BUILD_END;
  const tail = `${cipher ? `,"cipherAlgorithm":${JSON.stringify(cipher)}` : ''}${last}`;
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
    tailHits: 0,
    tailMisses: 0,
  };
}

/** build sms --each --json, --format packet: its members after `cipherAlgorithm`, up to the output's hex (smsBuildJson, src/api/build.ts). */
const BUILD_END = ',"framing":[],"outputFormat":"packet","output":["';
/** What closes a build sms --json line after the output's hex. */
export const BUILD_CLOSE = utf8('"]}\n');

const LINE = utf8('{"line":');
const PREFIX = utf8(`,"layers":["command packet"],"format":${JSON.stringify(formatTag('command'))},"type":"command","dialect":${JSON.stringify(smsDialect.name)},"hex":"`);
const CPL = utf8('","cpl":');
const COUNTER_HEX = utf8(',"counterHex":"');
const PCNTR = utf8('","pcntr":');
const CC = utf8(',"checksum":{"type":"cc","value":"');
const PADDING = utf8('","padding":"');
const VERIFIED = utf8(VERIFIED_TEXT);
const NOTHING = new Uint8Array(0);
const QUOTE = utf8('"');

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
  /** b[from..to) as hex over what is written at `pos` (before `at`), `at` left where it is. */
  hexAt(pos: number, b: Uint8Array, from: number, to: number): void {
    hexOut(b, from, to, this.buf, pos);
  }
  /** Text as UTF-8 (room for it asked before: 3 octets per UTF-16 unit at most). */
  text(s: string): void {
    this.at += this.buf.write(s, this.at, 'utf8');
  }
}

/**
 * One C-APDU of a compact script as the script's JSON gives it, by its header
 * (CLA INS P1 P2 P3): its hex as a JSON string and its command object after
 * `{"offset":N,`, each split where the data's hex goes (`hex` + data +
 * `hexEnd`, `cmd` + data + `cmdEnd`). The header alone decides the rest: the
 * decoder reads a C-APDU of known direction from its header (P3 is Lc or Le,
 * TS 102 226 cl. 5.1.1) and its JSON takes the data only as `lc` and `data`
 * (src/remote/index.ts apduJson), so unlike a part by the whole octets this
 * one serves every C-APDU with that header, whatever its data.
 */
interface ApduPart {
  /** CLA INS P1 P2 P3 and where the C-APDU ends (5 + Lc, or 5). */
  head: Uint8Array;
  size: number;
  hex: Uint8Array;
  hexEnd: Uint8Array;
  cmd: Uint8Array;
  cmdEnd: Uint8Array;
  /** Where P1's and P2's hex digits are in `cmd` (in `hex`: at 5 and 7): compactWrite writes the C-APDU's own there. */
  p1At: number;
  p2At: number;
}

/**
 * The parts seen: by the whole header, and by CLA, INS and P3 with the name
 * and direction its P1 P2 gave. P1 and P2 reach the JSON only as their own
 * hex digits, through insName and through insDirection (apduJson,
 * src/remote/index.ts; the compact decoder): a part serves another P1 P2
 * when those two agree (a READ BINARY at every offset of a file is one part).
 */
interface PartCache {
  exact: Map<string, ApduPart | null>;
  shape: Map<string, { part: ApduPart; name: string | undefined; dir: string }>;
}

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');

/** The part of C-APDU `raw` (decoded alone, at offset 0, by the script decoder), undefined when it is not one C-APDU. */
function apduPart(raw: Uint8Array): ApduPart | undefined {
  try {
    const j = commandScriptJson(decodeCommandScript(raw, 'compact')) as { apdus: string[]; commands: object[] };
    const cmd = JSON.stringify(j.commands[0]);
    const head = '{"offset":0,';
    if (j.apdus.length !== 1 || !cmd.startsWith(head)) return undefined;
    const dataHex = toHex(raw.subarray(5));
    // `cmd` from the comma after the offset on; P1 and P2 as apduJson writes them, once each, before the data.
    const c = cmd.slice(head.length - 1);
    const p1At = c.indexOf('"p1":"') + 6;
    const p2At = c.indexOf('"p2":"') + 6;
    const p1p2 = toHex(raw.subarray(2, 4));
    if (p1At < 6 || p2At < 6 || c.slice(p1At, p1At + 2) + c.slice(p2At, p2At + 2) !== p1p2 || j.apdus[0].slice(4, 8) !== p1p2) return undefined;
    const id = { head: own(raw.subarray(0, 5)), size: raw.length, p1At, p2At };
    if (!dataHex) return { ...id, hex: own(utf8(JSON.stringify(j.apdus[0]))), hexEnd: NOTHING, cmd: own(utf8(c)), cmdEnd: NOTHING };
    // Split where the data is: the hex ends with it, the command has it as "data" once.
    const field = `"data":"${dataHex}"`;
    const at = c.indexOf(field);
    if (!j.apdus[0].endsWith(dataHex) || at < 0 || c.indexOf(field, at + 1) >= 0 || at < p2At) return undefined;
    const dataAt = at + field.length - 1 - dataHex.length;
    return { ...id, hex: own(utf8(`"${j.apdus[0].slice(0, -dataHex.length)}`)), hexEnd: QUOTE, cmd: own(utf8(c.slice(0, dataAt))), cmdEnd: own(utf8(c.slice(dataAt + dataHex.length))) };
  } catch {
    return undefined;
  }
}

/** The C-APDUs of a compact script as compactPlan found them: part k for octets at[k] .. at[k + 1]; `size` bounds what compactWrite writes. */
interface Plan {
  parts: ApduPart[];
  at: number[];
  n: number;
  size: number;
}

/**
 * Plans the `","apdus":…,"script":…` part of the line for compact script
 * `data` when the direction of every INS is known (TS 102 226 cl. 5.1.1: P3
 * is then Lc or Le, one reading, so this split is the one
 * decodeCommandScript makes), from the parts of its C-APDUs (`parts`: by
 * their headers); false otherwise (the caller asks scriptView).
 */
function compactPlan(data: Uint8Array, parts: PartCache, plan: Plan): boolean {
  plan.n = 0;
  plan.size = 128;
  for (let o = 0; o < data.length; ) {
    if (data.length - o < 5) return false;
    // The same header as the last script's C-APDU at this place (a campaign's scripts differ in their data): no lookup.
    let p: ApduPart | null | undefined = plan.parts[plan.n];
    const lh = p?.head;
    if (!lh || lh[0] !== data[o] || lh[1] !== data[o + 1] || lh[2] !== data[o + 2] || lh[3] !== data[o + 3] || lh[4] !== data[o + 4]) p = partAt(data, o, parts);
    if (!p || o + p.size > data.length) return false;
    plan.parts[plan.n] = p;
    plan.at[plan.n++] = o;
    const d = 2 * (p.size - 5);
    plan.size += 2 * (p.hex.length + d + p.hexEnd.length) + p.cmd.length + d + p.cmdEnd.length + 24;
    o += p.size;
  }
  plan.at[plan.n] = data.length;
  return true;
}

/** The part of the C-APDU at data[o] by its header (`parts`), null when it has none (direction unknown, not one C-APDU). */
function partAt(data: Uint8Array, o: number, parts: PartCache): ApduPart | null {
  const h = { cla: data[o], ins: data[o + 1], p1: data[o + 2], p2: data[o + 3] };
  const dir = insDirection(h);
  if (dir === undefined) return null;
  const next = dir === 'in' ? o + 5 + data[o + 4] : o + 5;
  if (next > data.length) return null;
  const key = latin1(data.subarray(o, o + 5));
  let p = parts.exact.get(key);
  if (p === undefined) {
    const shapeKey = key[0] + key[1] + key[4];
    const seen = parts.shape.get(shapeKey);
    const name = insName(h);
    if (seen !== undefined && seen.name === name && seen.dir === dir && seen.part.size === next - o) p = seen.part;
    else {
      p = apduPart(data.subarray(o, next)) ?? null;
      if (p && parts.shape.size < 4096) parts.shape.set(shapeKey, { part: p, name, dir });
    }
    if (parts.exact.size < 4096) parts.exact.set(key, p);
  }
  return p;
}

const SCRIPT_APDUS = utf8('","apdus":[');
const SCRIPT_MID = utf8('],"script":{"scriptFormat":"compact","apdus":[');
const SCRIPT_CMD0 = utf8('],"commands":[{"offset":');
const SCRIPT_CMD = utf8(',{"offset":');
const SCRIPT_END = utf8(']}');

/** Writes the part compactPlan planned (room for plan.size octets asked before). */
function compactWrite(out: JsonOut, data: Uint8Array, plan: Plan): void {
  const { parts, at, n } = plan;
  out.put(SCRIPT_APDUS);
  const list = out.at;
  for (let k = 0; k < n; k++) {
    if (k) out.buf[out.at++] = 0x2c; // ","
    const hexAt = out.at;
    out.put(parts[k].hex);
    out.hex(data, at[k] + 5, at[k + 1]);
    out.put(parts[k].hexEnd);
    // The C-APDU's own P1 P2 when the part is another's of the same shape.
    const h = parts[k].head;
    if (h[2] !== data[at[k] + 2] || h[3] !== data[at[k] + 3]) out.hexAt(hexAt + 5, data, at[k] + 2, at[k] + 4);
  }
  const listEnd = out.at;
  out.put(SCRIPT_MID);
  // The script's "apdus" are the same list, octet for octet (commandScriptJson: each C-APDU's hex): copied.
  out.buf.copyWithin(out.at, list, listEnd);
  out.at += listEnd - list;
  for (let k = 0; k < n; k++) {
    out.put(k ? SCRIPT_CMD : SCRIPT_CMD0);
    out.int(at[k]);
    const p = parts[k];
    const cmdAt = out.at;
    out.put(p.cmd);
    if (p.head[2] !== data[at[k] + 2] || p.head[3] !== data[at[k] + 3]) {
      out.hexAt(cmdAt + p.p1At, data, at[k] + 2, at[k] + 3);
      out.hexAt(cmdAt + p.p2At, data, at[k] + 3, at[k] + 4);
    }
    out.hex(data, at[k] + 5, at[k + 1]);
    out.put(p.cmdEnd);
  }
  out.put(SCRIPT_END);
}

/**
 * Writes JSON lines for one batch: `fmt` is how the secured data is read as a
 * script (TS 102 226 cl. 5.2: compact or expanded), the same for every line.
 */
export function commandJsonWriter(fmt: 'compact' | 'expanded' | 'auto') {
  const tars = new Map<number, Uint8Array>();
  const parts: PartCache = { exact: new Map(), shape: new Map() };
  const plan: Plan = { parts: [], at: [], n: 0, size: 0 };
  /** Compact and every direction known (the common script): planned from its C-APDUs' parts into `plan`. */
  const planned = (data: Uint8Array): boolean =>
    fmt !== 'expanded' && data.length > 0 && (fmt === 'compact' || (data[0] !== 0xaa && data[0] !== 0xae)) && !looksLikePush(data) && compactPlan(data, parts, plan);
  /** The script's part as parse decodes it (a script not planned), null when the per-line path must give it (bad input). */
  const viewText = (data: Uint8Array): string | null => {
    const view = scriptView(data, fmt, { tree: false });
    // A broken SCP81 push or --expanded script is bad input: the per-line path gives its error.
    return view.error ? null : `","apdus":${JSON.stringify(view.apdus ?? null)},"script":${JSON.stringify(view.json)}`;
  };
  /** The notes of parseCommand (src/secured/command.ts), in its order, as JSON; undefined for none (the common line). */
  const notesOf = (h: JsonHead, pcntr: number): string | undefined => {
    const pn = h.block ? (pcntr >= h.block ? `PCNTR ${pcntr} is more than a block needs` : undefined) : pcntr !== 0 ? `PCNTR is ${pcntr} although the packet is not ciphered` : undefined;
    return h.kicNote || pn || h.kidNote ? JSON.stringify([h.kicNote, pn, h.kidNote].filter((n) => n !== undefined)) : undefined;
  };
  // What planEnd found for writeEnd: the script's part as text (null: planned, in `plan`) and the notes.
  let endSc: string | null = null;
  let endNotes: string | undefined;
  /**
   * Plans the end of the line from the CC value on (data and padding
   * p[from..to), PCNTR `pcntr`): the octets writeEnd needs at most, or -1 when
   * the per-line path must give the line (a script that is bad input).
   */
  const planEnd = (h: JsonHead, p: Uint8Array, from: number, to: number, pcntr: number): number => {
    const data = p.subarray(from, to - pcntr);
    let room: number;
    endSc = null;
    if (planned(data)) room = plan.size;
    else {
      endSc = viewText(data);
      if (endSc === null) return -1;
      room = 3 * endSc.length;
    }
    endNotes = notesOf(h, pcntr);
    return room + h.cc.length + 2 * (to - from) + PADDING.length + (endNotes === undefined ? h.end.length : VERIFIED.length + 3 * endNotes.length + h.tail.length);
  };
  /** Writes what planEnd planned. */
  const writeEnd = (out: JsonOut, h: JsonHead, p: Uint8Array, from: number, to: number, pcntr: number): void => {
    out.put(h.cc);
    out.hex(p, from, to - pcntr);
    out.put(PADDING);
    out.hex(p, to - pcntr, to);
    if (endSc === null) compactWrite(out, p.subarray(from, to - pcntr), plan);
    else out.text(endSc);
    if (endNotes === undefined) out.put(h.end);
    else {
      out.put(VERIFIED);
      out.text(endNotes);
      out.put(h.tail);
    }
  };
  /** The key of a line's end in JsonHead.tails: FNV-1a over the data and padding octets p[from..to) and PCNTR (no string per packet). */
  const tailKey = (p: Uint8Array, from: number, to: number, pcntr: number): number => {
    let x = 0x811c9dc5 ^ pcntr;
    for (let i = from; i < to; i++) x = Math.imul(x ^ p[i], 0x01000193);
    return x & 0x3fffffff;
  };
  /**
   * The end of the line from the CC value on, a pure function of the header,
   * the data and padding octets (p[from..to)) and PCNTR, when kept under key
   * `x`: its octets, or null when the per-line path gives the line; undefined
   * when not kept (the caller writes it, and keeps it when keeps() says so).
   */
  const tailOf = (h: JsonHead, p: Uint8Array, from: number, to: number, pcntr: number, x: number): Uint8Array | null | undefined => {
    const t = h.tails.get(x);
    if (t !== undefined && t.pcntr === pcntr && t.key.length === to - from) {
      const k = t.key;
      let i = 0;
      while (i < k.length && k[i] === p[from + i]) i++;
      if (i === k.length) {
        h.tailHits++;
        return t.out;
      }
    }
    return undefined;
  };
  /**
   * After a line's end was not found: whether to keep it. Kept while lines
   * repeat their scripts (a campaign); while they do not, one line in 64 only
   * (nothing kept for a line seen once, but scripts that start repeating are seen to).
   */
  const keeps = (h: JsonHead): boolean => {
    // Halved now and then: what pays is what the last few thousand lines did. (Shifted on every
    // miss, by 0 or 1: a branch first taken thousands of lines in would have no type feedback, and
    // V8 would throw the compiled code away there and compile it again.)
    const half = ++h.tailMisses + h.tailHits >= 8192 ? 1 : 0;
    h.tailHits >>= half;
    h.tailMisses >>= half;
    return h.tailMisses < 256 || 4 * h.tailHits >= h.tailMisses || (h.tailMisses & 63) === 0;
  };
  /**
   * Keeps the end of a line under key `x`: `out` its octets as written
   * (copied: the output buffer is filled again), null when the per-line path
   * gives it. The line's end is written once, where it goes, kept or not.
   */
  const keep = (h: JsonHead, x: number, p: Uint8Array, from: number, to: number, pcntr: number, out: Uint8Array | null): void => {
    if (h.tails.size >= 4096) h.tails.clear();
    // Copies of their own: `p` may be a Buffer (the chunk's plaintext from OpenSSL), whose slice() is a view
    // that would keep the whole chunk alive as long as the entry.
    h.tails.set(x, { key: own(p.subarray(from, to)), pcntr, out: out && own(out) });
  };
  /** From `","cpl":` to `"counter":`: a pure function of the header, the TAR and the packet length. */
  const midOf = (h: JsonHead, b: Uint8Array, bAt: number, bLen: number): Uint8Array => {
    const t = (b[bAt + 7] << 16) | (b[bAt + 8] << 8) | b[bAt + 9];
    // The last one first, compared field by field (their sum as one key is no small integer).
    if (t === h.midTar && bLen === h.midLen) return h.mid!;
    return newMid(h, b, bAt, bLen, t);
  };
  // The cold path on its own: the hot lookup is compiled without it.
  const newMid = (h: JsonHead, b: Uint8Array, bAt: number, bLen: number, t: number): Uint8Array => {
    const key = t * 0x20000 + bLen;
    let m = h.mids.get(key);
    if (m === undefined) {
      let tar = tars.get(t);
      if (tar === undefined) {
        const tb = b.slice(bAt + 7, bAt + 10);
        tar = utf8(`${toHex(tb)}","tarName":${JSON.stringify(tarName(tb) ?? null)}`);
        if (tars.size < 4096) tars.set(t, own(tar));
      }
      m = own(Buffer.concat([CPL, utf8(String(bLen - 2)), h.head, tar, h.cipher]));
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
    const from = pAt + 6 + L;
    const to = pAt + pLen;
    const x = tailKey(p, from, to, pcntr);
    const tail = tailOf(h, p, from, to, pcntr, x);
    if (tail === null) return false;
    // Not found: planned here, written below (and kept from there when keeps() says so).
    const kept = tail === undefined && keeps(h);
    const endRoom = tail === undefined ? planEnd(h, p, from, to, pcntr) : tail.length;
    if (endRoom < 0) {
      if (kept) keep(h, x, p, from, to, pcntr, null);
      return false;
    }
    const mid = midOf(h, b, bAt, bLen);
    out.room(64 + PREFIX.length + 2 * bLen + mid.length + COUNTER_HEX.length + PCNTR.length + CC.length + 2 * L + endRoom);
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
    if (tail) out.put(tail);
    else {
      const at = out.at;
      writeEnd(out, h, p, from, to, pcntr);
      if (kept) keep(h, x, p, from, to, pcntr, out.buf.subarray(at, out.at));
    }
    return true;
  };
}

/**
 * A small deterministic mutation fuzzer for the parsers. The only acceptable
 * outcomes of a parser are a result or an OtaError subclass with a one-line
 * message; anything else (TypeError, RangeError, a multi-line message, a
 * parse slower than the time bound) is a finding.
 */
import { OtaError } from '../../src/util/errors.js';

/** xorshift32: fast, seedable, the same sequence on every machine. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed >>> 0) || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.s = x;
    return x;
  }
  int(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.next() & 0xff;
    return b;
  }
}

export interface FuzzTarget {
  name: string;
  /** Valid inputs to mutate. */
  seeds(): Uint8Array[];
  /** Parse the input; throw only OtaErrors. */
  run(input: Uint8Array): unknown;
  /** Inputs longer than this are cut (keeps file-format targets fast). */
  maxLength?: number;
  /** The input is JSON text: half of the mutations then change its structure, not its octets. */
  json?: boolean;
}

export type Outcome = { ok: true } | { ok: false; kind: string; message: string; stack?: string };

/**
 * CPU-time bound of one input (ms): FUZZ_TIME_BOUND_MS for the input as such,
 * plus FUZZ_TIME_PER_KIB_MS for each KiB of it. Every parser here is linear and
 * stays far below (at most ~2 ms/KiB measured, most under 0.1); one that is
 * quadratic in some input (a rescan per segment, backtracking over a script)
 * takes seconds on a 64 KiB input and is reported as `slow`. CPU time of this
 * process, not wall time, so that other processes on a shared machine do not
 * make a parse look slow.
 */
export const TIME_BOUND_MS = Number(process.env.FUZZ_TIME_BOUND_MS ?? 500);
export const TIME_PER_KIB_MS = Number(process.env.FUZZ_TIME_PER_KIB_MS ?? 8);

export function timeBound(length: number): number {
  return TIME_BOUND_MS + (TIME_PER_KIB_MS * length) / 1024;
}

export function classify(target: FuzzTarget, input: Uint8Array): Outcome {
  const c0 = process.cpuUsage();
  let out: Outcome = { ok: true };
  try {
    target.run(input);
  } catch (e) {
    if (e instanceof OtaError) {
      if (/[\r\n]/.test(e.message)) out = { ok: false, kind: 'multi-line message', message: e.message };
      else if (!e.message.trim()) out = { ok: false, kind: 'empty message', message: '' };
    } else {
      const err = e as Error;
      out = { ok: false, kind: err?.constructor?.name ?? typeof e, message: String(err?.message ?? e), stack: err?.stack };
    }
  }
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1000;
  const bound = timeBound(input.length);
  if (out.ok && cpuMs > bound) out = { ok: false, kind: 'slow', message: `took ${Math.round(cpuMs)} ms of CPU for ${input.length} octets (bound ${Math.round(bound)} ms)` };
  return out;
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0xfe, 0xff];

/** One mutation of `b` (may return a longer or shorter array). */
export function mutate(rng: Rng, b: Uint8Array): Uint8Array {
  const out = Uint8Array.from(b);
  const n = out.length;
  switch (rng.int(12)) {
    case 0: // bit flip
      if (n) out[rng.int(n)] ^= 1 << rng.int(8);
      return out;
    case 1: // random octet
      if (n) out[rng.int(n)] = rng.int(256);
      return out;
    case 2: // an "interesting" value (length fields set to 0 / max / BER long forms)
      if (n) out[rng.int(n)] = rng.pick(INTERESTING);
      return out;
    case 3: // truncate
      return out.slice(0, rng.int(n + 1));
    case 4: { // delete a run
      const at = rng.int(n + 1);
      const len = 1 + rng.int(8);
      return Uint8Array.from([...out.subarray(0, at), ...out.subarray(at + len)]);
    }
    case 5: { // insert random octets
      const at = rng.int(n + 1);
      return Uint8Array.from([...out.subarray(0, at), ...rng.bytes(1 + rng.int(8)), ...out.subarray(at)]);
    }
    case 6: { // duplicate a chunk
      const at = rng.int(n + 1);
      const len = rng.int(Math.min(32, n - at) + 1);
      return Uint8Array.from([...out.subarray(0, at + len), ...out.subarray(at, at + len), ...out.subarray(at + len)]);
    }
    case 7: { // 16-bit field set to 0000 / FFFF / 7FFF / 8000
      if (n >= 2) {
        const at = rng.int(n - 1);
        const v = rng.pick([0, 0xffff, 0x7fff, 0x8000, 0x0100]);
        out[at] = v >> 8;
        out[at + 1] = v & 0xff;
      }
      return out;
    }
    case 8: { // 32-bit field (pcap lengths) set to extreme values
      if (n >= 4) {
        const at = rng.int(n - 3);
        const v = rng.pick([0, 0xffffffff, 0x7fffffff, 0x80000000, 0x00010000]);
        for (let i = 0; i < 4; i++) out[at + i] = (v >>> (24 - 8 * i)) & 0xff;
      }
      return out;
    }
    case 9: { // BER length at a random place: 81 xx / 82 xx xx / 84 FF FF FF FF
      const at = rng.int(n + 1);
      const len = rng.pick([[0x81, 0xff], [0x82, 0xff, 0xff], [0x84, 0xff, 0xff, 0xff, 0xff], [0x80], [0x85, 1, 2, 3, 4, 5]]);
      return Uint8Array.from([...out.subarray(0, at), ...len, ...out.subarray(at + 1)]);
    }
    case 10: { // nested TLV bomb: tag/length pairs nested deep
      const tag = rng.pick([0xaa, 0xab, 0xae, 0xaf, 0xd0, 0xd1, 0x30, 0xa0, 0x8b, 0x0b]);
      const depth = 1 + rng.int(2000);
      const bomb: number[] = [];
      for (let i = 0; i < depth; i++) bomb.push(tag, rng.pick([0x80, 0x81, 0x82, 0xff, 0x7f]));
      const at = rng.int(n + 1);
      return Uint8Array.from([...out.subarray(0, at), ...bomb, ...out.subarray(at)]);
    }
    default: { // splice a copy of itself (huge inputs grow from this)
      const at = rng.int(n + 1);
      return Uint8Array.from([...out.subarray(0, at), ...out, ...out.subarray(at)]);
    }
  }
}

/** The next input for a run: a seed mutated 1–4 times, or pure random / huge noise. */
export function nextInput(rng: Rng, seeds: readonly Uint8Array[], maxLength: number, json = false): Uint8Array {
  const r = rng.int(100);
  let b: Uint8Array;
  if (json && r >= 50 && seeds.length) b = mutateJson(rng, rng.pick(seeds), 1 + rng.int(3));
  else if (r < 3 || !seeds.length) b = rng.bytes(rng.int(300));
  else if (r < 4) b = rng.bytes(65536 + rng.int(200000)); // huge input
  else {
    b = rng.pick(seeds);
    const k = 1 + rng.int(4);
    for (let i = 0; i < k; i++) b = mutate(rng, b);
  }
  return b.length > maxLength ? b.subarray(0, maxLength) : b;
}

/** A finding's signature: the same bug found twice counts once. */
export function signature(o: Outcome): string {
  if (o.ok) return 'ok';
  const top = (o.stack ?? '').split('\n').slice(1, 2).join('').trim().replace(/:\d+:\d+\)?$/, '');
  return `${o.kind}: ${o.message.replace(/\d+/g, 'N').slice(0, 80)} ${top}`;
}

/** Shrink `input` while it keeps the same signature (delta debugging over octet runs, then octet values). */
export function minimise(target: FuzzTarget, input: Uint8Array, budget = 4000): Uint8Array {
  const want = signature(classify(target, input));
  let cur = input;
  let tries = 0;
  for (let chunk = Math.max(1, cur.length >> 1); chunk >= 1 && tries < budget; chunk >>= 1) {
    let changed = true;
    while (changed && tries < budget) {
      changed = false;
      for (let at = 0; at < cur.length && tries < budget; at += chunk) {
        const cand = Uint8Array.from([...cur.subarray(0, at), ...cur.subarray(at + chunk)]);
        tries++;
        if (signature(classify(target, cand)) === want) {
          cur = cand;
          changed = true;
          at -= chunk;
        }
      }
    }
  }
  // Zero what can be zeroed: the octets left are the ones that matter.
  for (let i = 0; i < cur.length && tries < budget; i++) {
    if (cur[i] === 0) continue;
    const cand = Uint8Array.from(cur);
    cand[i] = 0;
    tries++;
    if (signature(classify(target, cand)) === want) cur = cand;
  }
  return cur;
}

const JSON_VALUES: unknown[] = [
  null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53, 255, 256, 65536, '', 'x', '00', 'ZZ', 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF',
  '0'.repeat(10000), [], {}, [[[[[[]]]]]], { a: { b: { c: {} } } }, '__proto__', 'constructor', '-1', '1e400', 'aes-cbc', '3des-2key-cbc',
];

/** Replace, delete or duplicate values at random places of a JSON document. */
export function mutateJson(rng: Rng, b: Uint8Array, times: number): Uint8Array {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(b));
  } catch {
    return b;
  }
  for (let i = 0; i < times; i++) {
    // Collect the containers and pick one slot.
    const slots: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach((x, k) => { slots.push({ parent: v, key: k }); walk(x); });
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { slots.push({ parent: v as Record<string, unknown>, key: k }); walk(x); }
    };
    walk(doc);
    if (!slots.length) break;
    const s = rng.pick(slots);
    const p = s.parent as Record<string | number, unknown>;
    const op = rng.int(5);
    if (op === 0) {
      if (Array.isArray(p)) p.splice(s.key as number, 1);
      else delete p[s.key];
    } else if (op === 1 && Array.isArray(p)) p.push(structuredClone(p[s.key as number]));
    else if (op === 2 && typeof p[s.key] === 'string') {
      const str = p[s.key] as string;
      const at = rng.int(str.length + 1);
      p[s.key] = str.slice(0, at) + rng.pick(['', 'G', '0', '00', ' ', '\n', 'é']) + str.slice(at + rng.int(3));
    } else if (op === 3 && !Array.isArray(p)) p[rng.pick(['extra', '__proto__', 'kvn', 'key', 'algorithm', 'tar', 'counter'])] = rng.pick(JSON_VALUES);
    else p[s.key] = structuredClone(rng.pick(JSON_VALUES));
  }
  return new TextEncoder().encode(JSON.stringify(doc));
}

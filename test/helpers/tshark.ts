/**
 * Run Wireshark's tshark on a capture and return its decode, so tests can
 * compare our bytes against an independent dissector. A missing tshark is a
 * test failure with a clear message, never a skip.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATES = [process.env.TSHARK, '/usr/bin/tshark', '/usr/local/bin/tshark'].filter((p): p is string => !!p);

export function tsharkPath(): string {
  for (const p of CANDIDATES) if (existsSync(p)) return p;
  try {
    return execFileSync('sh', ['-c', 'command -v tshark'], { encoding: 'utf8' }).trim() || fail();
  } catch {
    return fail();
  }
}

function fail(): never {
  throw new Error(
    'tshark not found (looked at $TSHARK, /usr/bin/tshark, /usr/local/bin/tshark, PATH). ' +
      'These tests compare our output with Wireshark dissectors and cannot run without it: apt-get install tshark',
  );
}

function run(args: string[]): string {
  try {
    return execFileSync(tsharkPath(), args, { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`tshark ${args.join(' ')} failed: ${err.stderr || err.message}`);
  }
}

export type TsharkPacket = { _source: { layers: Record<string, unknown> } };

/** `tshark -r FILE -T json --no-duplicate-keys` (repeated keys become arrays). */
export function tsharkJson(pcap: string, extra: string[] = []): TsharkPacket[] {
  return JSON.parse(run(['-r', pcap, '-T', 'json', '--no-duplicate-keys', ...extra])) as TsharkPacket[];
}

/** `tshark -r FILE -V` text. */
export function tsharkVerbose(pcap: string, extra: string[] = []): string {
  return run(['-r', pcap, '-V', ...extra]);
}

/** Every value stored under `key` anywhere in `obj` (arrays flattened). */
export function findAll(obj: unknown, key: string): unknown[] {
  const out: unknown[] = [];
  const walk = (o: unknown) => {
    if (Array.isArray(o)) o.forEach(walk);
    else if (o && typeof o === 'object') {
      for (const [k, v] of Object.entries(o)) {
        if (k === key) {
          if (Array.isArray(v)) out.push(...v);
          else out.push(v);
        }
        walk(v);
      }
    }
  };
  walk(obj);
  return out;
}

/** The single string value of `key` (throws unless exactly one). */
export function one(obj: unknown, key: string): string {
  const v = findAll(obj, key);
  if (v.length !== 1) throw new Error(`expected exactly one ${key} in tshark output, found ${v.length}: ${JSON.stringify(v).slice(0, 200)}`);
  return String(v[0]);
}

/** Keys (at any depth) whose name contains `part`. */
export function keysContaining(obj: unknown, part: string): string[] {
  const out: string[] = [];
  const walk = (o: unknown) => {
    if (Array.isArray(o)) o.forEach(walk);
    else if (o && typeof o === 'object') {
      for (const [k, v] of Object.entries(o)) {
        if (k.includes(part)) out.push(k);
        walk(v);
      }
    }
  };
  walk(obj);
  return out;
}

/** Wireshark expert severities (epan/proto.h): PI_WARN 0x00600000, PI_ERROR 0x00800000. */
const PI_WARN = 0x00600000;

/** Malformed markers and expert items of warning level or worse, as text. */
export function problems(pkt: unknown): string[] {
  const out: string[] = [];
  if (findAll(pkt, '_ws.malformed').length) out.push('_ws.malformed');
  const walk = (o: unknown) => {
    if (Array.isArray(o)) o.forEach(walk);
    else if (o && typeof o === 'object') {
      const r = o as Record<string, unknown>;
      if (r['_ws.expert.severity'] !== undefined && Number(r['_ws.expert.severity']) >= PI_WARN) out.push(String(r['_ws.expert.message']));
      Object.values(r).forEach(walk);
    }
  };
  walk(pkt);
  return out;
}

/** Hex as tshark prints FT_BYTES ("aa:bb:cc") → upper-case plain hex. */
export function colonHex(s: unknown): string {
  return String(s).replace(/:/g, '').toUpperCase();
}

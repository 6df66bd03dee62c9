/**
 * Decode CAT_TP frames with Wireshark's own dissector (tshark), so tests check
 * our bytes against an independent implementation. Fails loudly when tshark
 * is missing — never skips.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePcap, ipv4Udp, type PcapRecord } from '../../src/pcap/pcap.js';

export const TSHARK = process.env.TSHARK ?? '/usr/bin/tshark';

function requireTshark(): void {
  try {
    execFileSync(TSHARK, ['--version'], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`tshark is required for the CAT_TP dissector checks but ${TSHARK} did not run (${(e as Error).message}); install it (apt-get install tshark)`);
  }
}

/** One frame as tshark -T json --no-duplicate-keys shows it. */
export interface TsharkFrame {
  /** The "cattp" layer (keys like "cattp.seq"); undefined if not dissected as CAT-TP. */
  cattp?: Record<string, unknown>;
  /** Payload handed to the data dissector, lower-case hex without colons. */
  data?: string;
  /** UDP ports of the frame. */
  udp: { srcport: number; dstport: number };
  layers: Record<string, unknown>;
}

export interface TsharkOptions {
  /** Force the CAT-TP dissector on this UDP port (-d udp.port==N,cattp). */
  port?: number;
  /** Use Wireshark's heuristic instead (--enable-heuristic cattp_udp). */
  heuristic?: boolean;
}

/** Run tshark on a pcap file. */
export function tsharkFile(path: string, o: TsharkOptions): TsharkFrame[] {
  requireTshark();
  const args = ['-r', path, '-T', 'json', '--no-duplicate-keys'];
  if (o.port !== undefined) args.push('-d', `udp.port==${o.port},cattp`);
  // Heuristic first, so an ephemeral port some other dissector claims cannot hide a frame.
  if (o.heuristic) args.push('--enable-heuristic', 'cattp_udp', '-o', 'udp.try_heuristic_first:TRUE');
  const out = execFileSync(TSHARK, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 }).toString();
  const frames = JSON.parse(out) as { _source: { layers: Record<string, unknown> } }[];
  return frames.map((f) => {
    const layers = f._source.layers;
    const udp = layers.udp as Record<string, string>;
    const data = layers.data as Record<string, string> | undefined;
    return {
      cattp: layers.cattp as Record<string, unknown> | undefined,
      data: data?.['data.data']?.replace(/:/g, ''),
      udp: { srcport: Number(udp['udp.srcport']), dstport: Number(udp['udp.dstport']) },
      layers,
    };
  });
}

/** Write UDP payloads (127.0.0.1:sport → 127.0.0.2:dport) into a temp pcap and decode them. */
export function tsharkPayloads(payloads: Uint8Array[], o: TsharkOptions & { sport?: number; dport?: number } = {}): TsharkFrame[] {
  const sport = o.sport ?? 40000;
  const dport = o.dport ?? 40001;
  return tsharkRecords(
    payloads.map((p, i) => ({ data: ipv4Udp('127.0.0.1', '127.0.0.2', sport, dport, p, i) })),
    { port: o.heuristic ? undefined : dport, ...o },
  );
}

/** Write pcap records into a temp file and decode them. */
export function tsharkRecords(records: PcapRecord[], o: TsharkOptions): TsharkFrame[] {
  const dir = mkdtempSync(join(tmpdir(), 'cattp-tshark-'));
  try {
    const path = join(dir, 'cattp.pcap');
    writePcap(path, records);
    return tsharkFile(path, o);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A field of the cattp layer, searched through its subtrees (flags_tree, idlen_tree, ...). */
export function field(f: TsharkFrame, key: string): string | string[] | undefined {
  const find = (o: Record<string, unknown>): string | string[] | undefined => {
    if (key in o) return o[key] as string | string[];
    for (const v of Object.values(o)) {
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        const r = find(v as Record<string, unknown>);
        if (r !== undefined) return r;
      }
    }
    return undefined;
  };
  return f.cattp ? find(f.cattp) : undefined;
}

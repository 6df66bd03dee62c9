/**
 * Bench section "capture": `parse --read` on a generated capture of
 * BENCH_READ_FRAMES GSMTAP SIM frames next to `tshark -V` on the same file.
 *
 * The capture alternates the two halves of an OTA exchange as SIMtrace
 * records them (one GSMTAP SIM APDU frame each, UDP 4729, readable by
 * Wireshark's gsm_sim / gsm_sms dissectors): an ENVELOPE (SMS-PP DOWNLOAD)
 * carrying a 3DES-ciphered command packet with a CC, and a FETCH with SEND
 * SHORT MESSAGE carrying its PoR. `parse --read` deciphers and verifies every
 * command and pairs every PoR with it; tshark -V dissects every frame. Both
 * write their full text to /dev/null. Figures: frames per CPU second, the
 * ratio to tshark -V, and peak RSS (bench/rusage.py, or GNU time), each the
 * median of BENCH_REPS interleaved runs (peak RSS: the largest).
 *
 * That capture repeats one exchange, as a lab's retries do, which memos of
 * repeated layers help. A second capture of as many frames has no two
 * exchanges alike (each command its own CNTR and data, each PoR its own), to
 * show what those memos cannot help; it is built through the library.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Run, Section, SectionContext } from './bench.js';


/** A capture file of `frames` GSMTAP frames: command / PoR pairs, built by the CLI of the first implementation. */
export function makeCapture(c: SectionContext, dir: string, frames: number): string {
  const { run, impls, K, APDU } = c;
  const bin = impls[0].bin;
  const env = join(dir, 'cmd.pcap');
  const por = join(dir, 'por.pcap');
  run(process.execPath, [bin, 'build', 'sms', ...K, '--tar', 'B00010', '--counter', '1', '--apdu', APDU, '--format', 'envelope', '--pcap', env]);
  const pkt = run(process.execPath, [bin, 'build', 'sms', ...K, '--tar', 'B00010', '--counter', '1', '--apdu', APDU, '--format', 'packet']).stdout.trim();
  run(process.execPath, [bin, 'build', 'por', ...K, '--request', pkt, '--sw', '9000', '--format', 'proactive', '--pcap', por]);
  const a = readFileSync(env);
  const b = readFileSync(por);
  const pair = Buffer.concat([a.subarray(24), b.subarray(24)]);
  const cap = join(dir, `capture-${frames}.pcap`);
  const fd = openSync(cap, 'w');
  try {
    writeSync(fd, a.subarray(0, 24));
    // Written in blocks of 512 pairs; an odd count ends with a command.
    const block = Buffer.concat(new Array(512).fill(pair));
    let left = Math.floor(frames / 2);
    while (left > 0) {
      const n = Math.min(512, left);
      writeSync(fd, n === 512 ? block : block.subarray(0, n * pair.length));
      left -= n;
    }
    if (frames % 2) writeSync(fd, a.subarray(24));
  } finally {
    closeSync(fd);
  }
  return cap;
}

/**
 * A capture of `frames` GSMTAP frames with no two exchanges alike: pair i is
 * the ENVELOPE of a command with CNTR i + 1 and its own SELECT data, then the
 * FETCH of its PoR (same CNTR), each framed by the library's buildSms /
 * buildPor with `pcap` (what build sms / build por --pcap write).
 */
export async function makeUniqueCapture(c: SectionContext, dir: string, frames: number): Promise<string> {
  const lib = createRequire(import.meta.url)(join(c.impls[0].root, 'dist', 'lib', 'index.cjs')) as {
    buildSms(o: Record<string, unknown>): Promise<{ output: string[] }>;
    buildPor(o: Record<string, unknown>): Promise<{ output: string[] }>;
  };
  const keyset = c.K[c.K.indexOf('--keyset') + 1];
  const one = join(dir, 'one.pcap');
  const parts: Buffer[] = [];
  let head: Buffer | undefined;
  const add = (): void => {
    const b = readFileSync(one);
    head ??= b.subarray(0, 24);
    parts.push(b.subarray(24));
  };
  for (let i = 0; i < frames; i += 2) {
    // An odd step: no two of the first 65,536 exchanges share their data.
    const apdu = c.APDU.slice(0, 10) + (((i / 2) * 40503) & 0xffff).toString(16).padStart(4, '0').toUpperCase();
    const o = { keyset, tar: 'B00010', counter: String(i / 2 + 1), apdu: [apdu] };
    await lib.buildSms({ ...o, format: 'envelope', pcap: one });
    add();
    if (i + 1 === frames) break;
    const request = (await lib.buildSms({ ...o, format: 'packet' })).output[0];
    await lib.buildPor({ keyset, request, sw: '9000', counter: o.counter, format: 'proactive', pcap: one });
    add();
  }
  const cap = join(dir, `capture-unique-${frames}.pcap`);
  writeFileSync(cap, Buffer.concat([head!, ...parts]));
  return cap;
}

/** parse --read (text and --ndjson) and tshark -V on `cap`, REPS interleaved rounds: the rows of one capture. */
function readCapture(c: SectionContext, cap: string): Record<string, unknown>[] {
  const { run, round, median, log, impls, K, READ_FRAMES, reps: REPS } = c;
  const rows: Record<string, unknown>[] = [];
  const ts = spawnSync('sh', ['-c', 'command -v tshark'], { encoding: 'utf8' }).stdout.trim();
  // The readers in turn, REPS rounds (the machine's load drifts): each figure is the median of its runs.
  const readers: Array<{ key: string; impl: string; output?: string; cmd: string; okCodes: number[] }> = [];
  if (ts) readers.push({ key: 'tshark', impl: 'tshark -V', cmd: `"${ts}" -r "${cap}" -V > /dev/null`, okCodes: [0] });
  for (const im of impls) {
    for (const [label, extra] of [['text', []], ['--ndjson', ['--ndjson']]] as const) {
      readers.push({ key: `${im.name} ${label}`, impl: im.name, output: label, cmd: `"${process.execPath}" "${im.bin}" parse --read "${cap}" ${K.join(' ')} ${extra.join(' ')} > /dev/null`, okCodes: [0, 1] });
    }
  }
  const runs = new Map<string, Run[]>(readers.map((x) => [x.key, []]));
  for (let i = 0; i < REPS; i++) for (const x of readers) runs.get(x.key)!.push(run('sh', ['-c', x.cmd], { okCodes: x.okCodes }));
  const fig = (key: string) => {
    const rs = runs.get(key)!;
    return { fps: READ_FRAMES / (median(rs.map((r) => r.cpuMs)) / 1000), wallMs: median(rs.map((r) => r.wallMs)), rssKb: Math.max(...rs.map((r) => r.rssKb)) };
  };
  let tsharkFps: number | null = null;
  if (ts) {
    const t = fig('tshark');
    tsharkFps = t.fps;
    log(`  tshark -V: ${t.fps.toFixed(0)} frames per CPU second, ${(t.wallMs / 1000).toFixed(1)} s wall, peak RSS ${(t.rssKb / 1024).toFixed(0)} MB (median of ${REPS})`);
    rows.push({ impl: 'tshark -V', framesPerCpuSecond: Math.round(t.fps), wallSeconds: round(t.wallMs / 1000, 1), peakRssMB: Math.round(t.rssKb / 1024) });
  } else rows.push({ impl: 'tshark -V', status: 'not installed' });
  for (const x of readers.filter((y) => y.output)) {
    const f = fig(x.key);
    log(`  ${x.impl}: parse --read (${x.output}) ${f.fps.toFixed(0)} frames per CPU second, ${(f.wallMs / 1000).toFixed(1)} s wall, peak RSS ${(f.rssKb / 1024).toFixed(0)} MB${tsharkFps ? `, x${(f.fps / tsharkFps).toFixed(2)} of tshark -V` : ''}`);
    rows.push({ impl: x.impl, output: x.output, framesPerCpuSecond: Math.round(f.fps), wallSeconds: round(f.wallMs / 1000, 1), peakRssMB: Math.round(f.rssKb / 1024), ratioToTshark: tsharkFps ? round(f.fps / tsharkFps) : null });
  }
  return rows;
}

export const captureSection = (c: SectionContext): Section => ({
  name: 'capture',
  run: async () => {
    const { log, save, results, tmp, READ_FRAMES, reps: REPS } = c;
    const cap = makeCapture(c, tmp, READ_FRAMES);
    log(`capture: ${READ_FRAMES} GSMTAP frames, ENVELOPE (SMS-PP DOWNLOAD, 3DES + CC) / FETCH (SEND SHORT MESSAGE, PoR) pairs (${(readFileSync(cap).length / 1e6).toFixed(1)} MB)`);
    const rows = readCapture(c, cap);
    results.capture = { frames: READ_FRAMES, runs: REPS, rows };
    save();
    const uniq = await makeUniqueCapture(c, tmp, READ_FRAMES);
    log(`capture, no two exchanges alike: ${READ_FRAMES} GSMTAP frames, each command its own CNTR and data (${(readFileSync(uniq).length / 1e6).toFixed(1)} MB)`);
    results.captureUnique = { frames: READ_FRAMES, runs: REPS, rows: readCapture(c, uniq) };
    save();
  },
});

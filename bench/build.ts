/**
 * Bench section "build": `build sms --each` as a user runs it (the CLI, stdin
 * from a file, stdout to a pipe), for 3DES (KVN 1: 3DES 2-key cipher + CBC-MAC)
 * and AES (KVN 2: AES-128 cipher + CMAC) with 1, 4 and 16 APDUs per packet and
 * for 3-segment concatenated SMS (`--format tpdu`), on one thread
 * (`--threads 1`) and on two worker threads (`--threads 2`).
 *
 * Figures per shape and thread count, medians of BENCH_BUILD_RUNS runs of
 * BENCH_BUILD_LINES lines, the same command on one line subtracted (start-up,
 * options, workers):
 *   - packets per wall-clock second (what the issue's goals are about; on a
 *     machine shared with other jobs, only indicative: the load average is saved),
 *   - packets per CPU second (user + system of every thread, GNU time; less noisy),
 *   - the ratio to the raw crypto limit: `openssl speed -evp` (ops per CPU
 *     second) for one CBC pass over the ciphered part plus one over the
 *     checksum input of the same packet, the work a per-packet OpenSSL call
 *     pattern could not go below.
 * Every run's output is checked: one line per input line, identical for 1 and 2 threads.
 * Goals (issue 11): 3DES one APDU 100,000 packets/s, AES 200,000, on this 2-core machine.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Section, SectionContext } from './bench.js';


interface Shape {
  name: string;
  apdus: number;
  extra: string[];
  aes: boolean;
  format: 'packet' | 'tpdu';
}
const SHAPES: Shape[] = [
  { name: '3DES 1 APDU', apdus: 1, extra: [], aes: false, format: 'packet' },
  { name: '3DES 4 APDUs', apdus: 4, extra: [], aes: false, format: 'packet' },
  { name: '3DES 16 APDUs', apdus: 16, extra: [], aes: false, format: 'packet' },
  { name: '3DES concatenated (3 SMS)', apdus: 40, extra: [], aes: false, format: 'tpdu' },
  { name: 'AES 1 APDU', apdus: 1, extra: ['--kvn', '2'], aes: true, format: 'packet' },
  { name: 'AES 4 APDUs', apdus: 4, extra: ['--kvn', '2'], aes: true, format: 'packet' },
  { name: 'AES 16 APDUs', apdus: 16, extra: ['--kvn', '2'], aes: true, format: 'packet' },
  { name: 'AES concatenated (3 SMS)', apdus: 40, extra: ['--kvn', '2'], aes: true, format: 'tpdu' },
];
const GOALS: Record<string, number> = { '3DES 1 APDU': 100_000, 'AES 1 APDU': 200_000 };

/** `openssl speed -evp` operations per CPU second at `bytes`, or null without the CLI. */
function opensslOps(cipher: string, bytes: number, smoke: boolean): number | null {
  const r = spawnSync('openssl', ['speed', '-evp', cipher, '-bytes', String(bytes), '-seconds', smoke ? '1' : '2', '-mr'], { encoding: 'utf8' });
  const f = /^\+F:\d+:[^:]+:([\d.]+)/m.exec(r.stdout ?? '');
  return f ? Number(f[1]) / bytes : null;
}

export function buildSection(c: SectionContext): Section {
  return { name: 'build', run: () => {
    const LINES = c.env('BENCH_BUILD_LINES', 50_000, 20);
    const RUNS = c.env('BENCH_BUILD_RUNS', 3, 1);
    const shapes = c.smoke ? [SHAPES[0], SHAPES[4]] : SHAPES;
    const load0 = loadavg().map((x) => c.round(x));
    c.log(`build sms --each (${LINES} lines, median of ${RUNS}, the same command on 1 line subtracted; wall and CPU (all threads); load average ${load0.join(' ')})`);
    const rows: unknown[] = [];
    const cryptoLimit = new Map<string, number | null>();
    for (const im of c.impls) {
      for (const s of shapes) {
        const file = join(c.tmp, `build-${s.apdus}.txt`);
        writeFileSync(file, c.dataLines(s.apdus, LINES));
        const one = join(c.tmp, `build-${s.apdus}-1.txt`);
        writeFileSync(one, c.dataLines(s.apdus, 1));
        const args = (threads: number): string[] => [im.bin, 'build', 'sms', '--each', ...c.K, ...s.extra, '--format', s.format, '--threads', String(threads)];
        const row: Record<string, unknown> = { impl: im.name, shape: s.name, lines: LINES };
        let out1 = '';
        for (const threads of [1, 2]) {
          const wall: number[] = [];
          const cpu: number[] = [];
          for (let i = 0; i < RUNS; i++) {
            const z = c.run(process.execPath, args(threads), { inputFile: one });
            const r = c.run(process.execPath, args(threads), { inputFile: file });
            const lines = r.stdout.length ? r.stdout.split('\n').length - 1 : 0;
            if (lines !== LINES) throw new Error(`${s.name}, --threads ${threads}: ${lines} output lines for ${LINES}`);
            if (threads === 1) out1 = r.stdout;
            else if (r.stdout !== out1) throw new Error(`${s.name}: --threads 2 printed other lines than --threads 1`);
            wall.push((LINES - 1) / (Math.max(1, r.wallMs - z.wallMs) / 1000));
            cpu.push((LINES - 1) / (Math.max(1, r.cpuMs - z.cpuMs) / 1000));
          }
          row[`threads${threads}PerWallSecond`] = Math.round(c.median(wall));
          row[`threads${threads}PerCpuSecond`] = Math.round(c.median(cpu));
        }
        // The raw crypto limit for this packet: one CBC pass over the ciphered part, one over the CC input.
        const pkt = c.run(process.execPath, [im.bin, 'build', 'sms', '--each', ...c.K, ...s.extra, '--format', 'packet'], { inputFile: one }).stdout.trim();
        const octets = pkt.length / 2;
        const B = s.aes ? 16 : 8;
        const L = 8; // CC length of both keysets
        const ciphered = octets - 10; // after CPL(2) CHL SPI(2) KIc KID TAR(3)
        const macIn = Math.ceil((octets - L) / B) * B;
        const cipher = s.aes ? 'aes-128-cbc' : 'des-ede-cbc';
        const key = `${cipher}:${ciphered}:${macIn}`;
        if (!cryptoLimit.has(key)) {
          const a = opensslOps(cipher, ciphered, c.smoke);
          const b = opensslOps(cipher, macIn, c.smoke);
          cryptoLimit.set(key, a && b ? 1 / (1 / a + 1 / b) : null);
        }
        const limit = cryptoLimit.get(key)!;
        row.packetOctets = octets;
        row.opensslLimitPerCpuSecond = limit === null ? null : Math.round(limit);
        row.threads1CpuRatioToOpensslLimit = limit === null ? null : c.round((row.threads1PerCpuSecond as number) / limit, 3);
        const best = Math.max(row.threads1PerWallSecond as number, row.threads2PerWallSecond as number);
        if (GOALS[s.name] !== undefined) {
          row.goalPerWallSecond = GOALS[s.name];
          row.goalMet = best >= GOALS[s.name];
        }
        const f = (x: unknown): string => String(x).padStart(8);
        c.log(`  ${im.name}: ${s.name.padEnd(26)} ${octets.toString().padStart(4)} octets  1 thread ${f(row.threads1PerWallSecond)}/s wall ${f(row.threads1PerCpuSecond)}/CPU-s   2 threads ${f(row.threads2PerWallSecond)}/s wall ${f(row.threads2PerCpuSecond)}/CPU-s   openssl limit ${limit === null ? 'n/a' : f(Math.round(limit))}/CPU-s x${row.threads1CpuRatioToOpensslLimit ?? 'n/a'}${GOALS[s.name] !== undefined ? `   goal ${GOALS[s.name]}/s wall: ${row.goalMet ? 'met' : 'not met'}` : ''}`);
        rows.push(row);
        c.save();
      }
    }
    c.results.build = { lines: LINES, runs: RUNS, loadavgAtStart: load0, loadavgAtEnd: loadavg().map((x) => c.round(x)), rows };
    c.save();
  } };
}

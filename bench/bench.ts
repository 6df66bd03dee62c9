/**
 * `npm run bench`: what users feel, in one run. Machines here are noisy, so
 * figures are medians of interleaved runs and are given as ratios against a
 * reference measured in the same run (bare `node -e 0`, the `openssl` CLI,
 * `tshark -V`, and, when BENCH_BASE names another built checkout, that build).
 *
 *   start-up     one invocation of typical commands vs `node -e 0`
 *   batch CLI    packets/s of `build sms --each` and `parse --each` (3DES, AES; 1, 4, 16 APDUs)
 *   library      packets/s of buildCommand + SMS-PP framing and of reassembly + parseCommand,
 *                in this process (also 3-segment concatenated packets)
 *   openssl      `openssl speed` for the same cipher and sizes: the raw crypto limit
 *   pySim        pySim's OTA encoder and decoder on the same inputs, when BENCH_PYTHON (python3)
 *                imports pySim.ota, else "not installed" (bench/pysim_ota.py)
 *   memory       peak RSS of `parse --each` over BENCH_RSS_LINES lines
 *   capture      `parse --read` frames/s on two generated GSMTAP captures (one exchange
 *                repeated; no two alike) vs `tshark -V`
 *   build        `build sms --each` on 1 and 2 threads, wall and CPU, vs the openssl limit (bench/build.ts)
 *
 * Each part is a Section ({ name, run }) in the exported SECTIONS list (other
 * parts plug in by adding theirs); BENCH_ONLY picks some by name.
 * Results go to bench/results.json (or BENCH_OUT). `--smoke` runs everything
 * with tiny sizes (the test suite only checks that the benchmark runs).
 * Sizes: BENCH_RUNS, BENCH_REPS, BENCH_BATCH, BENCH_LIB, BENCH_RSS_LINES, BENCH_READ_FRAMES.
 * CPU time and peak RSS: wait4(2) through bench/rusage.py when python3 is there, else GNU time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem, type as osType, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

/** The checkout measured: the one this file was built in (dist/bench/), or BENCH_ROOT. */
export const ROOT = process.env.BENCH_ROOT || join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SMOKE = process.argv.includes('--smoke');
export const env = (k: string, full: number, smoke: number): number => Number(process.env[k] ?? (SMOKE ? smoke : full));
export const RUNS = env('BENCH_RUNS', 15, 2);
export const BATCH = env('BENCH_BATCH', 20000, 20);
/** Interleaved runs per figure in the batch and capture sections (their median is kept). */
export const REPS = env('BENCH_REPS', 5, 1);
export const LIB = env('BENCH_LIB', 20000, 50);
export const RSS_LINES = env('BENCH_RSS_LINES', 1_000_000, 200);
export const READ_FRAMES = env('BENCH_READ_FRAMES', 100_000, 20);
const OUT = process.env.BENCH_OUT ?? (SMOKE ? '' : join(ROOT, 'bench', 'results.json'));
const BASE = process.env.BENCH_BASE || undefined; // another checkout, built, for before/after in the same run
export const KEYSET = join(ROOT, 'vectors', 'keysets', 'test.json');
/** BENCH_ONLY=startup,batch,library,openssl,pysim,memory,build,capture runs only those sections. */
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : undefined;
const want = (section: string): boolean => !ONLY || ONLY.includes(section);
const TIME = '/usr/bin/time';
/**
 * How CPU time and peak RSS are read: bench/rusage.py (wait4, to the microsecond, and the
 * command's own wall time, without python's start-up) when python3 runs it, else GNU time
 * (CPU to 10 ms), else wall time only.
 */
const RUSAGE = join(ROOT, 'bench', 'rusage.py');
const MEASURER: 'rusage' | 'time' | 'none' =
  spawnSync('python3', [RUSAGE, join(tmpdir(), `uicc-ota-bench-probe-${process.pid}`), process.execPath, '-e', '0']).status === 0 ? 'rusage' : existsSync(TIME) ? 'time' : 'none';
rmSync(join(tmpdir(), `uicc-ota-bench-probe-${process.pid}`), { force: true });
export const measuredBy = (): string => ({ rusage: 'wait4(2) through bench/rusage.py (microseconds)', time: 'GNU time (10 ms)', none: 'wall time only' })[MEASURER];

export interface Run {
  wallMs: number;
  cpuMs: number;
  rssKb: number;
  stdout: string;
}

/** Run a command; wall time, CPU time and peak RSS as MEASURER reads them. */
export function run(cmd: string, args: string[], opts: { input?: string; inputFile?: string; cwd?: string; env?: NodeJS.ProcessEnv; okCodes?: number[] } = {}): Run {
  const useTime = MEASURER !== 'none';
  const tf = useTime ? join(tmpdir(), `uicc-ota-bench-${process.pid}.time`) : '';
  const argv = MEASURER === 'rusage' ? [RUSAGE, tf, cmd, ...args] : useTime ? ['-f', '%U %S %M', '-o', tf, cmd, ...args] : args;
  const input = opts.inputFile ? readFileSync(opts.inputFile) : opts.input;
  const t = process.hrtime.bigint();
  const r = spawnSync(MEASURER === 'rusage' ? 'python3' : useTime ? TIME : cmd, argv, {
    cwd: opts.cwd ?? ROOT, input, encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: '1', ...opts.env },
  });
  const wallMs = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.error) throw r.error;
  if (!(opts.okCodes ?? [0]).includes(r.status ?? -1)) throw new Error(`${cmd} ${args.slice(0, 4).join(' ')}… exited ${r.status}: ${String(r.stderr).slice(0, 400)}`);
  let cpuMs = wallMs;
  let rssKb = 0;
  if (MEASURER === 'rusage') {
    const [w, u, s, m] = readFileSync(tf, 'utf8').trim().split(' ').map(Number);
    rmSync(tf, { force: true });
    return { wallMs: w, cpuMs: (u + s) * 1000, rssKb: m, stdout: r.stdout };
  }
  if (useTime) {
    const last = readFileSync(tf, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    cpuMs = (last[0] + last[1]) * 1000;
    rssKb = last[2];
    rmSync(tf, { force: true });
  }
  return { wallMs, cpuMs, rssKb, stdout: r.stdout };
}

/**
 * CPU ms of the CLI with `args` on `input`, less its run on the first line of `input`
 * alone (its start-up and set-up): the throughput part of an --each run.
 */
export function eachCpuMs(args: string[], input: string): number {
  const first = input.slice(0, input.indexOf('\n') + 1);
  return run(process.execPath, args, { input }).cpuMs - run(process.execPath, args, { input: first }).cpuMs;
}

/**
 * eachCpuMs for several commands measured together: `reps` rounds, each running
 * every command on its whole input and on its first line, interleaved; per
 * command the median of its one-line runs is subtracted from the median of its
 * whole runs. (A median of per-round differences carries the noise of two runs
 * in each difference: on a shared machine it moved ratios by a third.)
 */
export function eachCpuMsInterleaved(cmds: Array<[string[], string]>, reps: number): number[] {
  const whole: number[][] = cmds.map(() => []);
  const one: number[][] = cmds.map(() => []);
  for (let i = 0; i < reps; i++) {
    cmds.forEach(([args, input], k) => {
      whole[k].push(run(process.execPath, args, { input }).cpuMs);
      one[k].push(run(process.execPath, args, { input: input.slice(0, input.indexOf('\n') + 1) }).cpuMs);
    });
  }
  return cmds.map((_, k) => median(whole[k]) - median(one[k]));
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
export const log = (s: string): void => console.log(s);

/** A checkout whose CLI and library we measure: this one, and BENCH_BASE when given. */
export interface Impl {
  name: string;
  root: string;
  bin: string;
}
export const impls: Impl[] = [{ name: 'this', root: ROOT, bin: join(ROOT, 'bin', 'uicc-ota.js') }];
if (BASE) impls.push({ name: 'base', root: BASE, bin: join(BASE, 'bin', 'uicc-ota.js') });

export const results: Record<string, unknown> = {
  machine: {
    os: `${osType()} ${release()}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memGB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    openssl: spawnSync('openssl', ['version'], { encoding: 'utf8' }).stdout?.trim() ?? 'not installed',
    loadavgAtStart: loadavg().map((x) => round(x)),
    cpuTimeBy: measuredBy(),
  },
  smoke: SMOKE,
  date: new Date().toISOString(),
};

/** Written after every section, so that an interrupted run keeps what it measured. */
export function save(): void {
  (results.machine as Record<string, unknown>).loadavgAtEnd = loadavg().map((x) => round(x));
  if (OUT) writeFileSync(OUT, JSON.stringify(results, null, 2) + '\n');
}

// ---------------------------------------------------------------- start-up
export const K = ['--keyset', KEYSET];
export const PKT = '02700000281516211515B000108D3E4D30A14C0BE0841A4A36E032149E6254EF3ABBD3B047F3AE907F80EEBE1B';
/** One part of the benchmark: `run` measures and stores its figures in `results` (then save()). */
export interface Section {
  name: string;
  run: () => Promise<void> | void;
}

/**
 * What a section kept in its own file gets from this one (passed in: this file
 * imports those with top-level await, so they cannot import it back at run time).
 */
export interface SectionContext {
  run: typeof run;
  round: typeof round;
  median: typeof median;
  log: typeof log;
  save: typeof save;
  env: typeof env;
  impls: Impl[];
  results: Record<string, unknown>;
  tmp: string;
  K: string[];
  APDU: string;
  dataLines: (apdus: number, n: number) => string;
  smoke: boolean;
  READ_FRAMES: number;
  /** BENCH_REPS: interleaved runs per figure. */
  reps: number;
}

/** The sections, in the order they run; BENCH_ONLY picks some by name. Other parts plug in here. */
export const SECTIONS: Section[] = [];

/** The start-up rows the goal is about (names of the cmds below). */
const STARTUP_GOAL = ['spi decode 1621', 'build sms (3DES, CC + cipher)', 'parse (3DES, CC)'];

SECTIONS.push({ name: 'startup', run: () => {
  const cmds: Array<[string, string[]]> = [
    ['spi decode 1621', ['spi', 'decode', '1621']],
    ['build sms (3DES, CC + cipher)', ['build', 'sms', ...K, '--apdu', '00A40004023F00']],
    ['build sms (AES, CMAC + cipher)', ['build', 'sms', ...K, '--kvn', '2', '--apdu', '00A40004023F00']],
    ['parse (3DES, CC)', ['parse', PKT, ...K]],
    ['parse --json', ['parse', PKT, ...K, '--json']],
  ];
  const cases: Array<[string, string[]]> = [['node -e 0', ['-e', '0']]];
  for (const im of impls) for (const [n, a] of cmds) cases.push([`${im.name}: ${n}`, [im.bin, ...a]]);
  const samples = new Map<string, number[]>(cases.map(([n]) => [n, []]));
  for (let i = 0; i < RUNS; i++) for (const [n, a] of cases) samples.get(n)!.push(run(process.execPath, a).wallMs);
  const base = median(samples.get('node -e 0')!);
  log(`start-up: median of ${RUNS} interleaved runs; ratio to node -e 0 = ${base.toFixed(1)} ms`);
  const rows = cases.map(([n]) => {
    const m = median(samples.get(n)!);
    log(`  ${n.padEnd(44)} ${m.toFixed(1).padStart(7)} ms  x${(m / base).toFixed(2)}`);
    return { name: n, ms: round(m, 1), ratio: round(m / base) };
  });
  // The goal of issue 11: spi decode, build sms (3DES) and parse each at most 1.25x a bare node.
  const GOAL = 1.25;
  const goal = impls.map((im) => {
    const ratios = Object.fromEntries(STARTUP_GOAL.map((n) => [n, round(median(samples.get(`${im.name}: ${n}`)!) / base)]));
    const met = Object.values(ratios).every((r) => r <= GOAL);
    log(`  ${im.name}: goal <= x${GOAL}: ${STARTUP_GOAL.map((n) => `${n.split(' (')[0]} x${ratios[n].toFixed(2)}`).join(', ')}: ${met ? 'met' : 'NOT met'}`);
    return { impl: im.name, max: GOAL, ratios, met };
  });
  results.startup = { runs: RUNS, nodeMs: round(base, 1), rows, goal };
  save();
} });

// ---------------------------------------------------------------- batch through the CLI
export const APDU = '00A40004023F00';
/**
 * `n` lines of secured data, SELECT by file ID (APDU's header): 256 different
 * ones in turn (a campaign repeats its scripts), or with `unique` no two lines
 * alike (file IDs 0000-FFFF in a scrambled order: up to 65,536 lines).
 */
export const dataLines = (apdus: number, n: number, unique = false): string => {
  const lines: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    lines[i] = unique
      ? (APDU.slice(0, 10) + ((i * 40503) & 0xffff).toString(16).padStart(4, '0').toUpperCase()).repeat(apdus)
      : (APDU.slice(0, 12) + (i & 0xff).toString(16).padStart(2, '0').toUpperCase()).repeat(apdus);
  }
  return lines.join('\n') + '\n';
};
const SHAPES: Array<[string, number, string[]]> = [
  ['3DES 1 APDU', 1, []], ['3DES 4 APDUs', 4, []], ['3DES 16 APDUs', 16, []],
  ['AES 1 APDU', 1, ['--kvn', '2']], ['AES 4 APDUs', 4, ['--kvn', '2']], ['AES 16 APDUs', 16, ['--kvn', '2']],
];
/** The batch section's shapes with no two lines alike (what a cache of repeated scripts cannot help). */
const UNIQUE_SHAPES: Array<[string, number, string[]]> = [['3DES 1 APDU, all different', 1, []], ['AES 1 APDU, all different', 1, ['--kvn', '2']]];
SECTIONS.push({ name: 'batch', run: () => {
  const rows: unknown[] = [];
  log(`batch through the CLI (${BATCH} packets per run, CPU time, median of ${REPS} interleaved runs less the median of ${REPS} one-line runs of the same command; and on both cores with --threads auto, wall time)`);
  for (const im of impls) {
    // Smoke: two shapes, one repetition (the suite only checks that it runs).
    for (const [name, apdus, extra] of SMOKE ? [SHAPES[0], SHAPES[3], UNIQUE_SHAPES[0]] : [...SHAPES, ...UNIQUE_SHAPES]) {
      const input = dataLines(apdus, BATCH, UNIQUE_SHAPES.some((u) => u[0] === name));
      const built = run(process.execPath, [im.bin, 'build', 'sms', '--each', ...K, ...extra, '--format', 'packet'], { input }).stdout;
      // Throughput, not start-up: each command's run on one line (its start-up and set-up) is subtracted.
      const buildArgs = [im.bin, 'build', 'sms', '--each', ...K, ...extra, '--format', 'packet'];
      const parseArgs = [im.bin, 'parse', '--each', ...K];
      const parseJsonArgs = [im.bin, 'parse', '--each', '--json', ...K];
      const buildJsonArgs = [...buildArgs, '--json'];
      const [b, p, pj, bj] = eachCpuMsInterleaved([[buildArgs, input], [parseArgs, built], [parseJsonArgs, built], [buildJsonArgs, input]], REPS);
      const build = BATCH / (Math.max(1, b) / 1000);
      const buildJson = BATCH / (Math.max(1, bj) / 1000);
      const parse = BATCH / (Math.max(1, p) / 1000);
      const parseJson = BATCH / (Math.max(1, pj) / 1000);
      // Both cores: --threads auto, packets per wall-clock second (one start-up of node subtracted).
      let buildWall = NaN;
      let parseWall = NaN;
      try {
        const zw = run(process.execPath, ['-e', '0']).wallMs;
        const bw = run(process.execPath, [im.bin, 'build', 'sms', '--each', '--threads', 'auto', ...K, ...extra, '--format', 'packet'], { input }).wallMs - zw;
        const pw = run(process.execPath, [im.bin, 'parse', '--each', '--threads', 'auto', ...K], { input: built }).wallMs - zw;
        buildWall = BATCH / (Math.max(1, bw) / 1000);
        parseWall = BATCH / (Math.max(1, pw) / 1000);
      } catch {
        // a build without --threads (BENCH_BASE)
      }
      log(`  ${im.name}: ${name.padEnd(26)} build ${build.toFixed(0).padStart(7)}/s   parse ${parse.toFixed(0).padStart(7)}/s   parse/build x${(build / parse).toFixed(2)}   parse --json ${parseJson.toFixed(0).padStart(7)}/s x${(build / parseJson).toFixed(2)}   build --json ${buildJson.toFixed(0).padStart(7)}/s   --threads auto: build ${buildWall.toFixed(0)}/s parse ${parseWall.toFixed(0)}/s wall`);
      rows.push({ impl: im.name, shape: name, buildPerCpuSecond: Math.round(build), parsePerCpuSecond: Math.round(parse), parseSlowerBy: round(build / parse),
        parseJsonPerCpuSecond: Math.round(parseJson), parseJsonSlowerBy: round(build / parseJson), buildJsonPerCpuSecond: Math.round(buildJson), threadsAutoBuildPerWallSecond: Number.isNaN(buildWall) ? null : Math.round(buildWall), threadsAutoParsePerWallSecond: Number.isNaN(parseWall) ? null : Math.round(parseWall) });
    }
    // 3-segment concatenated SMS: build only (parse --each takes one segment per line)
    const input = dataLines(40, Math.max(1, Math.floor(BATCH / 4)));
    const n = Math.max(1, Math.floor(BATCH / 4));
    const first = input.slice(0, input.indexOf('\n') + 1);
    const z = run(process.execPath, [im.bin, 'build', 'sms', '--each', ...K, '--format', 'tpdu'], { input: first }).cpuMs;
    const t = run(process.execPath, [im.bin, 'build', 'sms', '--each', ...K, '--format', 'tpdu'], { input });
    // One output line per packet, its SMS separated by spaces (older builds: one line per SMS).
    const out = t.stdout.trim().split('\n');
    const segs = out.length === n ? out[0].split(' ').length : out.length / n;
    const pps = n / (Math.max(1, t.cpuMs - z) / 1000);
    // Parse: the same packets, one whole packet per line (parse --each takes one SMS per line, so not the segments).
    const packets = run(process.execPath, [im.bin, 'build', 'sms', '--each', ...K, '--format', 'packet'], { input }).stdout;
    const cp = eachCpuMs([im.bin, 'parse', '--each', ...K], packets);
    const cpj = eachCpuMs([im.bin, 'parse', '--each', '--json', ...K], packets);
    const ppps = n / (Math.max(1, cp) / 1000);
    const pjps = n / (Math.max(1, cpj) / 1000);
    log(`  ${im.name}: 3DES concatenated (${segs} segments) build ${pps.toFixed(0)}/s   parse (the packets) ${ppps.toFixed(0)}/s x${(pps / ppps).toFixed(2)}   parse --json ${pjps.toFixed(0)}/s x${(pps / pjps).toFixed(2)}`);
    rows.push({ impl: im.name, shape: `3DES concatenated, ${segs} segments`, buildPerCpuSecond: Math.round(pps), parsePerCpuSecond: Math.round(ppps), parseSlowerBy: round(pps / ppps), parseJsonPerCpuSecond: Math.round(pjps), parseJsonSlowerBy: round(pps / pjps) });
  }
  results.batchCli = { packets: BATCH, runs: REPS, rows };
  save();
} });

// ---------------------------------------------------------------- library, in this process
interface Lib {
  buildCommand: (d: unknown, p: unknown, k: unknown) => { bytes: Uint8Array };
  parseCommand: (d: unknown, b: Uint8Array, k: unknown) => { failures: string[] };
  smsDialect: unknown;
  buildSmsPp: (p: Uint8Array) => { tpdus: Uint8Array[] };
  peelAndReassemble: (x: readonly Uint8Array[]) => { packet?: Uint8Array };
  spiCodec: { decode(b: Uint8Array): unknown };
  fromHex: (s: string) => Uint8Array;
}
async function loadLib(root: string): Promise<Lib> {
  const m = async (p: string) => (await import(pathToFileURL(join(root, 'dist', 'src', p)).href)) as Record<string, unknown>;
  return {
    ...(await m('secured/command.js')), ...(await m('smspp/dialect.js')), ...(await m('smspp/build.js')),
    ...(await m('secured/spi.js')), ...(await m('util/hex.js')),
  } as unknown as Lib;
}
const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const libRows: Array<{ impl: string; shape: string; buildPerCpuSecond: number; parsePerCpuSecond: number; packetOctets: number }> = [];
SECTIONS.push({ name: 'library', run: async () => {
  log(`library in this process (${LIB} packets, CPU time)`);
  const shapes: Array<[string, number, number]> = [
    ['3DES 1 APDU', 1, 1], ['3DES 4 APDUs', 4, 1], ['3DES 16 APDUs', 16, 1], ['3DES concatenated', 40, 1],
    ['AES 1 APDU', 1, 2], ['AES 4 APDUs', 4, 2], ['AES 16 APDUs', 16, 2], ['AES concatenated', 40, 2],
  ];
  const libs = await Promise.all(impls.map((im) => loadLib(im.root)));
  // Interleaved: each shape through every implementation in turn, after a warm-up pass.
  for (const [name, apdus, kvn] of shapes) {
    for (const [ii, im] of impls.entries()) {
      const L = libs[ii];
      const keys = kvn === 1
        ? { kicKey: L.fromHex('F09C43EE1A0391665CC9F05AF4E0BD10'), kidKey: L.fromHex('01981F4A20999F62AF99988007BAF6CA') }
        : { kicKey: L.fromHex('200102030405060708090A0B0C0D0E0F'), kidKey: L.fromHex('201102030405060708090A0B0C0D0E0F') };
      const code = kvn === 1 ? 0x15 : 0x22;
      const spi = L.spiCodec.decode(Uint8Array.of(0x16, 0x21));
      const datas = Array.from({ length: 256 }, (_, i) => L.fromHex((APDU.slice(0, 12) + (i & 0xff).toString(16).padStart(2, '0')).repeat(apdus)));
      const tar = Uint8Array.of(0xb0, 0x00, 0x10);
      let tpdus: Uint8Array[] = [];
      let octets = 0;
      const warm = Math.min(LIB, 1000);
      for (let i = 0; i < warm; i++) {
        const c = L.buildCommand(L.smsDialect, { spi, kic: code, kid: code, tar, counter: BigInt(i + 1), data: datas[i & 255] }, keys);
        L.parseCommand(L.smsDialect, L.peelAndReassemble(L.buildSmsPp(c.bytes).tpdus).packet!, keys);
      }
      const t0 = cpuNow();
      for (let i = 0; i < LIB; i++) {
        const c = L.buildCommand(L.smsDialect, { spi, kic: code, kid: code, tar, counter: BigInt(i + 1), data: datas[i & 255] }, keys);
        octets = c.bytes.length;
        tpdus = L.buildSmsPp(c.bytes).tpdus;
      }
      const t1 = cpuNow();
      for (let i = 0; i < LIB; i++) {
        const r = L.peelAndReassemble(tpdus);
        const c = L.parseCommand(L.smsDialect, r.packet!, keys);
        if (c.failures.length) throw new Error(`library parse failed: ${c.failures[0]}`);
      }
      const t2 = cpuNow();
      const build = LIB / (Math.max(0.001, t1 - t0) / 1000);
      const parse = LIB / (Math.max(0.001, t2 - t1) / 1000);
      const label = name.includes('concatenated') ? `${name} (${tpdus.length} segments)` : name;
      log(`  ${im.name}: ${label.padEnd(30)} build ${build.toFixed(0).padStart(7)}/s   parse ${parse.toFixed(0).padStart(7)}/s  (${octets} octets)`);
      libRows.push({ impl: im.name, shape: label, buildPerCpuSecond: Math.round(build), parsePerCpuSecond: Math.round(parse), packetOctets: octets });
    }
  }
  results.library = { packets: LIB, rows: libRows };

  // The package's own API, one call per packet as a lab script makes them: buildSms and parse with a
  // keyset file (options resolved on every call), through the CommonJS entry users require.
  const CALLS = Math.max(50, Math.floor(LIB / 4));
  log(`library API per call (${CALLS} calls each, buildSms and parse from the package entry, CPU time)`);
  const apiRows: Array<{ impl: string; shape: string; buildPerCpuSecond: number; parsePerCpuSecond: number }> = [];
  const keyset = K[K.indexOf('--keyset') + 1];
  for (const [name, apdus, kvn] of [['3DES 1 APDU', 1, 1], ['3DES 16 APDUs', 16, 1], ['AES 1 APDU', 1, 2]] as const) {
    for (const im of impls) {
      const api = createRequire(import.meta.url)(join(im.root, 'dist', 'lib', 'index.cjs')) as {
        buildSms(o: Record<string, unknown>): Promise<{ output: string[] }>;
        parse(input: string, o: Record<string, unknown>): Promise<{ verified: boolean | null }>;
      };
      const apdu = new Array(apdus).fill(APDU);
      const opts = (i: number) => ({ keyset, kvn, tar: 'B00010', counter: String(i + 1), apdu, format: 'packet' });
      let pkt = '';
      for (let i = 0; i < Math.min(CALLS, 500); i++) {
        pkt = (await api.buildSms(opts(i))).output[0];
        await api.parse(pkt, { keyset, kvn });
      }
      const t0 = cpuNow();
      for (let i = 0; i < CALLS; i++) pkt = (await api.buildSms(opts(i))).output[0];
      const t1 = cpuNow();
      for (let i = 0; i < CALLS; i++) if ((await api.parse(pkt, { keyset, kvn })).verified !== true) throw new Error('library API parse did not verify');
      const t2 = cpuNow();
      const build = CALLS / (Math.max(0.001, t1 - t0) / 1000);
      const parse = CALLS / (Math.max(0.001, t2 - t1) / 1000);
      log(`  ${im.name}: ${name.padEnd(14)} buildSms ${build.toFixed(0).padStart(7)}/s   parse ${parse.toFixed(0).padStart(7)}/s`);
      apiRows.push({ impl: im.name, shape: name, buildPerCpuSecond: Math.round(build), parsePerCpuSecond: Math.round(parse) });
    }
  }
  results.libraryApi = { calls: CALLS, rows: apiRows };

  // The crypto layer alone: encrypt + CC of a 1-APDU packet's sizes, per backend.
  log(`crypto layer alone (${LIB * 2} x encrypt 24/32 octets + CC over 40/48 octets, per CPU second)`);
  const cryptoRows: unknown[] = [];
  const setups: Array<[string, string, string | undefined]> = [['this', ROOT, 'native'], ['this', ROOT, 'forge']];
  if (BASE) setups.push(['base', BASE, undefined]);
  for (const [alg, cc, kl, n, m] of [['3des-2key-cbc', '3des-2key-cbc-mac', 16, 24, 40], ['aes-cbc', 'aes-cmac', 16, 32, 48]] as const) {
    for (const [impl, root, backend] of setups) {
      const C = (await import(pathToFileURL(join(root, 'dist', 'src', 'crypto', 'index.js')).href)) as {
        encrypt: (a: string, k: Uint8Array, d: Uint8Array) => Uint8Array;
        computeCc: (a: string, k: Uint8Array, d: Uint8Array) => Uint8Array;
        setCryptoBackend?: (b: string) => void;
      };
      if (backend) C.setCryptoBackend!(backend);
      const k1 = new Uint8Array(kl).map((_, i) => i * 7 + 1);
      const k2 = new Uint8Array(kl).map((_, i) => i * 13 + 5);
      const d1 = new Uint8Array(n).fill(0x11);
      const d2 = new Uint8Array(m).fill(0x22);
      const N = LIB * 2;
      for (let i = 0; i < 1000; i++) C.encrypt(alg, k1, d1), C.computeCc(cc, k2, d2);
      const t0 = cpuNow();
      for (let i = 0; i < N; i++) {
        C.encrypt(alg, k1, d1);
        C.computeCc(cc, k2, d2);
      }
      const pps = N / (Math.max(0.001, cpuNow() - t0) / 1000);
      if (backend) C.setCryptoBackend!('native');
      const label = `${impl}${backend ? ` (${backend})` : ''}`;
      log(`  ${label.padEnd(16)} ${alg.padEnd(14)} ${pps.toFixed(0).padStart(8)} packets/s`);
      cryptoRows.push({ impl: label, alg, perCpuSecond: Math.round(pps) });
    }
  }
  results.crypto = cryptoRows;
  save();
} });

// ---------------------------------------------------------------- openssl CLI: raw crypto limit
SECTIONS.push({ name: 'openssl', run: () => {
  const speed = (cipher: string, bytes: number): number | null => {
    const r = spawnSync('openssl', ['speed', '-evp', cipher, '-bytes', String(bytes), '-seconds', SMOKE ? '1' : '2', '-mr'], { encoding: 'utf8' });
    const f = /^\+F:\d+:[^:]+:([\d.]+)/m.exec(r.stdout ?? '');
    return f ? Number(f[1]) / bytes : null; // operations per CPU second at that size
  };
  const rows: unknown[] = [];
  log('openssl speed (one CBC pass for the cipher and one for the CC per packet = the raw crypto limit)');
  for (const row of libRows.filter((r) => r.impl === 'this')) {
    const aes = row.shape.startsWith('AES');
    const B = aes ? 16 : 8;
    const n = Math.ceil(row.packetOctets / B) * B;
    const ops = speed(aes ? 'aes-128-cbc' : 'des-ede-cbc', n);
    if (ops === null) {
      rows.push({ shape: row.shape, openssl: 'not installed' });
      continue;
    }
    const limit = 1 / (2 / ops);
    log(`  ${row.shape.padEnd(34)} limit ${limit.toFixed(0).padStart(8)} packets/s; library build at x${(row.buildPerCpuSecond / limit).toFixed(3)} of it`);
    rows.push({ shape: row.shape, octets: n, opensslOpsPerCpuSecond: Math.round(ops), limitPacketsPerSecond: Math.round(limit), libraryBuildRatio: round(row.buildPerCpuSecond / limit, 3) });
  }
  results.openssl = rows;
  save();
} });

// ---------------------------------------------------------------- pySim
/**
 * pySim's OTA code (pySim/ota.py, OtaDialectSms) as the second implementation, when the python3 of
 * BENCH_PYTHON (default python3) imports it (PYTHONPATH may point at a pySim checkout): the same
 * inputs as the batch section (BENCH_BATCH lines per shape, CNTR 0, 1, ... as `build sms --each`
 * numbers them), pySim's encode_cmd and decode_cmd in one Python process (CPU time of its loops;
 * bench/pysim_ota.py) next to ours: `build sms --each` / `parse --each` through the CLI (CPU time,
 * one-line run subtracted) and, when the library section ran, buildCommand / parseCommand in this
 * process. Also says whether pySim's packets equal ours octet for octet and whether pySim deciphers
 * ours and verifies their CC. pySim refuses packets over one SMS (140 octets), so no concatenated shape.
 */
const PYSIM_KEYS: Record<string, { kic: string; kid: string; algoCrypt: string; algoAuth: string; kvn: number }> = {
  '3DES': { kic: 'F09C43EE1A0391665CC9F05AF4E0BD10', kid: '01981F4A20999F62AF99988007BAF6CA', algoCrypt: 'triple_des_cbc2', algoAuth: 'triple_des_cbc2', kvn: 1 },
  AES: { kic: '200102030405060708090A0B0C0D0E0F', kid: '201102030405060708090A0B0C0D0E0F', algoCrypt: 'aes_cbc', algoAuth: 'aes_cmac', kvn: 2 },
};
SECTIONS.push({ name: 'pysim', run: () => {
  const python = process.env.BENCH_PYTHON || 'python3';
  const probe = spawnSync(python, ['-c', 'import pySim.ota'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    log(`pySim OTA encoder: not installed (${python} cannot import pySim.ota)`);
    results.pySim = 'not installed';
    save();
    return;
  }
  results.pySim = 'installed';
  const rows: unknown[] = [];
  const lines = BATCH;
  log(`pySim (${python}, pySim.ota) vs this, ${lines} packets per shape, per CPU second`);
  const im = impls[0];
  for (const [name, apdus, extra] of SMOKE ? [SHAPES[0], SHAPES[3]] : SHAPES) {
    const input = dataLines(apdus, lines);
    const datas = input.trim().split('\n');
    const buildArgs = [im.bin, 'build', 'sms', '--each', ...K, ...extra, '--format', 'packet'];
    const parseArgs = [im.bin, 'parse', '--each', ...K];
    const built = run(process.execPath, buildArgs, { input }).stdout;
    const packets = built.trim().split('\n');
    const keys = PYSIM_KEYS[name.split(' ')[0]];
    const job = JSON.stringify({ ...keys, spi: '1621', tar: 'B00010', counter: 0, datas, packets });
    const py = spawnSync(python, [join(ROOT, 'bench', 'pysim_ota.py')], { input: job, encoding: 'utf8', maxBuffer: 1 << 26 });
    if (py.status !== 0) throw new Error(`bench/pysim_ota.py exited ${py.status}: ${String(py.stderr).slice(-400)}`);
    const p = JSON.parse(py.stdout) as { encodePerCpuSecond: number; decodePerCpuSecond: number; identical: number; decodedOk: number; n: number };
    const [b, q] = eachCpuMsInterleaved([[buildArgs, input], [parseArgs, built]], SMOKE ? 1 : 3);
    const build = lines / (Math.max(1, b) / 1000);
    const parse = lines / (Math.max(1, q) / 1000);
    const lib = libRows.find((r) => r.impl === 'this' && r.shape === name);
    const row = {
      shape: name, packets: lines,
      pySimEncodePerCpuSecond: Math.round(p.encodePerCpuSecond), pySimDecodePerCpuSecond: Math.round(p.decodePerCpuSecond),
      cliBuildPerCpuSecond: Math.round(build), cliParsePerCpuSecond: Math.round(parse),
      cliBuildRatio: round(build / p.encodePerCpuSecond), cliParseRatio: round(parse / p.decodePerCpuSecond),
      libraryBuildRatio: lib ? round(lib.buildPerCpuSecond / p.encodePerCpuSecond) : null,
      libraryParseRatio: lib ? round(lib.parsePerCpuSecond / p.decodePerCpuSecond) : null,
      identicalPackets: p.identical, pySimVerifiedOurs: p.decodedOk,
    };
    log(`  ${name.padEnd(14)} pySim encode ${p.encodePerCpuSecond.toFixed(0).padStart(6)}/s decode ${p.decodePerCpuSecond.toFixed(0).padStart(6)}/s;`
      + ` build --each x${row.cliBuildRatio} parse --each x${row.cliParseRatio}${lib ? `; library x${row.libraryBuildRatio} / x${row.libraryParseRatio}` : ''};`
      + ` identical ${p.identical}/${lines}, pySim verified ours ${p.decodedOk}/${lines}`);
    rows.push(row);
  }
  results.pySimRows = rows;
  save();
} });

// ---------------------------------------------------------------- memory of parse --each
/** A scratch folder for the sections' files, removed at the end of the run. */
export const tmp = mkdtempSync(join(tmpdir(), 'uicc-ota-bench-'));
SECTIONS.push({ name: 'memory', run: async () => {
  {
    const one = run(process.execPath, [impls[0].bin, 'build', 'sms', '--each', ...K, '--format', 'packet'], { input: dataLines(1, 256) }).stdout.trim().split('\n');
    const f = join(tmp, 'lines.txt');
    const ws = createWriteStream(f);
    for (let i = 0; i < RSS_LINES; i += 256) ws.write(one.slice(0, Math.min(256, RSS_LINES - i)).join('\n') + '\n');
    await new Promise((r) => ws.end(r));
    log(`memory: parse --each over ${RSS_LINES} lines`);
    const rows: unknown[] = [];
    for (const im of impls) {
      const r = run(process.execPath, [im.bin, 'parse', '--each', ...K], { inputFile: f });
      log(`  ${im.name}: peak RSS ${(r.rssKb / 1024).toFixed(0)} MB, ${(r.wallMs / 1000).toFixed(1)} s wall, ${(RSS_LINES / (r.cpuMs / 1000)).toFixed(0)} lines per CPU second`);
      rows.push({ impl: im.name, lines: RSS_LINES, peakRssMB: Math.round(r.rssKb / 1024), wallSeconds: round(r.wallMs / 1000, 1) });
    }
    results.memory = rows;
    save();
  }
} });

// build sms --each on 1 and 2 threads, wall and CPU, vs the openssl raw crypto limit: bench/build.ts.
const ctx: SectionContext = { run, round, median, log, save, env, impls, results, tmp, K, APDU, dataLines, smoke: SMOKE, READ_FRAMES, reps: REPS };
SECTIONS.push((await import('./build.js')).buildSection(ctx));

// parse --read vs tshark -V: bench/capture.ts.
SECTIONS.push((await import('./capture.js')).captureSection(ctx));

/** Run the chosen sections (every one unless BENCH_ONLY), then write the results. */
export async function main(): Promise<void> {
  try {
    for (const s of SECTIONS) if (want(s.name)) await s.run();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  (results.machine as Record<string, unknown>).loadavgAtEnd = loadavg().map((x) => round(x));
  if (OUT) {
    writeFileSync(OUT, JSON.stringify(results, null, 2) + '\n');
    // The README table of this run, beside it (bench/report.ts).
    const md = OUT.replace(/\.json$/, '') + '.md';
    writeFileSync(md, (await import('./report.js')).markdown(results));
    log(`results: ${OUT}, ${md}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();

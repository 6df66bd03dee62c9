/**
 * `npm run bench`: what users feel. Machines here are noisy, so every figure
 * is a ratio against bare `node -e 0` measured in the same run, interleaved.
 *  - start-up: one invocation of typical commands vs `node -e 0`
 *  - batch: packets per second of `build sms --each` and `parse --each`
 */
import { spawnSync } from 'node:child_process';
import { ROOT, BIN, KEYSET } from './helpers/cli.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const BATCH = Number(process.env.BENCH_BATCH ?? 5000);

function time(args: string[], input?: string): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, input, encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const K = ['--keyset', KEYSET];
const PKT = '02700000281516211515B000108D3E4D30A14C0BE0841A4A36E032149E6254EF3ABBD3B047F3AE907F80EEBE1B';
const cases: Array<[string, string[]]> = [
  ['node -e 0 (baseline)', ['-e', '0']],
  ['uicc-ota --version', [BIN, '--version']],
  ['uicc-ota spi decode 1621', [BIN, 'spi', 'decode', '1621']],
  ['uicc-ota build sms (3DES, CC)', [BIN, 'build', 'sms', ...K, '--apdu', '00A40004023F00']],
  ['uicc-ota build sms (AES, CMAC)', [BIN, 'build', 'sms', ...K, '--kvn', '2', '--apdu', '00A40004023F00']],
  ['uicc-ota parse (3DES, CC)', [BIN, 'parse', PKT, ...K]],
  ['uicc-ota parse --json', [BIN, 'parse', PKT, ...K, '--json']],
];

const samples = new Map<string, number[]>(cases.map(([n]) => [n, []]));
for (let i = 0; i < RUNS; i++) for (const [n, a] of cases) samples.get(n)!.push(time(a)); // interleaved: noise hits all alike
const base = median(samples.get(cases[0][0])!);
console.log(`start-up (median of ${RUNS} runs, interleaved; ratio to node -e 0 = ${base.toFixed(1)} ms)`);
for (const [n] of cases) {
  const m = median(samples.get(n)!);
  console.log(`  ${n.padEnd(34)} ${m.toFixed(1).padStart(7)} ms   ×${(m / base).toFixed(2)}`);
}

const data = Array.from({ length: BATCH }, (_, i) => '00A40004023F00' + (i & 0xff).toString(16).padStart(2, '0').toUpperCase() + '00').join('\n') + '\n';
const batch: Array<[string, string[], () => string]> = [];
let built = '';
batch.push(['build sms --each (3DES, CC + cipher)', [BIN, 'build', 'sms', '--each', ...K, '--data', '', '--format', 'ud'], () => data]);
batch.push(['build sms --each (AES, CMAC + cipher)', [BIN, 'build', 'sms', '--each', ...K, '--kvn', '2', '--format', 'ud'], () => data]);
batch.push(['parse --each (3DES)', [BIN, 'parse', '--each', ...K], () => built]);
console.log(`batch (${BATCH} packets per run)`);
for (const [n, a, input] of batch) {
  const ts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = time(['-e', '0']);
    const t = time(a, input());
    ts.push(t - t0); // subtract one start-up measured right before
  }
  if (!built) built = spawnSync(process.execPath, a, { cwd: ROOT, input: input(), encoding: 'utf8', maxBuffer: 1 << 28 }).stdout;
  const m = median(ts);
  const pps = (BATCH / m) * 1000;
  console.log(`  ${n.padEnd(38)} ${pps.toFixed(0).padStart(8)} packets/s   (${((m / BATCH) / base * 100).toFixed(2)} % of one node start-up per packet)`);
}

/**
 * Start-up (issue: campaign scale): a command loads only what it runs. The
 * one-shot commands scripts call thousands of times load neither node:crypto
 * nor node-forge for one packet, and never node:tty / net / stream (which
 * making process.stdout or asking node:tty for a pipe, a file or /dev/null
 * costs), whatever their stdin and stdout are. Measured from inside the
 * process: process.moduleLoadList and require.cache at exit, written by a
 * preloaded script (-r) to a file.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, KEYSET, ROOT } from './helpers/cli.js';

// A 3DES SMS user data packet with a CC (bench/bench.ts PKT; checked there against pySim's decoder).
const PKT = '02700000281516211515B000108D3E4D30A14C0BE0841A4A36E032149E6254EF3ABBD3B047F3AE907F80EEBE1B';

const COMMANDS: Array<[string, string[], RegExp]> = [
  ['spi decode', ['spi', 'decode', '1621'], /Counter/],
  ['build sms (3DES)', ['build', 'sms', '--keyset', KEYSET, '--apdu', '00A40004023F00'], /^[0-9A-F]+\n$/],
  ['build sms (AES)', ['build', 'sms', '--keyset', KEYSET, '--kvn', '2', '--apdu', '00A40004023F00'], /^[0-9A-F]+\n$/],
  ['parse', ['parse', PKT, '--keyset', KEYSET], /verified/i],
  ['parse --json', ['parse', PKT, '--keyset', KEYSET, '--json'], /"verified": true/],
];

/** What a run loaded beyond a bare node, and its output. */
function loads(args: string[], stdout: 'pipe' | 'file' | 'null', stdin: 'pipe' | 'null', dir: string): { modules: string[]; files: string[]; out: string } {
  const report = join(dir, 'loaded.json');
  const pre = join(dir, 'pre.cjs');
  writeFileSync(pre, `const base = new Set(process.moduleLoadList);
process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify({
  modules: process.moduleLoadList.filter((m) => !base.has(m)), files: Object.keys(require.cache) })));\n`);
  rmSync(report, { force: true });
  const outFile = join(dir, 'out.txt');
  const fd = stdout === 'file' ? openSync(outFile, 'w') : stdout === 'null' ? openSync('/dev/null', 'w') : undefined;
  const env = { ...process.env };
  delete env.NO_COLOR; // as a user runs it: colour decided from stdout
  delete env.FORCE_COLOR;
  try {
    const r = spawnSync(process.execPath, ['-r', pre, BIN, ...args], {
      cwd: ROOT, env, encoding: 'utf8', stdio: [stdin === 'pipe' ? 'pipe' : 'ignore', fd ?? 'pipe', 'pipe'], input: stdin === 'pipe' ? '' : undefined,
    });
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    const out = stdout === 'file' ? readFileSync(outFile, 'utf8') : r.stdout ?? '';
    return { ...(JSON.parse(readFileSync(report, 'utf8')) as { modules: string[]; files: string[] }), out };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

describe('start-up: a one-shot command loads only what it runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'uicc-ota-startup-'));
  for (const [name, args, expect] of COMMANDS) {
    for (const [stdout, stdin] of [['pipe', 'pipe'], ['file', 'null'], ['null', 'null']] as const) {
      it(`${name}, stdout ${stdout === 'null' ? '/dev/null' : `a ${stdout}`}, stdin ${stdin === 'null' ? '/dev/null' : 'a pipe'}`, () => {
        const r = loads(args, stdout, stdin, dir);
        if (stdout !== 'null') assert.match(r.out, expect);
        const heavy = r.modules.filter((m) => /^NativeModule (crypto|tty|net|stream|internal\/tty|internal\/streams\/readable)$/.test(m));
        assert.deepEqual(heavy, [], `loaded: ${r.modules.join(', ')}`);
        assert.deepEqual(r.files.filter((f) => /node-forge/.test(f)), [], 'node-forge');
      });
    }
  }
  // script(1) is util-linux's (Debian's essential bsdutils).
  it('a terminal is still told apart (script(1) gives the command a pseudo-terminal): colours on', () => {
    // chalk gives no colour under an unknown CI (CI set) or TERM=dumb: the terminal of a user, then.
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
    delete env.NO_COLOR;
    delete env.FORCE_COLOR;
    delete env.CI;
    const r = spawnSync('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} spi decode 1621`, '/dev/null'], { cwd: ROOT, env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\x1b\[/, 'ANSI colour codes on a terminal');
  });
});

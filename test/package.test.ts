/**
 * The package as a user gets it: `npm pack`, install the tarball into a
 * temporary prefix (as `npm install -g` does), make the installed folder
 * read-only, then run the installed command from another folder (also as the
 * unprivileged user `nobody`, since root ignores file modes), import the
 * installed library from scratch ESM and CommonJS projects, type-check a
 * strict TypeScript project against its declarations, and run the README's
 * library example as written.
 *
 * Expected values: the packet of vector case sms-cmd-none
 * (vectors/sms-pp-commands.json, computed by vectors/tools/gen-vectors.sh with
 * the openssl CLI and xxd, not by uicc-ota), and `vectors verify` over the
 * shipped vectors (all independently computed, see test/vectors.test.ts).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, readdirSync, statSync, chmodSync, symlinkSync, readFileSync } from 'node:fs';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers/cli.js';

const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
/** vectors/sms-pp-commands.json, case sms-cmd-none (gen-vectors.sh). */
const SMS_CMD_NONE = '001A0D00000000B0001000000000000000A40004023F0000B0000010';
const SMS_CMD_NONE_ARGS = ['build', 'sms', '--spi', '0000', '--kic', '00', '--kid', '00', '--tar', 'B00010', '--counter', '0', '--apdu', '00A40004023F00', '--apdu', '00B0000010'];

let tmp = '';
let prefix = '';
let pkg = '';
let bin = '';
let work = '';

function sh(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeout?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd: opts.cwd ?? work, env: opts.env ?? process.env, input: opts.input, encoding: 'utf8', timeout: opts.timeout ?? 120_000, maxBuffer: 1 << 26 });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} exited ${r.status} (${r.error?.message ?? ''}): ${r.stderr}`);
  return r.stdout;
}

/** Every file under `dir` with its size and mtime: to show nothing was written there. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const s = statSync(p);
      out.push(`${p} ${s.size} ${s.mtimeMs}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Run as the unprivileged user nobody (setpriv, from util-linux). */
function asNobody(args: string[], env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  return sh('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', ...args], { env });
}

const isRoot = process.getuid?.() === 0;

describe('the package from its tarball', () => {
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'uicc-ota-pkg-'));
    chmodSync(tmp, 0o755);
    work = join(tmp, 'work');
    mkdirSync(work);
    chmodSync(work, 0o777);
    // --ignore-scripts: the suite runs after `npm run build`; prepare would rebuild.
    const packed = ok(sh('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', tmp], { cwd: ROOT }), 'npm pack').trim().split('\n').pop()!;
    prefix = join(tmp, 'prefix');
    ok(sh('npm', ['install', '-g', '--prefix', prefix, join(tmp, packed), '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { timeout: 300_000 }), 'npm install -g');
    pkg = join(prefix, 'lib', 'node_modules', 'uicc-ota');
    bin = join(prefix, 'bin', 'uicc-ota');
    // Read-only install, as a system-wide install is for its users.
    ok(sh('chmod', ['-R', 'a-w', pkg]), 'chmod');
  });
  after(() => {
    if (!tmp) return;
    spawnSync('chmod', ['-R', 'u+w', tmp]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('ships exactly what runs', () => {
    const files = snapshot(pkg).map((l) => l.split(' ')[0].slice(pkg.length + 1)).filter((f) => !f.startsWith('node_modules'));
    for (const f of ['bin/uicc-ota.js', 'bin/load.js', 'dist/bundle/uicc-ota.cjs', 'dist/bundle/uicc-ota.cjs.codecache', 'dist/lib/index.cjs', 'dist/src/api/index.js', 'dist/src/api/index.d.ts', 'man/uicc-ota.1', 'vectors/keysets/test.json', 'vectors/sms-pp-commands.json', 'README.md', 'LICENSE', 'package.json']) {
      assert.ok(files.includes(f), `${f} is shipped`);
    }
    for (const f of files) {
      assert.ok(!/^(test|src|dist\/test|vectors\/tools|dist\/src\/cli)(\/|$)/.test(f), `${f} is not shipped`);
      assert.ok(!f.endsWith('.ts') || f.endsWith('.d.ts'), `${f}: no TypeScript sources`);
    }
  });

  it('the installed command runs from another folder with a read-only install', () => {
    const before = snapshot(pkg);
    const env = { ...process.env, NO_COLOR: '1', HOME: work, XDG_CACHE_HOME: join(work, 'cache') };
    assert.equal(ok(sh(bin, ['--version'], { env }), '--version').trim(), VERSION);
    assert.equal(ok(sh(bin, SMS_CMD_NONE_ARGS, { env }), 'build sms').trim(), SMS_CMD_NONE);
    const parsed = JSON.parse(ok(sh(bin, ['parse', SMS_CMD_NONE, '--json'], { env }), 'parse'));
    assert.equal(parsed.tar, 'B00010');
    assert.deepEqual(parsed.apdus, ['00A40004023F00', '00B0000010']);
    const v = sh(bin, ['vectors', 'verify'], { env });
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /passed/);
    assert.deepEqual(snapshot(pkg), before, 'nothing written inside the install folder');
    // The shipped code cache was accepted where it is installed: no fresh cache went to the user's folder.
    assert.deepEqual(readdirSync(work).includes('cache') ? readdirSync(join(work, 'cache')) : [], [], 'no user code cache written');
  });

  it('the shipped V8 code cache is used from the install path (it does not carry the build path)', () => {
    const cache = readFileSync(join(pkg, 'dist', 'bundle', 'uicc-ota.cjs.codecache'));
    assert.equal(cache.includes(Buffer.from(ROOT)), false, `the cache names the build folder ${ROOT}`);
    // V8 tells whether it took the cache (vm.Script cachedDataRejected), run from another folder.
    const code = `const l = require(${JSON.stringify(join(pkg, 'bin', 'load.js'))}); const s = l.compile(); console.log(s.cachedDataRejected)`;
    assert.equal(ok(sh(process.execPath, ['-e', code], { cwd: work }), 'compile with the shipped cache').trim(), 'false');
  });

  it('runs as a non-root user; a rejected code cache is rebuilt in the user cache folder, never in the package', () => {
    // As root, switch to nobody (root ignores file modes); a non-root runner already is the real check.
    const before = snapshot(pkg);
    const cache = join(work, 'nobody-cache');
    const env = { PATH: process.env.PATH, NO_COLOR: '1', HOME: work, XDG_CACHE_HOME: cache };
    const run = (args: string[], e: NodeJS.ProcessEnv = env) => (isRoot ? asNobody([bin, ...args], e) : sh(bin, args, { env: e }));
    assert.equal(ok(run(SMS_CMD_NONE_ARGS), 'build sms as nobody').trim(), SMS_CMD_NONE);
    assert.equal(ok(run(['vectors', 'verify']), 'vectors verify as nobody').includes('passed'), true);
    // Other V8 flags make V8 reject the shipped cache: a fresh one goes to $XDG_CACHE_HOME/uicc-ota/.
    const flagged = { ...env, NODE_OPTIONS: '--max-old-space-size=200' };
    assert.equal(ok(run(SMS_CMD_NONE_ARGS, flagged), 'build sms with NODE_OPTIONS').trim(), SMS_CMD_NONE);
    const dir = join(cache, 'uicc-ota');
    const written = readdirSync(dir).filter((f) => f.endsWith('.codecache'));
    assert.equal(written.length, 1, `one cache file in ${dir}: ${written}`);
    assert.ok(written[0].includes(VERSION) && written[0].includes(process.versions.v8), written[0]);
    const first = statSync(join(dir, written[0])).mtimeMs;
    assert.equal(ok(run(SMS_CMD_NONE_ARGS, flagged), 'second run').trim(), SMS_CMD_NONE);
    assert.equal(statSync(join(dir, written[0])).mtimeMs, first, 'the user cache was accepted (not rewritten)');
    // Another command adds what it compiled to the same file (one per bundle build, Node and flag set).
    assert.equal(ok(run(['spi', 'decode', '1621', '--json'], flagged), 'another command').includes('"hex": "1621"'), true);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.codecache')), written);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temp files left');
    // An unwritable cache folder is silently ignored.
    const bad = { ...flagged, XDG_CACHE_HOME: join(pkg, 'nope') };
    const r = run(SMS_CMD_NONE_ARGS, bad);
    assert.equal(r.status, 0);
    assert.equal(r.stderr, '');
    assert.deepEqual(snapshot(pkg), before, 'nothing written inside the install folder');
  });

  it('imports the installed library from a scratch ESM project and a scratch CommonJS project', () => {
    for (const [type, file, code] of [
      ['module', 'main.js', "import { spi, InputError } from 'uicc-ota';\nconsole.log(spi.decode('1621').hex);\ntry { spi.decode('16'); } catch (e) { console.log(e instanceof InputError, e.exitCode, e.field); }\n"],
      ['commonjs', 'main.cjs', "const { spi, InputError } = require('uicc-ota');\nconsole.log(spi.decode('1621').hex);\ntry { spi.decode('16'); } catch (e) { console.log(e instanceof InputError, e.exitCode, e.field); }\n"],
    ] as const) {
      const dir = join(tmp, `scratch-${type}`);
      mkdirSync(join(dir, 'node_modules'), { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `scratch-${type}`, private: true, type }));
      symlinkSync(pkg, join(dir, 'node_modules', 'uicc-ota'), 'dir');
      writeFileSync(join(dir, file), code);
      assert.equal(ok(sh(process.execPath, [file], { cwd: dir }), `${type} import`), '1621\ntrue 2 SPI\n', type);
    }
  });

  it('a strict TypeScript project type-checks against the declarations', () => {
    const dir = join(tmp, 'scratch-ts');
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'scratch-ts', private: true, type: 'module' }));
    symlinkSync(pkg, join(dir, 'node_modules', 'uicc-ota'), 'dir');
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2022'], types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')] },
      files: ['main.ts'],
    }));
    writeFileSync(join(dir, 'main.ts'), TS_SCRATCH);
    const r = sh(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: dir });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    // And a type error is caught (the declarations are really used).
    writeFileSync(join(dir, 'main.ts'), TS_SCRATCH + "const wrong: number = spi.decode('1621').hex;\nvoid wrong;\n");
    const bad = sh(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: dir });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stdout, /TS2322/);
  });

  it('the README library example runs as written against the installed package', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const m = /## As a library[\s\S]*?```js\n([\s\S]*?)```/.exec(readme);
    assert.ok(m, 'README has an "As a library" section with a ```js example');
    const dir = join(tmp, 'scratch-readme');
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'scratch-readme', private: true, type: 'module' }));
    symlinkSync(pkg, join(dir, 'node_modules', 'uicc-ota'), 'dir');
    writeFileSync(join(dir, 'lab.mjs'), m[1]);
    const r = sh(process.execPath, ['lab.mjs'], { cwd: dir });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^PoR status 00 /);
  });
});

/** A strict TypeScript user of the API (checked with tsc --noEmit --strict). */
const TS_SCRATCH = `import { spi, kic, kid, tar, status, buildSms, buildPor, buildCattp, parse, parsePor, Card, readCapture, verifyVectors, CattpServer, CattpClient, InputError, VerifyError, StateError, NetworkError, type SpiJson, type BuildResult, type ParseResult } from 'uicc-ota';
const s: SpiJson = spi.decode('1621');
const hex: string = s.hex;
const k: number = kic.decode('15').kvn;
const d: string | null = kid.decode('15').algorithm;
const t: string | null = tar.describe('B00010').name;
const st: string = status.describe(0).name;
async function lab(): Promise<void> {
  const cmd: BuildResult = await buildSms({ keyset: 'keys.json', apdu: ['00A40004023F00'], counter: 1n, kicKey: new Uint8Array(16), format: 'envelope' });
  const units: Uint8Array[] = cmd.units;
  const answer = await new Card('CARD.json', { dryRun: true }).process(cmd.units);
  const por: ParseResult = await parsePor(answer.units[0], { request: cmd.output[0] });
  const ok: boolean | null = por.verified;
  for await (const item of readCapture('x.pcap')) void item;
  const passed: number = verifyVectors('vectors').passed;
  const server = new CattpServer({ port: 0, onSdu: () => undefined });
  server.on('pdu', () => undefined);
  void [units, ok, passed, CattpClient, buildPor, buildCattp, parse];
}
function code(e: unknown): number {
  if (e instanceof InputError || e instanceof VerifyError || e instanceof StateError || e instanceof NetworkError) return e.exitCode;
  return 70;
}
void [hex, k, d, t, st, code, lab];
`;

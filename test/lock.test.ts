/**
 * Lock of the state files across machines: owner = host + pid + token + lease.
 * A foreign owner (another host on a shared folder, another container) is
 * simulated by writing its lock file by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join, dirname } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { updateJsonFile, acquireLock, confirmLock, releaseLock, parseLockOwner } from '../src/keys/state.js';
import { IoError } from '../src/util/errors.js';

const STATE_JS = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '../src/keys/state.js')).href;
const dir = () => mkdtempSync(join(tmpdir(), 'uicc-ota-lock-'));
const foreign = (expiresIn: number, pid = 1) => JSON.stringify({ host: 'other-host.lab', pid, token: 'f0f0f0f0', expires: Date.now() + expiresIn });
const bump = (path: string, timeoutMs = 10_000) => updateJsonFile<{ n: number }, number>(path, { n: 0 }, 'counter', (c) => ({ value: { n: c.n + 1 }, result: c.n + 1 }), timeoutMs);

test('lock file names its owner: host, pid, unique token, lease expiry; removed after use', async () => {
  const d = dir();
  const h = await acquireLock(join(d, 's.json.lock'), 1000);
  const o = parseLockOwner(readFileSync(join(d, 's.json.lock'), 'utf8'))!;
  assert.deepEqual([o.host, o.pid, o.token.length >= 16, o.expires > Date.now()], [hostname(), process.pid, true, true]);
  releaseLock(h);
  assert.equal(existsSync(join(d, 's.json.lock')), false);
});

test('a foreign host with a live lease is waited for (its pid is not checked here), then the wait times out naming the host', async () => {
  const d = dir();
  const p = join(d, 's.json');
  writeFileSync(`${p}.lock`, foreign(60_000, 999_999_999)); // a pid that does not exist here: irrelevant for another host
  await assert.rejects(bump(p, 300), (e: unknown) => e instanceof IoError && /other-host\.lab/.test(e.message) && !/\n/.test(e.message));
  assert.equal(parseLockOwner(readFileSync(`${p}.lock`, 'utf8'))!.host, 'other-host.lab', 'the foreign lock is left alone');
});

test('a foreign lock whose lease expires is taken over once it has expired (plus the clock-skew allowance)', async () => {
  const d = dir();
  const p = join(d, 's.json');
  writeFileSync(`${p}.lock`, foreign(-5_000 + 400)); // expires (with 5 s skew allowance) in 400 ms
  const t0 = Date.now();
  assert.equal(await bump(p, 10_000), 1);
  assert.ok(Date.now() - t0 >= 350, `waited ${Date.now() - t0} ms`);
  assert.equal(existsSync(`${p}.lock`), false);
});

test('an expired foreign lock is broken at once; a local lock of a dead process too; old bare-PID locks still work', async () => {
  const d = dir();
  const p = join(d, 's.json');
  writeFileSync(`${p}.lock`, foreign(-60_000));
  assert.equal(await bump(p, 1000), 1);
  writeFileSync(`${p}.lock`, JSON.stringify({ host: hostname(), pid: 999_999_999, token: 'x', expires: Date.now() + 60_000 }));
  assert.equal(await bump(p, 1000), 2);
  writeFileSync(`${p}.lock`, '999999999');
  assert.equal(await bump(p, 1000), 3);
  writeFileSync(`${p}.lock`, String(process.pid)); // alive: waited for
  await assert.rejects(bump(p, 200), IoError);
});

test('a lock broken under its owner (lease expired, another took it) is detected before writing: nothing written', async () => {
  const d = dir();
  const p = join(d, 's.json');
  const h = await acquireLock(`${p}.lock`, 1000);
  writeFileSync(`${p}.lock`, foreign(60_000)); // another host broke our expired lease
  assert.throws(() => confirmLock(h), (e: unknown) => e instanceof IoError && /lock lost/.test(e.message));
  releaseLock(h);
  assert.equal(parseLockOwner(readFileSync(`${p}.lock`, 'utf8'))!.host, 'other-host.lab', 'release leaves the new owner\'s lock');
});

test('concurrent processes breaking one expired foreign lock: exactly one winner at a time, no update lost', { timeout: 60_000 }, async () => {
  const d = dir();
  const p = join(d, 's.json');
  writeFileSync(`${p}.lock`, foreign(-60_000));
  const N = 6;
  const K = 25;
  const script = `import { updateJsonFile } from ${JSON.stringify(STATE_JS)};
    for (let i = 0; i < ${K}; i++) await updateJsonFile(${JSON.stringify(p)}, { n: 0 }, 'counter', (c) => ({ value: { n: c.n + 1 }, result: 0 }), 30000);`;
  const codes = await Promise.all(
    Array.from({ length: N }, () => new Promise<number>((res) => {
      const c = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'inherit'] });
      c.on('close', (code) => res(code ?? -1));
    })),
  );
  assert.deepEqual(codes, new Array(N).fill(0));
  assert.equal(JSON.parse(readFileSync(p, 'utf8')).n, N * K);
  assert.deepEqual(readdirSync(d).filter((f) => f !== 's.json'), [], 'no lock, grave or temporary file left');
});

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
import { updateJsonFile, acquireLock, confirmLock, releaseLock, parseLockOwner, withFileLock } from '../src/keys/state.js';
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

/** A process playing another machine (UICC_OTA_LOCK_HOST) that takes the lock of `p` with a short lease. */
function foreignHolder(p: string, leaseMs: number, body: string): { child: ReturnType<typeof spawn>; out: string[]; ready: Promise<void>; exit: Promise<number> } {
  const script = `import { acquireLock, confirmLock, releaseLock, writeFileAtomic } from ${JSON.stringify(STATE_JS)};
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    const h = await acquireLock(${JSON.stringify(`${p}.lock`)}, 5000);
    console.log('locked');
    ${body}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, UICC_OTA_LOCK_HOST: 'other-host.lab', UICC_OTA_LOCK_LEASE_MS: String(leaseMs) },
  });
  const out: string[] = [];
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  child.stdout!.on('data', (d: Buffer) => {
    for (const l of d.toString().split('\n').filter(Boolean)) {
      out.push(l);
      if (l === 'locked') readyResolve();
    }
  });
  const exit = new Promise<number>((r) => child.on('close', (code) => r(code ?? -1)));
  return { child, out, ready, exit };
}

function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const old = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return fn().finally(() => {
    for (const [k, v] of Object.entries(old)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

test('a foreign owner that renews its 300 ms lease keeps the lock for 1.5 s: waited for, never broken', { timeout: 60_000 }, async () => {
  const d = dir();
  const p = join(d, 's.json');
  writeFileSync(p, JSON.stringify({ n: 0 }));
  const f = foreignHolder(p, 300, `
    await sleep(1500);
    confirmLock(h);
    writeFileAtomic(${JSON.stringify(p)}, JSON.stringify({ n: 100 }));
    console.log('released ' + releaseLock(h));`);
  await f.ready;
  const first = parseLockOwner(readFileSync(`${p}.lock`, 'utf8'))!;
  assert.equal(first.host, 'other-host.lab');
  await withEnv({ UICC_OTA_LOCK_SKEW_MS: '0' }, async () => {
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 600));
    // Twice the lease later the lease has moved on: the owner renews it.
    const later = parseLockOwner(readFileSync(`${p}.lock`, 'utf8'))!;
    assert.equal(later.token, first.token);
    assert.ok(later.expires > first.expires + 300, `lease not renewed: ${first.expires} → ${later.expires}`);
    // Our update waits for the owner's write (n = 100) instead of breaking its lock.
    assert.equal(await bump(p, 20_000), 101);
    assert.ok(Date.now() - t0 >= 800, `waited only ${Date.now() - t0} ms`);
  });
  assert.equal(await f.exit, 0);
  assert.deepEqual(f.out, ['locked', 'released true']);
});

test('a foreign owner paused past its lease (SIGSTOP) loses the lock: we take it, it writes nothing and is told so', { timeout: 60_000 }, async () => {
  const d = dir();
  const p = join(d, 's.json');
  writeFileSync(p, JSON.stringify({ n: 0 }));
  const f = foreignHolder(p, 300, `
    await sleep(800);
    try {
      confirmLock(h);
      writeFileAtomic(${JSON.stringify(p)}, JSON.stringify({ n: 999 }));
      console.log('wrote');
    } catch (e) {
      console.log(e.name + ': ' + e.message);
    }
    console.log('released ' + releaseLock(h));`);
  await f.ready;
  f.child.kill('SIGSTOP');
  try {
    await withEnv({ UICC_OTA_LOCK_SKEW_MS: '100' }, async () => {
      const t0 = Date.now();
      assert.equal(await bump(p, 20_000), 1);
      // Broken only once the lease (300 ms from the last renewal) and the skew allowance were over.
      assert.ok(Date.now() - t0 >= 100, `broken after ${Date.now() - t0} ms`);
    });
  } finally {
    f.child.kill('SIGCONT');
  }
  assert.equal(await f.exit, 0);
  assert.equal(f.out.length, 3, f.out.join(' | '));
  assert.match(f.out[1], /^StateError: .*s\.json\.lock: lock lost \(.*\); nothing written: run the command again$/);
  assert.equal(f.out[2], 'released false');
  assert.equal(JSON.parse(readFileSync(p, 'utf8')).n, 1, 'the paused owner wrote nothing');
});

test('a lock that times out names the lock file, its owner and lease, and the way out', async () => {
  const d = dir();
  const p = join(d, 's.json');
  writeFileSync(`${p}.lock`, foreign(60_000, 4242));
  await assert.rejects(bump(p, 200), (e: unknown) => {
    assert.ok(e instanceof IoError && e.exitCode === 3);
    assert.ok(e.message.startsWith(`${p}.lock: timed out after 200 ms waiting for the lock held by process 4242 on host other-host.lab, lease until 20`), e.message);
    assert.match(e.message, /the lock is broken once its lease ends \(or remove .*s\.json\.lock by hand\)$/);
    return true;
  });
});

test('withFileLock reports a lock lost while held (exit 3); a held lock is renewed by its timer', async () => {
  const d = dir();
  const p = join(d, 's.json');
  const seen: number[] = [];
  await withFileLock(p, async () => {
    seen.push(parseLockOwner(readFileSync(`${p}.lock`, 'utf8'))!.expires);
    await new Promise((r) => setTimeout(r, 250));
    seen.push(parseLockOwner(readFileSync(`${p}.lock`, 'utf8'))!.expires);
  }, 1000, { leaseMs: 150 });
  assert.ok(seen[1] > seen[0], `lease not renewed: ${seen.join(' → ')}`);
  assert.equal(existsSync(`${p}.lock`), false);
  await assert.rejects(
    withFileLock(p, async () => {
      writeFileSync(`${p}.lock`, foreign(60_000)); // another host took it meanwhile
    }, 1000),
    (e: unknown) => e instanceof IoError && e.exitCode === 3 && /s\.json\.lock: lock lost while held \(our lease expired and another owner took the lock: process 1 on host other-host\.lab, lease until [^)]*\): the update made under it may have raced/.test(e.message),
  );
});

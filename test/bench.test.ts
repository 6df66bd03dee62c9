/**
 * `npm run bench` runs: a smoke run with tiny sizes (bench/bench.ts --smoke).
 * Only that it runs and writes its result sections is checked, never a speed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers/cli.js';

describe('npm run bench (smoke sizes)', () => {
  it('builds and runs every section, writing results JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uicc-ota-bench-test-'));
    try {
      // Compiled into a temporary folder, so that files other tests are reading in dist/ are not rewritten.
      const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'bench', 'tsconfig.json'), '--outDir', join(dir, 'out')], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
      const out = join(dir, 'results.json');
      const r = spawnSync(process.execPath, [join(dir, 'out', 'bench', 'bench.js'), '--smoke'], {
        cwd: ROOT, encoding: 'utf8', env: { ...process.env, BENCH_OUT: out, BENCH_BASE: '', BENCH_ROOT: ROOT }, timeout: 600_000,
      });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const j = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
      for (const k of ['machine', 'startup', 'batchCli', 'library', 'openssl', 'pySim', 'memory', 'capture', 'captureUnique']) assert.ok(k in j, k);
      assert.equal(j.smoke, true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The installed command loads dist/bundle/uicc-ota.cjs through bin/load.js
 * (a vm.Script with V8's code cache). Such a script has no loader for a
 * dynamic import(), so every import() must have been inlined by the bundler.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { ROOT, run } from './helpers/cli.js';

test('the bundle has no dynamic import() left, and its code cache is accepted', () => {
  const bundle = join(ROOT, 'dist', 'bundle', 'uicc-ota.cjs');
  // The entry and the pack of chunks it requires (scripts/build-cli.mjs turns each import() into a require()).
  const src = readFileSync(bundle, 'utf8') + readFileSync(join(ROOT, 'dist', 'bundle', 'uicc-ota.chunks'), 'utf8');
  const left = src.split('\n').filter((l) => /\bimport\(/.test(l) && !/^\s*(\/\/|\*)/.test(l));
  assert.deepEqual(left, []);
  assert.ok(existsSync(bundle + '.codecache'), 'npm run build writes the code cache');
  const load = createRequire(import.meta.url)(join(ROOT, 'bin', 'load.js')) as { compile(): { cachedDataRejected?: boolean } };
  assert.equal(load.compile().cachedDataRejected, false, 'V8 rejected the code cache');
  const r = run(['spi', 'encode', '--cc']);
  assert.equal(r.stdout, '0200\n');
});

'use strict';
// Loads the bundled CLI (dist/bundle/uicc-ota.cjs, built by `npm run build`)
// through V8's code cache, so that an invocation does not recompile ~600 kB of
// JavaScript: start-up matters because shell scripts call the tool thousands of
// times. A missing or stale cache (other Node/V8, changed bundle) is simply
// rejected by V8 and the source is compiled as usual.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

const BUNDLE = path.join(__dirname, '..', 'dist', 'bundle', 'uicc-ota.cjs');
const CACHE = BUNDLE + '.codecache';

function compile() {
  const source = fs.readFileSync(BUNDLE, 'utf8');
  let cachedData;
  try {
    cachedData = fs.readFileSync(CACHE);
  } catch {
    cachedData = undefined;
  }
  // The bundle must not contain a dynamic import() (a vm.Script has no loader for it): see test/bundle.test.ts.
  return new vm.Script(Module.wrap(source), { filename: BUNDLE, cachedData });
}

function run(script) {
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, Module.createRequire(BUNDLE), mod, BUNDLE, path.dirname(BUNDLE));
  return mod.exports;
}

/** The CLI module: { main(argv): Promise<exitCode>, ... }. */
function load() {
  return run(compile());
}

/**
 * Build step: run typical commands in one process (output discarded) so their
 * functions are compiled, then store V8's code cache beside the bundle.
 */
async function makeCache(commands) {
  try {
    fs.unlinkSync(CACHE);
  } catch {
    /* none yet */
  }
  const script = compile();
  const cli = run(script);
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = () => true;
  process.stderr.write = () => true;
  try {
    for (const argv of commands) await cli.main(['node', 'uicc-ota', ...argv]);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.exitCode = 0;
  }
  fs.writeFileSync(CACHE, script.createCachedData());
}

module.exports = { load, compile, makeCache, BUNDLE, CACHE };

'use strict';
// Loads the bundled CLI (dist/bundle/uicc-ota.cjs, built by `npm run build`)
// through V8's code cache, so that an invocation does not recompile ~600 kB of
// JavaScript: start-up matters because shell scripts call the tool thousands of
// times. The cache shipped beside the bundle only fits the Node/V8 (and V8
// flags) it was built with; when V8 rejects it (other Node version,
// NODE_OPTIONS), a fresh cache is written once to the user's cache folder
// ($XDG_CACHE_HOME/uicc-ota/ or ~/.cache/uicc-ota/) and used from then on.
// Nothing is ever written inside the installed package (it may be read-only).
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

const BUNDLE = path.join(__dirname, '..', 'dist', 'bundle', 'uicc-ota.cjs');
const CACHE = BUNDLE + '.codecache';

function readOrUndefined(file) {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** The per-user cache file: keyed by package version and V8 version (never inside the package). */
function userCacheFile() {
  try {
    const os = require('node:os');
    const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
    if (!path.isAbsolute(base)) return undefined;
    let version = '0';
    try {
      version = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version;
    } catch {
      /* keyed by V8 alone */
    }
    // V8 also rejects a cache made under other V8 flags (NODE_OPTIONS, node's own options): one file per flag set.
    const flags = `${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`.trim();
    let h = 0x811c9dc5;
    for (let i = 0; i < flags.length; i++) h = Math.imul(h ^ flags.charCodeAt(i), 0x01000193) >>> 0;
    const key = `uicc-ota-${version}-node${process.versions.node}-v8-${process.versions.v8}-${process.arch}${flags ? '-' + h.toString(16) : ''}`.replace(/[^\w.-]/g, '_');
    return path.join(base, 'uicc-ota', key + '.codecache');
  } catch {
    return undefined;
  }
}

/** Best effort, atomic (temp file + rename); any failure is ignored. */
function writeUserCache(file, data) {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, data, { mode: 0o600 });
      fs.renameSync(tmp, file);
    } catch {
      try {
        fs.unlinkSync(tmp);
      } catch {
        /* nothing to remove */
      }
    }
  } catch {
    /* no cache: the next run compiles again */
  }
}

/**
 * The script name the shipped cache is made under: not the build folder's path, which
 * would otherwise be written into the cache file (V8 does not check the name when it
 * accepts a cache, so an installed copy under another path uses it all the same).
 */
const CACHE_FILENAME = 'uicc-ota.cjs';

/** Compile with the shipped cache only (the build step and tests use this). */
function compile(cachedData = readOrUndefined(CACHE), filename = BUNDLE) {
  // The bundle must not contain a dynamic import() (a vm.Script has no loader for it): see test/bundle.test.ts.
  return new vm.Script(Module.wrap(fs.readFileSync(BUNDLE, 'utf8')), { filename, cachedData });
}

function run(script) {
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, Module.createRequire(BUNDLE), mod, BUNDLE, path.dirname(BUNDLE));
  return mod.exports;
}

/**
 * Compile for a run: the user's cache if there is one, else the shipped one;
 * when V8 rejects what it got, write a fresh cache to the user's folder at exit
 * (by then the command's functions are compiled, so the cache covers them).
 */
function compileForRun() {
  const source = fs.readFileSync(BUNDLE, 'utf8');
  const wrapped = Module.wrap(source);
  const user = userCacheFile();
  const own = user ? readOrUndefined(user) : undefined;
  const cachedData = own ?? readOrUndefined(CACHE);
  const script = new vm.Script(wrapped, { filename: BUNDLE, cachedData });
  if ((cachedData === undefined || script.cachedDataRejected) && user) {
    process.once('exit', () => {
      let data;
      try {
        data = script.createCachedData();
      } catch {
        return;
      }
      writeUserCache(user, data);
    });
  }
  return script;
}

/** The CLI module: { main(argv): Promise<exitCode>, ... }. */
function load() {
  return run(compileForRun());
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
  const script = compile(undefined, CACHE_FILENAME);
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

module.exports = { load, compile, makeCache, userCacheFile, BUNDLE, CACHE };

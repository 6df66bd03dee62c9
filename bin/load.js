'use strict';
// Loads the bundled CLI (dist/bundle/uicc-ota.cjs, built by `npm run build`,
// scripts/build-cli.mjs) through V8's code cache, so that an invocation does
// not recompile ~900 kB of JavaScript: start-up matters because shell scripts
// call the tool thousands of times. Each command group of
// bin/code-cache-commands.json (spi, build, parse, ...) has its own cache
// (uicc-ota.cjs.<group>.codecache), holding just what that command runs; other
// commands use uicc-ota.cjs.codecache. A shipped cache only fits the Node/V8
// (and V8 flags) it was built with; when V8 rejects it (other Node version,
// NODE_OPTIONS), a fresh cache is written once to the user's cache folder
// ($XDG_CACHE_HOME/uicc-ota/ or ~/.cache/uicc-ota/), keyed by the bundle's
// build, the command group, the Node/V8 version and the flags, and used from
// then on. Nothing is ever written inside the installed package (it may be
// read-only).
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

const BUNDLE = path.join(__dirname, '..', 'dist', 'bundle', 'uicc-ota.cjs');
/** The code cache made from all of bin/code-cache-commands.json (any command). */
const CACHE = BUNDLE + '.codecache';

/** The code cache of one command group (the first word of the command line), when the build made one. */
function groupCacheFile(group) {
  return group ? `${BUNDLE}.${group}.codecache` : CACHE;
}

/** The command group of a command line: its first word when it may name a cache file. */
function groupOf(argv) {
  const first = argv[2];
  return typeof first === 'string' && /^[a-z][a-z0-9-]{0,31}$/.test(first) ? first : undefined;
}

function readOrUndefined(file) {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * The bundle's text. scripts/build-cli.mjs makes it ASCII only, so latin1 gives
 * the same string as UTF-8, as a one-byte string, and faster.
 */
function readBundle() {
  return fs.readFileSync(BUNDLE, 'latin1');
}

/** "<version> <content hash>" from the bundle's last line (scripts/build-cli.mjs writes it). */
function buildId(source) {
  const m = /\/\/# uicc-ota-build ([\w.+-]+) ([0-9a-f]+)\s*$/.exec(source.slice(-120));
  return m ? `${m[1]}-${m[2]}` : '0';
}

/**
 * The per-user cache file: keyed by the build of the bundle, the command group,
 * the Node/V8 version and the V8 flags (never inside the package).
 */
function userCacheFile(source = readBundle(), group) {
  try {
    let base = process.env.XDG_CACHE_HOME;
    if (!base) {
      const home = process.env.HOME || require('node:os').homedir();
      base = home && path.join(home, '.cache');
    }
    if (!base || !path.isAbsolute(base)) return undefined;
    // V8 also rejects a cache made under other V8 flags (NODE_OPTIONS, node's own options): one file per flag set.
    const flags = `${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`.trim();
    let h = 0x811c9dc5;
    for (let i = 0; i < flags.length; i++) h = Math.imul(h ^ flags.charCodeAt(i), 0x01000193) >>> 0;
    const key = `uicc-ota-${buildId(source)}${group ? '-' + group : ''}-node${process.versions.node}-v8-${process.versions.v8}-${process.arch}${flags ? '-' + h.toString(16) : ''}`.replace(/[^\w.-]/g, '_');
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
 * The script name the shipped caches are made under: not the build folder's path, which
 * would otherwise be written into the cache file (V8 does not check the name when it
 * accepts a cache, so an installed copy under another path uses it all the same).
 */
const CACHE_FILENAME = 'uicc-ota.cjs';

/** Compile with a shipped cache only (the build step and tests use this). */
function compile(cachedData = readOrUndefined(CACHE), filename = BUNDLE) {
  // The bundle must not contain a dynamic import() (a vm.Script has no loader for it): see test/bundle.test.ts.
  return new vm.Script(Module.wrap(readBundle()), { filename, cachedData });
}

function run(script) {
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, Module.createRequire(BUNDLE), mod, BUNDLE, path.dirname(BUNDLE));
  return mod.exports;
}

/**
 * Compile for a run: the user's cache if there is one, else the shipped one of
 * the command's group (or the general one); when V8 rejects what it got, write
 * a fresh cache to the user's folder at exit (by then the command's functions
 * are compiled, so the cache covers them).
 */
function compileForRun(group) {
  const source = readBundle();
  const user = userCacheFile(source, group);
  const own = user ? readOrUndefined(user) : undefined;
  const cachedData = own ?? (group && readOrUndefined(groupCacheFile(group))) ?? readOrUndefined(CACHE);
  const script = new vm.Script(Module.wrap(source), { filename: BUNDLE, cachedData });
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

/** The CLI module: { main(argv): Promise<exitCode>, ... }, compiled with the cache of argv's command. */
function load(argv = process.argv) {
  return run(compileForRun(groupOf(argv)));
}

/**
 * Build step (scripts/build-cli.mjs, one process per cache): run typical
 * commands (output discarded) so their functions are compiled, then store
 * V8's code cache beside the bundle, for `group` or for any command.
 */
async function makeCache(commands, group) {
  // No cache to start from: one would bring in every function it holds.
  const script = new vm.Script(Module.wrap(readBundle()), { filename: CACHE_FILENAME });
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
  fs.writeFileSync(groupCacheFile(group ?? undefined), script.createCachedData());
}

module.exports = { load, compile, makeCache, userCacheFile, groupCacheFile, BUNDLE, CACHE };

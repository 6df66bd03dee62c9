'use strict';
// Loads the bundled CLI (dist/bundle/, built by `npm run build`,
// scripts/build-cli.mjs) through V8's code cache: start-up matters because
// shell scripts call the tool thousands of times.
//
// The bundle is split at every dynamic import(): dist/bundle/uicc-ota.cjs is
// the entry (commander, the command tree, main) and every other chunk (a
// command's implementation, modules shared by several commands) lies in
// dist/bundle/uicc-ota.chunks, at the offset its index (the entry's
// "//# uicc-ota-chunks" line) gives. Each is stored as the function it runs
// as (CommonJS's parameters and __bundle; import.meta is __bundle), the entry
// as that function's expression, a chunk as __uiccOtaChunk(name, function),
// which hands it over by name. For the command groups of
// bin/code-cache-commands.json (the first word: spi, build, parse, ...), the
// chunks the group's commands loaded when the caches were made are read at
// once and compiled as one script, the first time one of them is required;
// any other chunk is compiled when first required, as a script of its own. So
// a command reads, compiles and deserializes only what it runs, in few
// scripts. Code caches: the entry's in uicc-ota.cjs.codecache, every chunk's in
// uicc-ota.chunks.codecache (a pack, see readPack) and, per group, in
// uicc-ota.chunks.<group>.codecache: the entry's, the group script's and the
// list of its chunks (what that group runs, and no more).
//
// A shipped cache only fits the Node/V8 (and V8 flags) it was built with; when
// V8 rejects it (other Node version, NODE_OPTIONS), a fresh one is written at
// exit to the user's cache folder ($XDG_CACHE_HOME/uicc-ota/ or
// ~/.cache/uicc-ota/): one pack per bundle build, Node/V8 version and flag
// set, holding what the runs so far compiled, and used from then on. Nothing
// is ever written inside the installed package (it may be read-only).
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

const DIR = path.join(__dirname, '..', 'dist', 'bundle');
const BUNDLE = path.join(DIR, 'uicc-ota.cjs');
const CHUNKS = path.join(DIR, 'uicc-ota.chunks');
/** V8's code cache of the entry. */
const CACHE = BUNDLE + '.codecache';
/** The code caches of the chunks (a pack). */
const CHUNKS_CACHE = CHUNKS + '.codecache';
/**
 * The entry's and the chunks' caches made by running only the commands of one
 * group (the first word of the command line: spi, build, parse, ...): what that
 * command runs, and no more, of what it loads. What it lacks comes from CACHE
 * and CHUNKS_CACHE.
 */
const groupCacheFile = (group) => `${CHUNKS}.${group}.codecache`;

/** The command group of a command line: its first word, when it may name a cache file. */
function groupOf(argv) {
  const first = argv[2];
  return typeof first === 'string' && /^[a-z][a-z0-9-]{0,31}$/.test(first) ? first : undefined;
}

/** The entry's name in a user cache pack. */
const ENTRY = 'uicc-ota.cjs';

function readOrUndefined(file) {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * One buffer that the reads of a start-up go through (the entry's text, the chunks' sources, each code cache):
 * what is read there is used at once, made into a string or handed to V8, which deserializes a code cache while
 * the vm.Script is made and keeps no reference to it. Touching fresh memory costs a page fault per 4 kB, the
 * dearest part of a read (on some virtual machines more than the copy itself), so every read reuses the pages
 * of the last. Not zeroed (allocUnsafeSlow): a page is only touched when a read reaches it.
 */
let scratch;
const scratchOf = (n) => (scratch && scratch.length >= n ? scratch : (scratch = Buffer.allocUnsafeSlow(Math.max(n, 1 << 20))));

/** n octets of fd at position, in the scratch buffer (valid until the next read), or undefined when short. */
function readScratch(fd, n, position) {
  const buf = scratchOf(n);
  return fs.readSync(fd, buf, 0, n, position) === n ? buf.subarray(0, n) : undefined;
}

/** A whole file in the scratch buffer (valid until the next read), or undefined. */
function readFileScratch(file) {
  let fd;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    let got = 0;
    let buf = scratchOf(1);
    for (;;) {
      // No fstat: read until end of file, growing the buffer when it fills (its untouched pages cost nothing).
      if (got === buf.length) {
        const bigger = Buffer.allocUnsafeSlow(buf.length * 2);
        buf.copy(bigger, 0, 0, got);
        scratch = buf = bigger;
      }
      const r = fs.readSync(fd, buf, got, buf.length - got, got);
      if (r === 0) return buf.subarray(0, got);
      got += r;
    }
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** The entry's text: ASCII only (scripts/build-cli.mjs checks), so latin1 gives a one-byte string, faster than UTF-8. */
function readBundle() {
  const buf = readFileScratch(BUNDLE);
  return buf ? buf.latin1Slice(0, buf.length) : fs.readFileSync(BUNDLE, 'latin1'); // the latter throws the reason
}

/** A trailing "//# uicc-ota-<what> ..." line of the entry. */
function trailer(source, what) {
  const at = source.lastIndexOf(`\n//# uicc-ota-${what} `);
  return at < 0 ? undefined : source.slice(at + what.length + 15, source.indexOf('\n', at + 1));
}

/** "<version>-<content hash>" of the bundle's build. */
function buildId(source) {
  return (trailer(source, 'build') ?? '0').replace(' ', '-');
}

/**
 * A pack of code caches: a 4-octet little-endian header length, the header
 * (JSON: { name: [offset, length] }, offsets after the header), the caches.
 */
/** A pack with nothing in it (no file, or one that cannot be read). */
const emptyPack = () => Object.assign(new Map(), { names: () => [] });

function readPack(file) {
  let fd;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return emptyPack();
  }
  // Only the header is read here; a cache is read when asked for (a command needs a part of a pack, and
  // reading what it does not need costs more than the reads: fresh memory is slow to touch).
  try {
    const len = Buffer.allocUnsafe(4);
    if (fs.readSync(fd, len, 0, 4, 0) !== 4) throw new Error('short');
    const n = len.readUInt32LE(0);
    const head = Buffer.allocUnsafe(n);
    if (fs.readSync(fd, head, 0, n, 4) !== n) throw new Error('short');
    const index = JSON.parse(head.latin1Slice(0, n));
    return {
      /** A cache, in the scratch buffer: valid until the next read (made into a vm.Script at once). */
      get(name) {
        const at = Object.prototype.hasOwnProperty.call(index, name) ? index[name] : undefined;
        try {
          return at ? readScratch(fd, at[1], 4 + n + at[0]) : undefined;
        } catch {
          return undefined;
        }
      },
      has: (name) => Object.prototype.hasOwnProperty.call(index, name),
      names: () => Object.keys(index),
      /** Every cache of the pack, read now, each in a buffer of its own (for rewriting the pack). */
      entries() {
        const out = [];
        for (const name of Object.keys(index)) {
          const data = this.get(name);
          if (data !== undefined) out.push([name, Buffer.from(data)]);
        }
        return out[Symbol.iterator]();
      },
    };
  } catch {
    fs.closeSync(fd);
    return emptyPack();
  }
}

function packOf(caches) {
  const index = {};
  let offset = 0;
  for (const [name, data] of caches) {
    index[name] = [offset, data.length];
    offset += data.length;
  }
  const header = Buffer.from(JSON.stringify(index), 'latin1');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  return Buffer.concat([len, header, ...caches.values()]);
}

/**
 * The per-user cache pack: keyed by the build of the bundle, the Node/V8
 * version and the V8 flags (never inside the package).
 */
function userCacheFile(source = readBundle()) {
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
    const key = `uicc-ota-${buildId(source)}-node${process.versions.node}-v8-${process.versions.v8}-${process.arch}${flags ? '-' + h.toString(16) : ''}`.replace(/[^\w.-]/g, '_');
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
 * The script names the shipped caches are made under: not the build folder's path, which
 * would otherwise be written into the cache file (V8 does not check the name when it
 * accepts a cache, so an installed copy under another path uses it all the same).
 */
const scriptName = (name, forCache) => (forCache ? name : path.join(DIR, name));

/** The name a command group's script (its chunks as one) has among the caches. */
const groupScriptName = (group) => `#group:${group}`;
/** The name of a group pack's list of the chunks in its script. */
const GROUP_CHUNKS = '#chunks';

/**
 * The chunked bundle in this process: compile(name) gives a chunk's (or the
 * entry's, ENTRY) vm.Script, with the cache `cacheOf(name)` gives; load(name)
 * the module's exports. A chunk's text hands its function to __uiccOtaChunk
 * (scripts/build-cli.mjs), so the chunks `group.chunks()` names (those its
 * command group ran when the caches were made) are compiled as one script,
 * with one cache: a script of its own per chunk costs V8 about as much again
 * as what it deserializes, and it leaves garbage that makes a scavenge.
 */
function bundle(source, cacheOf, onCompiled, forCache = false, group = { name: undefined, chunks: () => [] }) {
  const modules = new Map();
  const fns = new Map(); // chunk name -> its function, once its script ran
  let pack; // [fd, index]
  let grouped; // the chunks compiled as one script (a Set), once it ran
  const nodeRequire = Module.createRequire(BUNDLE);
  // import.meta.url of every chunk: the entry's (the chunks' folder), as a file URL made when first asked for.
  let url;
  const meta = {
    get url() {
      return (url ??= nodeRequire('node:url').pathToFileURL(BUNDLE).href);
    },
  };
  const openPack = () => (pack ??= [fs.openSync(CHUNKS, 'r'), JSON.parse(trailer(source, 'chunks') ?? '{}')]);
  /** The sources of `names`, read at once into one string (one read; over 128 kB V8 keeps it out of the young generation). */
  const readMany = (names) => {
    let total = 0;
    for (const n of names) total += pack[1][n][1];
    const buf = scratchOf(total);
    let o = 0;
    for (const n of names) {
      const [off, len] = pack[1][n];
      if (fs.readSync(pack[0], buf, o, len, off) !== len) throw new Error(`uicc-ota: ${CHUNKS} is cut short (rebuild: npm run build)`);
      o += len;
    }
    return buf.latin1Slice(0, total);
  };
  const chunkSource = (name) => {
    openPack();
    const at = pack[1][name];
    if (!at) throw new Error(`uicc-ota: ${name} is missing from ${CHUNKS} (rebuild: npm run build)`);
    const buf = scratchOf(at[1]);
    fs.readSync(pack[0], buf, 0, at[1], at[0]);
    return buf.latin1Slice(0, at[1]);
  };
  /** Run a script of chunks: each hands its function over by name. */
  const runChunks = (script) => {
    globalThis.__uiccOtaChunk = (name, fn) => void fns.set(name, fn);
    try {
      script.runInThisContext();
    } finally {
      delete globalThis.__uiccOtaChunk;
    }
  };
  const compileAs = (name, text) => {
    // The source first: it is a string once read, and the cache is then read into the same scratch buffer.
    const cachedData = cacheOf(name);
    const script = new vm.Script(text, { filename: scriptName(name, forCache), cachedData });
    onCompiled(name, script, cachedData);
    return script;
  };
  const compile = (name) => compileAs(name, name === ENTRY ? source : chunkSource(name));
  /** The group's chunks as one script, compiled and run the first time one of them is needed. */
  const runGroup = (name) => {
    if (grouped || group.name === undefined) return;
    const names = group.chunks();
    if (!names.includes(name)) return;
    openPack();
    grouped = new Set(names.filter((n) => pack[1][n]));
    if (grouped.size) runChunks(compileAs(groupScriptName(group.name), readMany([...grouped])));
  };
  const load = (name) => {
    let m = modules.get(name);
    if (m) return m.exports;
    m = { exports: {} };
    modules.set(name, m);
    if (name === ENTRY) {
      compile(name).runInThisContext()(m.exports, require, m, BUNDLE, DIR, meta);
      return m.exports;
    }
    if (!fns.has(name)) runGroup(name);
    if (!fns.has(name)) runChunks(compile(name));
    fns.get(name)(m.exports, require, m, BUNDLE, DIR, meta);
    return m.exports;
  };
  // Chunks require each other as "./c-<name>-<hash>.js"; anything else is Node's (builtins, node-forge, pcsclite, smpp).
  const require = (id) => (id.startsWith('./c-') ? load(id.slice(2)) : nodeRequire(id));
  return { load, compile, chunkNames: () => Object.keys(openPack()[1]) };
}

/** Compile the entry with the shipped cache only (tests use this). */
function compile(cachedData = readOrUndefined(CACHE)) {
  // No chunk may contain a dynamic import() (a vm.Script has no loader for it): see test/bundle.test.ts.
  return new vm.Script(readBundle(), { filename: BUNDLE, cachedData });
}

/**
 * The CLI module: { main(argv): Promise<exitCode>, ... }. Each part compiles
 * with the user's cache when there is one, else the shipped one; when V8
 * rejects what it got (or there was none), a fresh user cache pack is written
 * at exit (by then the command's functions are compiled, so it covers them).
 */
function load(argv = process.argv) {
  const source = readBundle();
  const user = userCacheFile(source);
  const own = user ? readPack(user) : emptyPack();
  const group = groupOf(argv);
  let ofGroup; // the group's pack, read when the entry or a chunk is first compiled
  const groupPack = () => (ofGroup ??= group ? readPack(groupCacheFile(group)) : emptyPack());
  let shipped;
  const compiled = new Map();
  let stale = false;
  // The group's pack first (the entry's and the chunks' caches of what that group runs), then the caches of everything.
  const cacheOf = (name) =>
    own.get(name) ?? groupPack().get(name) ?? (name === ENTRY ? readFileScratch(CACHE) : (shipped ??= readPack(CHUNKS_CACHE)).get(name));
  const onCompiled = (name, script, cachedData) => {
    compiled.set(name, script);
    if (cachedData === undefined || script.cachedDataRejected) stale = true;
  };
  const b = bundle(source, cacheOf, onCompiled, false, { name: group, chunks: () => groupChunks(groupPack()) });
  if (user) {
    process.once('exit', () => {
      if (!stale) return;
      // What the user's pack held, with what this run compiled afresh.
      const caches = new Map(own.entries());
      for (const [name, script] of compiled) {
        try {
          if (!own.has(name) || script.cachedDataRejected) caches.set(name, script.createCachedData());
        } catch {
          /* left out */
        }
      }
      writeUserCache(user, packOf(caches));
    });
  }
  return b.load(ENTRY);
}

/** The chunks a group pack's script holds, in its order (none when the pack has no list). */
function groupChunks(p) {
  const list = p.get(GROUP_CHUNKS);
  return list ? list.latin1Slice(0, list.length).split('\n') : [];
}

/** Run commands with their output discarded (so that their functions are compiled). */
async function runQuietly(cli, commands) {
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
}

/**
 * Build step, after makeCache(commands, group): the chunks that group ran, as
 * one script, run with the same commands in a fresh process; its pack then
 * holds the entry's cache, that script's and the list of its chunks.
 */
async function makeGroupCache(commands, group) {
  const chunks = readPack(groupCacheFile(group)).names().filter((n) => n !== ENTRY && !n.startsWith('#'));
  const compiled = new Map();
  const b = bundle(readBundle(), () => undefined, (name, script) => compiled.set(name, script), true, { name: group, chunks: () => chunks });
  await runQuietly(b.load(ENTRY), commands);
  const caches = new Map();
  for (const [name, script] of compiled) caches.set(name, script.createCachedData());
  caches.set(GROUP_CHUNKS, Buffer.from(chunks.join('\n'), 'latin1'));
  fs.writeFileSync(groupCacheFile(group), packOf(caches));
}

/**
 * Build step (scripts/build-cli.mjs): run typical commands (output discarded)
 * so their functions are compiled, then store V8's code caches beside the
 * bundle: the entry's, and a pack with every chunk's (those the commands did
 * not run, compiled only).
 */
async function makeCache(commands, group) {
  const compiled = new Map();
  const b = bundle(readBundle(), () => undefined, (name, script) => compiled.set(name, script), true);
  await runQuietly(b.load(ENTRY), commands);
  const caches = new Map();
  if (group) {
    // Only the entry and the chunks this group ran, with only what it ran of them (the entry's cache made by
    // every command would hold the compiled definitions of every command: main.ts's define* functions).
    for (const [name, script] of compiled) caches.set(name, script.createCachedData());
    fs.writeFileSync(groupCacheFile(group), packOf(caches));
    return;
  }
  for (const name of b.chunkNames()) caches.set(name, (compiled.get(name) ?? b.compile(name)).createCachedData());
  fs.writeFileSync(CHUNKS_CACHE, packOf(caches));
  fs.writeFileSync(CACHE, compiled.get(ENTRY).createCachedData());
}

module.exports = { load, compile, makeCache, makeGroupCache, userCacheFile, readPack, BUNDLE, CACHE, CHUNKS, CHUNKS_CACHE };

// `npm run build`, CLI part: bundle src/cli/main.ts into dist/bundle/, then
// store V8 code caches beside it (bin/load.js reads them).
//
// Start-up is what this is about (shell scripts call the tool thousands of times):
// - the bundle is split (esbuild code splitting) at every dynamic import(): each
//   command's implementation and the modules it shares with others are chunks of
//   their own, so a command reads, compiles and deserializes only its chunks,
//   not the ~900 kB of the whole CLI. esbuild splits ESM only: each ESM chunk is
//   then turned into CommonJS (import() into require()), since bin/load.js runs
//   them as vm.Scripts with a code cache (Node 20 has no code cache for ESM);
// - dist/bundle/uicc-ota.cjs is the entry chunk (commander, the command tree,
//   main); the other chunks are packed in dist/bundle/uicc-ota.chunks, whose
//   index ends the entry ("//# uicc-ota-chunks {name: [offset, length]}"), so a
//   run opens two files whatever number of chunks it needs; each is stored as
//   the function expression bin/load.js compiles it as (no string building at
//   start-up);
// - whitespace and comments are dropped and the output is ASCII only, so that
//   bin/load.js reads it as a one-byte (latin1) string: a UTF-8 file with a few
//   non-ASCII characters decodes into a two-byte string, several times slower;
// - commander's top-level require of node:child_process (only used for
//   stand-alone executable subcommands, which uicc-ota has none of) is deferred
//   until a spawn, so that no command loads child_process, net and dgram for it;
// - the code caches (bin/load.js makeCache) come from a process that ran the
//   commands of bin/code-cache-commands.json: uicc-ota.cjs.codecache for the
//   entry, uicc-ota.chunks.codecache for every chunk; and, for each command group
//   there (the first word: spi, build, parse, ...), from a process that ran only
//   its commands: uicc-ota.chunks.<group>.codecache, the chunks it loads with
//   just what it runs of them; then, from another process that ran them again
//   with those chunks compiled as one script, that script's cache (one script
//   instead of dozens: V8's cost per script is about that of what it
//   deserializes).
import { build, transform } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = join(ROOT, 'dist', 'bundle');
const ENTRY = join(DIR, 'uicc-ota.cjs');
const PACK = join(DIR, 'uicc-ota.chunks');

/** commander's require('node:child_process'), resolved to this stand-in. */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (a) => (/[\\/]commander[\\/]/.test(a.importer) ? { path: 'child_process', namespace: 'lazy-child-process' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      contents: "let cp;\nmodule.exports = { spawn: (...a) => (cp ??= require('node:child_process')).spawn(...a) };\n",
      loader: 'js',
    }));
  },
};

const esm = await build({
  entryPoints: [join(ROOT, 'src', 'cli', 'main.ts')],
  outdir: DIR,
  write: false,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['pcsclite', 'smpp'],
  logLevel: 'warning',
  minifyWhitespace: true,
  minifyIdentifiers: true,
  minifySyntax: true,
  charset: 'ascii',
  legalComments: 'none',
  entryNames: '[name]',
  chunkNames: 'c-[name]-[hash]',
  plugins: [lazyChildProcess],
  // UICC_OTA_BUNDLE_META=FILE writes esbuild's metafile there (which module went into which chunk), for start-up work.
  metafile: Boolean(process.env.UICC_OTA_BUNDLE_META),
});
if (process.env.UICC_OTA_BUNDLE_META) writeFileSync(process.env.UICC_OTA_BUNDLE_META, JSON.stringify(esm.metafile));

/** One ESM chunk as a CommonJS module: import() becomes a require(), import.meta.url the bundle's. */
async function toCjs(code) {
  const r = await transform(code, {
    format: 'cjs',
    target: 'node20',
    supported: { 'dynamic-import': false },
    // bin/load.js wraps each chunk in a function whose parameter __bundle.url is the entry's file URL, made once, when first asked for.
    define: { 'import.meta.url': '__bundle.url' },
    minifyWhitespace: true,
    minifyIdentifiers: true,
    minifySyntax: true,
    charset: 'ascii',
    legalComments: 'none',
    logLevel: 'warning',
  });
  return directExports(r.code);
}

/**
 * esbuild's CommonJS form of an ESM chunk ends with module.exports = __toCommonJS(exports), which copies
 * every export's getter into a new object: a closure and a property definition per export, for every chunk
 * a command loads. The exports object itself already has those getters (live bindings): it becomes
 * module.exports, marked __esModule as __toCommonJS marks its copy.
 */
function directExports(code) {
  const I = '[A-Za-z_$][A-Za-z_$0-9]*';
  const helper = new RegExp(`(?:var |,)(${I})=(${I})=>${I}\\(${I}\\(\\{\\},"__esModule",\\{value:!0\\}\\),\\2\\)`).exec(code);
  if (!helper) return code;
  const use = new RegExp(`module\\.exports=${helper[1].replace(/\$/g, '\\$')}\\((${I})\\);`);
  return code.replace(use, (_, x) => `module.exports=Object.defineProperty(${x},"__esModule",{value:!0});`);
}

let entry;
const chunks = [];
for (const f of esm.outputFiles) {
  const code = await toCjs(f.text);
  const name = basename(f.path);
  if (name === 'main.js') entry = code;
  else chunks.push([name, code]);
}
for (const [name, code] of [['uicc-ota.cjs', entry], ...chunks]) {
  const at = code.search(/[^\x00-\x7f]/);
  if (at >= 0) {
    console.error(`${name}: non-ASCII character at ${at} (${JSON.stringify(code.slice(Math.max(0, at - 40), at + 10))}): bin/load.js reads the bundle as latin1; escape it in the source (e.g. \\u2026 in a regular expression)`);
    process.exit(1);
  }
}

// Each chunk (and the entry) is stored already wrapped as the function bin/load.js runs it as (CommonJS's
// parameters and __bundle): the loader compiles the text it reads as it is, with no string built around it
// (V8 would flatten that into one more copy of every chunk in its young generation).
const wrap = (code) => `(function (exports, require, module, __filename, __dirname, __bundle) { ${code}\n});`;
// A chunk hands its function to bin/load.js by name, so that the chunks a command group loads, read as one
// text, compile as one script with one code cache (and a chunk alone as a script of its own all the same).
const wrapChunk = (name, code) => `__uiccOtaChunk(${JSON.stringify(name)},(function (exports, require, module, __filename, __dirname, __bundle) { ${code}\n}));`;
// The pack of chunks and its index; the build's identity, which bin/load.js keys the user's code caches by.
const index = {};
let offset = 0;
const wrapped = chunks.map(([name, code]) => {
  const w = wrapChunk(name, code);
  index[name] = [offset, w.length];
  offset += w.length;
  return w;
});
const pack = wrapped.join('');
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const id = createHash('sha256').update(entry).update(pack).digest('hex').slice(0, 16);
mkdirSync(DIR, { recursive: true });
for (const f of readdirSync(DIR)) rmSync(join(DIR, f), { recursive: true });
writeFileSync(PACK, pack, 'latin1');
// The entry is padded (a comment of spaces) to more than 128 kB: V8 then allocates its text outside the young
// generation, where the scavenges of a start-up would copy it (bin/load.js reads it as one latin1 string).
// The padding goes before the trailing lines, which bin/load.js finds by searching back from the end.
const code = `${wrap(entry)}\n`;
const trailers = `//# uicc-ota-chunks ${JSON.stringify(index)}\n//# uicc-ota-build ${version} ${id}\n`;
const PAD_TO = (1 << 17) + 4096;
const pad = PAD_TO - code.length - trailers.length;
writeFileSync(ENTRY, `${code}${pad >= 3 ? `//${' '.repeat(pad - 3)}\n` : ''}${trailers}`, 'latin1');

// Code caches: for any command, then for each command group (a fresh process each, so a group's caches hold only what it runs).
const commands = JSON.parse(readFileSync(join(ROOT, 'bin', 'code-cache-commands.json'), 'utf8'));
for (const group of [undefined, ...new Set(commands.map((argv) => argv[0]))]) {
  const argvs = group === undefined ? commands : commands.filter((argv) => argv[0] === group);
  const r = spawnSync(process.execPath, ['-e', `require('./bin/load.js').makeCache(${JSON.stringify(argvs)}, ${JSON.stringify(group ?? null)})`], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  if (group === undefined) continue;
  // Then the group's chunks as one script (what the run above loaded): its cache, in a fresh process again.
  const g = spawnSync(process.execPath, ['-e', `require('./bin/load.js').makeGroupCache(${JSON.stringify(argvs)}, ${JSON.stringify(group)})`], { cwd: ROOT, stdio: 'inherit' });
  if (g.status !== 0) process.exit(g.status ?? 1);
}

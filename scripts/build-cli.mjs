// `npm run build`, CLI part: bundle src/cli/main.ts into dist/bundle/uicc-ota.cjs,
// then store V8 code caches beside it (bin/load.js reads them).
//
// Start-up is what this is about (shell scripts call the tool thousands of times):
// - whitespace and comments are dropped and the output is ASCII only, so that
//   bin/load.js reads it as a one-byte (latin1) string: a UTF-8 file with a few
//   non-ASCII characters decodes into a two-byte string, several times slower;
// - commander's top-level require of node:child_process (only used for
//   stand-alone executable subcommands, which uicc-ota has none of) is deferred
//   until a spawn, so that no command loads child_process, net and dgram for it;
// - one code cache per command group of bin/code-cache-commands.json (the first
//   word of each entry: spi, build, parse, ...), each made in a fresh process
//   that ran only that group, so a command deserializes just what it runs;
//   uicc-ota.cjs.codecache, made from all entries, serves the other commands.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist', 'bundle', 'uicc-ota.cjs');

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

await build({
  entryPoints: [join(ROOT, 'src', 'cli', 'main.ts')],
  outfile: OUT,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['pcsclite', 'smpp'],
  logLevel: 'warning',
  define: { 'import.meta.url': '__importMetaUrl' },
  banner: { js: 'var __importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  minifyWhitespace: true,
  charset: 'ascii',
  legalComments: 'none',
  plugins: [lazyChildProcess],
});

const bytes = readFileSync(OUT);
const at = bytes.findIndex((b) => b > 0x7f);
if (at >= 0) {
  console.error(`${OUT}: non-ASCII octet at ${at} (${JSON.stringify(bytes.subarray(Math.max(0, at - 40), at + 10).toString())}): bin/load.js reads the bundle as latin1; escape it in the source (e.g. \\u2026 in a regular expression)`);
  process.exit(1);
}

// The build's identity, which bin/load.js keys the user's code caches by (read from the last line).
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
appendFileSync(OUT, `//# uicc-ota-build ${version} ${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}\n`);

// Code caches: stale ones first (a group may have gone from the list).
for (const f of readdirSync(dirname(OUT))) if (f.endsWith('.codecache')) rmSync(join(dirname(OUT), f));
const commands = JSON.parse(readFileSync(join(ROOT, 'bin', 'code-cache-commands.json'), 'utf8'));
const groups = [...new Set(commands.map((argv) => argv[0]))];
for (const group of [undefined, ...groups]) {
  const argvs = group === undefined ? commands : commands.filter((argv) => argv[0] === group);
  const r = spawnSync(process.execPath, ['-e', `require('./bin/load.js').makeCache(${JSON.stringify(argvs)}, ${JSON.stringify(group ?? null)})`], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

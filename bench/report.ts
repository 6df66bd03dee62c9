/**
 * The README table of a bench run: bench/results.json as Markdown, with the
 * machine and its load, each figure next to the goal of issue 11 it is about.
 * `npm run bench` writes it to bench/results.md; `node dist/bench/report.js
 * [results.json]` prints it again from a saved run.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const n = (x: unknown): string => (typeof x === 'number' && Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
const r = (x: unknown): string => (typeof x === 'number' && Number.isFinite(x) ? `x${x.toFixed(2)}` : '–');
const table = (head: string[], rows: string[][]): string =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');

/** Markdown for one results object (the shape bench.ts writes). */
export function markdown(res: Obj): string {
  const out: string[] = [];
  const m: Obj = res.machine ?? {};
  const la = (a: unknown): string => (Array.isArray(a) ? a.join(' / ') : '?');
  out.push(`Run of ${String(res.date ?? '?').slice(0, 16).replace('T', ' ')} UTC${res.smoke ? ' (smoke sizes: not figures)' : ''}: ` +
    `${m.cores ?? '?'} × ${m.cpu ?? '?'}, ${m.memGB ?? '?'} GB, ${m.os ?? '?'}, Node ${m.node ?? '?'}, ${m.openssl ?? '?'}; ` +
    `load average ${la(m.loadavgAtStart)} at start, ${la(m.loadavgAtEnd)} at end${m.cpuTimeBy ? `; CPU time and peak RSS read by ${m.cpuTimeBy}` : ''}.`);

  const su: Obj | undefined = res.startup;
  if (su?.rows) {
    out.push('', `Start-up, median of ${su.runs} interleaved runs, as a ratio to \`node -e 0\` (${su.nodeMs} ms); goal ≤ x1.25 for spi decode, build sms (3DES) and parse:`, '');
    out.push(table(['command', 'ms', 'ratio'], su.rows.filter((x: Obj) => x.name !== 'node -e 0').map((x: Obj) => [`\`${x.name}\``, String(x.ms), r(x.ratio)])));
    for (const g of su.goal ?? []) out.push('', `Goal (${g.impl}): ${g.met ? 'met' : 'not met'}.`);
  }

  const b: Obj | undefined = res.build;
  if (b?.rows) {
    out.push('', `\`build sms --each\`, ${n(b.lines)} lines, median of ${b.runs}, one-line run subtracted; packets per wall-clock second and per CPU second (all threads); goals 100,000/s (3DES, 1 APDU) and 200,000/s (AES, 1 APDU) wall:`, '');
    out.push(table(['packet', 'octets', '1 thread /s', '1 thread /CPU-s', '2 threads /s', '2 threads /CPU-s', 'openssl limit /CPU-s', 'goal'],
      b.rows.map((x: Obj) => [x.shape, String(x.packetOctets ?? '–'), n(x.threads1PerWallSecond), n(x.threads1PerCpuSecond), n(x.threads2PerWallSecond), n(x.threads2PerCpuSecond),
        n(x.opensslLimitPerCpuSecond), x.goalPerWallSecond ? `${n(x.goalPerWallSecond)}: ${x.goalMet ? 'met' : 'not met'}` : '']),
    ));
  }

  const bc: Obj | undefined = res.batchCli;
  if (bc?.rows) {
    out.push('', `\`--each\` through the CLI, ${n(bc.packets)} packets${bc.runs ? `, median of ${bc.runs} interleaved runs less the median of as many runs on the first line` : ''}, packets per CPU second (each command's one-line run subtracted: throughput, not start-up); goal: parse within x1.5 of build:`, '');
    out.push(table(['packet', 'build', 'parse', 'parse/build', 'parse --json', 'parse --json/build', 'build --json'],
      bc.rows.map((x: Obj) => [`${x.shape} (${x.impl})`, n(x.buildPerCpuSecond), n(x.parsePerCpuSecond), r(x.parseSlowerBy), n(x.parseJsonPerCpuSecond), r(x.parseJsonSlowerBy), x.buildJsonPerCpuSecond === undefined ? '' : n(x.buildJsonPerCpuSecond)])));
  }

  if (Array.isArray(res.memory)) {
    out.push('', 'Memory (goal < 200 MB):', '');
    out.push(table(['run', 'peak RSS', 'wall'], res.memory.map((x: Obj) => [`\`parse --each\` over ${n(x.lines)} lines (${x.impl})`, `${x.peakRssMB} MB`, `${x.wallSeconds} s`])));
  }

  for (const [cap, what] of [[res.capture, 'one exchange repeated'], [res.captureUnique, 'no two exchanges alike: each command its own CNTR and data']] as Array<[Obj | undefined, string]>) {
    if (!cap?.rows) continue;
    out.push('', `\`parse --read\` of a generated ${n(cap.frames)}-frame GSMTAP capture (3DES ENVELOPEs and their PoRs${res.captureUnique ? `; ${what}` : ''}), frames per CPU second${cap.runs ? `, median of ${cap.runs} interleaved runs` : ''}; goal: at least \`tshark -V\`'s speed, < 200 MB:`, '');
    out.push(table(['reader', 'frames /CPU-s', 'of tshark -V', 'wall', 'peak RSS'],
      cap.rows.map((x: Obj) => [x.impl === 'tshark -V' ? '`tshark -V`' : `\`parse --read\` ${x.output} (${x.impl})`, x.status ?? n(x.framesPerCpuSecond),
        x.impl === 'tshark -V' ? '' : r(x.ratioToTshark), x.wallSeconds !== undefined ? `${x.wallSeconds} s` : '', x.peakRssMB !== undefined ? `${x.peakRssMB} MB` : ''])));
  }

  const lib: Obj | undefined = res.library;
  if (lib?.rows) {
    out.push('', `Library in one process, ${n(lib.packets)} packets (\`buildCommand\` + SMS-PP framing; reassembly + \`parseCommand\`), per CPU second:`, '');
    out.push(table(['packet', 'octets', 'build', 'parse'], lib.rows.map((x: Obj) => [`${x.shape} (${x.impl})`, String(x.packetOctets), n(x.buildPerCpuSecond), n(x.parsePerCpuSecond)])));
  }
  const api: Obj | undefined = res.libraryApi;
  if (api?.rows) {
    out.push('', `The package's API, one call per packet (\`buildSms\` and \`parse\` with a keyset file, ${n(api.calls)} calls each), per CPU second:`, '');
    out.push(table(['packet', 'buildSms', 'parse'], api.rows.map((x: Obj) => [`${x.shape} (${x.impl})`, n(x.buildPerCpuSecond), n(x.parsePerCpuSecond)])));
  }
  if (res.pySimRows?.length) {
    out.push('', `pySim's OTA code (pySim.ota OtaDialectSms encode_cmd / decode_cmd, one Python process, CPU time of its loops) on the same ${n(res.pySimRows[0].packets)} packets per shape, per CPU second; ours through the CLI (\`build sms --each\`, \`parse --each\`, one-line run subtracted) and the library (section above), as ratios to pySim; pySim's packets compared with ours octet for octet, and ours deciphered and CC-checked by pySim:`, '');
    out.push(table(['packet', 'pySim encode', 'pySim decode', 'build --each', 'parse --each', 'library build', 'library parse', 'identical', 'pySim verified ours'],
      res.pySimRows.map((x: Obj) => [x.shape, n(x.pySimEncodePerCpuSecond), n(x.pySimDecodePerCpuSecond), `${n(x.cliBuildPerCpuSecond)} (x${x.cliBuildRatio})`,
        `${n(x.cliParsePerCpuSecond)} (x${x.cliParseRatio})`, x.libraryBuildRatio === null ? '' : `x${x.libraryBuildRatio}`, x.libraryParseRatio === null ? '' : `x${x.libraryParseRatio}`,
        `${n(x.identicalPackets)}/${n(x.packets)}`, `${n(x.pySimVerifiedOurs)}/${n(x.packets)}`])));
  } else if (res.pySim !== undefined) out.push('', `pySim's OTA encoder: ${res.pySim}.`);
  return out.join('\n') + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2] ?? fileURLToPath(new URL('../../bench/results.json', import.meta.url));
  process.stdout.write(markdown(JSON.parse(readFileSync(file, 'utf8')) as Obj));
}

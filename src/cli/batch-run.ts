/**
 * What every `--each` command shares in the CLI: stdin as a stream (robust to a
 * non-blocking descriptor), errors also on stderr as `uicc-ota: line N: …`,
 * --threads parsed, and how worker threads start inside the one-file bundle.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../util/errors.js';
import type { LineError } from '../batch/line.js';
import type { StreamOptions } from '../api/batch.js';

export interface EachCliOptions {
  json?: boolean;
  threads?: string;
  pcap?: string;
}

/** --threads N|auto. */
export function threadsOption(v: string | undefined): number | 'auto' | undefined {
  if (v === undefined) return undefined;
  if (v === 'auto') return 'auto';
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 256) throw new InputError(`must be a number of threads from 1 to 256, or auto (got "${v}")`, { field: '--threads' });
  return Number(v);
}

/**
 * Worker threads run the bundle's batchWorker() (src/cli/main.ts) when the CLI
 * is the one-file bundle; from the unbundled build they import src/api/batch.js.
 */
export function workerBootstrap(): string | undefined {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.cjs')) return undefined;
  // Through bin/load.js when it is there: the bundle compiles from V8's code cache, as in the main thread.
  const loader = join(dirname(here), '..', '..', 'bin', 'load.js');
  return existsSync(loader)
    ? `require(${JSON.stringify(loader)}).load().batchWorker();`
    : `require(${JSON.stringify(here)}).batchWorker();`;
}

/** The worst line's exit code so far, as the process's: a reader that closes the pipe early (EPIPE) does not turn it into 0. */
function worstSoFar(code: number): void {
  const now = Number(process.exitCode ?? 0) || 0;
  if (code > now) process.exitCode = code;
}

export function stderrError(e: LineError): void {
  worstSoFar(e.exitCode);
  process.stderr.write(`uicc-ota: line ${e.line}: ${e.message}\n`);
}

/** A line whose check failed: what failed on stderr, as the one-shot command says it, with the line number. */
export function stderrProblems(line: number, problems: string[]): void {
  worstSoFar(1);
  for (const p of problems) process.stderr.write(`uicc-ota: line ${line}: ${p}\n`);
}

/** The stream options of a CLI batch: stdin (or the given lines) to stdout. */
export async function cliStream(o: EachCliOptions, lines?: string[]): Promise<StreamOptions> {
  let input: AsyncIterable<Buffer | string>;
  if (lines) {
    input = (async function* () {
      yield lines.join('\n') + '\n';
    })();
  } else {
    const { refuseTerminalStdin } = await import('./input.js');
    refuseTerminalStdin('--each');
    const { fdChunks } = await import('../batch/fd-input.js');
    input = fdChunks(0);
  }
  return { input, output: process.stdout, json: o.json, threads: threadsOption(o.threads), pcap: o.pcap, onError: stderrError, onProblems: stderrProblems, workerBootstrap: workerBootstrap() };
}

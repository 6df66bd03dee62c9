/** Run the CLI as a user would: `node bin/uicc-ota.js ...` in the repo root. */
import { spawnSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './paths.js';
import { assertJsonOutput } from './schema.js';

export { ROOT };
export const BIN = join(ROOT, 'bin', 'uicc-ota.js');
export const KEYSET = join(ROOT, 'vectors', 'keysets', 'test.json');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(args: string[], opts: { input?: string; env?: Record<string, string | undefined>; cwd?: string } = {}): RunResult {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...opts.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const r = spawnSync(process.execPath, [BIN, ...args], { input: opts.input ?? '', env: env as NodeJS.ProcessEnv, cwd: opts.cwd ?? ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (args.includes('--json')) assertJsonOutput(r.stdout, args);
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function runAsync(args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...opts.env }, cwd: ROOT });
    if (opts.input !== undefined) p.stdin.end(opts.input);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => {
      if (args.includes('--json')) assertJsonOutput(stdout, args);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Run the CLI with a stdin we write to over time; resolves each output line as it comes. */
export function live(args: string[], wrap?: string[], limitMs = 30000) {
  const argv = wrap ? [...wrap, process.execPath, BIN, ...args] : [BIN, ...args];
  const p = spawn(wrap ? wrap[0] : process.execPath, wrap ? argv.slice(1) : argv, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
  let buf = '';
  let ended: string | undefined;
  const waiting: Array<{ resolve: (l: string) => void; reject: (e: Error) => void }> = [];
  const lines: string[] = [];
  p.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const w = waiting.shift();
      if (w) w.resolve(l);
      else lines.push(l);
    }
  });
  // Bounded: a test that fails before ending stdin must not hang the suite.
  const timer = setTimeout(() => p.kill('SIGKILL'), limitMs);
  timer.unref();
  const closed = new Promise<number>((r) => p.on('close', (c) => {
    clearTimeout(timer);
    ended = `the process ended (exit ${c ?? 'by signal'}) before writing that line`;
    for (const w of waiting.splice(0)) w.reject(new Error(ended));
    r(c ?? -1);
  }));
  return {
    write: (s: string) => p.stdin.write(s),
    end: () => p.stdin.end(),
    next: () => new Promise<string>((resolve, reject) => (lines.length ? resolve(lines.shift()!) : ended ? reject(new Error(ended)) : waiting.push({ resolve, reject }))),
    closed,
    kill: (signal: NodeJS.Signals = 'SIGKILL') => p.kill(signal),
    /** The signal that ended the process (null when it exited), once closed. */
    signal: () => p.signalCode,
  };
}

/** A user-facing error: exactly one line on stderr, no stack trace. */
export function isOneLineError(stderr: string): boolean {
  const lines = stderr.trim().split('\n');
  return lines.length === 1 && lines[0].startsWith('uicc-ota: ') && !/\bat .*\.js:\d+/.test(stderr);
}

export interface Proc {
  /** serve's UDP port, from its "listening on UDP addr:port" line. */
  port: Promise<number>;
  done: Promise<RunResult>;
  kill(): void;
}

/** Run the CLI as a child process, killed after `limitMs` (tests stay bounded). */
export function start(args: string[], limitMs = 20000): Proc {
  const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' }, cwd: ROOT });
  let stdout = '';
  let stderr = '';
  let gotPort: (n: number) => void;
  let noPort: (e: Error) => void;
  const port = new Promise<number>((res, rej) => ((gotPort = res), (noPort = rej)));
  port.catch(() => undefined); // only serve has a port; awaiting it still sees the rejection
  p.stdout.on('data', (d) => (stdout += d));
  p.stderr.on('data', (d) => {
    stderr += d;
    const m = /listening on UDP [\d.]+:(\d+)/.exec(stderr);
    if (m) gotPort(Number(m[1]));
  });
  const timer = setTimeout(() => p.kill('SIGKILL'), limitMs);
  const done = new Promise<RunResult>((res) =>
    p.on('close', (code) => {
      clearTimeout(timer);
      noPort(new Error(`exited (${code}) before listening: ${stderr}`));
      if (args.includes('--json')) assertJsonOutput(stdout, args);
      res({ code: code ?? -1, stdout, stderr });
    }),
  );
  return { port, done, kill: () => p.kill('SIGKILL') };
}

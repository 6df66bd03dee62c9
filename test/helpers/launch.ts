/** Long-running child processes for the transport tests (an SMSC, a peer), their port read from what they print. */
import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT } from './paths.js';

export interface Running {
  proc: ChildProcess;
  port: Promise<number>;
  out: () => string;
  err: () => string;
  done: Promise<number>;
  stop(): Promise<number>;
}

/** A child process whose port is announced on stdout/stderr (matched by `re`); killed after `limitMs`. */
export function launch(cmd: string, args: string[], re: RegExp, limitMs = 60000): Running {
  const proc = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let err = '';
  let got: (n: number) => void;
  let fail: (e: Error) => void;
  const port = new Promise<number>((res, rej) => ((got = res), (fail = rej)));
  port.catch(() => undefined); // peers that announce no port: awaiting it still sees the rejection
  const look = () => {
    const m = re.exec(out + err);
    if (m) got(Number(m[1]));
  };
  proc.stdout!.on('data', (d) => ((out += d), look()));
  proc.stderr!.on('data', (d) => ((err += d), look()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), limitMs);
  const done = new Promise<number>((res) =>
    proc.on('close', (code) => {
      clearTimeout(timer);
      fail(new Error(`${cmd} exited (${code}) before listening: ${err}`));
      res(code ?? -1);
    }),
  );
  return { proc, port, out: () => out, err: () => err, done, stop: () => (proc.kill('SIGTERM'), done) };
}

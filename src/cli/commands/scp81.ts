/**
 * SCP81 commands (GlobalPlatform Amendment B, RAM over HTTPS with PSK-TLS):
 * `build push`, `scp81 parse-push`, `scp81 parse`, `scp81 serve`, `scp81 agent`.
 * Options in, library call (src/api/scp81.ts), render out.
 */
import { readFileSync } from 'node:fs';
import { IoError } from '../../util/errors.js';
import { printJson, printTree, type OutputOptions } from '../output.js';
import { hexInput, readStdinBytes } from '../input.js';
import type { BuildSmsOpts } from './build.js';
import type { PushOptions } from '../../api/push.js';
import type { Scp81AgentOptions, Scp81Message, Scp81ServeOptions, Scp81TlsOptions } from '../../api/scp81.js';

// ------------------------------------------------------------------ build push

export type { PushOptions as PushOpts } from '../../api/push.js';
export { pushParams } from '../../api/push.js';

export async function buildPushCmd(o: BuildSmsOpts & PushOptions & { each?: boolean }): Promise<void> {
  const { pushSmsOptions } = await import('../../api/push.js');
  const { buildSms } = await import('./build.js');
  return buildSms(pushSmsOptions(o));
}

// ------------------------------------------------------------------ parse-push, parse

export async function parsePushCmd(hex: string | undefined, o: OutputOptions): Promise<void> {
  const { pushView } = await import('../../api/scp81.js');
  const v = pushView(hexInput(hex, 'push'));
  if (o.json) printJson(v.json);
  else await printTree(v.tree, o);
}

function readInput(file: string | undefined): Uint8Array {
  if (file === undefined || file === '-') return Uint8Array.from(Buffer.from(readStdinBytes()));
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new IoError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { field: file });
  }
}

export async function scp81Parse(file: string | undefined, o: OutputOptions & { hex?: boolean }): Promise<void> {
  const { scp81ParseView } = await import('../../api/scp81.js');
  const v = scp81ParseView(readInput(file), { hex: o.hex, name: file ?? 'stdin' });
  if (o.json) printJson(v.json);
  else await printTree(v.tree, o);
}

// ------------------------------------------------------------------ serve, agent: shared

export interface TlsCliOpts extends Scp81TlsOptions {
  timeout?: string;
}

const say = (s: string): void => void process.stderr.write(`uicc-ota: ${s}\n`);

/** Log one exchange: a tree (or one JSON line with --json) on stdout. */
async function logMessage(m: Scp81Message, o: OutputOptions & { quiet?: boolean }): Promise<void> {
  if (o.quiet) return;
  if (o.json) process.stdout.write(JSON.stringify(m.json) + '\n');
  else {
    const { scp81MessageTree } = await import('../../api/scp81.js');
    await printTree([scp81MessageTree(m)], o);
  }
}

/** Output in event order: rendering a tree is asynchronous. */
function serial(): { queue: (f: () => Promise<void> | void) => void; drain: () => Promise<void> } {
  let pending = Promise.resolve();
  return { queue: (f) => void (pending = pending.then(f).catch(() => undefined)), drain: () => pending };
}

// ------------------------------------------------------------------ serve

export interface ServeOpts extends TlsCliOpts, OutputOptions, Omit<Scp81ServeOptions, 'port' | 'timeout' | 'signal'> {
  port: string;
  host: string;
  psk: string[];
  script: string[];
  apdu: string[];
  maxSessions?: string;
  quiet?: boolean;
}

export async function scp81Serve(o: ServeOpts): Promise<void> {
  const { Scp81Server } = await import('../../api/scp81.js');
  const { queue, drain } = serial();
  const server = new Scp81Server(o);
  server.on('listening', (e: { host: string; port: number }) => queue(() => say(`scp81 serve: listening on TLS ${e.host}:${e.port}`)));
  server.on('session', (e: { session: number; remote: string; identity?: string; version?: string; cipher?: string }) => queue(() => {
    if (!o.quiet) say(`session ${e.session}: ${e.remote}, PSK identity "${e.identity}", ${e.version} ${e.cipher}`);
  }));
  server.on('message', (m: Scp81Message) => queue(() => logMessage(m, o)));
  server.on('note', (e: { session: number; text: string }) => queue(() => say(`session ${e.session}: note: ${e.text}`)));
  server.on('warning', (e: { text: string }) => queue(() => say(e.text)));
  server.on('end', (e: { session: number; reason: string }) => queue(() => {
    if (!o.quiet) say(`session ${e.session}: ended (${e.reason})`);
  }));
  await server.start();
  const stop = () => void server.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await server.done;
  await drain();
  process.removeListener('SIGINT', stop);
  process.removeListener('SIGTERM', stop);
}

// ------------------------------------------------------------------ agent

export interface AgentOpts extends TlsCliOpts, OutputOptions, Omit<Scp81AgentOptions, 'timeout' | 'signal'> {
  tar: string;
  answer: string[];
  quiet?: boolean;
}

export async function scp81Agent(o: AgentOpts): Promise<void> {
  const { Scp81Agent } = await import('../../api/scp81.js');
  const { queue, drain } = serial();
  const agent = new Scp81Agent(o);
  agent.on('script', (r: { trace: string[] }) => {
    if (!o.quiet) queue(() => { for (const t of r.trace) say(`card: ${t}`); });
  });
  agent.on('message', (m: Scp81Message) => queue(() => logMessage(m, o)));
  agent.on('session', (e: { remote: string; identity?: string; version?: string; cipher?: string }) => queue(() => {
    if (!o.quiet) say(`scp81 agent: connected to ${e.remote}, PSK identity "${e.identity}", ${e.version} ${e.cipher}`);
  }));
  agent.on('note', (e: { text: string }) => queue(() => say(`note: ${e.text}`)));
  try {
    const r = await agent.done;
    await drain();
    if (!o.quiet) say(`scp81 agent: session complete: ${r.posts} POST${r.posts === 1 ? '' : 's'}, ${r.scripts} script${r.scripts === 1 ? '' : 's'} run`);
  } catch (e) {
    await drain();
    throw e;
  }
}

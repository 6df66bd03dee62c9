/**
 * SCP81 commands (GlobalPlatform Amendment B, RAM over HTTPS with PSK-TLS):
 * `build push`, `scp81 parse-push`, `scp81 parse`, `scp81 serve`, `scp81 agent`.
 * Options in, library call, render out.
 */
import { formatTag, tagged } from '../../util/json-format.js';
import { readFileSync, appendFileSync } from 'node:fs';
import { InputError, IoError } from '../../util/errors.js';
import { fromHex, toHex } from '../../util/hex.js';
import { parsePush, pushJson } from '../../https/push.js';
import { type AdminMessage, type Profile, type ScriptStatus, SCRIPT_STATUS, adminMessageJson, adminMessageTree, parseAdminMessages, targetedApplication } from '../../https/http.js';
import { ScriptQueue } from '../../https/admin.js';
import { readKeyMaterial } from '../../keys/material.js';
import { loadJsonFile } from '../../util/json-text.js';
import { node } from '../../render/tree.js';
import { printJson, printTree, type OutputOptions } from '../output.js';
import { hexInput, intOption, readStdinBytes } from '../input.js';
import type { BuildSmsOpts } from './build.js';
import { hostPort, pskEntries, type PushOptions } from '../../api/push.js';

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
  const d = parsePush(hexInput(hex, 'push'));
  if (o.json) printJson(tagged('scp81-push', pushJson(d)));
  else await printTree([d.tree, ...d.notes.map((n) => node('Note', n, undefined, { status: 'warn' as const }))], o);
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
  let bytes = readInput(file);
  const head = Buffer.from(bytes.subarray(0, 8)).toString('latin1');
  // Hex text (as copied from Wireshark "as hex stream") unless it starts like HTTP.
  if (o.hex || (!/^(POST|GET|PUT|HTTP\/)/.test(head) && /^[0-9A-Fa-f\s]+$/.test(Buffer.from(bytes).toString('latin1')))) {
    bytes = fromHex(Buffer.from(bytes).toString('latin1'), file ?? 'stdin');
  }
  const msgs = parseAdminMessages(bytes);
  if (o.json) printJson(tagged('scp81-messages', { messages: msgs.map(adminMessageJson) }));
  else await printTree(msgs.map(adminMessageTree), o);
}

// ------------------------------------------------------------------ serve, agent: shared

export interface TlsCliOpts {
  cipher?: string;
  tlsMin?: string;
  tlsMax?: string;
  keylog?: string;
  timeout?: string;
  tickets?: boolean;
  etm?: boolean;
}

async function tlsOptions(o: TlsCliOpts) {
  const { tlsVersion, keylogFile } = await import('../../transport/psk-tls.js');
  return {
    ciphers: o.cipher,
    minVersion: o.tlsMin ? tlsVersion(o.tlsMin, '--tls-min') : undefined,
    maxVersion: o.tlsMax ? tlsVersion(o.tlsMax, '--tls-max') : undefined,
    allowTickets: o.tickets === true,
    allowEncryptThenMac: o.etm === true,
    keylog: o.keylog ? keylogFile(o.keylog) : undefined,
    timeoutMs: o.timeout !== undefined ? intOption(o.timeout, '--timeout', 1, 3_600_000) : undefined,
  };
}

const say = (s: string) => process.stderr.write(`uicc-ota: ${s}\n`);

/** Log one exchange: a tree (or one JSON line with --json) on stdout. */
async function logMessage(msg: AdminMessage, label: string, o: OutputOptions & { quiet?: boolean }): Promise<void> {
  if (o.quiet) return;
  if (o.json) process.stdout.write(JSON.stringify({ format: formatTag('scp81-event'), event: 'message', session: label, ...adminMessageJson(msg) }) + '\n');
  else await printTree([{ ...adminMessageTree(msg), name: `${label} ${adminMessageTree(msg).name}` }], o);
}

// ------------------------------------------------------------------ serve

export interface ServeOpts extends TlsCliOpts, OutputOptions {
  port: string;
  host: string;
  keyset?: string;
  psk: string[];
  script: string[];
  apdu: string[];
  batch?: boolean;
  definite?: boolean;
  scripts?: string;
  chunked?: boolean;
  etsi?: boolean;
  targetedApplication?: string;
  responses?: string;
  maxSessions?: string;
  quiet?: boolean;
}

/** One script from JSON: a hex command string, or {apdus: [...], definite?} built in the expanded format. */
async function scriptOf(v: unknown, field: string, definite: boolean): Promise<Uint8Array> {
  const { encodeCommandScript, decodeCommandScript } = await import('../../remote/index.js');
  if (typeof v === 'string') {
    const b = fromHex(v, field);
    decodeCommandScript(b, 'expanded'); // must be a valid Command Scripting template
    return b;
  }
  const s = v as { apdus?: unknown; definite?: unknown };
  if (s && typeof s === 'object' && Array.isArray(s.apdus) && s.apdus.every((a) => typeof a === 'string')) {
    return encodeCommandScript((s.apdus as string[]).map((a, i) => fromHex(a, `${field}.apdus[${i}]`)), {
      format: 'expanded', indefinite: !(s.definite ?? definite),
    });
  }
  throw new InputError('must be a hex command string or {"apdus": ["hex", …]}', { field });
}

async function scriptQueue(o: ServeOpts): Promise<ScriptQueue> {
  const { encodeCommandScript } = await import('../../remote/index.js');
  const fallback: Uint8Array[] = [];
  for (const [i, s] of o.script.entries()) fallback.push(await scriptOf(s, `--script ${i + 1}`, !!o.definite));
  const apdus = o.apdu.map((a, i) => fromHex(a, `--apdu ${i + 1}`));
  // The indefinite form is the one recommended for HTTPS (TS 102 226 cl. 5.2.1); one C-APDU per exchange unless --batch.
  const fmt = { format: 'expanded' as const, indefinite: !o.definite };
  if (apdus.length) {
    if (o.batch) fallback.push(encodeCommandScript(apdus, fmt));
    else for (const a of apdus) fallback.push(encodeCommandScript([a], fmt));
  }
  const per = new Map<string, Uint8Array[]>();
  if (o.scripts) {
    const raw = loadJsonFile(o.scripts, 'scripts file', 'scripts');
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError('must be an object {"AGENT-ID or PSK identity or *": [script, …]}', { layer: `scripts ${o.scripts}` });
    for (const [agent, list] of Object.entries(raw as Record<string, unknown>)) {
      if (!Array.isArray(list)) throw new InputError('must be a list of scripts', { layer: `scripts ${o.scripts}`, field: agent });
      const scripts: Uint8Array[] = [];
      for (const [i, s] of list.entries()) scripts.push(await scriptOf(s, `${agent}[${i}]`, !!o.definite));
      if (agent === '*') fallback.push(...scripts);
      else per.set(agent, scripts);
    }
  }
  return new ScriptQueue(per, fallback);
}

function pskTable(o: { keyset?: string; psk: string[] }): Map<string, Uint8Array> {
  const m = new Map<string, Uint8Array>();
  for (const e of pskEntries(o)) m.set(e.identity, e.key);
  for (const [i, p] of o.psk.entries()) {
    const c = p.lastIndexOf(':');
    if (c <= 0) throw new InputError('must be IDENTITY:HEXKEY (or IDENTITY:@keyfile)', { field: `--psk ${i + 1}` });
    m.set(p.slice(0, c), readKeyMaterial(p.slice(c + 1), `--psk ${i + 1}`));
  }
  return m;
}

export async function scp81Serve(o: ServeOpts): Promise<void> {
  const { Scp81Server } = await import('../../transport/scp81.js');
  const keys = pskTable(o);
  if (!keys.size) throw new InputError('no PSK: give --keyset FILE with a "psk" list, or --psk IDENTITY:HEXKEY', { field: '--keyset' });
  const scripts = await scriptQueue(o);
  const tlsO = await tlsOptions(o);
  const port = intOption(o.port, '--port', 0, 65535);
  const maxSessions = o.maxSessions !== undefined ? intOption(o.maxSessions, '--max-sessions', 1, 1_000_000) : undefined;
  const profile: Profile = o.etsi ? 'etsi' : 'gp';
  let pending = Promise.resolve();
  const queue = (f: () => Promise<void> | void) => (pending = pending.then(f).catch(() => undefined));
  const server = new Scp81Server({
    ...tlsO, host: o.host, port, psk: (id) => keys.get(id), scripts, profile, chunked: o.chunked, maxSessions,
    targetedApplication: o.targetedApplication ? targetedApplication(fromHex(o.targetedApplication, '--targeted-application')) : undefined,
    onEvent: (e) => queue(async () => {
      switch (e.type) {
        case 'listening':
          say(`scp81 serve: listening on TLS ${e.host}:${e.port}`);
          break;
        case 'session':
          if (!o.quiet) say(`session ${e.session}: ${e.remote}, PSK identity "${e.identity}", ${e.version} ${e.cipher}`);
          break;
        case 'message':
          await logMessage(e.message, `session ${e.session} ${e.direction === 'in' ? '<-' : '->'}`, o);
          break;
        case 'note':
          say(`session ${e.session}: note: ${e.text}`);
          break;
        case 'rapdus':
          if (o.responses && e.message.response) {
            const r = e.message.response;
            appendFileSync(o.responses, JSON.stringify({
              session: e.session, identity: e.identity ?? null, agent: e.agent ?? null, uri: e.uri,
              rapdus: r.rapdus.map((x) => ({ data: toHex(x.data), sw: x.sw.toString(16).toUpperCase().padStart(4, '0') })),
              response: toHex(e.message.http.body),
            }) + '\n');
          }
          break;
        case 'error':
          say(e.text);
          break;
        case 'end':
          if (!o.quiet) say(`session ${e.session}: ended (${e.reason})`);
          break;
      }
    }),
  });
  await server.start();
  const stop = () => void server.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await server.done();
  await pending;
  process.removeListener('SIGINT', stop);
  process.removeListener('SIGTERM', stop);
}

// ------------------------------------------------------------------ agent

export interface AgentOpts extends TlsCliOpts, OutputOptions {
  to?: string;
  push?: string;
  pskIdentity?: string;
  pskKey?: string;
  keyset?: string;
  uri?: string;
  hostHeader?: string;
  agentId?: string;
  card?: string;
  tar: string;
  sw?: string;
  answer: string[];
  status?: string;
  contentLength?: boolean;
  etsi?: boolean;
  resume?: boolean;
  quiet?: boolean;
  dryRun?: boolean;
}

interface ExecOutcome {
  status: ScriptStatus;
  body?: Uint8Array;
  trace: string[];
}

interface Executor {
  run(script: Uint8Array): ExecOutcome | Promise<ExecOutcome>;
}

async function executor(o: AgentOpts): Promise<Executor> {
  const { executeScript } = await import('../../card/execute.js');
  const { DEFAULT_OPTIONS, parseCardText } = await import('../../card/card.js');
  if (o.status !== undefined) {
    if (!(SCRIPT_STATUS as readonly string[]).includes(o.status)) throw new InputError(`"${o.status}" is not one of ${SCRIPT_STATUS.join(', ')}`, { field: '--status' });
    if (o.status !== 'ok') return { run: () => ({ status: o.status as ScriptStatus, trace: [`script not run: X-Admin-Script-Status ${o.status}`] }) };
  }
  if (o.card) {
    if (o.sw || o.answer.length) throw new InputError('give --card or --sw/--answer, not both', { field: '--sw' });
    let text: string;
    try {
      text = readFileSync(o.card, 'utf8');
    } catch (e) {
      throw new IoError(`cannot read card file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { field: o.card });
    }
    const { card } = parseCardText(text, o.card);
    const tar = fromHex(o.tar, '--tar');
    const app = card.applications.find((a) => a.tarHex === toHex(tar));
    if (!app) throw new InputError(`${o.card} has no application with TAR ${toHex(tar)} (the security domain running SCP81; give --tar)`, { field: '--tar' });
    // The SCP81 session always uses the expanded format; the card's content (registry, files, keys)
    // answers and is stored back in CARD.json under its lock after each script (src/card/store.ts).
    const { runScriptWithCardFile } = await import('../../card/store.js');
    const path = o.card;
    return { run: async (s) => { const r = await runScriptWithCardFile(path, toHex(tar), s, { dryRun: o.dryRun }); return { status: 'ok', body: r.data, trace: r.trace }; } };
  }
  const sw = (v: string, f: string) => {
    const b = fromHex(v, f);
    if (b.length !== 2) throw new InputError('must be 2 octets (SW1 SW2)', { field: f });
    return (b[0] << 8) | b[1];
  };
  const rules = o.answer.map((r, i) => {
    const m = /^([0-9A-Fa-f]*)=([0-9A-Fa-f]{4})(?::([0-9A-Fa-f]*))?$/.exec(r.replace(/\s/g, ''));
    if (!m) throw new InputError('must be APDUPREFIX=SW[:DATA] (hex)', { field: `--answer ${i + 1}` });
    return { prefix: m[1].toUpperCase(), sw: sw(m[2], `--answer ${i + 1}`), data: fromHex(m[3] ?? '', `--answer ${i + 1}`) };
  }).sort((x, y) => y.prefix.length - x.prefix.length);
  const app = {
    tar: new Uint8Array(3), tarHex: '000000', msl: 0, format: 'expanded' as const, counter: 0n,
    swByApdu: rules, defaultSw: o.sw ? sw(o.sw, '--sw') : 0x9000,
  };
  return { run: (s) => { const r = executeScript(app, DEFAULT_OPTIONS, s); return { status: 'ok', body: r.data, trace: r.trace }; } };
}

export async function scp81Agent(o: AgentOpts): Promise<void> {
  const { Scp81Agent } = await import('../../transport/scp81.js');
  // The push (81 TLV) gives the defaults: where to connect, which identity, host, agent ID, URI.
  const push = o.push !== undefined ? parsePush(fromHex(o.push, '--push')) : undefined;
  let host: string | undefined;
  let port: number | undefined;
  if (o.to) ({ host, port } = hostPort(o.to, '--to'));
  else if (push?.connection?.destination && push.connection.transport) {
    host = push.connection.destination;
    port = push.connection.transport.port;
  }
  if (host === undefined || port === undefined) throw new InputError('where to connect: give --to HOST:PORT (or a --push with connection parameters)', { field: '--to' });
  const identity = o.pskIdentity ?? (push?.security ? Buffer.from(push.security.identity).toString('utf8') : undefined);
  if (identity === undefined) throw new InputError('give --psk-identity (or a --push with security parameters)', { field: '--psk-identity' });
  let psk: Uint8Array | undefined;
  if (o.pskKey) psk = readKeyMaterial(o.pskKey, '--psk-key');
  else if (process.env.UICC_OTA_PSK) psk = readKeyMaterial(process.env.UICC_OTA_PSK, 'UICC_OTA_PSK');
  else psk = pskEntries(o).find((e) => e.identity === identity)?.key;
  if (!psk) throw new InputError(`no PSK for identity "${identity}": give --psk-key HEX|@file|env:NAME, UICC_OTA_PSK, or --keyset with a "psk" entry`, { field: '--psk-key' });
  const exec = await executor(o);
  const tlsO = await tlsOptions(o);
  let pending = Promise.resolve();
  const queue = (f: () => Promise<void> | void) => (pending = pending.then(f).catch(() => undefined));
  const agent = new Scp81Agent({
    ...tlsO, host, port, identity, psk,
    uri: o.uri ?? push?.http?.uri ?? '/',
    hostHeader: o.hostHeader ?? push?.http?.host,
    agentId: o.agentId ?? push?.http?.agentId ?? identity,
    profile: o.etsi ? 'etsi' : 'gp',
    chunked: !o.contentLength,
    resume: o.resume,
    execute: async (script) => {
      const r = await exec.run(script);
      if (!o.quiet) queue(() => { for (const t of r.trace) say(`card: ${t}`); });
      return r;
    },
    onEvent: (e) => queue(async () => {
      if (e.type === 'message') await logMessage(e.message, e.direction === 'out' ? '->' : '<-', o);
      else if (e.type === 'session' && !o.quiet) say(`scp81 agent: connected to ${e.remote}, PSK identity "${e.identity}", ${e.version} ${e.cipher}`);
      else if (e.type === 'note') say(`note: ${e.text}`);
    }),
  });
  try {
    const r = await agent.run();
    await pending;
    if (!o.quiet) say(`scp81 agent: session complete: ${r.posts} POST${r.posts === 1 ? '' : 's'}, ${r.scripts} script${r.scripts === 1 ? '' : 's'} run`);
  } catch (e) {
    await pending;
    throw e;
  }
}


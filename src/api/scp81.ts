/**
 * The SCP81 commands as library calls (GlobalPlatform Amendment B, RAM over
 * HTTPS with PSK-TLS; ETSI TS 102 226 cl. 5.2 for the command scripts):
 * `parsePush` (`scp81 parse-push`), `parseScp81` (`scp81 parse`), and the
 * two sides of an admin session shaped like node's tls.Server / tls.connect:
 * `Scp81Server` / `scp81Serve` (`scp81 serve`) and `Scp81Agent` /
 * `scp81Agent` (`scp81 agent`), EventEmitters with an event per HTTP message
 * and a promise for the outcome. Options are the commands' long option names
 * in camelCase; the engine is src/transport/scp81.ts. Nothing here writes to
 * stdout/stderr.
 */
import { EventEmitter } from 'node:events';
import { appendFileSync, readFileSync } from 'node:fs';
import { formatTag, tagged } from '../util/json-format.js';
import { InputError, IoError, type OtaError } from '../util/errors.js';
import { fromHex, hex4, toHex } from '../util/hex.js';
import { intOption, type HexLike } from '../util/options.js';
import { node, type TreeNode } from '../render/tree.js';
import { parsePush as decodePush, pushJson, type DecodedPush } from '../https/push.js';
import { type AdminMessage, type Profile, type ScriptStatus, SCRIPT_STATUS, adminMessageJson, adminMessageTree, parseAdminMessages, targetedApplication } from '../https/http.js';
import { ScriptQueue } from '../https/admin.js';
import { readKeyMaterial } from '../keys/material.js';
import { loadJsonFile } from '../util/json-text.js';
import type { Scp81Event, AgentResult } from '../transport/scp81.js';
import { hostPort, pskEntries } from './push.js';

type Num = string | number;

// ------------------------------------------------------------------ parse-push, parse

/** What `scp81 parse-push` shows: the JSON object, and the tree with its notes. */
export interface PushView {
  json: { format: string } & Record<string, unknown>;
  tree: TreeNode[];
  decoded: DecodedPush;
}

/** @internal The work of `scp81 parse-push` (CLI and API alike). */
export function pushView(input: HexLike): PushView {
  const d = decodePush(typeof input === 'string' ? fromHex(input, 'push') : input);
  return {
    json: tagged('scp81-push', pushJson(d)),
    tree: [d.tree, ...d.notes.map((n) => node('Note', n, undefined, { status: 'warn' as const }))],
    decoded: d,
  };
}

/**
 * `scp81 parse-push --json`: the administration session triggering parameters
 * (the 81 TLV, secured data of a push: connection 84, security 85, retry 86,
 * HTTP POST 89). `input`: hex or bytes. Bad input throws InputError.
 */
export function parsePush(input: HexLike): Record<string, unknown> {
  return pushView(input).json;
}

/** Options of `scp81 parse`. */
export interface Scp81ParseOptions {
  /** The input is hex text (default: detected: hex unless it starts like HTTP). */
  hex?: boolean;
  /** Names the input in errors (the CLI: the file, or stdin). */
  name?: string;
}

/** @internal The work of `scp81 parse`: the JSON object and one tree per message. */
export function scp81ParseView(input: string | Uint8Array, o: Scp81ParseOptions = {}): { json: { format: string; messages: Record<string, unknown>[] }; tree: TreeNode[]; messages: AdminMessage[] } {
  let bytes = typeof input === 'string' ? Uint8Array.from(Buffer.from(input, 'latin1')) : input;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const head = text.subarray(0, 8).toString('latin1');
  // Hex text (as copied from Wireshark "as hex stream") unless it starts like HTTP.
  if (o.hex || (!/^(POST|GET|PUT|HTTP\/)/.test(head) && /^[0-9A-Fa-f\s]+$/.test(text.toString('latin1')))) {
    bytes = fromHex(text.toString('latin1'), o.name ?? 'stdin');
  }
  const messages = parseAdminMessages(bytes);
  return { json: tagged('scp81-messages', { messages: messages.map(adminMessageJson) }), tree: messages.map(adminMessageTree), messages };
}

/**
 * `scp81 parse --json`: captured admin protocol HTTP messages (agent POSTs,
 * server answers, several in sequence), their X-Admin-* headers and the
 * scripts inside. `input`: the octets, or text (the HTTP messages, or hex).
 */
export function parseScp81(input: string | Uint8Array, options: Scp81ParseOptions = {}): { format: string; messages: Record<string, unknown>[] } {
  return scp81ParseView(input, options).json;
}

// ------------------------------------------------------------------ serve, agent: shared

/** PSK-TLS options of `scp81 serve` / `scp81 agent`. */
export interface Scp81TlsOptions {
  /** OpenSSL cipher list (PSK suites only). */
  cipher?: string;
  tlsMin?: string;
  tlsMax?: string;
  /** Write NSS key-log lines (for Wireshark) to this file. */
  keylog?: string;
  /** Handshake and idle timeout, ms (default 30000). */
  timeout?: Num;
  tickets?: boolean;
  etm?: boolean;
}

async function tlsOptions(o: Scp81TlsOptions) {
  const { tlsVersion, keylogFile } = await import('../transport/psk-tls.js');
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

/** One HTTP message of a session (event `message`). */
export interface Scp81Message {
  session: number;
  /** in: received, out: sent. */
  direction: 'in' | 'out';
  message: AdminMessage;
  bytes: Uint8Array;
  /** What the command prints before the message's tree ("session 1 <-", "->"). */
  label: string;
  /** The line the command prints for it with --json. */
  json: Record<string, unknown>;
}

function messageEvent(e: Extract<Scp81Event, { type: 'message' }>, label: string): Scp81Message {
  return {
    session: e.session, direction: e.direction, message: e.message, bytes: e.bytes, label,
    json: { format: formatTag('scp81-event'), event: 'message', session: label, ...adminMessageJson(e.message) },
  };
}

/** The tree the command prints for a message (its label in front of the title). */
export function scp81MessageTree(m: Scp81Message): TreeNode {
  const t = adminMessageTree(m.message);
  return { ...t, name: `${m.label} ${t.name}` };
}

// ------------------------------------------------------------------ serve

/** `scp81 serve` options. */
export interface Scp81ServeOptions extends Scp81TlsOptions {
  /** TCP port (0: a free port; see `address()`). */
  port: Num;
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Keyset file whose "psk" list gives identities and keys. */
  keyset?: string;
  /** IDENTITY:HEXKEY (or IDENTITY:@keyfile, IDENTITY:env:NAME) entries; or identity → key (hex or bytes). */
  psk?: string[] | Record<string, HexLike>;
  /** Command scripts to hand every agent: hex command strings (expanded format). */
  script?: string[];
  /** C-APDUs to hand every agent, one script each (or one script with `batch`). */
  apdu?: string[];
  batch?: boolean;
  /** Definite-length scripts (default: indefinite, TS 102 226 cl. 5.2.1). */
  definite?: boolean;
  /** JSON file {"AGENT-ID or PSK identity or *": [script, …]}. */
  scripts?: string;
  chunked?: boolean;
  /** The ETSI TS 102 226 profile of the headers (default GlobalPlatform). */
  etsi?: boolean;
  targetedApplication?: string;
  /** Append each response string (R-APDUs) as a JSON line to this file. */
  responses?: string;
  maxSessions?: Num;
  /** Stops the server (as close()). */
  signal?: AbortSignal;
}

/** How `scp81 serve` ended. */
export interface Scp81ServeSummary {
  /** Sessions with a completed handshake. */
  sessions: number;
  /** Handshakes and sessions that failed (event `warning`). */
  errors: number;
}

/** One script's response string (event `responses`): the line `--responses` appends. */
export interface Scp81Responses {
  session: number;
  identity?: string;
  agent?: string;
  uri: string;
  message: AdminMessage;
  /** The JSON line (`--responses`). */
  json: Record<string, unknown>;
}

/** One script from JSON: a hex command string, or {apdus: [...], definite?} built in the expanded format. */
async function scriptOf(v: unknown, field: string, definite: boolean): Promise<Uint8Array> {
  const { encodeCommandScript, decodeCommandScript } = await import('../remote/index.js');
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

async function scriptQueue(o: Scp81ServeOptions): Promise<ScriptQueue> {
  const { encodeCommandScript } = await import('../remote/index.js');
  const fallback: Uint8Array[] = [];
  for (const [i, s] of (o.script ?? []).entries()) fallback.push(await scriptOf(s, `--script ${i + 1}`, !!o.definite));
  const apdus = (o.apdu ?? []).map((a, i) => fromHex(a, `--apdu ${i + 1}`));
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

function pskTable(o: { keyset?: string; psk?: string[] | Record<string, HexLike> }): Map<string, Uint8Array> {
  const m = new Map<string, Uint8Array>();
  for (const e of pskEntries(o)) m.set(e.identity, e.key);
  const psk = o.psk ?? [];
  if (Array.isArray(psk)) {
    for (const [i, p] of psk.entries()) {
      const c = p.lastIndexOf(':');
      if (c <= 0) throw new InputError('must be IDENTITY:HEXKEY (or IDENTITY:@keyfile)', { field: `--psk ${i + 1}` });
      m.set(p.slice(0, c), readKeyMaterial(p.slice(c + 1), `--psk ${i + 1}`));
    }
  } else {
    for (const [id, k] of Object.entries(psk)) m.set(id, readKeyMaterial(k, `--psk ${id}`));
  }
  return m;
}

/**
 * The admin server (`scp81 serve`): PSK-TLS listener answering the agents'
 * POSTs with command scripts (200 + X-Admin-Next-URI) until their queue is
 * empty (204). Events: `listening` ({host, port}), `session` ({session,
 * remote, identity, version, cipher}: a completed handshake), `message`
 * (Scp81Message, both ways), `note` ({session, text}), `responses`
 * (Scp81Responses: a POST carrying R-APDUs), `warning` ({session?, text,
 * error?}: a failed handshake or session; the server goes on), `end`
 * ({session, reason}). `start()` checks the options (InputError) and
 * listens; `done` resolves once the server stops (close(), the signal,
 * maxSessions).
 */
export class Scp81Server extends EventEmitter {
  readonly done: Promise<Scp81ServeSummary>;
  private engine?: import('../transport/scp81.js').Scp81Server;
  private addr?: { address: string; port: number };
  private summary: Scp81ServeSummary = { sessions: 0, errors: 0 };
  private resolveDone!: (s: Scp81ServeSummary) => void;

  constructor(private readonly options: Scp81ServeOptions) {
    super();
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  /** Check the options, listen; resolves to the bound address. */
  async start(): Promise<{ address: string; port: number }> {
    const o = this.options;
    const { Scp81Server: Engine } = await import('../transport/scp81.js');
    const keys = pskTable(o);
    if (!keys.size) throw new InputError('no PSK: give --keyset FILE with a "psk" list, or --psk IDENTITY:HEXKEY', { field: '--keyset' });
    const scripts = await scriptQueue(o);
    const tlsO = await tlsOptions(o);
    const port = intOption(o.port, '--port', 0, 65535);
    const maxSessions = o.maxSessions !== undefined ? intOption(o.maxSessions, '--max-sessions', 1, 1_000_000) : undefined;
    const profile: Profile = o.etsi ? 'etsi' : 'gp';
    const engine = new Engine({
      ...tlsO, host: o.host, port, psk: (id) => keys.get(id), scripts, profile, chunked: o.chunked, maxSessions,
      targetedApplication: o.targetedApplication ? targetedApplication(fromHex(o.targetedApplication, '--targeted-application')) : undefined,
      onEvent: (e) => this.event(e),
    });
    await engine.start();
    this.engine = engine;
    void engine.done().then(() => this.resolveDone({ ...this.summary }));
    o.signal?.addEventListener('abort', () => void this.close(), { once: true });
    return this.addr!;
  }

  /** The bound address (after start()). */
  address(): { address: string; port: number } | undefined {
    return this.addr;
  }

  /** Stop listening and drop the open sessions; resolves as `done`. */
  async close(): Promise<Scp81ServeSummary> {
    if (!this.engine) return { ...this.summary };
    await this.engine.close();
    return this.done;
  }

  private event(e: Scp81Event): void {
    switch (e.type) {
      case 'listening':
        this.addr = { address: e.host, port: e.port };
        this.emit('listening', { host: e.host, port: e.port });
        break;
      case 'session':
        this.summary.sessions++;
        this.emit('session', { session: e.session, remote: e.remote, identity: e.identity, version: e.version, cipher: e.cipher });
        break;
      case 'message':
        this.emit('message', messageEvent(e, `session ${e.session} ${e.direction === 'in' ? '<-' : '->'}`));
        break;
      case 'note':
        this.emit('note', { session: e.session, text: e.text });
        break;
      case 'rapdus': {
        const r = e.message.response;
        if (!r) break;
        const json = {
          session: e.session, identity: e.identity ?? null, agent: e.agent ?? null, uri: e.uri,
          rapdus: r.rapdus.map((x) => ({ data: toHex(x.data), sw: hex4(x.sw) })),
          response: toHex(e.message.http.body),
        };
        if (this.options.responses) appendFileSync(this.options.responses, JSON.stringify(json) + '\n');
        this.emit('responses', { session: e.session, identity: e.identity, agent: e.agent, uri: e.uri, message: e.message, json } satisfies Scp81Responses);
        break;
      }
      case 'error':
        this.summary.errors++;
        this.emit('warning', { session: e.session, text: e.text, error: e.error as OtaError | undefined });
        break;
      case 'end':
        this.emit('end', { session: e.session, reason: e.reason });
        break;
    }
  }
}

/** Start `scp81 serve`: a listening Scp81Server. */
export async function scp81Serve(options: Scp81ServeOptions): Promise<Scp81Server> {
  const s = new Scp81Server(options);
  await s.start();
  return s;
}

// ------------------------------------------------------------------ agent

/** `scp81 agent` options. */
export interface Scp81AgentOptions extends Scp81TlsOptions {
  /** The admin server, HOST:PORT (default: the push's connection parameters). */
  to?: string;
  /** A push (the 81 TLV, hex or bytes): defaults for where to connect, identity, host, agent ID, URI. */
  push?: HexLike;
  pskIdentity?: string;
  /** The PSK: hex, @file, env:NAME or bytes (default env UICC_OTA_PSK, then the keyset's "psk" entry). */
  pskKey?: HexLike;
  keyset?: string;
  uri?: string;
  hostHeader?: string;
  agentId?: string;
  /** Run the scripts on the card simulator (path of a CARD.json), with the security domain of `tar`. */
  card?: string;
  /** With `card`: TAR of the application (security domain) running the scripts (default 000000). */
  tar?: string;
  /** Without `card`: the status word of every C-APDU (default 9000). */
  sw?: string;
  /** Without `card`: APDUPREFIX=SW[:DATA] rules. */
  answer?: string[];
  /** X-Admin-Script-Status to report instead of running the scripts (ok runs them). */
  status?: string;
  /** Send Content-Length instead of chunked transfer coding. */
  contentLength?: boolean;
  etsi?: boolean;
  resume?: boolean;
  /** With `card`: do not store the card's content back. */
  dryRun?: boolean;
  /** Aborts the session: `done` rejects with NetworkError. */
  signal?: AbortSignal;
}

/** One script the agent ran (event `script`). */
export interface Scp81Script {
  script: Uint8Array;
  status: ScriptStatus;
  /** The response string posted back. */
  body?: Uint8Array;
  /** What the card did (one line per APDU). */
  trace: string[];
}

interface ExecOutcome {
  status: ScriptStatus;
  body?: Uint8Array;
  trace: string[];
}

async function executor(o: Scp81AgentOptions): Promise<(script: Uint8Array) => ExecOutcome | Promise<ExecOutcome>> {
  const { executeScript } = await import('../card/execute.js');
  const { DEFAULT_OPTIONS, parseCardText } = await import('../card/card.js');
  const answers = o.answer ?? [];
  if (o.status !== undefined) {
    if (!(SCRIPT_STATUS as readonly string[]).includes(o.status)) throw new InputError(`"${o.status}" is not one of ${SCRIPT_STATUS.join(', ')}`, { field: '--status' });
    if (o.status !== 'ok') return () => ({ status: o.status as ScriptStatus, trace: [`script not run: X-Admin-Script-Status ${o.status}`] });
  }
  if (o.card) {
    if (o.sw || answers.length) throw new InputError('give --card or --sw/--answer, not both', { field: '--sw' });
    let text: string;
    try {
      text = readFileSync(o.card, 'utf8');
    } catch (e) {
      throw new IoError(`cannot read card file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { field: o.card });
    }
    const { card } = parseCardText(text, o.card);
    const tar = fromHex(o.tar ?? '000000', '--tar');
    const app = card.applications.find((a) => a.tarHex === toHex(tar));
    if (!app) throw new InputError(`${o.card} has no application with TAR ${toHex(tar)} (the security domain running SCP81; give --tar)`, { field: '--tar' });
    // The SCP81 session always uses the expanded format; the card's content (registry, files, keys)
    // answers and is stored back in CARD.json under its lock after each script (src/card/store.ts).
    const { runScriptWithCardFile } = await import('../card/store.js');
    const path = o.card;
    return async (s) => {
      const r = await runScriptWithCardFile(path, toHex(tar), s, { dryRun: o.dryRun });
      return { status: 'ok', body: r.data, trace: r.trace };
    };
  }
  const sw = (v: string, f: string) => {
    const b = fromHex(v, f);
    if (b.length !== 2) throw new InputError('must be 2 octets (SW1 SW2)', { field: f });
    return (b[0] << 8) | b[1];
  };
  const rules = answers.map((r, i) => {
    const m = /^([0-9A-Fa-f]*)=([0-9A-Fa-f]{4})(?::([0-9A-Fa-f]*))?$/.exec(r.replace(/\s/g, ''));
    if (!m) throw new InputError('must be APDUPREFIX=SW[:DATA] (hex)', { field: `--answer ${i + 1}` });
    return { prefix: m[1].toUpperCase(), sw: sw(m[2], `--answer ${i + 1}`), data: fromHex(m[3] ?? '', `--answer ${i + 1}`) };
  }).sort((x, y) => y.prefix.length - x.prefix.length);
  const app = {
    tar: new Uint8Array(3), tarHex: '000000', msl: 0, format: 'expanded' as const, counter: 0n,
    swByApdu: rules, defaultSw: o.sw ? sw(o.sw, '--sw') : 0x9000,
  };
  return (s) => {
    const r = executeScript(app, DEFAULT_OPTIONS, s);
    return { status: 'ok', body: r.data, trace: r.trace };
  };
}

export type { AgentResult as Scp81AgentResult };

/**
 * The admin agent, the card side (`scp81 agent`): connects with PSK-TLS,
 * POSTs, runs each script (card simulator or status words), follows
 * X-Admin-Next-URI until 204. Events: `session` ({remote, identity, version,
 * cipher}), `message` (Scp81Message, both ways), `note` ({text}), `script`
 * (Scp81Script, each script run), `end` ({reason}). `done` resolves with
 * {posts, scripts, cipher, version}, or rejects with the typed error
 * (InputError for bad options or a malformed answer, NetworkError for TLS,
 * socket, timeout, close()).
 */
export class Scp81Agent extends EventEmitter {
  readonly done: Promise<AgentResult>;
  private readonly ac = new AbortController();

  constructor(options: Scp81AgentOptions) {
    super();
    options.signal?.addEventListener('abort', () => this.ac.abort(), { once: true });
    // Started on the next tick, so that listeners attached right after the call see every event.
    this.done = Promise.resolve().then(() => this.run(options));
  }

  /** Abort the session: `done` rejects with NetworkError. */
  close(): void {
    this.ac.abort();
  }

  private async run(o: Scp81AgentOptions): Promise<AgentResult> {
    const { Scp81Agent: Engine } = await import('../transport/scp81.js');
    // The push (81 TLV) gives the defaults: where to connect, which identity, host, agent ID, URI.
    const push = o.push !== undefined ? decodePush(typeof o.push === 'string' ? fromHex(o.push, '--push') : o.push) : undefined;
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
    const agent = new Engine({
      ...tlsO, host, port, identity, psk,
      uri: o.uri ?? push?.http?.uri ?? '/',
      hostHeader: o.hostHeader ?? push?.http?.host,
      agentId: o.agentId ?? push?.http?.agentId ?? identity,
      profile: o.etsi ? 'etsi' : 'gp',
      chunked: !o.contentLength,
      resume: o.resume,
      signal: this.ac.signal,
      execute: async (script) => {
        const r = await exec(script);
        this.emit('script', { script, status: r.status, body: r.body, trace: r.trace } satisfies Scp81Script);
        return r;
      },
      onEvent: (e) => {
        if (e.type === 'message') this.emit('message', messageEvent(e, e.direction === 'out' ? '->' : '<-'));
        else if (e.type === 'session') this.emit('session', { remote: e.remote, identity: e.identity, version: e.version, cipher: e.cipher });
        else if (e.type === 'note') this.emit('note', { text: e.text });
        else if (e.type === 'end') this.emit('end', { reason: e.reason });
      },
    });
    return agent.run();
  }
}

/** Start `scp81 agent`: see Scp81Agent. */
export function scp81Agent(options: Scp81AgentOptions): Scp81Agent {
  return new Scp81Agent(options);
}

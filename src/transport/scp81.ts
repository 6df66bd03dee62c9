/**
 * SCP81 sessions on real PSK-TLS sockets (GlobalPlatform Amendment B): the
 * admin server (`Scp81Server`, TLS and HTTP server, hands out command scripts)
 * and the admin agent (`Scp81Agent`, the card side: TLS and HTTP client, runs
 * each script and POSTs the result to X-Admin-Next-URI until a 204).
 *
 * The library never prints: everything worth telling is an event.
 */
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { InputError, NetworkError, OtaError } from '../util/errors.js';
import { type AdminMessage, type Profile, type ScriptStatus, checkAdminMessage, readHttpMessage, HttpStreamReader } from '../https/http.js';
import { AgentDialogue, ScriptQueue, ServerDialogue } from '../https/admin.js';
import { type PskTlsOptions, TLS_LAYER, describeTlsError, pskTlsBase, tlsNetworkError } from './psk-tls.js';

export type Scp81Event =
  | { type: 'listening'; host: string; port: number }
  | { type: 'session'; session: number; remote: string; identity?: string; cipher?: string; version?: string }
  | { type: 'message'; session: number; direction: 'in' | 'out'; message: AdminMessage; bytes: Uint8Array }
  | { type: 'note'; session: number; text: string }
  | { type: 'rapdus'; session: number; identity?: string; agent?: string; uri: string; message: AdminMessage }
  | { type: 'error'; session?: number; text: string; error?: OtaError }
  | { type: 'end'; session: number; reason: string };

export interface Scp81ServerOptions extends PskTlsOptions {
  host?: string;
  port: number;
  /** PSK for an identity; undefined: unknown identity (alert unknown_psk_identity). */
  psk: (identity: string) => Uint8Array | undefined;
  scripts: ScriptQueue;
  profile?: Profile;
  chunked?: boolean;
  targetedApplication?: string;
  /** Handshake and idle timeout per connection, ms (default 30000). */
  timeoutMs?: number;
  /** Stop after this many sessions (connections with a completed handshake). */
  maxSessions?: number;
  keylog?: (line: Buffer) => void;
  onEvent?: (e: Scp81Event) => void;
}

/** The admin server: PSK-TLS + HTTP/1.1, one ServerDialogue per connection. */
export class Scp81Server {
  private server?: tls.Server;
  private sessions = 0;
  private readonly identities = new WeakMap<tls.TLSSocket, string>();
  private readonly open = new Set<tls.TLSSocket>();
  private closed?: Promise<void>;
  private closeResolve?: () => void;
  constructor(private readonly o: Scp81ServerOptions) {}

  private emit(e: Scp81Event): void {
    this.o.onEvent?.(e);
  }

  /** Listen; resolves to the bound port. */
  start(): Promise<number> {
    const base = pskTlsBase(this.o);
    const timeout = this.o.timeoutMs ?? 30000;
    const server = tls.createServer({
      ...base,
      honorCipherOrder: true,
      handshakeTimeout: timeout,
      pskCallback: (socket: tls.TLSSocket, identity: string) => {
        const key = this.o.psk(identity);
        if (!key) return null;
        this.identities.set(socket, identity);
        return Buffer.from(key);
      },
    } as tls.TlsOptions);
    this.server = server;
    this.closed = new Promise((r) => (this.closeResolve = r));
    server.on('tlsClientError', (err, socket) => {
      const remote = `${socket.remoteAddress}:${socket.remotePort}`;
      this.emit({ type: 'error', text: `TLS handshake with ${remote} failed: ${describeTlsError(err)}` });
    });
    if (this.o.keylog) server.on('keylog', (line) => this.o.keylog!(line));
    server.on('secureConnection', (socket) => this.serve(socket, timeout));
    server.on('error', (e) => this.emit({ type: 'error', text: `server: ${describeTlsError(e)}` }));
    return new Promise((resolve, reject) => {
      server.once('error', (e) => reject(tlsNetworkError('cannot listen', e)));
      server.listen(this.o.port, this.o.host ?? '127.0.0.1', () => {
        const a = server.address() as AddressInfo;
        this.emit({ type: 'listening', host: a.address, port: a.port });
        resolve(a.port);
      });
    });
  }

  /** Resolves once the server is closed (after maxSessions, or close()). */
  done(): Promise<void> {
    return this.closed ?? Promise.resolve();
  }

  close(): Promise<void> {
    const s = this.server;
    if (!s) return Promise.resolve();
    this.server = undefined;
    for (const sock of this.open) sock.destroy();
    return new Promise((r) => s.close(() => {
      this.closeResolve?.();
      r();
    }));
  }

  private serve(socket: tls.TLSSocket, timeout: number): void {
    const session = ++this.sessions;
    this.open.add(socket);
    const identity = this.identities.get(socket);
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    const cipher = socket.getCipher();
    this.emit({ type: 'session', session, remote, identity, cipher: cipher?.standardName ?? cipher?.name, version: socket.getProtocol() ?? undefined });
    const dialogue = new ServerDialogue(this.o.scripts, identity, { profile: this.o.profile, chunked: this.o.chunked, targetedApplication: this.o.targetedApplication });
    const reader = new HttpStreamReader();
    let ended = false;
    const finish = (reason: string, destroy: boolean) => {
      if (ended) return;
      ended = true;
      this.emit({ type: 'end', session, reason });
      if (destroy) socket.destroy();
      else socket.end();
    };
    socket.setTimeout(timeout, () => {
      this.emit({ type: 'error', session, text: `session ${session}: no data from ${remote} for ${timeout} ms: closed` });
      finish('timed out', true);
    });
    socket.on('data', (d: Buffer) => {
      if (ended) return;
      reader.push(d);
      try {
        for (;;) {
          const r = reader.next();
          if (!r) break;
          const raw = r.raw;
          const msg = checkAdminMessage(r.message);
          this.emit({ type: 'message', session, direction: 'in', message: msg, bytes: raw });
          if (msg.response) this.emit({ type: 'rapdus', session, identity, agent: msg.from, uri: r.message.kind === 'request' ? r.message.uri : '', message: msg });
          const a = dialogue.answer(msg);
          for (const n of a.notes) this.emit({ type: 'note', session, text: n });
          socket.write(a.bytes);
          this.emit({ type: 'message', session, direction: 'out', message: checkAdminMessage(readHttpMessage(a.bytes)!.message), bytes: a.bytes });
          if (a.end) {
            finish('204: no more scripts', false);
            break;
          }
        }
      } catch (e) {
        if (!(e instanceof OtaError)) throw e;
        this.emit({ type: 'error', session, text: `session ${session} (${identity ?? remote}): ${e.message}: connection closed`, error: e });
        finish('bad input', true);
      }
    });
    socket.on('error', (e) => {
      if (!ended) this.emit({ type: 'error', session, text: `session ${session}: ${describeTlsError(e)}` });
    });
    socket.on('close', () => {
      this.open.delete(socket);
      if (!ended) {
        ended = true;
        this.emit({ type: 'end', session, reason: 'peer closed the connection before 204' });
      }
      if (this.o.maxSessions !== undefined && session >= this.o.maxSessions && this.open.size === 0) void this.close();
    });
  }
}

/** What running one command string gave: the response string, or a non-ok script status (no body). */
export interface ScriptOutcome {
  status: ScriptStatus;
  body?: Uint8Array;
}

export interface AgentResult {
  posts: number;
  scripts: number;
  cipher?: string;
  version?: string;
}

export interface Scp81AgentOptions extends PskTlsOptions {
  host: string;
  port: number;
  identity: string;
  psk: Uint8Array;
  /** Request-URI of the first POST (push tag 8C). */
  uri: string;
  /** Host header (push tag 8A); default: host. */
  hostHeader?: string;
  /** X-Admin-From (push tag 8B). */
  agentId?: string;
  profile?: Profile;
  chunked?: boolean;
  resume?: boolean;
  /** Run a command string; the response string, or a non-ok script status. */
  execute: (script: Uint8Array, message: AdminMessage) => ScriptOutcome | Promise<ScriptOutcome>;
  /** Wait at most this long for the handshake and for each answer, ms (default 30000). */
  timeoutMs?: number;
  keylog?: (line: Buffer) => void;
  onEvent?: (e: Scp81Event) => void;
  /** Aborts the session (NetworkError). */
  signal?: AbortSignal;
}

/**
 * The admin agent (card side): connects, POSTs, runs each script, follows
 * X-Admin-Next-URI until the server answers without one. Rejects with
 * NetworkError (TLS, socket, timeout) or InputError (malformed answer).
 */
export class Scp81Agent {
  constructor(private readonly o: Scp81AgentOptions) {}

  run(): Promise<AgentResult> {
    const o = this.o;
    const emit = (e: Scp81Event) => o.onEvent?.(e);
    const timeout = o.timeoutMs ?? 30000;
    const base = pskTlsBase(o);
    const dialogue = new AgentDialogue({ uri: o.uri, host: o.hostHeader ?? o.host, agentId: o.agentId, profile: o.profile, chunked: o.chunked, resume: o.resume });
    const result: AgentResult = { posts: 0, scripts: 0 };
    return new Promise<AgentResult>((resolve, reject) => {
      let settled = false;
      let handshook = false;
      const socket = tls.connect({
        ...base,
        host: o.host,
        port: o.port,
        // No certificate: the PSK authenticates both sides.
        checkServerIdentity: () => undefined,
        pskCallback: () => ({ psk: Buffer.from(o.psk), identity: o.identity }),
      } as tls.ConnectionOptions);
      const fail = (e: OtaError) => {
        if (settled) return;
        settled = true;
        o.signal?.removeEventListener('abort', abort);
        socket.destroy();
        reject(e);
      };
      const succeed = () => {
        if (settled) return;
        settled = true;
        o.signal?.removeEventListener('abort', abort);
        socket.end();
        resolve(result);
      };
      if (o.keylog) socket.on('keylog', (line) => o.keylog!(line));
      const abort = () => fail(new NetworkError(`session with ${o.host}:${o.port} aborted`, { layer: TLS_LAYER }));
      if (o.signal?.aborted) abort();
      o.signal?.addEventListener('abort', abort, { once: true });
      socket.setTimeout(timeout, () => fail(new NetworkError(
        handshook ? `no answer from ${o.host}:${o.port} within ${timeout} ms` : `TLS handshake with ${o.host}:${o.port} not finished within ${timeout} ms`,
        { layer: TLS_LAYER },
      )));
      const send = (bytes: Uint8Array) => {
        result.posts++;
        const r = readHttpMessage(bytes)!;
        emit({ type: 'message', session: 1, direction: 'out', message: checkAdminMessage(r.message), bytes });
        socket.write(bytes);
      };
      socket.on('secureConnect', () => {
        handshook = true;
        const c = socket.getCipher();
        result.cipher = c?.standardName ?? c?.name;
        result.version = socket.getProtocol() ?? undefined;
        emit({ type: 'session', session: 1, remote: `${o.host}:${o.port}`, identity: o.identity, cipher: result.cipher, version: result.version });
        send(dialogue.firstPost());
      });
      const reader = new HttpStreamReader();
      let busy = false;
      // Messages are handled one at a time: running a script may wait (e.g. for the card file's lock).
      const pump = async (): Promise<void> => {
        if (busy) return;
        busy = true;
        try {
          while (!settled) {
            const r = reader.next();
            if (!r) return;
            const raw = r.raw;
            if (r.message.kind !== 'response') throw new InputError('the server sent a request', { layer: 'HTTP', field: 'start line' });
            const msg = checkAdminMessage(r.message);
            emit({ type: 'message', session: 1, direction: 'in', message: msg, bytes: raw });
            for (const n of msg.notes) emit({ type: 'note', session: 1, text: n });
            let outcome: ScriptOutcome | undefined;
            if (r.message.status === 200) {
              result.scripts++;
              outcome = await o.execute(r.message.body, msg);
            } else if (r.message.status !== 204) {
              throw new InputError(`HTTP status ${r.message.status}: the admin server answers 200 or 204`, { layer: 'HTTP', field: 'status' });
            }
            if (settled) return;
            const next = dialogue.next(msg, outcome);
            if (!next) {
              emit({ type: 'end', session: 1, reason: r.message.status === 204 ? '204 without X-Admin-Next-URI: session complete' : 'no X-Admin-Next-URI: session ends' });
              succeed();
              return;
            }
            send(next);
          }
        } catch (e) {
          if (!(e instanceof OtaError)) throw e;
          fail(e);
        } finally {
          busy = false;
        }
      };
      socket.on('data', (d: Buffer) => {
        if (settled) return;
        reader.push(d);
        pump().catch((e: unknown) => fail(e instanceof OtaError ? e : new NetworkError(`running a script: ${(e as Error).message}`, { layer: TLS_LAYER })));
      });
      socket.on('error', (e) => fail(tlsNetworkError(handshook ? `connection to ${o.host}:${o.port}` : `TLS handshake with ${o.host}:${o.port} failed`, e)));
      socket.on('close', () => fail(new NetworkError(
        handshook ? `the server closed the connection before answering 204 (after ${result.posts} POST${result.posts === 1 ? '' : 's'})` : `TLS handshake with ${o.host}:${o.port} failed: connection closed`,
        { layer: TLS_LAYER },
      )));
    });
  }
}

/**
 * CAT_TP sessions (ETSI TS 102 127) over UDP for scripts, shaped like node's
 * net/tls: EventEmitters with an event per PDU, and promises for the outcome.
 * The engine is src/cattp/session.ts (the same as `cattp serve` / `cattp send`).
 */
import { EventEmitter } from 'node:events';
import type { OtaError } from '../util/errors.js';
import type { Addr, PduLogEntry, ServeOptions, ServeSummary, SduInfo, SendOptions, SendResult, CattpServer as Engine } from '../cattp/session.js';

export type { Addr, PduLogEntry, ServeSummary, SduInfo, SendResult };

/** Options of a server: the engine's, without the callbacks this class turns into events. */
export type CattpServerOptions = Omit<ServeOptions, 'log' | 'trace' | 'onSessionEnd' | 'onUnopened'>;

/**
 * OTA server side: `await server.listen()`, then events `pdu` (every PDU sent
 * or received, `PduLogEntry`), `session` (info, error?) when a session ends,
 * `trace` (state changes). `server.done` resolves when it stops.
 */
export class CattpServer extends EventEmitter {
  private engine?: Engine;
  constructor(private readonly options: CattpServerOptions) {
    super();
  }

  /** Bind the UDP port and start serving; resolves to the bound address. */
  async listen(): Promise<Addr> {
    const { serve } = await import('../cattp/session.js');
    this.engine = await serve({
      ...this.options,
      log: (e) => this.emit('pdu', e),
      trace: (m) => this.emit('trace', m),
      onSessionEnd: (info, err) => this.emit('session', info, err),
      onUnopened: (info, err) => this.emit('unopened', info, err),
    });
    return this.engine.address;
  }

  get address(): Addr | undefined {
    return this.engine?.address;
  }

  /** Resolves once the server has stopped (close(), signal, maxSessions). */
  get done(): Promise<ServeSummary> {
    if (!this.engine) return Promise.reject(new Error('listen() first'));
    return this.engine.done;
  }

  /** The next session to end: resolves with its info, rejects with its error. */
  nextSession(): Promise<SduInfo> {
    return new Promise((resolve, reject) => this.once('session', (info: SduInfo, err?: OtaError) => (err ? reject(err) : resolve(info))));
  }

  close(): Promise<ServeSummary> {
    if (!this.engine) return Promise.resolve({ sessions: 0, sdus: 0, errors: [], unopened: 0, halfOpenDropped: 0 });
    return this.engine.close();
  }
}

/** Options of a client: the engine's, without the callbacks this class turns into events. */
export type CattpClientOptions = Omit<SendOptions, 'log' | 'trace'>;

/**
 * Card side: `await new CattpClient(opts).run()` opens the connection, sends
 * `sdu` (or answers what the server pushes with `onSdu`) and closes; event
 * `pdu` for every PDU, `trace` for state changes. Rejects with NetworkError.
 */
export class CattpClient extends EventEmitter {
  constructor(private readonly options: CattpClientOptions) {
    super();
  }

  async run(): Promise<SendResult> {
    const { send } = await import('../cattp/session.js');
    return send({ ...this.options, log: (e) => this.emit('pdu', e), trace: (m) => this.emit('trace', m) });
  }
}

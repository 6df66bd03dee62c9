/**
 * `cattp serve` and `cattp send` as library calls: the OTA server and the card
 * side of a CAT_TP session (ETSI TS 102 127) with the secured packets they
 * carry (TS 102 225 CAT_TP dialect). Shaped like node's net/tls: session
 * objects that are EventEmitters (`pdu` for every PDU sent or received,
 * `trace` for state changes, `session` / `exchange` per SDU exchange) with a
 * promise for the outcome. Options are the commands' long option names in
 * camelCase; `json` of a result is the object the command prints with --json.
 * The engine is src/cattp/session.ts; nothing here writes to stdout/stderr.
 */
import { parseExpectStatus, statusFailure } from '../secured/expect-status.js';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { formatTag } from '../util/json-format.js';
import { InputError, IoError, NetworkError, OtaError } from '../util/errors.js';
import { fromHex, toHex, hex2 } from '../util/hex.js';
import { intOption } from '../util/options.js';
import { node, type TreeNode } from '../render/tree.js';
import { identificationToIccid, iccidToIdentification } from '../cattp/pdu.js';
import { cattpDialect } from '../cattp/dialect.js';
import { cattpPacketKind } from '../cattp/peel.js';
import { writePcap } from '../pcap/pcap.js';
import type { CommandHeader, SecuredCommand } from '../secured/command.js';
import { statusName } from '../secured/status.js';
import type { Card } from '../card/card.js';
import type { Addr, DatagramRecord, PduLogEntry, SduInfo, ServeSummary, SendResult as EngineSendResult } from '../cattp/session.js';
import { num, identificationOf, buildSecuredCattp, U16 } from './cattp-options.js';
import type { KeyOptions } from './keys.js';
import type { SecurityOpts } from './secured-options.js';
import type { ParseOpts } from './packet.js';
import { viewSdu, type PacketView } from './parse-cattp.js';

type Num = string | number;
const str = (v: Num | bigint | undefined): string | undefined => (v === undefined ? undefined : String(v));

// ---------------------------------------------------------------- options shared by both sides

/** Session options of `cattp serve` / `cattp send` (timing, what we announce, the pcap). */
export interface CattpSessionOptions extends KeyOptions {
  /** Retransmission timeout per PDU in ms (default 1000). */
  timeout?: Num;
  retries?: Num;
  responseTimeout?: Num;
  backoff?: Num;
  maxTimeout?: Num;
  maxHalfOpen?: Num;
  maxPdu?: Num;
  maxSdu?: Num;
  window?: Num;
  isn?: Num;
  /** Write the whole session (every datagram both ways) as UDP in a pcap, when the run ends. */
  pcap?: string;
  expanded?: boolean;
  compact?: boolean;
  /** Stops the server / aborts the session (the CLI wires SIGINT/SIGTERM to it). */
  signal?: AbortSignal;
  /**
   * PoR statuses that are the expected outcome of the command we send (serve
   * pushing a command, send --sdu): exactly these pass (negative tests).
   * Without it any status but 00, 0B, 0C is a failure.
   */
  expectStatus?: string | readonly (string | number)[];
}

function timing(o: CattpSessionOptions) {
  return {
    timeoutMs: num(str(o.timeout), '--timeout', 1000, 1, 3_600_000),
    // Undefined lets the session engine apply its defaults (10 retries, back-off 2, cap 4 x timeout).
    retries: o.retries === undefined ? undefined : intOption(String(o.retries), '--retries', 0, 100),
    responseTimeoutMs: o.responseTimeout === undefined ? undefined : intOption(String(o.responseTimeout), '--response-timeout', 1, 3_600_000),
    backoff: o.backoff === undefined ? undefined : backoffOption(String(o.backoff)),
    maxTimeoutMs: o.maxTimeout === undefined ? undefined : intOption(String(o.maxTimeout), '--max-timeout', 1, 3_600_000),
  };
}

function backoffOption(s: string): number {
  const v = Number(s.trim());
  if (!Number.isFinite(v) || v < 1 || v > 16) throw new InputError(`"${s}" is not a number from 1 to 16`, { field: '--backoff' });
  return v;
}

function announce(o: CattpSessionOptions) {
  return {
    maxPdu: num(str(o.maxPdu), '--max-pdu', 1024, 19, U16),
    maxSdu: num(str(o.maxSdu), '--max-sdu', 2048, 1, U16),
    window: num(str(o.window), '--window', 4, 1, U16),
    isn: o.isn === undefined ? undefined : intOption(String(o.isn), '--isn', 0, U16),
  };
}

function hostPort(v: string, field: string): { host: string; port: number } {
  const m = /^\s*(.+):(\d+)\s*$/.exec(v);
  if (!m) throw new InputError(`"${v}" is not HOST:PORT`, { field });
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port: intOption(m[2], field, 1, U16) };
}

/** The identification of a SYN as JSON: hex, and the ICCID when it is one. */
export function identificationJson(id: Uint8Array): { identification: string; iccid?: string } {
  const iccid = identificationToIccid(id);
  return iccid ? { identification: toHex(id), iccid } : { identification: toHex(id) };
}

async function writeSessionPcap(path: string | undefined, records: DatagramRecord[]): Promise<void> {
  if (!path) return;
  const { toPcapRecords } = await import('../cattp/session.js');
  writePcap(path, toPcapRecords(records));
}

/** Does the command's SPI2 ask for a PoR whatever happens? ('reserved': the card answers 06.) */
function porExpected(cmd: SecuredCommand): boolean {
  return cmd.spi.porRequest !== 'none' && cmd.spi.porRequest !== 'on-error';
}

/** What the PoR(s) of a session say about the command: failures, and the Result line of the tree. */
export interface PorOutcome {
  failures: string[];
  tree?: TreeNode;
}

/**
 * The outcome of the OTA operation a PoR reports (TS 102 225 Table 5): any
 * status but 00 means the card did not carry out the command — a failure for
 * the side that sent it, however well the PoR itself verifies.
 */
function porOutcome(views: PacketView[], expect?: readonly number[]): PorOutcome {
  const codes = views.map((v) => v.result?.response?.status).filter((c): c is number => c !== undefined);
  if (!codes.length) {
    // A negative test that names the status it expects fails when none could be read.
    const miss = expect ? statusFailure(undefined, expect) : undefined;
    return miss ? { failures: [miss], tree: { name: 'Result', value: `FAILED: ${miss}`, status: 'fail' } } : { failures: [] };
  }
  const named = codes.map((c) => `PoR status ${hex2(c)} (${statusName(c)})`);
  // The same rule as parse por and card process (src/secured/expect-status.ts).
  const failures = named.filter((_, i) => statusFailure(codes[i], expect) !== undefined);
  const tree: TreeNode = failures.length
    ? { name: 'Result', value: `FAILED: ${failures.join('; ')}`, status: 'fail', note: 'the card did not carry out the command' }
    : { name: 'Result', value: named.join('; '), status: 'ok' };
  return { failures, tree };
}

// ---------------------------------------------------------------- cattp serve

/** `cattp serve` options: a command to push (security options as `build cattp`, or `packet`), or `respond`. */
export interface CattpServeOptions extends CattpSessionOptions, Omit<SecurityOpts, 'counter' | 'apdu' | 'paddingByte' | 'ccLen' | 'kvn'> {
  /** UDP port to listen on (0: a free port; see `address`). */
  port: Num;
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  cattpPort?: Num;
  /** Push this command packet (CAT_TP dialect) instead of building one. */
  packet?: string;
  /** No command to push: answer each SDU the card sends first with this. */
  respond?: string;
  identification?: string;
  maxSessions?: Num;
  idleTimeout?: Num;
  counter?: Num | bigint;
  apdu?: string[];
  paddingByte?: string;
  ccLen?: Num;
  kvn?: Num;
}

/** One SDU received in a session, parsed as a TS 102 225 packet. */
export interface ReceivedSdu {
  received: Uint8Array;
  view: PacketView;
}

/** A session of `cattp serve` once it has ended (event `session`). */
export interface ServedSession {
  info: SduInfo;
  /** SDUs we sent (the pushed command, or `respond`). */
  sent: Uint8Array[];
  received: ReceivedSdu[];
  /** Checks of what was received that failed. */
  failures: string[];
  /** Push mode: the PoR status (any but 00 fails). */
  outcome: PorOutcome;
  /** The session ended in an error (peer lost, reset, no answer). */
  error?: OtaError;
  ok: boolean;
  /** The line `cattp serve --json` prints for this session. */
  json: Record<string, unknown>;
}

/** How `cattp serve` ended. */
export interface CattpServeSummary extends ServeSummary {
  /** Sessions that ended in an error or a failed check. */
  failedSessions: number;
  /** 0 all well, 1 a check or a PoR status failed (EXIT.VERIFY), 4 a session failed (EXIT.NETWORK). */
  exitCode: 0 | 1 | 4;
}

/**
 * A listening `cattp serve`. Events: `pdu` (PduLogEntry, every PDU sent or
 * received), `trace` (string), `session` (ServedSession, when a session
 * ends), `unopened` (info, error?: a connection that never completed the
 * handshake). `done` resolves when the server stops (close(), the signal,
 * maxSessions); `nextSession()` resolves with the next session to end.
 */
export class CattpServeSession extends EventEmitter {
  /** True when a command is pushed on each connection. */
  readonly push: boolean;
  /** The bound UDP address. */
  address!: Addr;
  /** Every datagram both ways (what the pcap holds). */
  records: DatagramRecord[] = [];
  done!: Promise<CattpServeSummary>;
  private engineClose?: () => Promise<unknown>;

  constructor(push: boolean) {
    super();
    this.push = push;
  }

  nextSession(): Promise<ServedSession> {
    return new Promise((resolve) => this.once('session', resolve));
  }

  /** Stop serving; resolves as `done` does. */
  async close(): Promise<CattpServeSummary> {
    await this.engineClose?.();
    return this.done;
  }

  /** @internal */
  attach(address: Addr, records: DatagramRecord[], done: Promise<CattpServeSummary>, close: () => Promise<unknown>): void {
    this.address = address;
    this.records = records;
    this.done = done;
    this.engineClose = close;
  }
}

/**
 * OTA server side (`cattp serve`). With a command (security options, or
 * `packet`) it pushes that packet on every connection once OPEN and verifies
 * the answer as its PoR; without one it reads what the card sends and
 * answers `respond`. Bad options throw before anything is bound; resolves
 * once listening.
 */
export async function cattpServe(options: CattpServeOptions): Promise<CattpServeSession> {
  const o = { ...options, apdu: options.apdu ?? [], counter: str(options.counter) ?? '0', paddingByte: options.paddingByte ?? '00', ccLen: str(options.ccLen), kvn: str(options.kvn) } as CattpServeOptions & SecurityOpts;
  const { serve } = await import('../cattp/session.js');
  const push = o.packet !== undefined || o.data !== undefined || o.apdu.length > 0;
  if (o.packet !== undefined && (o.data !== undefined || o.apdu.length)) throw new InputError('give either --packet or --apdu/--data, not both', { field: '--packet' });
  if (push && o.respond !== undefined) throw new InputError('--respond answers a card that sends first; with a command to push, the card answers', { field: '--respond' });
  const expect = parseExpectStatus(o.expectStatus);
  if (expect && !push) throw new InputError('the expected PoR status is the answer to a command: give --packet or --apdu/--data', { field: '--expect-status' });
  // Options that only shape a command we build would otherwise be ignored without a word.
  const shaping: [keyof CattpServeOptions, string][] = [
    ['tar', '--tar'], ['ccLen', '--cc-len'], ['expanded', '--expanded'], ['indefinite', '--indefinite'],
    ['immediateAction', '--immediate-action'], ['errorAction', '--error-action'], ['scriptChaining', '--script-chaining'],
    ...(o.packet !== undefined ? ([['spi', '--spi'], ['kic', '--kic'], ['kid', '--kid']] as [keyof CattpServeOptions, string][]) : []),
  ];
  const idle = shaping.find(([k]) => o[k] !== undefined && o[k] !== false) ?? (o.counter !== undefined && o.counter !== '0' ? ['counter', '--counter'] : undefined);
  if (idle && (!push || o.packet !== undefined)) {
    throw new InputError(o.packet !== undefined ? 'shapes a command to build; --packet is pushed as given' : 'shapes the command to push: give --apdu or --data too', { field: idle[1] });
  }
  const port = intOption(String(o.port), '--port', 0, U16);
  const respond = o.respond === undefined ? undefined : fromHex(o.respond, '--respond');
  const maxSessions = o.maxSessions === undefined ? undefined : intOption(String(o.maxSessions), '--max-sessions', 1, 1_000_000);
  const serverId = o.identification === undefined ? undefined : fromHex(o.identification, '--identification');

  // The command: built (or read) before listening, so bad options fail at once (exit 2).
  const readPacket = async (b: Uint8Array) => {
    if (cattpPacketKind(b) !== 'command') throw new InputError('not a command packet of the CAT_TP dialect (CPI 01, BER length)', { field: '--packet', offset: 0 });
    const { parseCommand, parseCommandHeader } = await import('../secured/command.js');
    const { resolveKeys } = await import('./keys.js');
    const hdr = parseCommandHeader(cattpDialect, b);
    return { bytes: b, cmd: parseCommand(cattpDialect, b, resolveKeys(o, hdr.kic, hdr.kid), hdr) };
  };
  const make = async () => {
    if (o.packet !== undefined) return readPacket(fromHex(o.packet, '--packet'));
    const cmd = await buildSecuredCattp(o);
    return { bytes: cmd.bytes, cmd };
  };
  const first = push ? await make() : undefined;
  let firstUsed = false;

  const run = new CattpServeSession(push);
  const reports = new Map<number, { sent: Uint8Array[]; received: ReceivedSdu[] }>();
  const report = (n: number) => reports.get(n) ?? (reports.set(n, { sent: [], received: [] }), reports.get(n)!);
  const pushed = new Map<number, SecuredCommand>();
  let failed = false;
  let verifyFailed = false;
  let failedSessions = 0;

  const server = await serve({
    port,
    host: o.host ?? '127.0.0.1',
    cattpPort: o.cattpPort === undefined ? undefined : intOption(String(o.cattpPort), '--cattp-port', 0, U16),
    ...timing(o),
    ...announce(o),
    identification: serverId,
    idleTimeoutMs: o.idleTimeout === undefined ? undefined : intOption(String(o.idleTimeout), '--idle-timeout', 1, 86_400_000),
    maxSessions,
    maxHalfOpen: o.maxHalfOpen === undefined ? undefined : intOption(String(o.maxHalfOpen), '--max-half-open', 1, 1_000_000),
    signal: o.signal,
    log: (e) => run.emit('pdu', e),
    trace: (m) => run.emit('trace', m),
    onOpen: push
      ? async (info) => {
          // --counter next: a fresh counter for every session after the first.
          const c = !firstUsed || o.counter !== 'next' ? first! : await make();
          firstUsed = true;
          pushed.set(info.session, c.cmd);
          report(info.session).sent.push(c.bytes);
          // SPI2 asking for no PoR, or one on error only: silence is not a failure (TS 102 225 cl. 5.1.1).
          return { sdu: c.bytes, expectAnswer: porExpected(c.cmd) };
        }
      : undefined,
    onSdu: async (sdu, info) => {
      const r = report(info.session);
      const request = pushed.get(info.session);
      const view = await viewSdu(sdu, o, request, push ? 'response' : undefined);
      r.received.push({ received: sdu, view });
      if (push || !respond) return undefined;
      r.sent.push(respond);
      return respond;
    },
    onSessionEnd: (info, err) => {
      const r = report(info.session);
      reports.delete(info.session);
      const checks = r.received.flatMap((v) => v.view.failures);
      const cmd = pushed.get(info.session);
      pushed.delete(info.session);
      // We sent the command: its PoR's status is the outcome (session.ts makes "no answer" an error).
      const outcome: PorOutcome = push ? porOutcome(r.received.map((v) => v.view), expect) : { failures: [] };
      if (push && !err && !r.received.length) {
        if (cmd && !porExpected(cmd)) {
          const why = cmd.spi.porRequest === 'none' ? 'SPI2 asks for none' : 'SPI2 asks for a PoR on error only: no error';
          outcome.tree = { name: 'Result', value: `no PoR (${why})`, status: 'ok' };
        } else outcome.failures.push('no PoR received');
      }
      if (checks.length || outcome.failures.length) verifyFailed = true;
      if (err) failed = true;
      if (err || checks.length || outcome.failures.length) failedSessions++;
      run.emit('session', servedSession(info, r.sent, r.received, checks, outcome, err));
    },
    onUnopened: (info, err) => run.emit('unopened', info, err),
  });
  const done = server.done.then(async (summary): Promise<CattpServeSummary> => {
    await writeSessionPcap(o.pcap, server.records);
    return { ...summary, failedSessions, exitCode: failed ? 4 : verifyFailed ? 1 : 0 };
  });
  run.attach(server.address, server.records, done, () => server.close());
  return run;
}

function servedSession(info: SduInfo, sent: Uint8Array[], received: ReceivedSdu[], failures: string[], outcome: PorOutcome, error?: OtaError): ServedSession {
  const all = [...failures, ...outcome.failures, ...(error ? [error.message] : [])];
  const json = {
    format: formatTag('cattp-serve'),
    session: info.session,
    remote: info.remote,
    srcPort: info.srcPort,
    dstPort: info.dstPort,
    ...identificationJson(info.identification),
    sent: sent.map(toHex),
    received: received.map((v) => ({ sdu: toHex(v.received), ...(v.view.json as object) })),
    // verified: the checks of what was received; ok: the session as a whole (PoR status 00 too).
    verified: error || failures.length ? false : received.length ? received.every((v) => (v.view.json as { verified?: unknown }).verified !== false) : null,
    ok: all.length === 0,
    failures: all,
    error: error ? error.message : undefined,
  };
  return { info, sent, received, failures, outcome, error, ok: all.length === 0, json };
}

// ---------------------------------------------------------------- cattp send

/** `cattp send` options: `sdu` (send first), or `card` / `respond` (answer what the server pushes). */
export interface CattpSendOptions extends CattpSessionOptions {
  /** The server's UDP address, HOST:PORT. */
  to: string;
  sdu?: string;
  /** With `sdu`: wait for the answer (default true). */
  wait?: boolean;
  respond?: string;
  /** Answer each command packet with the card simulator (path of a CARD.json). */
  card?: string;
  /** Card counters file (as `card process --state`). */
  state?: string;
  /** Do not store the card's counters. */
  dryRun?: boolean;
  srcPort?: Num;
  dstPort?: Num;
  identification?: string;
  iccid?: string;
  localPort?: Num;
}

/** One SDU the server pushed and what we answered (event `exchange`). */
export interface SendExchange {
  received: Uint8Array;
  view: PacketView;
  /** With `card`: which of the card's key sets the command was read with. */
  keys?: Record<string, unknown>;
  keysTree?: TreeNode;
  /** With `card`: the simulator's result (`card process --json`), or `{ error }`. */
  card?: Record<string, unknown>;
  cardTree?: TreeNode;
  sent?: Uint8Array;
}

/** How `cattp send` ended. */
export interface CattpSendResult {
  /** The engine's result: addresses, the peer's SYN parameters, the response SDU. */
  session: EngineSendResult;
  sent?: Uint8Array;
  /** With `sdu`: the answer read as a TS 102 225 packet (a PoR checked against the command sent). */
  response?: PacketView;
  exchanges: SendExchange[];
  /** Checks of what was received that failed. */
  failures: string[];
  /** With `sdu` (a command): the PoR status (any but 00 fails). */
  outcome: PorOutcome;
  ok: boolean;
  /** The object `cattp send --json` prints. */
  json: Record<string, unknown>;
}

/**
 * The card / terminal side of a CAT_TP session (`cattp send`), running.
 * Events: `pdu` (PduLogEntry), `trace` (string), `exchange` (SendExchange,
 * with `card` / `respond`). `done` resolves with the result, or rejects with
 * the typed error (InputError for bad options, NetworkError when the peer is
 * lost or resets); `exchanges` and `records` hold what happened until then.
 */
export class CattpSendSession extends EventEmitter {
  readonly exchanges: SendExchange[] = [];
  readonly records: DatagramRecord[] = [];
  readonly done: Promise<CattpSendResult>;
  private readonly ac = new AbortController();

  constructor(options: CattpSendOptions) {
    super();
    options.signal?.addEventListener('abort', () => this.ac.abort(), { once: true });
    // Started on the next tick, so that listeners attached right after the call see every event.
    this.done = Promise.resolve().then(() => runSend(this, options, this.ac.signal));
  }

  /** Abort the session (as SIGINT does for the command): `done` rejects. */
  abort(): void {
    this.ac.abort();
  }
}

/** Start `cattp send`: see CattpSendSession. */
export function cattpSend(options: CattpSendOptions): CattpSendSession {
  return new CattpSendSession(options);
}

async function runSend(run: CattpSendSession, o: CattpSendOptions, signal: AbortSignal): Promise<CattpSendResult> {
  const { send } = await import('../cattp/session.js');
  const to = hostPort(o.to, '--to');
  const modes = [o.sdu !== undefined, o.respond !== undefined, o.card !== undefined].filter(Boolean).length;
  if (modes !== 1) {
    throw new InputError(modes ? 'give only one of --sdu, --respond, --card' : 'give --sdu HEX (send first), or --card CARD.json / --respond HEX (answer what the server sends)', { field: '--sdu' });
  }
  const sdu = o.sdu === undefined ? undefined : fromHex(o.sdu, '--sdu');
  const expect = parseExpectStatus(o.expectStatus);
  if (expect && sdu === undefined) throw new InputError('the expected PoR status is the answer to a command we send: give --sdu', { field: '--expect-status' });
  const respond = o.respond === undefined ? undefined : fromHex(o.respond, '--respond');
  const wait = o.wait ?? true;

  let card: Card | undefined;
  const cardMod = o.card === undefined ? undefined : await import('../card/process.js');
  if (o.card !== undefined) {
    // Read once up front so a bad card file fails before any connection (exit 2/3).
    const { parseCardText } = await import('../card/card.js');
    let text: string;
    try {
      text = readFileSync(o.card, 'utf8');
    } catch (e) {
      throw new IoError(`cannot read card file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { field: o.card });
    }
    card = parseCardText(text, o.card).card;
  } else if (o.state !== undefined || o.dryRun) throw new InputError('only with --card', { field: o.state !== undefined ? '--state' : '--dry-run' });
  const identification = identificationOf(o) ?? (card?.iccid ? iccidToIdentification(card.iccid) : undefined);

  const exchanges = run.exchanges;
  const answer = async (got: Uint8Array): Promise<Uint8Array | undefined> => {
    // With --card the command is shown as the simulator reads it: with the card's own keys.
    const ck = card ? await cardKeys(card, got, o) : undefined;
    const view = await viewSdu(got, ck?.opts ?? o, undefined);
    if (ck?.missingKic) relabelMissingKeys(view, ck.missingKic);
    const ex: SendExchange = { received: got, view, keys: ck?.json, keysTree: ck?.tree };
    exchanges.push(ex);
    const reply = await answerWith(ex);
    run.emit('exchange', ex);
    return reply;
  };
  const answerWith = async (ex: SendExchange): Promise<Uint8Array | undefined> => {
    if (cardMod && o.card !== undefined) {
      let res: import('../card/simulator.js').ProcessResult;
      try {
        // Counters read and stored under the card file's lock, as `card process` does.
        res = await cardMod.processWithState({ card: o.card, state: o.state, dryRun: o.dryRun }, ex.received, cattpDialect);
      } catch (e) {
        if (!(e instanceof OtaError)) throw e;
        // Not a packet the card can read: no PoR (TS 102 225: nothing to answer).
        ex.card = { error: e.message };
        ex.cardTree = node('Card', 'not processed', undefined, { status: 'warn', note: e.message });
        return undefined;
      }
      ex.card = cardMod.processJson(res, !o.dryRun);
      const { responseTree } = await import('../secured/view.js');
      const { responseView } = await import('../remote/view.js');
      const rv = res.response?.data?.length ? responseView(res.response.data) : undefined;
      ex.cardTree = node('Card', `status ${hex2(res.status)} (${res.statusName})`, [
        ...res.trace.map((t) => node(t)),
        ...(res.response ? [responseTree(res.response, rv?.tree ? [rv.tree] : undefined)] : [node('PoR', 'none (as SPI octet 2 and the card options say)')]),
      ], { status: res.status === 0 ? 'ok' : 'warn' });
      ex.sent = res.porPacket;
      return res.porPacket;
    }
    ex.sent = respond;
    return respond;
  };

  let result: EngineSendResult;
  try {
    result = await send({
      to,
      sdu,
      onSdu: sdu ? undefined : answer,
      expectResponse: wait,
      srcPort: num(str(o.srcPort), '--src-port', 1024),
      dstPort: num(str(o.dstPort), '--dst-port', 1),
      identification,
      ...announce(o),
      ...timing(o),
      localPort: o.localPort === undefined ? undefined : intOption(String(o.localPort), '--local-port', 0, U16),
      records: run.records,
      log: (e: PduLogEntry) => run.emit('pdu', e),
      trace: (m: string) => run.emit('trace', m),
      signal,
    });
  } catch (e) {
    if (e instanceof NetworkError || e instanceof OtaError) await writeSessionPcap(o.pcap, run.records);
    throw e;
  }
  await writeSessionPcap(o.pcap, run.records);

  const failures = exchanges.flatMap((x) => x.view.failures);
  let respView: PacketView | undefined;
  let outcome: PorOutcome = { failures: [] };
  if (sdu && result.response) {
    // Client-first: the answer to a command packet is its PoR.
    const req = cattpPacketKind(sdu) === 'command' ? (await viewSdu(sdu, o, undefined, 'command')).result?.command : undefined;
    respView = await viewSdu(result.response, o, req);
    failures.push(...respView.failures);
    // We sent the command: a PoR status other than 00 means it was not carried out.
    outcome = porOutcome([respView], expect);
  }
  const all = [...failures, ...outcome.failures];
  const peer = { isn: result.peer.isn, maxPdu: result.peer.maxPdu, maxSdu: result.peer.maxSdu, window: result.peer.window, ...identificationJson(result.peer.identification) };
  const json = {
    format: formatTag('cattp-send'),
    local: result.local,
    remote: result.remote,
    peer,
    sent: sdu ? toHex(sdu) : undefined,
    response: respView ? { sdu: toHex(result.response!), ...(respView.json as object) } : undefined,
    exchanges: exchanges.map((x) => ({ received: { sdu: toHex(x.received), ...(x.view.json as object), ...(x.keys ? { keys: x.keys } : {}) }, card: x.card, sent: x.sent ? toHex(x.sent) : null })),
    verified: failures.length ? false : true,
    ok: all.length === 0,
    failures: all,
  };
  return { session: result, sent: sdu, response: respView, exchanges, failures, outcome, ok: all.length === 0, json };
}

/**
 * Key options holding the card's own keys for a command packet: the key set
 * whose KVN is the KIc/KID high nibble, used only where the KIc/KID names the
 * algorithm that key set holds (or says "implicit") — the lookup the card
 * simulator makes. Keys never appear in the output, only their KVN.
 */
async function cardKeys(card: Card, packet: Uint8Array, o: ParseOpts): Promise<{ opts: ParseOpts; missingKic?: string; json: Record<string, unknown>; tree: TreeNode } | undefined> {
  if (cattpPacketKind(packet) !== 'command') return undefined;
  const { parseCommandHeader } = await import('../secured/command.js');
  const { decodeKic, decodeKidCc, decodeKidRc } = await import('../secured/kic.js');
  let hdr: CommandHeader;
  try {
    hdr = parseCommandHeader(cattpDialect, packet);
  } catch (e) {
    if (e instanceof OtaError) return undefined; // shown as malformed by viewSdu
    throw e;
  }
  const kicKvn = hdr.kic >> 4;
  const kidKvn = hdr.kid >> 4;
  const kicEntry = card.keysets.find((s) => s.kvn === kicKvn)?.kic;
  const kidEntry = card.keysets.find((s) => s.kvn === kidKvn)?.kid;
  const kicNamed = decodeKic(hdr.kic).algorithm;
  const kidNamed = hdr.spi.integrity === 'rc' ? decodeKidRc(hdr.kid).algorithm : decodeKidCc(hdr.kid).algorithm;
  const fits = (named: string | null, stored: string) => named === 'implicit' || named === stored;
  // '' (not undefined) so no --kic-key / environment key stands in for a key the card lacks.
  const opts: ParseOpts = { ...o, keyset: undefined, kvn: undefined, kicKey: '', kidKey: '', kicAlg: undefined, kidAlg: undefined };
  const missing: string[] = [];
  const used: string[] = [];
  if (kicEntry && fits(kicNamed, kicEntry.algorithm)) {
    opts.kicKey = toHex(kicEntry.key);
    if (kicNamed === 'implicit') opts.kicAlg = kicEntry.algorithm;
    used.push(`KIc: key set KVN ${kicKvn} (${kicEntry.algorithm})`);
  } else if (hdr.spi.ciphering) {
    missing.push(kicEntry ? `the card's KIc key of KVN ${kicKvn} is ${kicEntry.algorithm}, KIc ${hex2(hdr.kic)} names ${kicNamed}` : `the card has no KIc key with KVN ${kicKvn}`);
  }
  if (kidEntry && fits(kidNamed, kidEntry.algorithm)) {
    opts.kidKey = toHex(kidEntry.key);
    if (kidNamed === 'implicit') opts.kidAlg = kidEntry.algorithm;
    used.push(`KID: key set KVN ${kidKvn} (${kidEntry.algorithm})`);
  } else if (hdr.spi.integrity === 'cc') {
    missing.push(kidEntry ? `the card's KID key of KVN ${kidKvn} is ${kidEntry.algorithm}, KID ${hex2(hdr.kid)} names ${kidNamed}` : `the card has no KID key with KVN ${kidKvn}`);
  }
  const json = { from: 'card', kic: kicEntry ? kicKvn : null, kid: kidEntry ? kidKvn : null, missing };
  const tree = node('Keys', `from the card file${used.length ? `: ${used.join(', ')}` : ''}`, undefined, {
    status: missing.length ? 'warn' : undefined,
    note: missing.length ? missing.join('; ') : 'deciphered and checked as the card simulator does',
  });
  const missingKic = hdr.spi.ciphering && !opts.kicKey ? missing[0] : undefined;
  return { opts, missingKic, json, tree };
}

/** "no KIc key given" is untrue with --card: say which key the card lacks. */
function relabelMissingKeys(view: PacketView, missing: string): void {
  const fix = (t: string) => t.replace(/no KIc key given/g, missing);
  const walk = (n: TreeNode) => {
    // Only what changes is written: subtrees shared across packets (treeMemo) are frozen.
    const value = n.value && fix(n.value);
    if (value && value !== n.value) n.value = value;
    const note = n.note && fix(n.note);
    if (note && note !== n.note) n.note = note;
    n.children?.forEach(walk);
  };
  view.tree.forEach(walk);
  view.notes = view.notes.map(fix);
  const j = view.json as { notes?: string[]; checksum?: { reason?: string } };
  if (j.notes) j.notes = j.notes.map(fix);
  if (j.checksum?.reason) j.checksum.reason = fix(j.checksum.reason);
}

/**
 * CAT_TP connections over real UDP sockets (TS 102 127 connection handling, the
 * RDP-derived reading — not verified against TS 102 127):
 *
 *  - the SYN carries the ISN; every data PDU and NUL consumes one sequence
 *    number; pure ACK/EACK/RST carry the next number without consuming it;
 *  - the acknowledgement number is the last PDU received in sequence;
 *  - the window is how many PDUs beyond the acknowledged one may be in flight;
 *  - close is an RST with reason 00.
 *
 * `serve` is the OTA-server side (passive open), `send` the card side (active
 * open). Two flows: the card sends an SDU first and the server answers
 * (`send({sdu})` + `serve({onSdu})`), or — as in SCP80 over CAT_TP, where the
 * UICC opens the connection but the server pushes command packets — the
 * server pushes an SDU once OPEN (`serve({onOpen})`) and the card answers
 * each SDU it receives (`send({onSdu})`, no `sdu`). Retransmission is bounded: a silent peer ends in NetworkError naming
 * the state. Every datagram sent or received goes to `log` and is recorded so
 * the CLI can write a pcap (`toPcapRecords`).
 */
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { NetworkError, OtaError } from '../util/errors.js';
import { ipv4Udp, type PcapRecord } from '../pcap/pcap.js';
import { decodePdu, encodePdu, reasonName, LAYER, type CattpPdu, type DecodedPdu } from './pdu.js';
import { segmentSdu, seqAdd, seqDiff } from './segment.js';

export type CattpState = 'CLOSED' | 'LISTEN' | 'SYN-SENT' | 'SYN-RCVD' | 'OPEN' | 'CLOSE-WAIT';

export interface Addr {
  address: string;
  port: number;
}

/** One UDP datagram as seen on the wire (UDP ports, not CAT_TP ports). */
export interface DatagramRecord {
  timeMs: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  bytes: Uint8Array;
}

export interface PduLogEntry {
  dir: 'sent' | 'received';
  timeMs: number;
  local: Addr;
  remote: Addr;
  bytes: Uint8Array;
  /** Absent when a received datagram did not decode (then `error` is set). */
  decoded?: DecodedPdu;
  error?: OtaError;
  /** Connection state when the datagram was handled. */
  state: CattpState;
  /** e.g. "retransmission 1/3", "bad checksum: dropped". */
  note?: string;
}

export type PduLogger = (entry: PduLogEntry) => void;

export interface TimingOptions {
  /** Retransmission timeout of the first transmission of a PDU (ms). */
  timeoutMs?: number;
  /** Retransmissions before giving up (RST reason 05 + NetworkError). */
  retries?: number;
  /**
   * Exponential back-off: each retransmission waits `backoff` times longer
   * than the one before, at most `maxTimeoutMs` (default 4 × timeoutMs).
   * 1 = a fixed timeout.
   */
  backoff?: number;
  maxTimeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 1000;
/**
 * Ten retransmissions with back-off 2 (1, 2, 4 s, then 4 s each, and 4 s to give up):
 * with 20 % loss each way a PDU/acknowledgement round fails with p = 0.36, so
 * eleven tries all fail for about 1 PDU in 80,000 (six tries: 1 in 1,300, too
 * often for a campaign of sessions), and a lost peer is still declared within 39 s.
 */
const DEFAULT_RETRIES = 10;
const DEFAULT_BACKOFF = 2;
const DEFAULT_MAX_HALF_OPEN = 256;
const RECENT_MAX = 4096;

/** Resolved retransmission policy. */
interface Rto {
  timeoutMs: number;
  retries: number;
  backoff: number;
  maxTimeoutMs: number;
}

function rtoPolicy(o: TimingOptions): Rto {
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const backoff = o.backoff ?? DEFAULT_BACKOFF;
  return { timeoutMs, retries: o.retries ?? DEFAULT_RETRIES, backoff: backoff >= 1 ? backoff : 1, maxTimeoutMs: o.maxTimeoutMs ?? timeoutMs * 4 };
}

/** Timeout before retransmission number `tries` + 1. */
function rtoFor(r: Rto, tries: number): number {
  return Math.min(r.timeoutMs * r.backoff ** tries, Math.max(r.maxTimeoutMs, r.timeoutMs));
}

/** Total time the retransmissions of one PDU may take before the peer is declared lost. */
export function retransmissionSpanMs(o: TimingOptions = {}): number {
  const r = rtoPolicy(o);
  let t = 0;
  for (let i = 0; i <= r.retries; i++) t += rtoFor(r, i);
  return t;
}

/** Datagram records → pcap records (raw IPv4/UDP) for src/pcap/pcap.ts. */
export function toPcapRecords(records: DatagramRecord[]): PcapRecord[] {
  return records.map((r, i) => ({ data: ipv4Udp(r.src, r.dst, r.sport, r.dport, r.bytes, i), timeMs: r.timeMs }));
}

// ---------------------------------------------------------------- one connection

interface ConnConfig {
  localPort: number;
  remotePort: number;
  isn: number;
  window: number;
  maxPdu: number;
  maxSdu: number;
  identification: Uint8Array;
  timeoutMs: number;
  retries: number;
  rto: Rto;
  closeWaitMs: number;
  transmit(pdu: CattpPdu, state: CattpState, note?: string): void;
  note(msg: string, state: CattpState): void;
  onOpen?(): void;
  onSdu(sdu: Uint8Array): void;
  onAllAcked?(): void;
  /** We closed (RST sent, CLOSE-WAIT): the session is over for us even while we linger. */
  onClosing?(): void;
  /** Final: reached CLOSED. err set when the connection failed or was reset. */
  onClosed(err?: OtaError): void;
}

interface Outstanding {
  pdu: CattpPdu;
  tries: number;
  timer?: NodeJS.Timeout;
}

export interface PeerParams {
  isn: number;
  maxPdu: number;
  maxSdu: number;
  window: number;
  identification: Uint8Array;
}

class Connection {
  state: CattpState = 'CLOSED';
  peer: PeerParams = { isn: 0, maxPdu: 0, maxSdu: 0, window: 1, identification: new Uint8Array(0) };
  private sndNxt: number;
  private peerAck: number;
  private rcvCur = 0;
  private queue: CattpPdu[] = [];
  private unacked = new Map<number, Outstanding>();
  private ooo = new Map<number, CattpPdu>();
  private parts: Uint8Array[] = [];
  private closeTimer?: NodeJS.Timeout;
  private finished = false;
  private closeErr?: OtaError;
  /** Reason of the RST we sent to close, re-sent when the peer goes on sending in CLOSE-WAIT. */
  private ourRst?: number;
  /** The reason of our closing RST, once we closed (00 normal ending). */
  get closingReason(): number | undefined {
    return this.ourRst;
  }
  /** Reason code of the RST the peer sent, if any. */
  peerReset?: number;

  constructor(readonly cfg: ConnConfig) {
    this.sndNxt = seqAdd(cfg.isn, 1);
    this.peerAck = cfg.isn;
  }

  private base(type: CattpPdu['type'], seq: number): CattpPdu {
    return {
      type,
      srcPort: this.cfg.localPort,
      dstPort: this.cfg.remotePort,
      seq,
      ack: this.rcvCur,
      window: this.cfg.window,
      data: new Uint8Array(0),
    };
  }

  private synFields(p: CattpPdu): CattpPdu {
    p.maxPduSize = this.cfg.maxPdu;
    p.maxSduSize = this.cfg.maxSdu;
    p.identification = this.cfg.identification;
    return p;
  }

  private setState(s: CattpState): void {
    if (s !== this.state) this.cfg.note(`${this.state} → ${s}`, s);
    this.state = s;
  }

  activeOpen(): void {
    this.setState('SYN-SENT');
    const syn = this.synFields(this.base('SYN', this.cfg.isn));
    syn.ack = 0;
    this.sendReliable(syn);
  }

  passiveOpen(syn: CattpPdu): void {
    this.setState('LISTEN');
    this.learnPeer(syn);
    this.setState('SYN-RCVD');
    this.sendReliable(this.synFields(this.base('SYN/ACK', this.cfg.isn)));
  }

  private learnPeer(p: CattpPdu): void {
    this.peer = {
      isn: p.seq,
      maxPdu: p.maxPduSize ?? 0,
      maxSdu: p.maxSduSize ?? 0,
      window: p.window,
      identification: p.identification ?? new Uint8Array(0),
    };
    this.rcvCur = p.seq;
  }

  private sendReliable(pdu: CattpPdu): void {
    const o: Outstanding = { pdu, tries: 0 };
    this.unacked.set(pdu.seq, o);
    this.cfg.transmit(pdu, this.state);
    this.arm(o);
  }

  private arm(o: Outstanding): void {
    o.timer = setTimeout(() => this.retransmit(o), rtoFor(this.cfg.rto, o.tries));
  }

  private retransmit(o: Outstanding): void {
    if (this.unacked.get(o.pdu.seq) !== o) return;
    if (o.tries >= this.cfg.retries) {
      const what = this.state === 'SYN-SENT' ? 'SYN/ACK' : this.state === 'SYN-RCVD' ? 'ACK of our SYN/ACK' : `acknowledgement of ${o.pdu.type} seq ${o.pdu.seq}`;
      this.fail(
        new NetworkError(`no ${what} after ${this.cfg.retries} retransmission${this.cfg.retries === 1 ? '' : 's'} (${this.cfg.rto.backoff > 1 ? `${this.cfg.timeoutMs} ms, back-off ${this.cfg.rto.backoff}` : `${this.cfg.timeoutMs} ms each`}): peer lost in state ${this.state}`, {
          layer: LAYER,
          field: this.state,
        }),
        5,
      );
      return;
    }
    o.tries++;
    if (o.pdu.type !== 'SYN') o.pdu.ack = this.rcvCur;
    this.cfg.transmit(o.pdu, this.state, `retransmission ${o.tries}/${this.cfg.retries}`);
    this.arm(o);
  }

  /** Nothing queued and nothing waiting for an acknowledgement. */
  isIdle(): boolean {
    return !this.queue.length && !this.unacked.size;
  }

  /** Queue an SDU as data PDUs (segmented to the peer's maximum PDU size) and send within the window. */
  sendSdu(sdu: Uint8Array): void {
    if (this.state !== 'OPEN') throw new NetworkError(`cannot send an SDU in state ${this.state}`, { layer: LAYER, field: this.state });
    if (this.peer.maxSdu && sdu.length > this.peer.maxSdu) {
      this.fail(new NetworkError(`SDU has ${sdu.length} octets, the peer accepts at most ${this.peer.maxSdu}`, { layer: LAYER, field: 'maximum SDU size' }), 0);
      return;
    }
    const pdus = segmentSdu(sdu, {
      maxPdu: this.peer.maxPdu,
      firstSeq: this.sndNxt,
      srcPort: this.cfg.localPort,
      dstPort: this.cfg.remotePort,
      ack: this.rcvCur,
      window: this.cfg.window,
    });
    this.sndNxt = seqAdd(this.sndNxt, pdus.length);
    this.queue.push(...pdus);
    this.pump();
  }

  private pump(): void {
    const win = Math.max(1, this.peer.window); // a 0 window would stall forever; send one at a time
    while (this.queue.length && seqDiff(this.queue[0].seq, this.peerAck) <= win) {
      const p = this.queue.shift()!;
      p.ack = this.rcvCur;
      this.sendReliable(p);
    }
    if (!this.queue.length && !this.unacked.size && this.state === 'OPEN') this.cfg.onAllAcked?.();
  }

  private processAck(a: number, eack: number[] = []): void {
    // Acknowledgements of numbers we never sent, or older than one already seen, move nothing.
    if (seqDiff(a, seqAdd(this.sndNxt, -1)) <= 0 && seqDiff(a, this.peerAck) > 0) this.peerAck = a;
    for (const [s, o] of this.unacked) {
      if (seqDiff(s, this.peerAck) <= 0 || eack.includes(s)) {
        clearTimeout(o.timer);
        this.unacked.delete(s);
      }
    }
  }

  private sendAck(): void {
    if (this.ooo.size) {
      const p = this.base('EACK', this.sndNxt);
      p.eack = [...this.ooo.keys()].sort((x, y) => seqDiff(x, y));
      this.cfg.transmit(p, this.state);
    } else {
      this.cfg.transmit(this.base('ACK', this.sndNxt), this.state);
    }
  }

  /** Deliver an in-sequence data/NUL PDU. */
  private accept(p: CattpPdu): void {
    this.rcvCur = p.seq;
    if (p.type === 'NUL' || !p.data.length) return;
    this.parts.push(p.data);
    if (!p.seg) {
      const total = this.parts.reduce((n, x) => n + x.length, 0);
      const sdu = new Uint8Array(total);
      let o = 0;
      for (const x of this.parts) {
        sdu.set(x, o);
        o += x.length;
      }
      this.parts = [];
      this.cfg.onSdu(sdu);
    }
  }

  handle(d: DecodedPdu): void {
    const p = d.pdu;
    if (this.state === 'CLOSED') return;
    if (this.state === 'CLOSE-WAIT') {
      if (p.type === 'RST') this.finish();
      else if (this.ourRst !== undefined) {
        // The peer has not seen our RST (lost): tell it again rather than leave it retransmitting.
        this.sendRst(this.ourRst, `${p.type} in CLOSE-WAIT: RST re-sent`);
      } else this.cfg.note(`${p.type} ignored in CLOSE-WAIT`, this.state);
      return;
    }
    if (p.type === 'RST') {
      this.clearTimers();
      this.peerReset = p.reason ?? 0;
      // A normal ending (00) is not an error for the connection itself.
      if (this.peerReset !== 0) this.closeErr = new NetworkError(`connection reset by peer: reason ${p.reason} (${reasonName(p.reason ?? 0)}) in state ${this.state}`, {
        layer: LAYER,
        field: this.state,
      });
      this.setState('CLOSE-WAIT');
      this.scheduleClose();
      return;
    }
    if (this.state === 'SYN-SENT') {
      if (p.type === 'SYN/ACK' && p.ack === this.cfg.isn) {
        this.learnPeer(p);
        if (this.peer.maxPdu <= 18) {
          this.fail(new NetworkError(`peer announced maximum PDU size ${this.peer.maxPdu}, no room for data`, { layer: LAYER, field: 'maximum PDU size' }), 1);
          return;
        }
        this.processAck(p.ack);
        this.setState('OPEN');
        this.cfg.transmit(this.base('ACK', this.sndNxt), this.state);
        this.cfg.onOpen?.();
      } else this.cfg.note(`${p.type} ignored in SYN-SENT`, this.state);
      return;
    }
    if (p.type === 'SYN') {
      // Our SYN/ACK (or the ACK to it) was lost: answer the retransmitted SYN again.
      if (p.seq === this.peer.isn) {
        if (this.state === 'SYN-RCVD') this.cfg.transmit(this.synFields(this.base('SYN/ACK', this.cfg.isn)), this.state, 'SYN retransmitted by peer');
        else this.sendAck();
      } else this.cfg.note('SYN with another ISN ignored', this.state);
      return;
    }
    if (p.type === 'SYN/ACK') {
      // Our ACK of it was lost (the peer is still in SYN-RCVD): acknowledge again, or it never opens.
      if (p.seq === this.peer.isn) this.sendAck();
      else this.cfg.note('SYN/ACK with another ISN ignored', this.state);
      return;
    }
    if (this.state === 'SYN-RCVD') {
      if (seqDiff(p.ack, this.cfg.isn) < 0) {
        this.cfg.note(`acknowledgement ${p.ack} does not cover our SYN/ACK ${this.cfg.isn}`, this.state);
        return;
      }
      this.setState('OPEN');
      this.cfg.onOpen?.();
    }
    // OPEN: ACK family (ACK, DATA, EACK, NUL). Every header carries the current receive window.
    this.peer.window = p.window;
    this.processAck(p.ack, p.eack);
    const consumes = p.type === 'NUL' || p.data.length > 0;
    if (consumes) {
      const dist = seqDiff(p.seq, this.rcvCur);
      if (dist === 1) {
        this.accept(p);
        for (let n = seqAdd(this.rcvCur, 1); this.ooo.has(n); n = seqAdd(n, 1)) {
          const q = this.ooo.get(n)!;
          this.ooo.delete(n);
          this.accept(q);
        }
      } else if (dist > 1 && dist <= this.cfg.window) {
        this.ooo.set(p.seq, p);
      } else if (dist > this.cfg.window) {
        this.cfg.note(`seq ${p.seq} outside the window, dropped`, this.state);
      }
      // Duplicates (dist <= 0) are re-acknowledged so the peer stops retransmitting.
      if (this.state === 'OPEN') this.sendAck();
    }
    if (this.state === 'OPEN') this.pump();
  }

  /** Close by request: RST with reason (00 = normal ending), then CLOSE-WAIT. */
  close(reason = 0): void {
    if (this.state === 'CLOSED' || this.state === 'CLOSE-WAIT') return;
    this.clearTimers();
    if (this.state !== 'LISTEN') {
      this.sendRst(reason);
      this.ourRst = reason;
    }
    this.setState('CLOSE-WAIT');
    this.cfg.onClosing?.();
    this.scheduleClose();
  }

  private sendRst(reason: number, note?: string): void {
    const r = this.base('RST', this.sndNxt);
    r.ack = 0;
    r.window = 0;
    r.reason = reason;
    this.cfg.transmit(r, this.state, note);
  }

  /** Close now without CLOSE-WAIT (server shutdown). */
  abort(): void {
    this.close(0);
    this.finish();
  }

  fail(err: OtaError, rstReason?: number): void {
    if (this.state === 'CLOSED') return;
    this.clearTimers();
    if (rstReason !== undefined && this.state !== 'CLOSE-WAIT') {
      this.sendRst(rstReason);
      this.ourRst = rstReason;
    }
    this.closeErr = err;
    this.finish();
  }

  private scheduleClose(): void {
    if (this.cfg.closeWaitMs <= 0) this.finish();
    else this.closeTimer = setTimeout(() => this.finish(), this.cfg.closeWaitMs);
  }

  private clearTimers(): void {
    for (const o of this.unacked.values()) clearTimeout(o.timer);
    this.unacked.clear();
    this.queue = [];
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.closeTimer);
    this.clearTimers();
    this.setState('CLOSED');
    this.cfg.onClosed(this.closeErr);
  }
}

// ---------------------------------------------------------------- socket plumbing

function abortError(state: CattpState): NetworkError {
  return new NetworkError(`aborted in state ${state}`, { layer: LAYER, field: state });
}

interface Wire {
  record: boolean;
  records: DatagramRecord[];
  log?: PduLogger;
}

function logAndRecord(w: Wire, e: PduLogEntry): void {
  if (w.record) {
    const [src, dst] = e.dir === 'sent' ? [e.local, e.remote] : [e.remote, e.local];
    w.records.push({ timeMs: e.timeMs, src: src.address, dst: dst.address, sport: src.port, dport: dst.port, bytes: e.bytes });
  }
  w.log?.(e);
}

function tryDecode(bytes: Uint8Array): { decoded?: DecodedPdu; error?: OtaError } {
  try {
    return { decoded: decodePdu(bytes) };
  } catch (e) {
    if (e instanceof OtaError) return { error: e };
    throw e;
  }
}

// ---------------------------------------------------------------- server

export interface SduInfo {
  /**
   * Session number on this server, from 1, given when the connection is OPEN
   * (0 for a connection that never completed the handshake: not a session).
   */
  session: number;
  remote: Addr;
  /** The card's CAT_TP port and ours. */
  srcPort: number;
  dstPort: number;
  /** Identification from the card's SYN (often the ICCID). */
  identification: Uint8Array;
}

export interface ServeOptions extends TimingOptions {
  /** UDP port to bind (0 = ephemeral; see `address` on the result). */
  port: number;
  host?: string;
  /** CAT_TP port we serve; SYNs to another port get RST reason 03. Any port if undefined. */
  cattpPort?: number;
  /**
   * Called with each reassembled SDU; a returned SDU is sent back on the same
   * connection. With `onOpen` (push mode) returning nothing closes the
   * connection (RST 00) once everything sent is acknowledged.
   */
  onSdu(sdu: Uint8Array, info: SduInfo): PushedSdu | undefined | Promise<PushedSdu | undefined>;
  /**
   * Push mode (the OTA server speaks first, as in SCP80 over CAT_TP): called
   * when a connection is OPEN; the SDU returned is sent, and an answer is then
   * awaited (`responseTimeoutMs`; none in that time, or the peer closing
   * first, ends the session in a NetworkError). `{ sdu, expectAnswer: false }`
   * (e.g. a command whose SPI asks for no PoR, or a PoR on error only): an
   * answer is taken if one comes, else the connection is closed normally
   * after `responseTimeoutMs`. Returning nothing closes the connection.
   * A throw ends the connection with that error (RST 00).
   */
  onOpen?(info: SduInfo): PushedSdu | undefined | Promise<PushedSdu | undefined>;
  /** Push mode: how long to wait for the answer once our SDU is acknowledged (default: the retransmission span, retransmissionSpanMs). */
  responseTimeoutMs?: number;
  /**
   * Called once per session (a connection that reached OPEN) when it reaches
   * CLOSED; err when it failed or was reset, or (push mode) when it closed
   * before the answer to our SDU arrived.
   */
  onSessionEnd?(info: SduInfo, err?: OtaError): void;
  /** Called for a connection that closed before the handshake completed (not a session; `info.session` is 0). */
  onUnopened?(info: SduInfo, err?: OtaError): void;
  log?: PduLogger;
  /** State changes and remarks, for verbose output. */
  trace?: (msg: string) => void;
  /** Stop after this many sessions (connections that reached OPEN) have closed. */
  maxSessions?: number;
  signal?: AbortSignal;
  /** What we announce in SYN/ACK: largest PDU/SDU we accept, window in PDUs, identification. */
  maxPdu?: number;
  maxSdu?: number;
  window?: number;
  identification?: Uint8Array;
  /** Initial sequence number (random if undefined). */
  isn?: number;
  /** An OPEN connection with no PDU from the peer for this long is closed with RST 00. */
  idleTimeoutMs?: number;
  /** Keep datagram records for a pcap (default true). */
  record?: boolean;
  /**
   * Most connections kept in SYN-RCVD (SYN answered, handshake not completed):
   * a new SYN beyond it drops the oldest one (counted in `halfOpenDropped`,
   * one trace line each). Default 256. Half-open connections are also freed
   * when their SYN/ACK retransmissions run out.
   */
  maxHalfOpen?: number;
}

/** What `onOpen` pushes: the SDU, and whether an answer must come. */
export type PushedSdu = Uint8Array | { sdu: Uint8Array; expectAnswer?: boolean };

export interface ServeSummary {
  /** Connections that reached OPEN. */
  sessions: number;
  sdus: number;
  /** Sessions that ended in an error (peer lost, reset, no answer, a failing callback). */
  errors: OtaError[];
  /** Connections that closed before the handshake completed (a stray or lost SYN): not sessions. */
  unopened: number;
  /** Half-open connections dropped because `maxHalfOpen` was reached (a SYN flood). */
  halfOpenDropped: number;
}

/** Connection counts at one moment (for monitoring and tests). */
export interface ServeStats {
  connections: number;
  halfOpen: number;
  halfOpenDropped: number;
  /** Closed connections remembered so that their late PDUs get the closing RST again. */
  recentlyClosed: number;
}

export interface CattpServer {
  /** Bound UDP address. */
  readonly address: Addr;
  readonly records: DatagramRecord[];
  /** Resolves once the server has stopped (close(), signal, maxSessions). */
  readonly done: Promise<ServeSummary>;
  close(): Promise<ServeSummary>;
  stats(): ServeStats;
}

/** Passive open on a UDP port; resolves once bound. */
export async function serve(opts: ServeOptions): Promise<CattpServer> {
  const host = opts.host ?? '127.0.0.1';
  const rto = rtoPolicy(opts);
  const { timeoutMs, retries } = rto;
  const idleMs = opts.idleTimeoutMs ?? 30000;
  // The peer may need a whole retransmission span to get its answer through.
  const respMs = opts.responseTimeoutMs ?? retransmissionSpanMs(rto);
  const maxHalfOpen = Math.max(1, opts.maxHalfOpen ?? DEFAULT_MAX_HALF_OPEN);
  /** SYN-RCVD connections in arrival order (oldest first). */
  const halfOpen = new Set<string>();
  /**
   * Closed connections: key → our closing RST reason and the peer's ISN. A PDU
   * that arrives late (duplicated, reordered, or retransmitted because our RST
   * was lost) gets that RST again instead of RST 04 "unexpected PDU", and a
   * stale duplicate of its SYN opens nothing. Kept for one retransmission
   * span, at most RECENT_MAX entries.
   */
  const recent = new Map<string, { reason: number; isn: number; until: number }>();
  const recentMs = retransmissionSpanMs(rto);
  const wire: Wire = { record: opts.record ?? true, records: [], log: opts.log };
  let sessionNo = 0;
  const socket = dgram.createSocket('udp4');
  const conns = new Map<string, { conn: Connection; idle?: NodeJS.Timeout }>();
  const summary: ServeSummary = { sessions: 0, sdus: 0, errors: [], unopened: 0, halfOpenDropped: 0 };
  let stopped = false;
  let resolveDone!: (s: ServeSummary) => void;
  const done = new Promise<ServeSummary>((r) => (resolveDone = r));

  await new Promise<void>((resolve, reject) => {
    const onErr = (e: Error) => reject(new NetworkError(`cannot bind UDP ${host}:${opts.port}: ${e.message}`, { layer: LAYER, field: 'UDP port' }));
    socket.once('error', onErr);
    socket.bind(opts.port, host, () => {
      socket.off('error', onErr);
      resolve();
    });
  });
  const a = socket.address();
  const local: Addr = { address: a.address, port: a.port };
  const trace = (m: string) => opts.trace?.(m);
  const remember = (key: string, reason: number, isn: number) => {
    const now = Date.now();
    recent.delete(key);
    recent.set(key, { reason, isn, until: now + recentMs });
    // Oldest first: drop expired entries and keep the map bounded.
    for (const [k, v] of recent) {
      if (recent.size <= RECENT_MAX && v.until >= now) break;
      recent.delete(k);
    }
  };

  // Close the socket only once queued sends (e.g. the RSTs of a shutdown) are out.
  let pendingSends = 0;
  let socketClosed = false;
  const maybeCloseSocket = () => {
    if (!stopped || socketClosed || pendingSends > 0) return;
    socketClosed = true;
    socket.close(() => resolveDone(summary));
  };

  const stop = () => {
    if (stopped) return;
    stopped = true;
    opts.signal?.removeEventListener('abort', stop);
    for (const c of [...conns.values()]) {
      clearTimeout(c.idle);
      c.conn.abort();
    }
    conns.clear();
    maybeCloseSocket();
  };

  const sendRaw = (remote: Addr, bytes: Uint8Array, state: CattpState, decoded?: DecodedPdu, note?: string) => {
    if (socketClosed) return;
    logAndRecord(wire, { dir: 'sent', timeMs: Date.now(), local, remote, bytes, decoded, state, note });
    pendingSends++;
    socket.send(bytes, remote.port, remote.address, () => {
      pendingSends--;
      maybeCloseSocket();
    });
  };

  const rstFor = (p: CattpPdu, reason: number): CattpPdu => ({
    type: 'RST',
    srcPort: p.dstPort,
    dstPort: p.srcPort,
    seq: p.type === 'SYN' ? 0 : seqAdd(p.ack, 1),
    ack: 0,
    window: 0,
    reason,
    data: new Uint8Array(0),
  });

  const sendPdu = (remote: Addr, pdu: CattpPdu, state: CattpState, note?: string) => {
    const bytes = encodePdu(pdu);
    sendRaw(remote, bytes, state, decodePdu(bytes), note);
  };

  socket.on('error', (e) => trace(`socket error: ${e.message}`)); // e.g. ICMP unreachable; keep serving
  socket.on('message', (msg, rinfo) => {
    const bytes = new Uint8Array(msg.buffer, msg.byteOffset, msg.length).slice();
    const remote: Addr = { address: rinfo.address, port: rinfo.port };
    const { decoded, error } = tryDecode(bytes);
    const p = decoded?.pdu;
    const key = p ? `${rinfo.address}:${rinfo.port}:${p.srcPort}:${p.dstPort}` : '';
    const entry = p ? conns.get(key) : undefined;
    const state: CattpState = entry?.conn.state ?? 'LISTEN';
    const rcv = (note?: string) => logAndRecord(wire, { dir: 'received', timeMs: Date.now(), local, remote, bytes, decoded, error, state, note });
    if (!decoded || !p) {
      rcv(`malformed datagram ignored: ${error?.message}`);
      return;
    }
    if (!decoded.checksumOk) {
      rcv('bad checksum: dropped');
      return;
    }
    if (stopped) return;
    if (entry) {
      rcv();
      clearTimeout(entry.idle);
      try {
        entry.conn.handle(decoded);
      } catch (e) {
        // A bug or an unforeseen PDU must cost one connection, never the server.
        trace(`${key}: ${(e as Error).message}`);
        entry.conn.fail(new NetworkError(`internal error: ${(e as Error).message}`, { layer: LAYER, field: entry.conn.state }), 4);
      }
      if (entry.conn.state === 'OPEN') {
        entry.idle = setTimeout(() => {
          trace(`idle ${idleMs} ms: closing ${key}`);
          entry.conn.close(0);
        }, idleMs);
      }
      return;
    }
    const gone = recent.get(key);
    if (gone && gone.until < Date.now()) recent.delete(key);
    else if (gone) {
      if (p.type === 'SYN' && p.seq === gone.isn) {
        rcv('duplicate SYN of a closed connection: ignored');
        return;
      }
      if (p.type !== 'SYN') {
        rcv('connection already closed');
        if (p.type !== 'RST') sendPdu(remote, rstFor(p, gone.reason), 'CLOSED', 'late PDU of a closed connection: closing RST re-sent');
        return;
      }
      recent.delete(key); // a new connection from the same ports
    }
    if (p.type !== 'SYN') {
      rcv('no connection');
      if (p.type !== 'RST') sendPdu(remote, rstFor(p, 4), 'LISTEN', 'unexpected PDU, no connection');
      return;
    }
    rcv();
    if (opts.cattpPort !== undefined && p.dstPort !== opts.cattpPort) {
      sendPdu(remote, rstFor(p, 3), 'LISTEN', `CAT_TP port ${p.dstPort} not served`);
      return;
    }
    if ((p.maxPduSize ?? 0) <= 18) {
      sendPdu(remote, rstFor(p, 1), 'LISTEN', `maximum PDU size ${p.maxPduSize} leaves no room for data`);
      return;
    }
    const info: SduInfo = { session: 0, remote, srcPort: p.srcPort, dstPort: p.dstPort, identification: p.identification ?? new Uint8Array(0) };
    let opened = false;
    const slot = { conn: undefined as unknown as Connection, idle: undefined as NodeJS.Timeout | undefined };
    const push = opts.onOpen;
    // Push mode: waiting for the answer to what we sent; close once all is acknowledged.
    let awaiting = false;
    let answerRequired = true;
    let closeWhenIdle = false;
    let respTimer: NodeJS.Timeout | undefined;
    const asOta = (e: unknown): OtaError =>
      e instanceof OtaError ? e : new NetworkError(`internal error: ${(e as Error)?.message ?? String(e)}`, { layer: LAYER, field: conn.state });
    const armResponse = () => {
      clearTimeout(respTimer);
      respTimer = setTimeout(() => {
        if (!answerRequired) {
          awaiting = false;
          trace(`${key}: no answer within ${respMs} ms (none required): closing`);
          conn.close(0);
          return;
        }
        conn.fail(new NetworkError(`no answer SDU within ${respMs} ms after our SDU was acknowledged`, { layer: LAYER, field: conn.state }), 0);
      }, respMs);
    };
    const sendOrClose = (out: PushedSdu | undefined) => {
      if (conn.state !== 'OPEN') return;
      const sdu = out instanceof Uint8Array || out === undefined ? out : out.sdu;
      answerRequired = out instanceof Uint8Array || out === undefined || out.expectAnswer !== false;
      if (sdu && sdu.length) {
        if (push) awaiting = true;
        conn.sendSdu(sdu);
      } else if (push) {
        if (conn.isIdle()) conn.close(0);
        else closeWhenIdle = true;
      }
    };
    const conn = new Connection({
      localPort: p.dstPort,
      remotePort: p.srcPort,
      isn: opts.isn ?? randomInt(0, 0x10000),
      window: opts.window ?? 4,
      maxPdu: opts.maxPdu ?? 1024,
      maxSdu: opts.maxSdu ?? 2048,
      identification: opts.identification ?? new Uint8Array(0),
      timeoutMs,
      retries,
      rto,
      closeWaitMs: timeoutMs,
      transmit: (pdu, st, note) => sendPdu(remote, pdu, st, note),
      note: (m) => trace(`${key}: ${m}`),
      onOpen: () => {
        // A session from here on: numbered and counted (a handshake never completed is not one).
        opened = true;
        halfOpen.delete(key);
        info.session = ++sessionNo;
        if (!push) return;
        Promise.resolve()
          .then(() => push(info))
          .then(sendOrClose)
          .catch((e: unknown) => conn.fail(asOta(e), 0));
      },
      onAllAcked: () => {
        if (closeWhenIdle) conn.close(0);
        else if (awaiting) armResponse();
      },
      onSdu: (sdu) => {
        summary.sdus++;
        awaiting = false;
        clearTimeout(respTimer);
        Promise.resolve()
          .then(() => opts.onSdu(sdu, info))
          .then(sendOrClose)
          .catch((e: unknown) => {
            trace(`${key}: onSdu failed: ${(e as Error)?.message ?? String(e)}`);
            if (push) conn.fail(asOta(e), 0);
          });
      },
      onClosed: (err) => {
        clearTimeout(respTimer);
        clearTimeout(slot.idle);
        if (conns.get(key) === slot) {
          conns.delete(key);
          halfOpen.delete(key);
          if (opened) remember(key, conn.closingReason ?? 0, p.seq);
        }
        if (!opened) {
          summary.unopened++;
          trace(`${key}: handshake not completed${err ? `: ${err.message}` : ''} (not a session)`);
          try {
            opts.onUnopened?.(info, err);
          } catch (e) {
            trace(`${key}: onUnopened failed: ${(e as Error)?.message ?? String(e)}`);
          }
          return;
        }
        summary.sessions++;
        if (!err && awaiting && answerRequired) {
          // Push mode: our SDU went out but no answer came before the connection closed.
          const how = conn.peerReset !== undefined ? `peer closed the connection (RST ${conn.peerReset}, ${reasonName(conn.peerReset)})` : stopped ? 'server stopped' : 'connection closed';
          err = new NetworkError(`${how} before the answer to our SDU arrived`, { layer: LAYER, field: 'OPEN' });
        }
        if (err) {
          summary.errors.push(err);
          trace(`${key}: ${err.message}`);
        }
        try {
          opts.onSessionEnd?.(info, err);
        } catch (e) {
          trace(`${key}: onSessionEnd failed: ${(e as Error)?.message ?? String(e)}`);
        }
        if (opts.maxSessions !== undefined && summary.sessions >= opts.maxSessions) stop();
      },
    });
    slot.conn = conn;
    // A SYN flood must not grow the table without bound: drop the oldest half-open connection.
    while (halfOpen.size >= maxHalfOpen) {
      const oldest = halfOpen.values().next().value as string;
      halfOpen.delete(oldest);
      const victim = conns.get(oldest);
      summary.halfOpenDropped++;
      trace(`${oldest}: half-open connection dropped (${maxHalfOpen} half-open at most; ${summary.halfOpenDropped} dropped so far)`);
      victim?.conn.fail(new NetworkError(`half-open connection dropped: more than ${maxHalfOpen} SYNs without a completed handshake`, { layer: LAYER, field: 'SYN-RCVD' }));
    }
    conns.set(key, slot);
    halfOpen.add(key);
    conn.passiveOpen(p);
  });

  if (opts.signal) {
    if (opts.signal.aborted) stop();
    else opts.signal.addEventListener('abort', stop, { once: true });
  }
  trace(`listening on UDP ${local.address}:${local.port}`);

  return {
    address: local,
    records: wire.records,
    done,
    close: () => {
      stop();
      return done;
    },
    stats: () => ({ connections: conns.size, halfOpen: halfOpen.size, halfOpenDropped: summary.halfOpenDropped, recentlyClosed: recent.size }),
  };
}

// ---------------------------------------------------------------- client

export interface SendOptions extends TimingOptions {
  /** Server UDP address. */
  to: { host: string; port: number };
  /** The SDU we send first. Without it we answer (`onSdu`) what the server pushes. */
  sdu?: Uint8Array;
  /**
   * Answer mode (no `sdu`): called with each SDU the server sends; a returned
   * SDU is sent back. The session ends when the server closes (RST 00), or
   * after `responseTimeoutMs` without a new SDU once our answer is
   * acknowledged (then we close with RST 00). A throw ends the session with it.
   */
  onSdu?(sdu: Uint8Array): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** Datagram records are appended here as they happen (kept when the session fails, for a pcap). */
  records?: DatagramRecord[];
  /** CAT_TP ports: ours (card side) and the server's. */
  srcPort?: number;
  dstPort?: number;
  /** Identification in our SYN (e.g. iccidToIdentification(iccid)). */
  identification?: Uint8Array;
  /** What we announce: largest PDU/SDU we accept, window in PDUs. */
  maxPdu?: number;
  maxSdu?: number;
  window?: number;
  isn?: number;
  /** Local UDP port (0/undefined = ephemeral). */
  localPort?: number;
  /** Wait for a response SDU (default true); otherwise close once our SDU is acknowledged. */
  expectResponse?: boolean;
  /**
   * How long to wait for the response after our SDU is acknowledged; in answer
   * mode for the first SDU after OPEN and for the next one after our answer
   * (default: the retransmission span, retransmissionSpanMs).
   */
  responseTimeoutMs?: number;
  log?: PduLogger;
  trace?: (msg: string) => void;
  signal?: AbortSignal;
  record?: boolean;
}

export interface SendResult {
  response?: Uint8Array;
  /** Answer mode: each SDU received and what we answered. */
  exchanges: { received: Uint8Array; sent?: Uint8Array }[];
  peer: PeerParams;
  records: DatagramRecord[];
  local: Addr;
  remote: Addr;
}

/**
 * Active open (SYN → SYN/ACK → ACK), send the SDU, wait for the response SDU,
 * acknowledge it and close with RST 00. Rejects with NetworkError (exit 4) when
 * the peer is lost, resets, or is unreachable — always within bounded time.
 */
export async function send(opts: SendOptions): Promise<SendResult> {
  const rto = rtoPolicy(opts);
  const { timeoutMs, retries } = rto;
  const expectResponse = opts.expectResponse ?? true;
  const wire: Wire = { record: opts.record ?? true, records: opts.records ?? [], log: opts.log };
  const trace = (m: string) => opts.trace?.(m);
  const answerMode = !opts.sdu;
  if (answerMode && !opts.onSdu) throw new TypeError('send(): give sdu, or onSdu to answer what the server sends');
  if (opts.signal?.aborted) throw abortError('CLOSED');

  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      const onErr = (e: Error) =>
        reject(new NetworkError(`cannot reach UDP ${opts.to.host}:${opts.to.port}: ${e.message}`, { layer: LAYER, field: 'CLOSED' }));
      socket.once('error', onErr);
      socket.bind(opts.localPort ?? 0, () => {
        socket.connect(opts.to.port, opts.to.host, () => {
          socket.off('error', onErr);
          resolve();
        });
      });
    });
  } catch (e) {
    socket.close();
    throw e;
  }
  const la = socket.address();
  const ra = socket.remoteAddress();
  const local: Addr = { address: la.address, port: la.port };
  const remote: Addr = { address: ra.address, port: ra.port };

  return new Promise<SendResult>((resolve, reject) => {
    let response: Uint8Array | undefined;
    const exchanges: SendResult['exchanges'] = [];
    let answering = false;
    let respTimer: NodeJS.Timeout | undefined;
    let settled = false;
    let pendingSends = 0;
    let closeWhenFlushed = false;
    const flush = () => {
      if (closeWhenFlushed && pendingSends === 0) {
        closeWhenFlushed = false;
        socket.close();
      }
    };
    // The server may need a whole retransmission span to get its SYN/ACK or its SDU through.
    const respMs = opts.responseTimeoutMs ?? retransmissionSpanMs(rto);

    const settle = (err?: OtaError) => {
      if (settled) return;
      settled = true;
      clearTimeout(respTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      closeWhenFlushed = true; // let the closing RST leave first
      flush();
      if (err) reject(err);
      else resolve({ response, exchanges, peer: conn.peer, records: wire.records, local, remote });
    };

    const armResponseTimer = () => {
      clearTimeout(respTimer);
      respTimer = setTimeout(() => {
        // Answer mode: once we have answered, a quiet server means it is done with us.
        if (answerMode && exchanges.length) conn.close(0);
        else conn.fail(new NetworkError(`no ${answerMode ? 'SDU from the server' : 'response SDU'} within ${respMs} ms in state ${conn.state}`, { layer: LAYER, field: conn.state }), 0);
      }, respMs);
    };

    const conn: Connection = new Connection({
      localPort: opts.srcPort ?? 1024,
      remotePort: opts.dstPort ?? 1,
      isn: opts.isn ?? randomInt(0, 0x10000),
      window: opts.window ?? 4,
      maxPdu: opts.maxPdu ?? 1024,
      maxSdu: opts.maxSdu ?? 2048,
      identification: opts.identification ?? new Uint8Array(0),
      timeoutMs,
      retries,
      rto,
      closeWaitMs: 0,
      transmit: (pdu, state, note) => {
        if (settled) return;
        const bytes = encodePdu(pdu);
        logAndRecord(wire, { dir: 'sent', timeMs: Date.now(), local, remote, bytes, decoded: decodePdu(bytes), state, note });
        pendingSends++;
        socket.send(bytes, () => {
          pendingSends--;
          flush();
        });
      },
      note: (m) => trace(m),
      onOpen: () => {
        if (answerMode) {
          armResponseTimer();
          return;
        }
        try {
          conn.sendSdu(opts.sdu!);
        } catch (e) {
          conn.fail(e instanceof NetworkError ? e : new NetworkError((e as Error).message, { layer: LAYER, field: 'SDU' }), 0);
        }
      },
      onAllAcked: () => {
        if (answerMode) {
          if (!answering) armResponseTimer();
        } else if (!expectResponse) conn.close(0);
        else if (!response) armResponseTimer();
      },
      onSdu: (sdu) => {
        if (answerMode) {
          const ex: SendResult['exchanges'][number] = { received: sdu };
          exchanges.push(ex);
          answering = true;
          clearTimeout(respTimer);
          Promise.resolve()
            .then(() => opts.onSdu!(sdu))
            .then((ans) => {
              answering = false;
              if (conn.state !== 'OPEN') return;
              if (ans && ans.length) {
                ex.sent = ans;
                conn.sendSdu(ans);
              } else if (conn.isIdle()) armResponseTimer();
            })
            .catch((e: unknown) => {
              answering = false;
              conn.fail(e instanceof OtaError ? e : new NetworkError(`internal error: ${(e as Error)?.message ?? String(e)}`, { layer: LAYER, field: conn.state }), 0);
            });
          return;
        }
        if (response) return; // one response per session; later SDUs are only acknowledged
        response = sdu;
        clearTimeout(respTimer);
        // The ACK for this PDU goes out right after onSdu returns; close after it.
        setImmediate(() => conn.close(0));
      },
      onClosed: (err) => {
        if (answerMode) {
          if (err) settle(err);
          else if (exchanges.length) settle();
          else {
            const how = conn.peerReset === undefined ? 'connection closed' : `peer closed the connection (RST ${conn.peerReset}, ${reasonName(conn.peerReset)})`;
            settle(new NetworkError(`${how} before the server sent an SDU`, { layer: LAYER, field: 'OPEN' }));
          }
        } else if (response) settle();
        else if (err) settle(err);
        else if (expectResponse) {
          const how = conn.peerReset === undefined ? 'connection closed' : `peer closed the connection (RST ${conn.peerReset}, ${reasonName(conn.peerReset)})`;
          settle(new NetworkError(`${how} before a response SDU arrived`, { layer: LAYER, field: 'OPEN' }));
        }
        else settle();
      },
    });

    const onAbort = () => conn.fail(abortError(conn.state), 0);
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    socket.on('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ECONNREFUSED' ? 'ICMP port unreachable: nobody serves' : `socket error ${e.code ?? e.message} talking to`;
      conn.fail(new NetworkError(`${why} UDP ${remote.address}:${remote.port} (state ${conn.state})`, { layer: LAYER, field: conn.state }));
    });
    socket.on('message', (msg) => {
      const bytes = new Uint8Array(msg.buffer, msg.byteOffset, msg.length).slice();
      const { decoded, error } = tryDecode(bytes);
      let note: string | undefined;
      if (!decoded) note = `malformed datagram ignored: ${error?.message}`;
      else if (!decoded.checksumOk) note = 'bad checksum: dropped';
      else if (decoded.pdu.dstPort !== conn.cfg.localPort || decoded.pdu.srcPort !== conn.cfg.remotePort) note = 'other CAT_TP ports: ignored';
      logAndRecord(wire, { dir: 'received', timeMs: Date.now(), local, remote, bytes, decoded, error, state: conn.state, note });
      if (note || !decoded) return;
      if (respTimer && decoded.pdu.data.length) armResponseTimer();
      try {
        conn.handle(decoded);
      } catch (e) {
        conn.fail(e instanceof NetworkError ? e : new NetworkError(`internal error: ${(e as Error).message}`, { layer: LAYER, field: conn.state }), 4);
      }
    });

    conn.activeOpen();
  });
}

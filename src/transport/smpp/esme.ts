/**
 * ESME side (OTA server → SMSC): bind, submit the secured SMS as submit_sm
 * (one per segment, each with its UDH: esm_class UDHI, protocol_id 7F,
 * data_coding F6 unless told otherwise), then wait, bounded, for the PoR: a
 * deliver_sm whose user data is a response packet (UDH IE 71, TS 31.115
 * cl. 4) for the TAR and counter of one of our commands.
 *
 * A transmitter bind cannot receive (SMPP 3.4 cl. 2.2): with `bind:
 * 'transmitter'` and waiting, a second connection is bound as receiver with
 * the same credentials before anything is submitted, and the PoR is taken
 * from there.
 */
import { connect, type Socket } from 'node:net';
import { NetworkError, InputError } from '../../util/errors.js';
import { toHex } from '../../util/hex.js';
import { findConcat, findSecurityIe, udh } from '../../smspp/udh.js';
import { reassemble } from '../../smspp/concat.js';
import { ESM_UDHI, statusText, type SmppPdu } from './lib.js';
import { ConnectionClosed, ResponseTimeout, SmppConnection, type PduLog } from './session.js';
import type { SmppAddress } from './mapping.js';
import { userDataOf } from './mapping.js';

export type EsmeBind = 'transceiver' | 'transmitter';

/** One secured command to send: its SMS user data (UDH included), one per segment. */
export interface SmppMessage {
  uds: Uint8Array[];
  /** TAR and CNTR of the command, to recognise its PoR. */
  tar: Uint8Array;
  counter?: bigint;
}

/** What can be read from a PoR to match it (TAR in clear; CNTR and status when not ciphered or deciphered). */
export interface PorIdentity {
  tar: Uint8Array;
  counter?: bigint;
  status?: number;
}

export interface SendSmppOptions {
  host: string;
  port: number;
  systemId: string;
  password: string;
  systemType?: string;
  bind?: EsmeBind;
  /** The card's MSISDN. */
  dest: SmppAddress;
  source?: SmppAddress;
  /** protocol_id (default 0x7F, (U)SIM data download) and data_coding (default 0xF6, 8-bit class 2). */
  pid?: number;
  dcs?: number;
  /** registered_delivery (SMPP 3.4 cl. 5.2.17), default 0. */
  registeredDelivery?: number;
  messages: SmppMessage[];
  /** Wait for the PoRs (default true). */
  wait?: boolean;
  /** Bound on every step and on the wait for the PoRs (default 10000 ms). */
  timeoutMs?: number;
  /** Reads TAR/CNTR/status of a PoR given as its user data segments; default: the clear header only. */
  readPor?: (uds: Uint8Array[]) => PorIdentity;
  /** Every PDU both ways (session is 'transceiver', 'transmitter' or 'receiver'). */
  onPdu?: (log: PduLog & { session: string }) => void;
  /**
   * Paced: one message at a time on the one bound session — message i is
   * submitted, its PoR awaited (timeoutMs), then `paced(i, result)` says
   * whether message i+1 goes (an OTA server sending a script stops at the
   * first failing packet); `seen`: the PoRs of no message and the other
   * deliver_sm so far. Without it every message is submitted, then the
   * PoRs are awaited together.
   */
  paced?: (index: number, result: SubmittedMessage, seen: Pick<SendSmppResult, 'unmatched' | 'other'>) => Promise<boolean>;
}

export interface SubmittedMessage {
  /** message_id of each segment's submit_sm_resp. */
  messageIds: string[];
  /** Set when a submit_sm failed: the one line to show. */
  error?: string;
  /** The PoR: its user data segments (02 71 00 … or concatenated), and the deliver_sm(s). */
  por?: { uds: Uint8Array[]; deliverSm: SmppPdu[] };
  /** An interim PoR (status 0B: the complete one follows by SMS-SUBMIT). */
  interim?: { uds: Uint8Array[] };
  notes: string[];
}

export interface SendSmppResult {
  messages: SubmittedMessage[];
  /** PoRs that matched none of our commands. */
  unmatched: Array<{ uds: Uint8Array[]; identity: PorIdentity }>;
  /** deliver_sm that were not PoRs (delivery receipts, other traffic), as one line each. */
  other: string[];
}

const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Clear header of a response packet: 02 71 00 ‖ RPL(2) RHL(1) TAR(3) [CNTR(5) PCNTR(1) status(1)] (TS 102 225 cl. 5.2). */
export function clearPorIdentity(uds: Uint8Array[]): PorIdentity {
  const p = reassemble(uds).packet;
  if (p.length < 6) throw new InputError(`response packet of ${p.length} octets has no TAR`, { layer: 'response packet', field: 'TAR' });
  return { tar: p.subarray(3, 6), counter: p.length >= 11 ? BigInt('0x' + toHex(p.subarray(6, 11))) : undefined, status: p.length >= 13 ? p[12] : undefined };
}

function openSocket(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new NetworkError(`no connection within ${timeoutMs} ms`, { layer: 'SMPP', field: `connect to ${host}:${port}` }));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new NetworkError(`${e.code ?? e.message}`, { layer: 'SMPP', field: `connect to ${host}:${port}` }));
    });
  });
}

/** Turn a session failure into the one line the user sees: the step, and the SMPP status by name. */
function stepError(step: string, e: unknown): NetworkError {
  if (e instanceof NetworkError) return e;
  if (e instanceof ConnectionClosed) return new NetworkError('the SMSC closed the connection', { layer: 'SMPP', field: step });
  if (e instanceof ResponseTimeout) return new NetworkError(`no response within ${e.ms} ms`, { layer: 'SMPP', field: step });
  return new NetworkError((e as Error).message, { layer: 'SMPP', field: step });
}

class Link {
  conn!: SmppConnection;
  /** The SMSC ended the session with an unbind (SMPP 3.4 cl. 4.2). */
  unbound = false;
  constructor(readonly name: string, private readonly o: EsmeSessionOptions) {}

  async open(mode: 'transceiver' | 'transmitter' | 'receiver', onDeliver?: (p: SmppPdu) => void): Promise<void> {
    const t = this.o.timeoutMs ?? 10000;
    const sock = await openSocket(this.o.host, this.o.port, t);
    this.conn = new SmppConnection(sock);
    this.conn.on('log', (l: PduLog) => this.o.onPdu?.({ ...l, session: this.name }));
    this.conn.on('socketError', () => undefined); // seen as close
    this.conn.on('malformed', (m) => this.conn.nack(m.sequence, m.status));
    this.conn.on('pdu', (p: SmppPdu) => {
      if (p.command === 'enquire_link') this.conn.respond(p);
      else if (p.command === 'unbind') {
        this.unbound = true;
        this.conn.respond(p);
        this.conn.close();
      } else if (p.command === 'deliver_sm' || p.command === 'data_sm') {
        this.conn.respond(p, { message_id: '' });
        onDeliver?.(p);
      } else if (!p.isResponse()) this.conn.respond(p, {}, this.conn.lib.errors.ESME_RINVCMDID);
    });
    const step = `bind_${mode}`;
    let r: SmppPdu;
    try {
      r = await this.conn.request(step, { system_id: this.o.systemId, password: this.o.password, system_type: this.o.systemType ?? '', interface_version: 0x34, addr_ton: 0, addr_npi: 0, address_range: '' }, t);
    } catch (e) {
      this.conn.destroy();
      throw stepError(step, e);
    }
    if (r.command === 'generic_nack' || r.command_status !== 0) {
      this.conn.destroy();
      throw new NetworkError(`refused by the SMSC: ${statusText(r.command_status)}${r.command === 'generic_nack' ? ' (generic_nack)' : ''}`, { layer: 'SMPP', field: step });
    }
  }

  /** unbind, bounded; a peer that does not answer is simply closed. */
  async close(): Promise<void> {
    if (!this.conn || this.conn.closed) return;
    try {
      await this.conn.request('unbind', {}, Math.min(2000, this.o.timeoutMs ?? 10000));
    } catch {
      /* closing anyway */
    }
    this.conn.destroy();
  }
}

/** What an ESME session needs: SendSmppOptions without the messages and the pacing. */
export type EsmeSessionOptions = Omit<SendSmppOptions, 'messages' | 'paced'>;

/** A message submitted (or being submitted) whose PoR is awaited. */
interface Pending {
  m: SmppMessage;
  r: SubmittedMessage;
  /** Set once the submit_sm(s) are answered: ends the wait. */
  done?: () => void;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * One bound SMPP session of the OTA server (as node's net.Socket is one
 * connection): `send` submits a message after the ones before it and
 * resolves with its outcome once its PoR came or `timeoutMs` passed after
 * its submit_sm_resp (with `wait: false`, at the submit_sm_resp). PoRs are
 * matched to the messages still waiting by TAR and CNTR, in submission order.
 * A session failure (connection closed, no response to a submit_sm) rejects
 * the sends it concerns and every later one with the step's NetworkError.
 */
export class EsmeSession {
  /** PoRs that matched none of the messages waiting. */
  readonly unmatched: SendSmppResult['unmatched'] = [];
  /** deliver_sm that were not PoRs, one line each. */
  readonly other: string[] = [];
  private readonly pending: Pending[] = [];
  private readonly segments = new Map<string, { uds: Map<number, Uint8Array>; pdus: SmppPdu[]; total: number }>();
  private readonly links: Link[] = [];
  private main!: Link;
  private turn: Promise<unknown> = Promise.resolve();
  /** Why the session can no longer be used (connection lost, a submit_sm unanswered). */
  private broken?: NetworkError;
  private closing = false;
  private readonly wait: boolean;
  private readonly timeoutMs: number;
  private readonly readPor: (uds: Uint8Array[]) => PorIdentity;

  private constructor(private readonly o: EsmeSessionOptions) {
    this.wait = o.wait ?? true;
    this.timeoutMs = o.timeoutMs ?? 10000;
    this.readPor = o.readPor ?? clearPorIdentity;
  }

  /** Bind (with `bind: 'transmitter'` and waiting, a receiver first); rejects with the step's NetworkError. */
  static async open(o: EsmeSessionOptions): Promise<EsmeSession> {
    const s = new EsmeSession(o);
    const bind = o.bind ?? 'transceiver';
    const onDeliver = (p: SmppPdu) => s.onDeliver(p);
    try {
      if (bind === 'transmitter' && s.wait) {
        const receiver = new Link('receiver', o);
        await receiver.open('receiver', onDeliver);
        s.links.push(receiver);
      }
      s.main = new Link(bind, o);
      await s.main.open(bind, bind === 'transceiver' ? onDeliver : undefined);
      s.links.push(s.main);
    } catch (e) {
      await s.close();
      throw e;
    }
    for (const l of s.links) {
      l.conn.on('close', () => {
        if (s.closing || s.broken) return;
        s.broken = new NetworkError(l.unbound ? 'the SMSC ended the session (unbind)' : 'the SMSC closed the connection', { layer: 'SMPP', field: `waiting for the PoR (${l.name})` });
        for (const p of s.pending.splice(0)) s.settle(p);
      });
    }
    return s;
  }

  /**
   * Submit `m` (once the messages sent before it are submitted) and, unless
   * `wait` is false, wait for its PoR. `label` names the message in the
   * submit_sm step of an error ("command 2").
   */
  async send(m: SmppMessage, label?: string): Promise<SubmittedMessage> {
    const p: Pending = { m, r: { messageIds: [], notes: [] } };
    const turn = this.turn.then(() => this.submit(p, label));
    this.turn = turn.catch(() => undefined);
    await turn;
    if (!this.wait || p.r.error || p.r.por) return p.r;
    if (this.pending.includes(p)) {
      await new Promise<void>((resolve) => {
        p.done = resolve;
        p.timer = setTimeout(() => {
          this.drop(p);
          resolve();
        }, this.timeoutMs);
      });
    }
    if (!p.r.por && this.broken) throw this.broken;
    return p.r;
  }

  /** unbind every link (bounded); messages still waiting end without a PoR. */
  async close(): Promise<void> {
    this.closing = true;
    for (const p of this.pending.splice(0)) this.settle(p);
    await Promise.all(this.links.map((l) => l.close()));
  }

  private settle(p: Pending): void {
    if (p.timer) clearTimeout(p.timer);
    p.done?.();
  }

  private drop(p: Pending): void {
    const i = this.pending.indexOf(p);
    if (i >= 0) this.pending.splice(i, 1);
  }

  private async submit(p: Pending, label: string | undefined): Promise<void> {
    if (this.broken) throw this.broken;
    const { o, m } = { o: this.o, m: p.m };
    // Waiting from the first submit_sm on: a fast SMSC may deliver the PoR before its submit_sm_resp.
    if (this.wait) this.pending.push(p);
    for (let k = 0; k < m.uds.length; k++) {
      const step = `submit_sm (${label ? `${label}, ` : ''}${m.uds.length > 1 ? `segment ${k + 1} of ${m.uds.length}` : 'the SMS'})`;
      let r: SmppPdu;
      try {
        r = await this.main.conn.request('submit_sm', {
          service_type: '',
          source_addr_ton: o.source?.ton ?? 0,
          source_addr_npi: o.source?.npi ?? 0,
          source_addr: o.source?.addr ?? '',
          dest_addr_ton: o.dest.ton,
          dest_addr_npi: o.dest.npi,
          destination_addr: o.dest.addr,
          esm_class: ESM_UDHI,
          protocol_id: o.pid ?? 0x7f,
          priority_flag: 0,
          schedule_delivery_time: '',
          validity_period: '',
          registered_delivery: o.registeredDelivery ?? 0,
          replace_if_present_flag: 0,
          data_coding: o.dcs ?? 0xf6,
          sm_default_msg_id: 0,
          short_message: Buffer.from(m.uds[k]),
        }, this.timeoutMs);
      } catch (e) {
        this.drop(p);
        // A submit_sm unanswered or a closed connection: nothing later can go on this session.
        this.broken ??= stepError(step, e);
        throw stepError(step, e);
      }
      if (r.command === 'generic_nack' || r.command_status !== 0) {
        p.r.error = `SMPP ${step}: the SMSC answered ${statusText(r.command_status)}${r.command === 'generic_nack' ? ' (generic_nack)' : ''}`;
        this.drop(p);
        return;
      }
      p.r.messageIds.push(String(r.message_id ?? ''));
    }
  }

  private onPor(uds: Uint8Array[], pdus: SmppPdu[]): void {
    let id: PorIdentity;
    try {
      id = this.readPor(uds);
    } catch (e) {
      this.other.push(`deliver_sm with a response packet that cannot be read: ${(e as Error).message}`);
      return;
    }
    const cands = this.pending.filter((p) => eq(p.m.tar, id.tar));
    let hit = id.counter !== undefined ? cands.find((p) => p.m.counter === id.counter) : undefined;
    if (!hit && id.counter === undefined && cands.length === 1) {
      hit = cands[0];
      hit.r.notes.push('the PoR\'s counter could not be read (ciphered, no key): matched by TAR alone');
    }
    if (!hit && id.counter === 0n && id.status !== undefined && id.status !== 0 && cands.length) {
      // Cards may put CNTR 0 in an error PoR (the real SJA2 does, TS 102 225 leaves it open):
      // taken as the answer to the oldest command still waiting for this TAR.
      hit = cands[0];
      hit.r.notes.push(`the PoR (status ${id.status.toString(16).toUpperCase().padStart(2, '0')}) carries CNTR 0, not the command's ${hit.m.counter ?? '?'}: matched by TAR${cands.length > 1 ? ' to the oldest command waiting for it' : ''}`);
    }
    if (!hit) {
      this.unmatched.push({ uds, identity: id });
      return;
    }
    if (id.status === 0x0b) {
      // TS 31.115 / TS 102 225: status 0B, the complete PoR follows by SMS-SUBMIT.
      hit.r.interim = { uds };
      return;
    }
    hit.r.por = { uds, deliverSm: pdus };
    this.drop(hit);
    this.settle(hit);
  }

  private onDeliver(p: SmppPdu): void {
    const esm = p.esm_class as number;
    const ud = userDataOf(p);
    const type = (esm >> 2) & 0x0f;
    if (type !== 0 || !(esm & ESM_UDHI)) {
      this.other.push(`deliver_sm from ${String(p.source_addr)}: ${type === 1 ? 'SMSC delivery receipt' : 'not a PoR (no UDHI)'}: ${type === 1 ? Buffer.from(ud).toString('latin1') : toHex(ud)}`);
      return;
    }
    let ies;
    try {
      ies = udh.decode(ud, 0).ies;
    } catch (e) {
      this.other.push(`deliver_sm from ${String(p.source_addr)} with an unreadable UDH: ${(e as Error).message}`);
      return;
    }
    const cat = findConcat(ies);
    if (!cat) {
      if (findSecurityIe(ies) === 0x71) this.onPor([ud], [p]);
      else this.other.push(`deliver_sm from ${String(p.source_addr)} without IE 71 (not a response packet): ${toHex(ud)}`);
      return;
    }
    const key = `${String(p.source_addr)}/${cat.refBits}/${cat.ref}/${cat.total}`;
    const g = this.segments.get(key) ?? { uds: new Map<number, Uint8Array>(), pdus: [], total: cat.total };
    g.uds.set(cat.seq, ud);
    g.pdus.push(p);
    this.segments.set(key, g);
    if (g.uds.size < g.total) return;
    this.segments.delete(key);
    const uds = [...g.uds.keys()].sort((a, b) => a - b).map((k) => g.uds.get(k)!);
    let iei: number | undefined;
    try {
      iei = reassemble(uds).iei;
    } catch (e) {
      this.other.push(`concatenated deliver_sm from ${String(p.source_addr)} cannot be reassembled: ${(e as Error).message}`);
      return;
    }
    if (iei === 0x71) this.onPor(uds, g.pdus);
    else this.other.push(`concatenated deliver_sm from ${String(p.source_addr)} without IE 71`);
  }
}

/**
 * Bind, submit every message, wait for their PoRs (unless `wait` is false),
 * unbind. Session failures (bind refused, connection closed, no response)
 * throw a NetworkError naming the step; a submit_sm answered with an error
 * status or a missing PoR is reported per message. Each message's wait is
 * bounded by `timeoutMs` from its submit_sm_resp.
 */
export async function sendSmpp(o: SendSmppOptions): Promise<SendSmppResult> {
  const s = await EsmeSession.open(o);
  const label = (i: number) => (o.messages.length > 1 ? `command ${i + 1}` : undefined);
  try {
    if (o.paced) {
      const messages: SubmittedMessage[] = o.messages.map(() => ({ messageIds: [], notes: [] }));
      for (let i = 0; i < o.messages.length; i++) {
        messages[i] = await s.send(o.messages[i], label(i));
        if (!(await o.paced(i, messages[i], s))) break;
      }
      return { messages, unmatched: s.unmatched, other: s.other };
    }
    const all = await Promise.allSettled(o.messages.map((m, i) => s.send(m, label(i))));
    const failed = all.find((x): x is PromiseRejectedResult => x.status === 'rejected');
    if (failed) throw failed.reason;
    return { messages: all.map((x) => (x as PromiseFulfilledResult<SubmittedMessage>).value), unmatched: s.unmatched, other: s.other };
  } finally {
    await s.close();
  }
}

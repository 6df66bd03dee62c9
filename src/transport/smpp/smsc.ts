/**
 * SMSC emulator for a lab bench (SMPP 3.4 server side): accepts binds with a
 * system_id/password, turns each submit_sm into an SMS-DELIVER and hands it
 * to the card as an ENVELOPE (SMS-PP DOWNLOAD), one per segment; the card's
 * answer goes back to the ESME as deliver_sm (see mapping.ts for how each is
 * carried). Answers enquire_link, unbind, generic_nack for what it cannot
 * decode; one session's trouble never stops the others.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createHash, timingSafeEqual } from 'node:crypto';
import { node, type TreeNode } from '../../render/tree.js';
import { hex4, toHex } from '../../util/hex.js';
import { OtaError } from '../../util/errors.js';
import { NetworkError } from '../../util/errors.js';
import { buildEnvelope } from '../../smspp/envelope.js';
import { decodeTpdu } from '../../smspp/tpdu.js';
import { tpduToTree } from '../../smspp/render.js';
import { dcsInfo } from '../../smspp/tpdu.js';
import { loadSmpp, statusText, ESM_DELIVERY_RECEIPT, type SmppPdu } from './lib.js';
import { SmppConnection, type Malformed, type PduLog } from './session.js';
import { pduTree } from './tree.js';
import { deliverFromSubmit, deliverSmFields, deliverSmFromSubmitTpdu, tpDcsOf, userDataOf, type SmppAddress } from './mapping.js';
import type { CardAnswer, CardSide } from './card-side.js';

export type BindMode = 'transmitter' | 'receiver' | 'transceiver';

export interface SmscOptions {
  host?: string;
  port: number;
  systemId: string;
  password: string;
  card: CardSide;
  /** Every event as a tree (PDUs, card exchanges, session notes). */
  log?: (t: TreeNode) => void;
  /** How long to wait for a deliver_sm_resp (default 10000 ms). */
  responseTimeoutMs?: number;
  /** Every SMPP PDU sent or received, with the session it belongs to. */
  onPdu?: (session: number, l: PduLog) => void;
  /** Every submit_sm accepted (answered with a message_id), once the card has answered. */
  onMessage?: (m: SmscMessage) => void;
}

/** One submit_sm accepted by the SMSC and what became of it. */
export interface SmscMessage {
  messageId: string;
  /** The ESME session that submitted it. */
  session: number;
  /** The SMS-DELIVER handed to the card (TS 23.040 cl. 9.2.2.1). */
  tpdu: Uint8Array;
  /** The ENVELOPE (SMS-PP DOWNLOAD) sent to the card; absent when TP-PID is not (U)SIM data download. */
  envelope?: Uint8Array;
  /** The card's answer to the ENVELOPE. */
  answer?: CardAnswer;
  /** deliver_sm the answer became (PoR in the SMS-DELIVER-REPORT, SMS-SUBMITs), before the receipt. */
  delivered: Array<{ what: string; fields: Record<string, unknown> }>;
  ok: boolean;
}

interface SmscSession {
  id: number;
  conn: SmppConnection;
  remote: string;
  bound?: BindMode;
  systemId?: string;
}

const BIND: Record<string, BindMode> = { bind_transmitter: 'transmitter', bind_receiver: 'receiver', bind_transceiver: 'transceiver' };

function sameSecret(a: string, b: string): boolean {
  // Constant time whatever the lengths: compare digests.
  const h = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(h(a), h(b));
}

export class SmscServer {
  private server?: Server;
  private sessions = new Set<SmscSession>();
  private nextSession = 1;
  private nextMessageId = 1;
  /** The card takes one ENVELOPE at a time, whichever session it comes from. */
  private cardQueue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: SmscOptions) {
    loadSmpp();
  }

  private log(t: TreeNode): void {
    this.o.log?.(t);
  }

  listen(): Promise<{ address: string; port: number }> {
    return new Promise((resolve, reject) => {
      const srv = createServer((s) => this.accept(s));
      srv.once('error', (e: NodeJS.ErrnoException) => reject(new NetworkError(`cannot listen on ${this.o.host ?? '127.0.0.1'}:${this.o.port}: ${e.code ?? e.message}`, { layer: 'SMPP' })));
      srv.listen(this.o.port, this.o.host ?? '127.0.0.1', () => {
        const a = srv.address() as { address: string; port: number };
        this.server = srv;
        resolve({ address: a.address, port: a.port });
      });
    });
  }

  close(): Promise<void> {
    for (const s of this.sessions) s.conn.destroy();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(socket: Socket): void {
    const s: SmscSession = { id: this.nextSession++, conn: new SmppConnection(socket), remote: `${socket.remoteAddress}:${socket.remotePort}` };
    this.sessions.add(s);
    this.log(node(`session ${s.id}`, `connection from ${s.remote}`));
    s.conn.on('log', (l: PduLog) => {
      this.o.onPdu?.(s.id, l);
      this.log(pduTree(l.pdu, l.direction, `session ${s.id}`));
    });
    s.conn.on('malformed', (m: Malformed) => {
      this.log(node(`session ${s.id}`, `malformed PDU: ${m.reason}; generic_nack ${statusText(m.status)}${m.fatal ? ', closing (the stream cannot be followed)' : ''}`, [], { status: 'warn', hex: toHex(m.raw) }));
      s.conn.nack(m.sequence, m.status);
      if (m.fatal) s.conn.close();
    });
    s.conn.on('socketError', (e: Error) => this.log(node(`session ${s.id}`, `socket error: ${e.message}`, [], { status: 'warn' })));
    s.conn.on('close', () => {
      this.sessions.delete(s);
      this.log(node(`session ${s.id}`, 'closed'));
    });
    s.conn.on('pdu', (p: SmppPdu) => {
      this.handle(s, p).catch((e) => this.log(node(`session ${s.id}`, `error: ${(e as Error).message}`, [], { status: 'fail' })));
    });
  }

  private async handle(s: SmscSession, p: SmppPdu): Promise<void> {
    const c = s.conn;
    const E = c.lib.errors;
    if (p.command in BIND) {
      if (s.bound) return c.respond(p, {}, E.ESME_RALYBND);
      if (!sameSecret(String(p.system_id ?? ''), this.o.systemId)) {
        this.log(node(`session ${s.id}`, `bind refused: unknown system_id ${JSON.stringify(p.system_id)}`, [], { status: 'warn' }));
        return c.respond(p, {}, E.ESME_RINVSYSID);
      }
      if (!sameSecret(String(p.password ?? ''), this.o.password)) {
        this.log(node(`session ${s.id}`, 'bind refused: wrong password', [], { status: 'warn' }));
        return c.respond(p, {}, E.ESME_RINVPASWD);
      }
      s.bound = BIND[p.command];
      s.systemId = String(p.system_id);
      return c.respond(p, { system_id: 'uicc-ota' });
    }
    switch (p.command) {
      case 'enquire_link':
        return c.respond(p);
      case 'unbind':
        c.respond(p);
        s.bound = undefined;
        c.close();
        return;
      case 'submit_sm':
        return this.submit(s, p);
      case 'outbind':
        return c.nack(p.sequence_number, E.ESME_RINVCMDID);
      default:
        if (p.isResponse()) return; // a late response: nothing waits for it
        // Known to SMPP 3.4 but not offered by this emulator (query_sm, data_sm, submit_multi, …).
        return c.respond(p, {}, E.ESME_RINVCMDID);
    }
  }

  private async submit(s: SmscSession, p: SmppPdu): Promise<void> {
    const c = s.conn;
    const E = c.lib.errors;
    if (s.bound !== 'transmitter' && s.bound !== 'transceiver') return c.respond(p, {}, E.ESME_RINVBNDSTS);
    let tpdu: Uint8Array;
    let env: Uint8Array;
    try {
      tpdu = deliverFromSubmit(p).tpdu;
      env = buildEnvelope(tpdu);
    } catch (e) {
      if (!(e instanceof OtaError)) throw e;
      const status = /address|TON|NPI/i.test(e.message) ? (/source/.test(e.message) ? E.ESME_RINVSRCADR : E.ESME_RINVDSTADR) : E.ESME_RINVMSGLEN;
      this.log(node(`session ${s.id}`, `submit_sm refused: ${e.message}`, [], { status: 'warn' }));
      return c.respond(p, {}, status);
    }
    const messageId = (this.nextMessageId++).toString(16).toUpperCase();
    c.respond(p, { message_id: messageId });
    const pid = p.protocol_id as number;
    const dcs = tpDcsOf((p.data_coding as number | null) ?? 0);
    const card: SmppAddress = { ton: p.dest_addr_ton as number, npi: p.dest_addr_npi as number, addr: String(p.destination_addr) };
    const server: SmppAddress = { ton: p.source_addr_ton as number, npi: p.source_addr_npi as number, addr: String(p.source_addr) };
    const children: TreeNode[] = [tpduToTree(decodeTpdu(tpdu, 'sc-to-ms'))];
    // TS 31.111 cl. 7.1.1: the ME gives the card (U)SIM data download (PID 7F, or 7C ANSI-136 R-DATA) of class 2.
    if (pid !== 0x7f && pid !== 0x7c) {
      this.log(node(`message ${messageId}`, `TP-PID ${pid.toString(16).toUpperCase()} is not (U)SIM data download: the ME keeps it, the card does not see it (TS 31.111 cl. 7.1.1)`, children, { status: 'warn' }));
      this.o.onMessage?.({ messageId, session: s.id, tpdu, delivered: [], ok: true });
      return this.receipt(s, p, messageId, server, card, 'DELIVRD');
    }
    if (dcsInfo(dcs).messageClass !== 2) {
      // A lab bench still hands it to the card, but says what a real ME would do.
      children.push(node('note', `TP-DCS ${dcs.toString(16).toUpperCase().padStart(2, '0')} is not class 2: a real ME would not pass this SMS to the card (TS 31.111 cl. 7.1.1); given to it anyway`, [], { status: 'warn' }));
    }
    const answer = await (this.cardQueue = this.cardQueue.then(
      () => this.o.card.deliver(env),
      () => this.o.card.deliver(env),
    )) as Awaited<ReturnType<CardSide['deliver']>>;
    children.push(node('ENVELOPE (SMS-PP DOWNLOAD)', `${env.length} octets`, [], { hex: toHex(env) }));
    children.push(node('card', `SW ${hex4(answer.sw)}`, answer.trace.map((t) => node(t))));
    const ok = answer.sw === 0x9000 || (answer.sw >> 8) === 0x91 || (answer.sw >> 8) === 0x62 || (answer.sw >> 8) === 0x63;
    const out: Array<{ what: string; fields: Record<string, unknown> }> = [];
    if (answer.response.length) {
      // PoR in the SMS-DELIVER-REPORT (RP-ACK): TP-PID/TP-DCS are those of the SMS-DELIVER (TS 31.111 cl. 7.1.1.1).
      out.push({ what: 'SMS-DELIVER-REPORT user data (ENVELOPE response)', fields: deliverSmFields({ source: card, dest: server, pid, dcs, ud: answer.response, udhi: true }) });
    }
    for (const t of answer.submits) {
      try {
        out.push({ what: 'SMS-SUBMIT (proactive SEND SHORT MESSAGE)', fields: deliverSmFromSubmitTpdu(t, card).fields });
        children.push(tpduToTree(decodeTpdu(t, 'ms-to-sc')));
      } catch (e) {
        children.push(node('SMS-SUBMIT from the card not forwarded', (e as Error).message, [], { status: 'warn', hex: toHex(t) }));
      }
    }
    this.log(node(`message ${messageId}`, `submit_sm from session ${s.id} → card${out.length ? ` → ${out.length} deliver_sm` : ''}`, children, { status: ok ? 'ok' : 'warn' }));
    this.o.onMessage?.({ messageId, session: s.id, tpdu, envelope: env, answer, delivered: out, ok });
    for (const m of out) await this.deliver(s, m.what, m.fields);
    await this.receipt(s, p, messageId, server, card, ok ? 'DELIVRD' : 'UNDELIV');
  }

  /** The session that receives for `s`: itself when it can, else a receiver bound with the same system_id. */
  private receiverFor(s: SmscSession): SmscSession | undefined {
    if (s.bound === 'transceiver' || s.bound === 'receiver') return s;
    for (const o of this.sessions) if ((o.bound === 'receiver' || o.bound === 'transceiver') && o.systemId === s.systemId) return o;
    return undefined;
  }

  private async deliver(s: SmscSession, what: string, fields: Record<string, unknown>): Promise<void> {
    const r = this.receiverFor(s);
    if (!r) {
      this.log(node(`session ${s.id}`, `${what}: no receiver or transceiver bound as ${s.systemId}: not delivered`, [], { status: 'warn' }));
      return;
    }
    try {
      const resp = await r.conn.request('deliver_sm', fields, this.o.responseTimeoutMs ?? 10000);
      if (resp.command_status) this.log(node(`session ${r.id}`, `deliver_sm (${what}) answered ${statusText(resp.command_status)}`, [], { status: 'warn' }));
    } catch (e) {
      this.log(node(`session ${r.id}`, `deliver_sm (${what}): ${(e as Error).message}`, [], { status: 'warn' }));
    }
  }

  /** SMSC delivery receipt (SMPP 3.4 Appendix B), when registered_delivery asks for one. */
  private async receipt(s: SmscSession, p: SmppPdu, id: string, server: SmppAddress, card: SmppAddress, stat: 'DELIVRD' | 'UNDELIV'): Promise<void> {
    const rd = (p.registered_delivery as number) & 0x03;
    if (rd === 0 || (rd === 2 && stat === 'DELIVRD')) return;
    const d = new Date();
    const t = [d.getUTCFullYear() % 100, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()].map((n) => String(n).padStart(2, '0')).join('');
    const text = `id:${id} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} submit date:${t} done date:${t} stat:${stat} err:000 text:`;
    const fields = { ...deliverSmFields({ source: card, dest: server, pid: 0, dcs: 0, ud: Buffer.from(text, 'ascii'), udhi: false }), esm_class: ESM_DELIVERY_RECEIPT, receipted_message_id: id, message_state: stat === 'DELIVRD' ? 2 : 5 };
    await this.deliver(s, 'delivery receipt', fields);
  }
}

export { userDataOf };

/**
 * One SMPP 3.4 connection: framing by command_length (SMPP 3.4 cl. 3.2),
 * sequence numbers, requests awaiting their response, and a log hook that
 * sees every PDU both ways. A PDU that cannot be decoded is reported as
 * `malformed` (the owner answers generic_nack, cl. 4.3) and the connection
 * goes on, unless its command_length makes the stream impossible to follow.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { loadSmpp, type SmppLib, type SmppPdu } from './lib.js';
import { ByteQueue } from '../../util/byte-queue.js';

const u32 = (b: Uint8Array, at: number) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;

export type Direction = 'in' | 'out';

export interface PduLog {
  direction: Direction;
  pdu: SmppPdu;
  raw: Uint8Array;
}

export interface Malformed {
  reason: string;
  /** The status a generic_nack carries: ESME_RINVCMDLEN or ESME_RINVCMDID. */
  status: number;
  /** Sequence number of the bad PDU, when its header was readable. */
  sequence: number;
  raw: Uint8Array;
  /** The stream cannot be followed any further (bad command_length). */
  fatal: boolean;
}

/** Largest PDU accepted; SMPP 3.4 sets no limit, a submit_sm with a 64 KiB message_payload fits. */
export const MAX_PDU = 70000;

interface Pending {
  resolve: (p: SmppPdu) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class SmppConnection extends EventEmitter {
  readonly lib: SmppLib;
  private buf = new ByteQueue();
  private seq = 0;
  private pending = new Map<number, Pending>();
  closed = false;

  constructor(readonly socket: Socket) {
    super();
    this.lib = loadSmpp();
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => {
      this.closed = true;
      for (const [, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new ConnectionClosed());
      }
      this.pending.clear();
      this.emit('close');
    });
    socket.on('error', (e) => this.emit('socketError', e));
  }

  /** Framing by command_length; octets wait in a ByteQueue, so any segmentation costs linear time. */
  private onData(d: Buffer): void {
    this.buf.push(d);
    while (this.buf.length >= 4 && !this.closed) {
      const b = this.buf.view();
      const len = u32(b, 0);
      if (len < 16 || len > MAX_PDU) {
        const sequence = b.length >= 16 ? u32(b, 12) : 0;
        const raw = b.slice(0, Math.min(b.length, 64));
        this.buf.clear();
        this.emit('malformed', { reason: `command_length ${len} is outside 16..${MAX_PDU}`, status: this.lib.errors.ESME_RINVCMDLEN, sequence, raw, fatal: true } satisfies Malformed);
        return;
      }
      if (b.length < len) return;
      const pdu = this.buf.take(len);
      this.onPdu(Buffer.from(pdu.buffer, pdu.byteOffset, pdu.byteLength));
    }
  }

  private onPdu(raw: Buffer): void {
    const id = raw.readUInt32BE(4);
    const sequence = raw.readUInt32BE(12);
    let pdu: SmppPdu;
    try {
      pdu = new this.lib.PDU(raw);
    } catch (e) {
      this.emit('malformed', { reason: `undecodable PDU (${(e as Error).message})`, status: this.lib.errors.ESME_RINVCMDLEN, sequence, raw, fatal: false } satisfies Malformed);
      return;
    }
    if (pdu.command === 'unknown') {
      this.emit('malformed', { reason: `unknown command_id 0x${id.toString(16).padStart(8, '0')}`, status: this.lib.errors.ESME_RINVCMDID, sequence, raw, fatal: false } satisfies Malformed);
      return;
    }
    // The package stops reading at command_length: a mandatory field it never reached means a short body.
    const params = this.lib.commands[pdu.command]?.params ?? {};
    const missing = pdu.command_status === 0 ? Object.keys(params).find((k) => pdu[k] === undefined) : undefined;
    if (missing !== undefined || (pdu.command_status === 0 && bodyOverrun(pdu, params, raw.length))) {
      this.emit('malformed', { reason: `${pdu.command}: the body ends before ${missing ?? 'its last field'} (command_length ${raw.length})`, status: this.lib.errors.ESME_RINVCMDLEN, sequence, raw, fatal: false } satisfies Malformed);
      return;
    }
    this.emit('log', { direction: 'in', pdu, raw: Uint8Array.from(raw) } satisfies PduLog);
    if (pdu.isResponse() || pdu.command === 'generic_nack') {
      const p = this.pending.get(pdu.sequence_number);
      if (p) {
        this.pending.delete(pdu.sequence_number);
        clearTimeout(p.timer);
        p.resolve(pdu);
        return;
      }
    }
    this.emit('pdu', pdu);
  }

  /** Encode and write one PDU; requests get the next sequence number unless one is given. */
  send(command: string, fields: Record<string, unknown> = {}, sequence?: number): SmppPdu {
    const isResp = command.endsWith('_resp') || command === 'generic_nack';
    let seqNo = sequence;
    if (seqNo === undefined) {
      if (isResp) throw new Error('a response needs the sequence number of its request');
      this.seq = this.seq >= 0x7fffffff ? 1 : this.seq + 1;
      seqNo = this.seq;
    }
    const pdu = new this.lib.PDU(command, { ...fields, sequence_number: seqNo });
    const raw = pdu.toBuffer();
    this.emit('log', { direction: 'out', pdu, raw: Uint8Array.from(raw) } satisfies PduLog);
    if (!this.closed) this.socket.write(raw);
    return pdu;
  }

  /** Send a request and wait (bounded) for its response (or a generic_nack with its sequence number). */
  request(command: string, fields: Record<string, unknown>, timeoutMs: number): Promise<SmppPdu> {
    if (this.closed) return Promise.reject(new ConnectionClosed());
    const pdu = this.send(command, fields);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(pdu.sequence_number);
        reject(new ResponseTimeout(command, timeoutMs));
      }, timeoutMs);
      this.pending.set(pdu.sequence_number, { resolve, reject, timer });
    });
  }

  respond(req: SmppPdu, fields: Record<string, unknown> = {}, status = 0): void {
    const command = req.command === 'unknown' ? 'generic_nack' : `${req.command}_resp`;
    this.send(command, status ? { command_status: status } : fields, req.sequence_number);
  }

  nack(sequence: number, status: number): void {
    this.send('generic_nack', { command_status: status }, sequence);
  }

  close(): void {
    if (!this.closed) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** true when the fields the package read run past command_length (a C-Octet String without its NUL). */
function bodyOverrun(pdu: SmppPdu, params: Record<string, { type: unknown }>, length: number): boolean {
  let size = 16;
  for (const [k, p] of Object.entries(params)) {
    const t = p.type as { size(v: unknown): number };
    size += t.size(pdu[k]);
  }
  return size > length;
}

export class ConnectionClosed extends Error {
  constructor() {
    super('the peer closed the connection');
  }
}

export class ResponseTimeout extends Error {
  constructor(readonly command: string, readonly ms: number) {
    super(`no ${command}_resp within ${ms} ms`);
  }
}

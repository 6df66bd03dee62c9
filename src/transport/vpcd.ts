/**
 * The card side of the vsmartcard "vpcd" virtual reader protocol: the vpcd
 * reader driver (loaded by pcscd) listens on TCP (35963 for "Virtual PCD 00 00",
 * 35964 for "… 00 01"); a virtual card connects to it. Every message, both
 * ways, is a 2-octet big-endian length and the payload. From the reader, a
 * 1-octet payload is a control code (00 power off, 01 power on, 02 reset, 04
 * get ATR: answered with the ATR; the others are not answered); any longer
 * payload is a C-APDU, answered with the R-APDU.
 *
 * The card reconnects whenever the connection ends (pcscd restarted, the
 * driver closed it), so one running card serves every client that comes.
 */
import { connect, type Socket } from 'node:net';

export const VPCD_PORT = 35963;
export const VPCD_CTRL = { OFF: 0x00, ON: 0x01, RESET: 0x02, ATR: 0x04 } as const;

/** What the protocol needs from a card (VirtualCard in src/card/terminal-interface.ts is one). */
export interface VpcdCard {
  readonly atr: Uint8Array;
  reset(): void;
  transmit(capdu: Uint8Array): Promise<Uint8Array>;
}

export interface VpcdOptions {
  card: VpcdCard;
  host?: string;
  port?: number;
  /** Delay before connecting again after the connection ended or was refused (default 500 ms). */
  retryMs?: number;
  signal?: AbortSignal;
  /** Event lines: connected, disconnected, control codes. */
  log?: (line: string) => void;
  /** Every C-APDU and its R-APDU. */
  onApdu?: (capdu: Uint8Array, rapdu: Uint8Array) => void;
}

export function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + payload.length);
  out[0] = payload.length >> 8;
  out[1] = payload.length & 0xff;
  out.set(payload, 2);
  return out;
}

/** Split a byte stream into vpcd messages; returns the complete payloads and the rest. */
export function deframe(buf: Uint8Array): { messages: Uint8Array[]; rest: Uint8Array } {
  const messages: Uint8Array[] = [];
  let o = 0;
  while (buf.length - o >= 2) {
    const n = (buf[o] << 8) | buf[o + 1];
    if (buf.length - o - 2 < n) break;
    messages.push(buf.slice(o + 2, o + 2 + n));
    o += 2 + n;
  }
  return { messages, rest: buf.slice(o) };
}

/**
 * Serve `card` on the vpcd driver at host:port until `signal` aborts. Resolves
 * then; never rejects for connection problems (it retries).
 */
export async function runVpcdCard(o: VpcdOptions): Promise<void> {
  const host = o.host ?? '127.0.0.1';
  const port = o.port ?? VPCD_PORT;
  const retry = o.retryMs ?? 500;
  const log = o.log ?? (() => undefined);
  let lastRefused = false;
  while (!o.signal?.aborted) {
    const outcome = await oneConnection(o, host, port, log);
    if (outcome === 'refused') {
      if (!lastRefused) log(`vpcd ${host}:${port}: connection refused (is pcscd running with the vpcd driver?); retrying every ${retry} ms`);
      lastRefused = true;
    } else lastRefused = false;
    if (o.signal?.aborted) break;
    await new Promise<void>((res) => {
      const t = setTimeout(res, retry);
      o.signal?.addEventListener('abort', () => {
        clearTimeout(t);
        res();
      }, { once: true });
    });
  }
}

function oneConnection(o: VpcdOptions, host: string, port: number, log: (s: string) => void): Promise<'closed' | 'refused'> {
  return new Promise((resolve) => {
    let sock: Socket;
    let connected = false;
    let rest: Uint8Array = new Uint8Array(0);
    let chain = Promise.resolve();
    const onAbort = () => sock.destroy();
    try {
      sock = connect({ host, port });
    } catch {
      resolve('refused');
      return;
    }
    o.signal?.addEventListener('abort', onAbort, { once: true });
    sock.setNoDelay(true);
    sock.on('connect', () => {
      connected = true;
      log(`connected to the vpcd reader at ${host}:${port}`);
    });
    const handle = async (m: Uint8Array) => {
      if (m.length === 1) {
        const c = m[0];
        if (c === VPCD_CTRL.ATR) {
          sock.write(frame(o.card.atr));
          return;
        }
        if (c === VPCD_CTRL.OFF || c === VPCD_CTRL.ON || c === VPCD_CTRL.RESET) {
          o.card.reset();
          log(c === VPCD_CTRL.OFF ? 'power off' : c === VPCD_CTRL.ON ? 'power on' : 'reset');
          return;
        }
        log(`unknown vpcd control code ${c.toString(16).padStart(2, '0')}: ignored`);
        return;
      }
      const r = await o.card.transmit(m);
      o.onApdu?.(m, r);
      if (!sock.destroyed) sock.write(frame(r));
    };
    sock.on('data', (d: Buffer) => {
      const buf = new Uint8Array(rest.length + d.length);
      buf.set(rest);
      buf.set(d, rest.length);
      const { messages, rest: r } = deframe(buf);
      rest = r;
      for (const m of messages) chain = chain.then(() => handle(m)).catch((e) => log(`error: ${(e as Error).message}`));
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      o.signal?.removeEventListener('abort', onAbort);
      if (connected) {
        o.card.reset();
        log('the vpcd reader closed the connection');
      }
      resolve(connected ? 'closed' : 'refused');
    });
  });
}

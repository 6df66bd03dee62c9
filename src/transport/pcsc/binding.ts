/**
 * PC/SC through the system's service (pcsc-lite's pcscd on Linux, WinSCard,
 * macOS CryptoTokenKit) with the npm package `pcsclite` (a node-gyp binding of
 * libpcsclite). It is an optional dependency, loaded here only, at run time:
 * every other command starts without it, and `npm install` succeeds on a
 * machine without PC/SC headers.
 */
import { createRequire } from 'node:module';
import { IoError, NetworkError } from '../../util/errors.js';
import { toHex } from '../../util/hex.js';

export const BINDING_PACKAGE = 'pcsclite';

/* The parts of the binding's API used here (its own typings are not shipped). */
interface NativeReader {
  name: string;
  connected: boolean;
  SCARD_SHARE_SHARED: number;
  SCARD_PROTOCOL_T0: number;
  SCARD_PROTOCOL_T1: number;
  SCARD_STATE_PRESENT: number;
  SCARD_STATE_EMPTY: number;
  SCARD_STATE_MUTE: number;
  SCARD_LEAVE_CARD: number;
  SCARD_RESET_CARD: number;
  on(ev: 'status', f: (s: { state: number; atr?: Buffer }) => void): void;
  on(ev: 'error', f: (e: Error) => void): void;
  on(ev: 'end', f: () => void): void;
  connect(o: { share_mode?: number; protocol?: number }, cb: (err: Error | null, protocol: number) => void): void;
  disconnect(disposition: number, cb: (err: Error | null) => void): void;
  transmit(data: Buffer, resLen: number, protocol: number, cb: (err: Error | null, data: Buffer) => void): void;
  close(): void;
}
interface NativePcsc {
  on(ev: 'reader', f: (r: NativeReader) => void): void;
  on(ev: 'error', f: (e: Error) => void): void;
  close(): void;
}

/** Load the binding, or say what to install (exit 3). */
export function loadBinding(): () => NativePcsc {
  const req = createRequire(import.meta.url);
  try {
    return req(BINDING_PACKAGE) as () => NativePcsc;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'MODULE_NOT_FOUND' ? 'is not installed' : `does not load (${(e as Error).message.split('\n')[0]})`;
    throw new IoError(
      `the PC/SC binding "${BINDING_PACKAGE}" ${why}: install the Debian packages pcscd and libpcsclite-dev (plus a C++ compiler, make, python3), then run "npm install ${BINDING_PACKAGE}" in uicc-ota's folder (see README, PC/SC set-up)`,
      { layer: 'PC/SC' },
    );
  }
}

export interface ReaderInfo {
  index: number;
  name: string;
  present: boolean;
  atr?: Uint8Array;
  state: number;
}

export interface PcscContext {
  readers: ReaderInfo[];
  /** Connect to a card; the session's transmit is bounded by timeoutMs. */
  connect(reader: ReaderInfo, timeoutMs: number): Promise<CardSession>;
  close(): void;
}

export interface CardSession {
  reader: string;
  atr?: Uint8Array;
  protocol: 'T=0' | 'T=1' | string;
  transmit(capdu: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

const NO_SERVICE_HINT = 'start pcscd (as root: pcscd, or with the vpcd virtual reader as in README, PC/SC set-up)';

/**
 * Establish a context and wait until every reader has reported its state once
 * (or `settleMs` passed). No service → NetworkError.
 */
export async function openContext(settleMs = 1500): Promise<PcscContext> {
  const make = loadBinding();
  let p: NativePcsc;
  try {
    p = make();
  } catch (e) {
    throw new NetworkError(`no PC/SC service: ${(e as Error).message}; ${NO_SERVICE_HINT}`, { layer: 'PC/SC' });
  }
  const natives = new Map<string, NativeReader>();
  const infos = new Map<string, ReaderInfo>();
  let failure: Error | undefined;
  await new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finishSoon = (ms: number) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(resolve, ms);
    };
    const allReported = () => natives.size > 0 && [...natives.keys()].every((n) => infos.has(n));
    finishSoon(settleMs);
    p.on('error', (e) => {
      failure = e;
      finishSoon(0);
    });
    p.on('reader', (r) => {
      natives.set(r.name, r);
      r.on('error', () => undefined);
      r.on('end', () => natives.delete(r.name));
      r.on('status', (s) => {
        infos.set(r.name, { index: 0, name: r.name, state: s.state, present: (s.state & r.SCARD_STATE_PRESENT) !== 0, atr: s.atr && s.atr.length ? new Uint8Array(s.atr) : undefined });
        // Readers come one by one; give the next one a moment.
        if (allReported()) finishSoon(150);
      });
    });
  });
  const closeAll = () => {
    for (const r of natives.values()) {
      try {
        r.close();
      } catch {
        /* already closed */
      }
    }
    try {
      p.close();
    } catch {
      /* already closed */
    }
  };
  if (failure && !natives.size) {
    closeAll();
    throw new NetworkError(`PC/SC: ${failure.message}`, { layer: 'PC/SC' });
  }
  const readers = [...natives.keys()].map((name, index) => ({ ...(infos.get(name) ?? { name, state: 0, present: false }), index }));
  return {
    readers,
    close: closeAll,
    connect: (info, timeoutMs) => connectCard(natives.get(info.name), info, timeoutMs),
  };
}

function connectCard(r: NativeReader | undefined, info: ReaderInfo, timeoutMs: number): Promise<CardSession> {
  if (!r) return Promise.reject(new NetworkError(`reader "${info.name}" went away`, { layer: 'PC/SC' }));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new NetworkError(`connecting to the card in "${r.name}": no answer within ${timeoutMs} ms`, { layer: 'PC/SC' })), timeoutMs);
    r.connect({ share_mode: r.SCARD_SHARE_SHARED, protocol: r.SCARD_PROTOCOL_T0 | r.SCARD_PROTOCOL_T1 }, (err, protocol) => {
      clearTimeout(t);
      if (err) {
        reject(new NetworkError(`connecting to the card in "${r.name}": ${err.message}`, { layer: 'PC/SC' }));
        return;
      }
      let dead: string | undefined;
      const session: CardSession = {
        reader: r.name,
        atr: info.atr,
        protocol: protocol === r.SCARD_PROTOCOL_T1 ? 'T=1' : protocol === r.SCARD_PROTOCOL_T0 ? 'T=0' : `protocol ${protocol}`,
        transmit: (capdu) =>
          new Promise((res, rej) => {
            if (dead) {
              rej(new NetworkError(dead, { layer: 'PC/SC' }));
              return;
            }
            const tt = setTimeout(() => {
              // The binding's call stays blocked in pcscd; nothing more can go to this card.
              dead = `no answer from the card within ${timeoutMs} ms`;
              rej(new NetworkError(dead, { layer: 'PC/SC' }));
            }, timeoutMs);
            r.transmit(Buffer.from(capdu), 65538, protocol, (e, data) => {
              clearTimeout(tt);
              if (dead) return;
              if (e) rej(new NetworkError(cardError(e, capdu), { layer: 'PC/SC' }));
              else res(new Uint8Array(data));
            });
          }),
        close: () =>
          new Promise((res) => {
            if (dead) {
              res();
              return;
            }
            r.disconnect(r.SCARD_LEAVE_CARD, () => res());
          }),
      };
      resolve(session);
    });
  });
}

function cardError(e: Error, capdu: Uint8Array): string {
  const m = e.message;
  if (/removed/i.test(m)) return `the card was removed (${m})`;
  if (/reset/i.test(m)) return `the card was reset by another application (${m})`;
  return `${m} (C-APDU ${toHex(capdu.subarray(0, 5))}…)`;
}

/**
 * Pick a reader: by index (0-based, in the order the service lists them), by
 * exact name, or by a unique part of the name; default the first with a card.
 */
export function pickReader(readers: readonly ReaderInfo[], want: string | undefined): ReaderInfo {
  const names = readers.map((r) => `${r.index}: ${r.name}`).join('; ');
  if (!readers.length) throw new NetworkError('no smart-card reader: the PC/SC service lists none (for the virtual reader, start pcscd with the vpcd driver: README, PC/SC set-up)', { layer: 'PC/SC' });
  let r: ReaderInfo | undefined;
  if (want === undefined) {
    r = readers.find((x) => x.present);
    if (!r) throw new NetworkError(`no card in any reader (${names})`, { layer: 'PC/SC' });
    return r;
  }
  if (/^\d+$/.test(want)) r = readers[Number(want)];
  r ??= readers.find((x) => x.name === want);
  if (!r) {
    const part = readers.filter((x) => x.name.toLowerCase().includes(want.toLowerCase()));
    if (part.length > 1) throw new NetworkError(`reader "${want}" is ambiguous (${part.map((x) => x.name).join('; ')})`, { layer: 'PC/SC' });
    r = part[0];
  }
  if (!r) throw new NetworkError(`no reader "${want}" (readers: ${names})`, { layer: 'PC/SC' });
  if (!r.present) throw new NetworkError(`no card in reader "${r.name}"`, { layer: 'PC/SC' });
  return r;
}

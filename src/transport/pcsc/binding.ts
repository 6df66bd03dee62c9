/**
 * PC/SC through the system's service (pcsc-lite's pcscd on Linux, WinSCard,
 * macOS CryptoTokenKit) with the npm package `pcsclite` (a node-gyp binding of
 * libpcsclite). It is an optional dependency, loaded here only, at run time:
 * every other command starts without it, and `npm install` succeeds on a
 * machine without PC/SC headers.
 */
import { createRequire } from 'node:module';
import { spawn, type ChildProcess } from 'node:child_process';
import { IoError, NetworkError } from '../../util/errors.js';
import { fromHex, toHex } from '../../util/hex.js';

export const BINDING_PACKAGE = 'pcsclite';

/**
 * Where the binding is (resolved from uicc-ota's own folder), or say what to
 * install (exit 3).
 */
export function loadBinding(): string {
  const req = createRequire(import.meta.url);
  // UICC_OTA_PCSC_BINDING: another module name or path of the binding (man page, ENVIRONMENT).
  const name = process.env.UICC_OTA_PCSC_BINDING || BINDING_PACKAGE;
  try {
    return req.resolve(name);
  } catch (e) {
    throw new IoError(
      `the PC/SC binding "${name}" is not installed: install the Debian packages pcscd and libpcsclite-dev (plus a C++ compiler, make, python3), then run "npm install ${BINDING_PACKAGE}" in uicc-ota's folder (see README, PC/SC set-up)`,
      { layer: 'PC/SC' },
    );
  }
}

/*
 * Found but not loadable: mostly its native part was never built. npm 11 skips a
 * dependency's install script (pcsclite's node-gyp build) that the root project's
 * package.json "allowScripts" denies, or does not allow under strict-allow-scripts;
 * uicc-ota's own allows it.
 */
function unbuilt(path: string, message: string): IoError {
  return new IoError(
    `the PC/SC binding at ${path} cannot be loaded (${message}): its native part is built by its install script, which npm may skip unless allowed; in uicc-ota's folder run "npm rebuild ${BINDING_PACKAGE}" (its package.json allows it), elsewhere allow it first ("allowScripts": {"${BINDING_PACKAGE}": true} in your project's package.json, or npm install -g --allow-scripts=${BINDING_PACKAGE}) (see README, PC/SC set-up)`,
    { layer: 'PC/SC' },
  );
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

/*
 * The binding runs in a child process. Its calls block native threads (a
 * transmit to a card that never answers stays blocked in pcscd, and the
 * binding's close() and Node's exit then wait for it forever), so the only
 * sure bound is to end that process: on a timeout it is killed, and this
 * process exits normally with its own exit code.
 * Messages (IPC, JSON): → {op:'connect',reader} {op:'transmit',hex} {op:'close'};
 * ← {type:'readers',readers} {type:'connected',protocol} {type:'rapdu',hex} {type:'error',message,where}.
 */
const CHILD = String.raw`
let make;
try { make = require(process.argv[1]); } catch (e) { make = () => { throw Object.assign(new Error(String(e && e.message).split('\n')[0]), { where: 'binding' }); }; }
const settle = Number(process.argv[2]);
const send = (m) => process.send(m);
let p;
try { p = make(); } catch (e) { send({ type: 'error', where: e.where || 'service', message: e.message }); process.exit(0); }
const natives = new Map(); const infos = new Map();
let reader, protocol, timer;
const done = () => { clearTimeout(timer); send({ type: 'readers', readers: [...natives.keys()].map((name) => infos.get(name) || { name, state: 0, present: false }) }); };
const soon = (ms) => { clearTimeout(timer); timer = setTimeout(done, ms); };
soon(settle);
p.on('error', (e) => { if (!natives.size) { clearTimeout(timer); send({ type: 'error', where: 'service', message: e.message }); } });
p.on('reader', (r) => {
  natives.set(r.name, r);
  r.on('error', () => {});
  r.on('status', (s) => {
    infos.set(r.name, { name: r.name, state: s.state, present: (s.state & r.SCARD_STATE_PRESENT) !== 0, atr: s.atr && s.atr.length ? s.atr.toString('hex') : undefined });
    if ([...natives.keys()].every((n) => infos.has(n))) soon(150);
  });
});
const closeAll = () => { for (const r of natives.values()) { try { r.close(); } catch {} } try { p.close(); } catch {} };
process.on('disconnect', () => { closeAll(); process.exit(0); });
process.on('message', (m) => {
  if (m.op === 'connect') {
    reader = natives.get(m.reader);
    if (!reader) return send({ type: 'error', where: 'connect', message: 'the reader went away' });
    reader.connect({ share_mode: reader.SCARD_SHARE_SHARED, protocol: reader.SCARD_PROTOCOL_T0 | reader.SCARD_PROTOCOL_T1 }, (err, prot) => {
      if (err) return send({ type: 'error', where: 'connect', message: err.message });
      protocol = prot;
      send({ type: 'connected', protocol: prot === reader.SCARD_PROTOCOL_T1 ? 'T=1' : prot === reader.SCARD_PROTOCOL_T0 ? 'T=0' : 'protocol ' + prot });
    });
  } else if (m.op === 'transmit') {
    reader.transmit(Buffer.from(m.hex, 'hex'), 65538, protocol, (err, data) => {
      if (err) send({ type: 'error', where: 'transmit', message: err.message });
      else send({ type: 'rapdu', hex: data.toString('hex') });
    });
  } else if (m.op === 'close') {
    const end = () => { closeAll(); process.exit(0); };
    if (reader && reader.connected) reader.disconnect(reader.SCARD_LEAVE_CARD, end); else end();
  }
});
`;

interface ChildMsg {
  type: 'readers' | 'connected' | 'rapdu' | 'error';
  readers?: { name: string; state: number; present: boolean; atr?: string }[];
  protocol?: string;
  hex?: string;
  message?: string;
  where?: string;
}

class Child {
  private proc: ChildProcess;
  private waiting?: { resolve: (m: ChildMsg) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout };
  private queue: ChildMsg[] = [];
  private gone?: string;
  constructor(path: string, settleMs: number) {
    this.proc = spawn(process.execPath, ['-e', CHILD, path, String(settleMs)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let err = '';
    this.proc.stderr!.on('data', (d) => (err += d));
    this.proc.on('message', (m: ChildMsg) => {
      const w = this.waiting;
      if (w) {
        this.waiting = undefined;
        clearTimeout(w.timer);
        w.resolve(m);
      } else this.queue.push(m);
    });
    this.proc.on('exit', (code, sig) => {
      this.gone = `the PC/SC helper process ended (${sig ?? `exit ${code}`})${err.trim() ? `: ${err.trim().split('\n').pop()}` : ''}`;
      const w = this.waiting;
      this.waiting = undefined;
      if (w) {
        clearTimeout(w.timer);
        w.reject(new NetworkError(this.gone));
      }
    });
  }
  /** Send a request (or none) and wait for the next message, at most timeoutMs. */
  request(msg: object | undefined, timeoutMs: number, what: string): Promise<ChildMsg> {
    if (this.queue.length) return Promise.resolve(this.queue.shift()!);
    if (this.gone) return Promise.reject(new NetworkError(this.gone));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        this.kill();
        reject(new NetworkError(`${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = { resolve, reject, timer };
      if (msg) this.proc.send(msg);
    });
  }
  kill(): void {
    this.proc.removeAllListeners('exit');
    this.gone ??= 'the PC/SC helper process was stopped';
    this.proc.kill('SIGKILL');
  }
  private closing = false;
  close(): void {
    if (this.gone || this.closing) return;
    this.closing = true;
    this.proc.send({ op: 'close' });
    // It ends itself once the card is released; make sure it does.
    setTimeout(() => this.kill(), 2000).unref();
    this.proc.unref();
    this.proc.channel?.unref();
  }
}

/**
 * Establish a context and wait until every reader has reported its state once
 * (or `settleMs` passed). No service → NetworkError.
 */
export async function openContext(settleMs = 1500): Promise<PcscContext> {
  const path = loadBinding();
  const child = new Child(path, settleMs);
  const m = await child.request(undefined, settleMs + 10_000, 'no answer from the PC/SC service');
  if (m.type === 'error') {
    child.kill();
    if (m.where === 'binding') throw unbuilt(path, m.message ?? '');
    if (m.where === 'service' && /SCardEstablishContext|service/i.test(m.message ?? '')) throw new NetworkError(`no PC/SC service: ${m.message}; ${NO_SERVICE_HINT}`, { layer: 'PC/SC' });
    throw new NetworkError(`PC/SC: ${m.message}`, { layer: 'PC/SC' });
  }
  const readers = (m.readers ?? []).map((r, index) => ({ index, name: r.name, state: r.state, present: r.present, atr: r.atr ? fromHex(r.atr) : undefined }));
  return {
    readers,
    close: () => child.close(),
    connect: async (info, timeoutMs) => {
      const c = await child.request({ op: 'connect', reader: info.name }, timeoutMs, `connecting to the card in "${info.name}": no answer`);
      if (c.type === 'error') throw new NetworkError(`connecting to the card in "${info.name}": ${c.message}`, { layer: 'PC/SC' });
      return {
        reader: info.name,
        atr: info.atr,
        protocol: c.protocol ?? '?',
        transmit: async (capdu) => {
          const r = await child.request({ op: 'transmit', hex: toHex(capdu) }, timeoutMs, 'no answer from the card');
          if (r.type === 'error') throw new NetworkError(cardError(r.message ?? '', capdu), { layer: 'PC/SC' });
          return fromHex(r.hex ?? '');
        },
        close: async () => child.close(),
      };
    },
  };
}

function cardError(m: string, capdu: Uint8Array): string {
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

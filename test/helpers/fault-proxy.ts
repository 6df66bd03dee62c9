/**
 * A lossy UDP proxy on loopback for CAT_TP tests: every datagram in either
 * direction may be dropped, duplicated, reordered (held back and released
 * after later ones), delayed or corrupted, with a fixed seed.
 * Each client address gets its own upstream socket, so the server sees one
 * UDP peer per client as it would without the proxy.
 */
import dgram from 'node:dgram';

export interface FaultRates {
  drop?: number;
  duplicate?: number;
  /** Hold the datagram back for a random time in (0, reorderMaxMs] so that later ones overtake it. */
  reorder?: number;
  reorderMaxMs?: number;
  /** Delay every datagram by this much plus a random part in [0, jitterMs). */
  delayMs?: number;
  jitterMs?: number;
  /** Flip one bit of the datagram. */
  corrupt?: number;
}

export interface FaultStats {
  forwarded: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  corrupted: number;
}

export interface FaultProxy {
  port: number;
  stats: FaultStats;
  close(): Promise<void>;
}

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.s = x;
    return x / 0x100000000;
  }
}

export async function faultProxy(target: { host: string; port: number }, rates: FaultRates, seed = 1): Promise<FaultProxy> {
  const rng = new Rng(seed);
  const stats: FaultStats = { forwarded: 0, dropped: 0, duplicated: 0, reordered: 0, corrupted: 0 };
  const front = dgram.createSocket('udp4');
  const ups = new Map<string, dgram.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!closed) fn();
    }, ms);
    timers.add(t);
  };

  /** Apply the faults to one datagram; `out` sends a copy. */
  const pass = (msg: Buffer, out: (b: Buffer) => void) => {
    if (rng.next() < (rates.drop ?? 0)) {
      stats.dropped++;
      return;
    }
    const copies = rng.next() < (rates.duplicate ?? 0) ? 2 : 1;
    if (copies === 2) stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      let b = Buffer.from(msg);
      if (rng.next() < (rates.corrupt ?? 0)) {
        stats.corrupted++;
        const at = Math.floor(rng.next() * b.length);
        b = Buffer.from(b);
        b[at] ^= 1 << Math.floor(rng.next() * 8);
      }
      let delay = (rates.delayMs ?? 0) + rng.next() * (rates.jitterMs ?? 0);
      if (rng.next() < (rates.reorder ?? 0)) {
        stats.reordered++;
        delay += 1 + rng.next() * (rates.reorderMaxMs ?? 200);
      }
      stats.forwarded++;
      if (delay < 1) out(b);
      else later(delay, () => out(b));
    }
  };

  front.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let up = ups.get(key);
    if (!up) {
      up = dgram.createSocket('udp4');
      up.on('error', () => undefined);
      up.on('message', (back) => pass(back, (b) => !closed && front.send(b, rinfo.port, rinfo.address)));
      up.bind(0, '127.0.0.1');
      ups.set(key, up);
    }
    const u = up;
    pass(msg, (b) => !closed && u.send(b, target.port, target.host));
  });
  front.on('error', () => undefined);
  await new Promise<void>((r) => front.bind(0, '127.0.0.1', () => r()));
  return {
    port: front.address().port,
    stats,
    close: async () => {
      closed = true;
      for (const t of timers) clearTimeout(t);
      await Promise.all([front, ...ups.values()].map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}

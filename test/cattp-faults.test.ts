/**
 * CAT_TP sessions through a lossy loopback proxy (20 % drop, 10 % duplicates,
 * 20 % reordered by up to 200 ms): every session completes with the default
 * retransmission settings, and none ends in RST 04 "unexpected PDU". Then a
 * SYN flood against the half-open cap. FAULT_RUNS repeats the lossy run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { serve, send } from '../src/cattp/session.js';
import { encodePdu } from '../src/cattp/pdu.js';
import { faultProxy } from './helpers/fault-proxy.js';
import { OtaError } from '../src/util/errors.js';

const SESSIONS = Number(process.env.FAULT_SESSIONS ?? 50);
const BATCH = Number(process.env.FAULT_BATCH ?? 50);
const RUNS = Number(process.env.FAULT_RUNS ?? 1);
const SEED = Number(process.env.FAULT_SEED ?? 102127);

const COMMAND = Uint8Array.from({ length: 120 }, (_, i) => i); // two data PDUs at maxPdu 100
const ANSWER = Uint8Array.from({ length: 60 }, (_, i) => 255 - i);

for (let run = 0; run < RUNS; run++) {
  test(`CAT_TP through a lossy proxy (20% drop, 10% duplicate, 20% reorder): ${SESSIONS} of ${SESSIONS} push sessions complete${RUNS > 1 ? ` (run ${run + 1})` : ''}`, { timeout: 240000 }, async () => {
    const serverErrors: OtaError[] = [];
    let answers = 0;
    const srv = await serve({
      port: 0,
      maxPdu: 100,
      onOpen: () => COMMAND,
      onSdu: (sdu) => {
        assert.deepEqual(sdu, ANSWER);
        answers++;
        return undefined;
      },
      onSessionEnd: (_i, err) => err && serverErrors.push(err),
      record: false,
    });
    const proxy = await faultProxy({ host: '127.0.0.1', port: srv.address.port }, { drop: 0.2, duplicate: 0.1, reorder: 0.2, reorderMaxMs: 200 }, SEED + run);
    const results: (string | undefined)[] = [];
    const t0 = Date.now();
    for (let b = 0; b < SESSIONS; b += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, SESSIONS - b) }, (_, i) =>
        send({ to: { host: '127.0.0.1', port: proxy.port }, srcPort: 1024 + b + i, maxPdu: 100, onSdu: (sdu) => (assert.deepEqual(sdu, COMMAND), ANSWER), record: false })
          .then((r) => (r.exchanges.length === 1 && r.exchanges[0].sent ? undefined : `exchanges: ${r.exchanges.length}`))
          .catch((e: Error) => e.message),
      );
      results.push(...(await Promise.all(batch)));
    }
    const failed = results.filter((r) => r !== undefined);
    // Let the server finish its last sessions (CLOSE-WAIT) before counting.
    await new Promise((r) => setTimeout(r, 1500));
    await srv.close();
    await proxy.close();
    const msg = `${Date.now() - t0} ms; proxy ${JSON.stringify(proxy.stats)}; client failures ${JSON.stringify(failed)}; server errors ${JSON.stringify(serverErrors.map((e) => e.message))}`;
    assert.equal(failed.length, 0, msg);
    assert.equal(answers >= SESSIONS, true, msg);
    assert.ok(!serverErrors.some((e) => /unexpected PDU|reason 4/.test(e.message)), msg);
    console.log(`# lossy run ${run + 1}: ${SESSIONS}/${SESSIONS} sessions, ${msg}`);
  });
}

test('CAT_TP client-first sessions through the lossy proxy complete', { timeout: 120000 }, async () => {
  const srv = await serve({ port: 0, maxPdu: 100, onSdu: (s) => s.slice().reverse(), record: false });
  const proxy = await faultProxy({ host: '127.0.0.1', port: srv.address.port }, { drop: 0.2, duplicate: 0.1, reorder: 0.2, reorderMaxMs: 200 }, SEED + 99);
  const out = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      send({ to: { host: '127.0.0.1', port: proxy.port }, srcPort: 2000 + i, maxPdu: 100, sdu: COMMAND, record: false })
        .then((r) => (r.response && Buffer.from(r.response).equals(Buffer.from(COMMAND.slice().reverse())) ? undefined : 'wrong response'))
        .catch((e: Error) => e.message),
    ),
  );
  await srv.close();
  await proxy.close();
  assert.deepEqual(out.filter((x) => x !== undefined), [], JSON.stringify(proxy.stats));
});

test('CAT_TP server under a SYN flood of 10,000: half-open connections capped (oldest dropped, counted), memory bounded, a real session completes', { timeout: 120000 }, async () => {
  const traces: string[] = [];
  const srv = await serve({ port: 0, maxHalfOpen: 100, onSdu: (s) => s.slice().reverse(), record: false, trace: (m) => /half-open connection dropped/.test(m) && traces.length < 5 && traces.push(m) });
  const flood = dgram.createSocket('udp4');
  await new Promise<void>((r) => flood.bind(0, '127.0.0.1', () => r()));
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  let maxHalfOpen = 0;
  for (let i = 0; i < 10000; i++) {
    const syn = encodePdu({ type: 'SYN', srcPort: 10000 + i, dstPort: 1, seq: i, ack: 0, window: 4, maxPduSize: 1024, maxSduSize: 2048, identification: new Uint8Array(0), data: new Uint8Array(0) });
    flood.send(syn, srv.address.port, '127.0.0.1');
    if (i % 50 === 49) {
      await new Promise((r) => setTimeout(r, 3)); // let the server read (a full socket buffer would drop the SYNs before it)
      maxHalfOpen = Math.max(maxHalfOpen, srv.stats().halfOpen);
    }
  }
  // A legitimate session during the tail of the flood.
  const r = await send({ to: { host: '127.0.0.1', port: srv.address.port }, srcPort: 9, sdu: Uint8Array.of(1, 2, 3), record: false });
  assert.deepEqual(r.response, Uint8Array.of(3, 2, 1));
  const st = srv.stats();
  const heapMb = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
  flood.close();
  const summary = await srv.close();
  assert.ok(maxHalfOpen <= 100, `half-open ${maxHalfOpen}`);
  assert.ok(st.connections <= 101, `connections ${st.connections}`);
  // Loopback may still drop some datagrams when the receive buffer is full: most must have arrived and been dropped by the cap.
  assert.ok(summary.halfOpenDropped >= 5000, `dropped ${summary.halfOpenDropped}`);
  assert.ok(traces.length > 0 && /half-open connection dropped/.test(traces[0]), 'each drop is in the trace');
  assert.ok(heapMb < 64, `heap grew ${heapMb.toFixed(1)} MB`);
  console.log(`# SYN flood: ${summary.halfOpenDropped} half-open dropped, max ${maxHalfOpen} half-open, heap +${heapMb.toFixed(1)} MB`);
});

test('CAT_TP server frees half-open connections when their SYN/ACK retransmissions run out', { timeout: 30000 }, async () => {
  const srv = await serve({ port: 0, onSdu: () => undefined, record: false, timeoutMs: 50, retries: 2 });
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  for (let i = 0; i < 20; i++) s.send(encodePdu({ type: 'SYN', srcPort: 3000 + i, dstPort: 1, seq: i, ack: 0, window: 4, maxPduSize: 1024, maxSduSize: 2048, identification: new Uint8Array(0), data: new Uint8Array(0) }), srv.address.port, '127.0.0.1');
  // Polled rather than slept: a loaded machine may take a while to read the 20 SYNs, or to run the timers.
  const until = async (ok: () => boolean, ms: number) => {
    const t0 = Date.now();
    while (!ok() && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 5));
  };
  await until(() => srv.stats().halfOpen === 20, 5000);
  assert.equal(srv.stats().halfOpen, 20);
  await until(() => srv.stats().halfOpen === 0, 20000); // 50 + 100 + 200 ms, then the give-up timeout
  assert.equal(srv.stats().halfOpen, 0);
  assert.equal(srv.stats().connections, 0);
  s.close();
  const summary = await srv.close();
  assert.equal(summary.unopened, 20);
});

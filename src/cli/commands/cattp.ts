/**
 * CAT_TP on the command line (ETSI TS 102 127):
 *
 *   cattp build <type>   one PDU from named header fields
 *   build cattp          a secured command packet in the TS 102 225 CAT_TP
 *                        dialect, as data PDU(s) or the bare packet
 *   parse <PDU hex...>   (hook: parseCattpInputs) PDUs decoded, checksums
 *                        verified, data reassembled and the packet verified
 *   cattp serve / send   real UDP sessions, OTA server and card side
 *
 * Sessions write the PDU log (a tree per PDU, `--brief` one line, `--quiet`
 * nothing) on stderr and results (packets received, verified) on stdout, so
 * `--json` output stays machine-readable while the log is watched.
 */
import type { EventEmitter } from 'node:events';
import { EXIT, type OtaError } from '../../util/errors.js';
import { toHex } from '../../util/hex.js';
import { node, type TreeNode } from '../../render/tree.js';
import { decodePdu, identificationToIccid, pduSummary, pduTree, type CattpPdu } from '../../cattp/pdu.js';
import type { PduLogEntry, SduInfo } from '../../cattp/session.js';
import {
  showable,
  type CattpBuildOpts as CattpBuildOptions, type BuildCattpOpts as BuildCattpOptions,
} from '../../api/cattp-options.js';
import { ipv4Udp, writePcap } from '../../pcap/pcap.js';
import { printJson, printTree, useColor, verdictNode, writeOut, type OutputOptions } from '../output.js';
import type { KeyOptions } from '../../api/keys.js';
import type { ParseOpts as PacketOptions } from '../../api/packet.js';
import { hexNode } from '../../api/parse-cattp.js';
import type { Parsed } from '../../api/parse.js';
import type { CattpServeOptions, CattpServeSession, ServedSession, CattpSendOptions, CattpSendResult, SendExchange } from '../../api/cattp-run.js';

type CattpBuildOpts = CattpBuildOptions & OutputOptions;
type BuildCattpOpts = BuildCattpOptions & OutputOptions;
type ParseOpts = PacketOptions & OutputOptions;

// ---------------------------------------------------------------- small helpers

/** A synchronous tree printer for stdout (sessions print from callbacks, in order). */
async function treePrinter(o: OutputOptions): Promise<(nodes: TreeNode[]) => void> {
  const color = useColor(o);
  const { renderTree } = await import('../../render/text.js');
  const chalk = color ? (await import('chalk')).default : undefined;
  return (nodes) => writeOut(renderTree(nodes, { color, bits: o.bits }, chalk));
}

/** Compact JSON for one line of JSON Lines (same conventions as printJson). */
function jsonLine(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x instanceof Uint8Array ? toHex(x) : x));
}

// ---------------------------------------------------------------- cattp build <type>

export async function cattpBuild(typeArg: string, o: CattpBuildOpts): Promise<void> {
  const { buildCattpPdu } = await import('../../api/cattp-pdu.js');
  const { units: [bytes], warnings: _w, ...json } = buildCattpPdu(typeArg, o);
  if (o.json) printJson(json);
  else if (o.show) await printTree([showable(bytes).tree], o);
  else writeOut(toHex(bytes));
}

// ---------------------------------------------------------------- build cattp

export async function buildCattp(o: BuildCattpOpts): Promise<void> {
  const api = await import('../../api/build.js');
  if (o.json) {
    printJson(api.jsonOf(await api.buildCattp(o)));
    return;
  }
  const { cmd, pdus, units } = await api.buildCattpUnits(o);
  if (o.show) {
    const { commandTree } = await import('../../secured/view.js');
    const { scriptView } = await import('../../remote/view.js');
    const script = scriptView(cmd.data!, o.expanded ? 'expanded' : 'compact');
    const trees = o.format === 'pdu' ? pdus.map((b, i) => ({ ...pduTree(decodePdu(b)), name: pdus.length > 1 ? `CAT_TP PDU ${i + 1}` : 'CAT_TP' })) : [];
    await printTree([...trees, commandTree(cmd, script.tree ? [script.tree] : undefined)], o);
    return;
  }
  writeOut(units.map(toHex).join('\n'));
}

// ---------------------------------------------------------------- parse hook

/** `parse` of CAT_TP PDUs (src/api/parse.ts did the work): print, write the pcap, exit 1 when a check failed. */
export async function renderCattpParse(r: Parsed, inputs: Uint8Array[], o: ParseOpts): Promise<void> {
  if (o.json) printJson(r.json);
  else await printTree([...r.tree, await verdictNode(r.failures, r.notes)], o);
  if (o.pcap) parsedPcap(o.pcap, r.cattp!.pdus.map((p) => p.decoded.pdu), inputs);
  if (r.failures.length) {
    process.stderr.write(`uicc-ota: verification failed: ${r.failures.join('; ')}\n`);
    process.exitCode = EXIT.VERIFY;
  }
}

/** PDUs of `parse` as UDP: the first PDU's sender is 10.0.0.1:1000, its peer 10.0.0.2:2000. */
function parsedPcap(path: string, pdus: CattpPdu[], inputs: Uint8Array[]): void {
  const a = pdus[0];
  writePcap(
    path,
    inputs.map((b, i) => {
      const fwd = pdus[i].srcPort === a.srcPort && pdus[i].dstPort === a.dstPort;
      return { data: fwd ? ipv4Udp('10.0.0.1', '10.0.0.2', 1000, 2000, b, i) : ipv4Udp('10.0.0.2', '10.0.0.1', 2000, 1000, b, i) };
    }),
  );
}

// ---------------------------------------------------------------- sessions (src/api/cattp-run.ts runs them; this renders)

export interface SessionOpts extends KeyOptions, OutputOptions {
  timeout?: string;
  retries?: string;
  responseTimeout?: string;
  backoff?: string;
  maxTimeout?: string;
  maxHalfOpen?: string;
  maxPdu?: string;
  maxSdu?: string;
  window?: string;
  isn?: string;
  pcap?: string;
  brief?: boolean;
  quiet?: boolean;
  expanded?: boolean;
  compact?: boolean;
}

/** The PDU log on stderr: a tree per PDU, or one line (--brief), or nothing (--quiet). */
async function sessionLogger(o: SessionOpts): Promise<(run: EventEmitter) => void> {
  if (o.quiet) return () => {};
  const color = o.color !== false && !(process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') && (Boolean(process.stderr.isTTY) || Boolean(process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0'));
  const { renderTree } = await import('../../render/text.js');
  const chalk = color ? (await import('chalk')).default : undefined;
  const t0 = Date.now();
  const out = (s: string) => process.stderr.write(s.endsWith('\n') ? s : s + '\n');
  const log = (e: PduLogEntry) => {
    const t = `+${((e.timeMs - t0) / 1000).toFixed(3)}s`;
    const peer = `${e.remote.address}:${e.remote.port}`;
    const arrow = e.dir === 'sent' ? '→' : '←';
    const what = e.decoded ? pduSummary(e.decoded) : `malformed datagram (${e.bytes.length} octets): ${e.error?.message ?? '?'}`;
    if (o.brief) {
      out(`${t} ${arrow} ${peer} ${what} [${e.state}]${e.note ? ` (${e.note})` : ''}`);
      return;
    }
    const head = `${e.dir === 'sent' ? 'Sent to' : 'Received from'} ${peer}`;
    const info = `${t}, state ${e.state}`;
    const n = e.decoded
      ? node(head, info, [pduTree(e.decoded)], e.note ? { note: e.note } : {})
      : node(head, info, [node('Datagram', `${e.bytes.length} octets`, undefined, { status: 'warn', note: e.error?.message, hex: toHex(e.bytes) })], e.note ? { note: e.note } : {});
    out(renderTree([n], { color, bits: o.bits }, chalk));
  };
  // "listening on" is printed by the command itself, always (tests and scripts read the port from it).
  const trace = (m: string) => {
    if (!m.startsWith('listening on')) out(`# ${m}`);
  };
  return (run) => run.on('pdu', log).on('trace', trace);
}

function idNode(id: Uint8Array): TreeNode {
  if (!id.length) return node('Identification', 'none');
  const iccid = identificationToIccid(id);
  return node('Identification', iccid ? `ICCID ${iccid}` : toHex(id), undefined, { hex: toHex(id) });
}

/** SIGINT (and SIGTERM) stop the run through an AbortSignal; returns the signal and the undo. */
function onSignals(signals: NodeJS.Signals[]): { signal: AbortSignal; off: () => void } {
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  for (const s of signals) process.once(s, onSignal);
  return { signal: ac.signal, off: () => signals.forEach((s) => process.off(s, onSignal)) };
}

// ---------------------------------------------------------------- cattp serve

export type ServeCliOpts = CattpServeOptions & SessionOpts & { port: string; host: string };

/**
 * OTA server side. With a command (security options, or --packet) it pushes
 * that packet on every connection once OPEN and verifies the answer as its
 * PoR; without one it prints what the card sends and answers --respond.
 */
export async function cattpServe(o: ServeCliOpts): Promise<void> {
  const api = await import('../../api/cattp-run.js');
  const print = await treePrinter(o);
  const attachLog = await sessionLogger(o);
  const sig = onSignals(['SIGINT', 'SIGTERM']);
  let run: CattpServeSession;
  try {
    run = await api.cattpServe({ ...o, signal: sig.signal });
  } catch (e) {
    sig.off();
    throw e;
  }
  attachLog(run);
  run.on('session', (s: ServedSession) => printSession(o, print, s));
  run.on('unopened', (info: SduInfo, err?: OtaError) => {
    process.stderr.write(`uicc-ota: connection from ${info.remote.address}:${info.remote.port} (CAT_TP ${info.srcPort} → ${info.dstPort}) closed before the handshake completed${err ? `: ${err.message}` : ''}; not a session\n`);
  });
  process.stderr.write(`uicc-ota: listening on UDP ${run.address.address}:${run.address.port}${run.push ? ', pushing the command packet on each connection' : ''}\n`);
  const summary = await run.done;
  sig.off();
  const unopened = summary.unopened ? `; ${summary.unopened} connection${summary.unopened === 1 ? '' : 's'} never completed the handshake` : '';
  process.stderr.write(`uicc-ota: ${summary.sessions} session${summary.sessions === 1 ? '' : 's'}, ${summary.failedSessions} failed${unopened}\n`);
  if (summary.exitCode) process.exitCode = summary.exitCode;
}

function printSession(o: OutputOptions, print: (n: TreeNode[]) => void, s: ServedSession): void {
  const { info, failures, outcome, error: err } = s;
  const remote = `${info.remote.address}:${info.remote.port}`;
  if (o.json) writeOut(jsonLine(s.json));
  else {
    const kids: TreeNode[] = [idNode(info.identification), ...s.sent.map((b) => hexNode('Sent SDU', b))];
    for (const v of s.received) kids.push(...v.view.tree);
    if (err) kids.push(node('Session error', err.message, undefined, { status: 'fail' }));
    const notes = s.received.flatMap((v) => v.view.notes);
    const head = node(`Session ${info.session}`, `${remote}, CAT_TP ${info.srcPort} → ${info.dstPort}`, kids);
    const verdict: TreeNode = failures.length
      ? { name: 'Verification', value: 'FAILED', status: 'fail', note: failures.join('; ') }
      : !s.received.length
        ? { name: 'Verification', value: 'nothing received', status: err ? 'fail' : 'warn' }
        : notes.some((n) => /not (checked|shown|deciphered)/.test(n))
          ? { name: 'Verification', value: 'incomplete', status: 'warn', note: notes.join('; ') }
          : { name: 'Verification', value: 'passed', status: 'ok' };
    head.children!.push(verdict);
    if (outcome.tree) head.children!.push(outcome.tree);
    else if (outcome.failures.length) head.children!.push({ name: 'Result', value: `FAILED: ${outcome.failures.join('; ')}`, status: 'fail' });
    print([head]);
  }
  if (err) process.stderr.write(`uicc-ota: session ${info.session} (${remote}): ${err.message}\n`);
  if (failures.length) process.stderr.write(`uicc-ota: session ${info.session}: verification failed: ${failures.join('; ')}\n`);
  if (outcome.failures.length) process.stderr.write(`uicc-ota: session ${info.session}: OTA command failed: ${outcome.failures.join('; ')}\n`);
}

// ---------------------------------------------------------------- cattp send

export type SendCliOpts = CattpSendOptions & SessionOpts & { wait: boolean };

/**
 * Card / terminal side: opens the connection (SYN with the identification),
 * then either sends --sdu and waits for the answer, or answers what the
 * server pushes — with the card simulator (--card) or a fixed --respond.
 */
export async function cattpSend(o: SendCliOpts): Promise<void> {
  const api = await import('../../api/cattp-run.js');
  const print = await treePrinter(o);
  const attachLog = await sessionLogger(o);
  const sig = onSignals(['SIGINT']);
  const run = api.cattpSend({ ...o, signal: sig.signal });
  attachLog(run);
  let r: CattpSendResult;
  try {
    r = await run.done;
  } catch (e) {
    // What was exchanged before the failure (bad options fail before any exchange).
    printExchanges(o, print, run.exchanges);
    throw e;
  } finally {
    sig.off();
  }
  const { failures, outcome } = r;
  if (o.json) printJson(r.json);
  else if (r.sent) {
    const kids: TreeNode[] = [hexNode('Sent SDU', r.sent)];
    if (r.response) kids.push(...r.response.tree);
    else kids.push(node('Response', o.wait ? 'none' : 'not awaited (--no-wait)'));
    await printTree([node('Session', `${r.session.remote.address}:${r.session.remote.port}`, kids), await verdictNode(failures, r.response?.notes ?? []), ...(outcome.tree ? [outcome.tree] : [])], o);
  } else printExchanges(o, print, r.exchanges);
  if (failures.length) process.stderr.write(`uicc-ota: verification failed: ${failures.join('; ')}\n`);
  if (outcome.failures.length) process.stderr.write(`uicc-ota: OTA command failed: ${outcome.failures.join('; ')}\n`);
  if (!r.ok) process.exitCode = EXIT.VERIFY;
}

function printExchanges(o: OutputOptions, print: (n: TreeNode[]) => void, exchanges: SendExchange[]): void {
  if (o.json) return;
  const trees: TreeNode[] = exchanges.map((x, i) =>
    node(`Exchange ${i + 1}`, undefined, [
      ...(x.keysTree ? [x.keysTree] : []),
      ...x.view.tree,
      ...(x.cardTree ? [x.cardTree] : []),
      x.sent ? hexNode('Answered', x.sent) : node('Answered', 'nothing'),
    ]),
  );
  if (trees.length) print(trees);
}

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
import { formatTag } from '../../util/json-format.js';
import { readFileSync } from 'node:fs';
import { InputError, NetworkError, OtaError, EXIT } from '../../util/errors.js';
import { fromHex, toHex, hex2 } from '../../util/hex.js';
import { intOption } from '../../util/options.js';
import { node, type TreeNode } from '../../render/tree.js';
import { decodePdu, encodePdu, identificationToIccid, iccidToIdentification, pduSummary, pduTree, type CattpPdu } from '../../cattp/pdu.js';
import {
  num, identificationOf, pduPcap, pduFromOptions, showable, buildSecuredCattp, U16,
  type CattpBuildOpts as CattpBuildOptions, type BuildCattpOpts as BuildCattpOptions,
} from '../../api/cattp-options.js';
import { cattpDialect } from '../../cattp/dialect.js';
import { cattpPacketKind } from '../../cattp/peel.js';
import { ipv4Udp, writePcap, type PcapRecord } from '../../pcap/pcap.js';
import type { CommandHeader, SecuredCommand } from '../../secured/command.js';
import { statusName } from '../../secured/status.js';
import { printJson, printTree, useColor, verdictNode, writeOut, type OutputOptions } from '../output.js';
import type { KeyOptions } from '../../api/keys.js';
import type { SecurityOpts } from '../../api/secured-options.js';
import type { ParseOpts as PacketOptions } from '../../api/packet.js';
import { viewSdu, hexNode, type PacketView } from '../../api/parse-cattp.js';
import type { Parsed } from '../../api/parse.js';

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
  const { pdu, overrides } = pduFromOptions(typeArg, o);
  const bytes = encodePdu(pdu, overrides);
  if (o.pcap) pduPcap(o.pcap, [bytes], o.udpPort);
  if (o.json) {
    const v = showable(bytes);
    printJson({ format: formatTag('cattp-pdu'), ...(v.json as object), hex: toHex(bytes) });
  } else if (o.show) await printTree([showable(bytes).tree], o);
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

// ---------------------------------------------------------------- sessions: shared

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

function timing(o: SessionOpts) {
  return {
    timeoutMs: num(o.timeout, '--timeout', 1000, 1, 3_600_000),
    // Undefined lets the session engine apply its defaults (10 retries, back-off 2, cap 4 x timeout).
    retries: o.retries === undefined ? undefined : intOption(o.retries, '--retries', 0, 100),
    responseTimeoutMs: o.responseTimeout === undefined ? undefined : intOption(o.responseTimeout, '--response-timeout', 1, 3_600_000),
    backoff: o.backoff === undefined ? undefined : backoffOption(o.backoff),
    maxTimeoutMs: o.maxTimeout === undefined ? undefined : intOption(o.maxTimeout, '--max-timeout', 1, 3_600_000),
  };
}

function backoffOption(s: string): number {
  const v = Number(s.trim());
  if (!Number.isFinite(v) || v < 1 || v > 16) throw new InputError(`"${s}" is not a number from 1 to 16`, { field: '--backoff' });
  return v;
}

function announce(o: SessionOpts) {
  return {
    maxPdu: num(o.maxPdu, '--max-pdu', 1024, 19, U16),
    maxSdu: num(o.maxSdu, '--max-sdu', 2048, 1, U16),
    window: num(o.window, '--window', 4, 1, U16),
    isn: o.isn === undefined ? undefined : intOption(o.isn, '--isn', 0, U16),
  };
}

type SessionModule = typeof import('../../cattp/session.js');
type LogEntry = Parameters<NonNullable<Parameters<SessionModule['serve']>[0]['log']>>[0];

/** The PDU log on stderr: a tree per PDU, or one line (--brief), or nothing (--quiet). */
async function sessionLogger(o: SessionOpts): Promise<{ log?: (e: LogEntry) => void; trace?: (m: string) => void }> {
  if (o.quiet) return {};
  const color = o.color !== false && !(process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') && (Boolean(process.stderr.isTTY) || Boolean(process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0'));
  const { renderTree } = await import('../../render/text.js');
  const chalk = color ? (await import('chalk')).default : undefined;
  const t0 = Date.now();
  const out = (s: string) => process.stderr.write(s.endsWith('\n') ? s : s + '\n');
  const log = (e: LogEntry) => {
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
  // "listening on" is printed by serve itself, always (tests and scripts read the port from it).
  const trace = (m: string) => {
    if (!m.startsWith('listening on')) out(`# ${m}`);
  };
  return { log, trace };
}

function sessionPcap(path: string | undefined, records: import('../../cattp/session.js').DatagramRecord[], toPcapRecords: (r: typeof records) => PcapRecord[]): void {
  if (path) writePcap(path, toPcapRecords(records));
}

function hostPort(v: string, field: string): { host: string; port: number } {
  const m = /^\s*(.+):(\d+)\s*$/.exec(v);
  if (!m) throw new InputError(`"${v}" is not HOST:PORT`, { field });
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port: intOption(m[2], field, 1, U16) };
}

function idNode(id: Uint8Array): TreeNode {
  if (!id.length) return node('Identification', 'none');
  const iccid = identificationToIccid(id);
  return node('Identification', iccid ? `ICCID ${iccid}` : toHex(id), undefined, { hex: toHex(id) });
}

function idJson(id: Uint8Array): Record<string, unknown> {
  const iccid = identificationToIccid(id);
  return iccid ? { identification: toHex(id), iccid } : { identification: toHex(id) };
}

// ---------------------------------------------------------------- cattp serve

export interface ServeCliOpts extends SessionOpts, SecurityOpts {
  port: string;
  host: string;
  cattpPort?: string;
  packet?: string;
  respond?: string;
  maxSessions?: string;
  idleTimeout?: string;
  identification?: string;
}

interface SessionReport {
  sent: Uint8Array[];
  views: { received: Uint8Array; view: PacketView }[];
}

/** Does the command's SPI2 ask for a PoR whatever happens? ('reserved': the card answers 06.) */
function porExpected(cmd: SecuredCommand): boolean {
  return cmd.spi.porRequest !== 'none' && cmd.spi.porRequest !== 'on-error';
}

/**
 * The outcome of the OTA operation a PoR reports (TS 102 225 Table 5): any
 * status but 00 means the card did not carry out the command — a failure for
 * the side that sent it, however well the PoR itself verifies.
 */
function porOutcome(views: PacketView[]): { failures: string[]; tree?: TreeNode } {
  const codes = views.map((v) => v.result?.response?.status).filter((c): c is number => c !== undefined);
  if (!codes.length) return { failures: [] };
  const named = codes.map((c) => `PoR status ${hex2(c)} (${statusName(c)})`);
  const failures = named.filter((_, i) => codes[i] !== 0);
  const tree: TreeNode = failures.length
    ? { name: 'Result', value: `FAILED: ${failures.join('; ')}`, status: 'fail', note: 'the card did not carry out the command' }
    : { name: 'Result', value: named.join('; '), status: 'ok' };
  return { failures, tree };
}

/**
 * OTA server side. With a command (security options, or --packet) it pushes
 * that packet on every connection once OPEN and verifies the answer as its
 * PoR; without one it prints what the card sends and answers --respond.
 */
export async function cattpServe(o: ServeCliOpts): Promise<void> {
  const { serve, toPcapRecords } = await import('../../cattp/session.js');
  const push = o.packet !== undefined || o.data !== undefined || o.apdu.length > 0;
  if (o.packet !== undefined && (o.data !== undefined || o.apdu.length)) throw new InputError('give either --packet or --apdu/--data, not both', { field: '--packet' });
  if (push && o.respond !== undefined) throw new InputError('--respond answers a card that sends first; with a command to push, the card answers', { field: '--respond' });
  // Options that only shape a command we build would otherwise be ignored without a word.
  const shaping: [keyof ServeCliOpts, string][] = [
    ['tar', '--tar'], ['ccLen', '--cc-len'], ['expanded', '--expanded'], ['indefinite', '--indefinite'],
    ['immediateAction', '--immediate-action'], ['errorAction', '--error-action'], ['scriptChaining', '--script-chaining'],
    ...(o.packet !== undefined ? ([['spi', '--spi'], ['kic', '--kic'], ['kid', '--kid']] as [keyof ServeCliOpts, string][]) : []),
  ];
  const idle = shaping.find(([k]) => o[k] !== undefined && o[k] !== false) ?? (o.counter !== undefined && o.counter !== '0' ? ['counter', '--counter'] : undefined);
  if (idle && (!push || o.packet !== undefined)) {
    throw new InputError(o.packet !== undefined ? 'shapes a command to build; --packet is pushed as given' : 'shapes the command to push: give --apdu or --data too', { field: idle[1] });
  }
  const port = intOption(o.port, '--port', 0, U16);
  const respond = o.respond === undefined ? undefined : fromHex(o.respond, '--respond');
  const maxSessions = o.maxSessions === undefined ? undefined : intOption(o.maxSessions, '--max-sessions', 1, 1_000_000);
  const serverId = o.identification === undefined ? undefined : fromHex(o.identification, '--identification');

  // The command: built (or read) before listening, so bad options fail at once (exit 2).
  let first: { bytes: Uint8Array; cmd: SecuredCommand } | undefined;
  const readPacket = async (b: Uint8Array) => {
    if (cattpPacketKind(b) !== 'command') throw new InputError('not a command packet of the CAT_TP dialect (CPI 01, BER length)', { field: '--packet', offset: 0 });
    const { parseCommand, parseCommandHeader } = await import('../../secured/command.js');
    const { resolveKeys } = await import('../../api/keys.js');
    const hdr = parseCommandHeader(cattpDialect, b);
    return { bytes: b, cmd: parseCommand(cattpDialect, b, resolveKeys(o, hdr.kic, hdr.kid), hdr) };
  };
  const make = async () => {
    if (o.packet !== undefined) return readPacket(fromHex(o.packet, '--packet'));
    const cmd = await buildSecuredCattp(o);
    return { bytes: cmd.bytes, cmd };
  };
  if (push) first = await make();
  let firstUsed = false;

  const reports = new Map<number, SessionReport>();
  const report = (n: number) => reports.get(n) ?? (reports.set(n, { sent: [], views: [] }), reports.get(n)!);
  const pushed = new Map<number, SecuredCommand>();
  let failed = false;
  let verifyFailed = false;
  let failedSessions = 0;
  const { log, trace } = await sessionLogger(o);
  const print = await treePrinter(o);
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const server = await serve({
    port,
    host: o.host,
    cattpPort: o.cattpPort === undefined ? undefined : intOption(o.cattpPort, '--cattp-port', 0, U16),
    ...timing(o),
    ...announce(o),
    identification: serverId,
    idleTimeoutMs: o.idleTimeout === undefined ? undefined : intOption(o.idleTimeout, '--idle-timeout', 1, 86_400_000),
    maxSessions,
    maxHalfOpen: o.maxHalfOpen === undefined ? undefined : intOption(o.maxHalfOpen, '--max-half-open', 1, 1_000_000),
    signal: ac.signal,
    log,
    trace,
    onOpen: push
      ? async (info) => {
          // --counter next: a fresh counter for every session after the first.
          const c = !firstUsed || o.counter !== 'next' ? first! : await make();
          firstUsed = true;
          pushed.set(info.session, c.cmd);
          report(info.session).sent.push(c.bytes);
          // SPI2 asking for no PoR, or one on error only: silence is not a failure (TS 102 225 cl. 5.1.1).
          return { sdu: c.bytes, expectAnswer: porExpected(c.cmd) };
        }
      : undefined,
    onSdu: async (sdu, info) => {
      const r = report(info.session);
      const request = pushed.get(info.session);
      const view = await viewSdu(sdu, o, request, push ? 'response' : undefined);
      r.views.push({ received: sdu, view });
      if (push || !respond) return undefined;
      r.sent.push(respond);
      return respond;
    },
    onSessionEnd: (info, err) => {
      const r = report(info.session);
      reports.delete(info.session);
      const checks = r.views.flatMap((v) => v.view.failures);
      const cmd = pushed.get(info.session);
      pushed.delete(info.session);
      // We sent the command: its PoR's status is the outcome (session.ts makes "no answer" an error).
      const outcome: ReturnType<typeof porOutcome> = push ? porOutcome(r.views.map((v) => v.view)) : { failures: [] };
      if (push && !err && !r.views.length) {
        if (cmd && !porExpected(cmd)) {
          const why = cmd.spi.porRequest === 'none' ? 'SPI2 asks for none' : 'SPI2 asks for a PoR on error only: no error';
          outcome.tree = { name: 'Result', value: `no PoR (${why})`, status: 'ok' };
        } else outcome.failures.push('no PoR received');
      }
      if (checks.length || outcome.failures.length) verifyFailed = true;
      if (err) failed = true;
      if (err || checks.length || outcome.failures.length) failedSessions++;
      printSession(o, print, info, r, checks, outcome, err);
    },
    onUnopened: (info, err) => {
      process.stderr.write(`uicc-ota: connection from ${info.remote.address}:${info.remote.port} (CAT_TP ${info.srcPort} → ${info.dstPort}) closed before the handshake completed${err ? `: ${err.message}` : ''}; not a session\n`);
    },
  });
  process.stderr.write(`uicc-ota: listening on UDP ${server.address.address}:${server.address.port}${push ? ', pushing the command packet on each connection' : ''}\n`);
  const summary = await server.done;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  sessionPcap(o.pcap, server.records, toPcapRecords);
  const unopened = summary.unopened ? `; ${summary.unopened} connection${summary.unopened === 1 ? '' : 's'} never completed the handshake` : '';
  process.stderr.write(`uicc-ota: ${summary.sessions} session${summary.sessions === 1 ? '' : 's'}, ${failedSessions} failed${unopened}\n`);
  if (failed) process.exitCode = EXIT.NETWORK;
  else if (verifyFailed) process.exitCode = EXIT.VERIFY;
}

function printSession(
  o: OutputOptions,
  print: (n: TreeNode[]) => void,
  info: import('../../cattp/session.js').SduInfo,
  r: SessionReport,
  failures: string[],
  outcome: ReturnType<typeof porOutcome>,
  err?: OtaError,
): void {
  const remote = `${info.remote.address}:${info.remote.port}`;
  const all = [...failures, ...outcome.failures, ...(err ? [err.message] : [])];
  if (o.json) {
    writeOut(jsonLine({
      format: formatTag('cattp-serve'),
      session: info.session,
      remote: info.remote,
      srcPort: info.srcPort,
      dstPort: info.dstPort,
      ...idJson(info.identification),
      sent: r.sent.map(toHex),
      received: r.views.map((v) => ({ sdu: toHex(v.received), ...(v.view.json as object) })),
      // verified: the checks of what was received; ok: the session as a whole (PoR status 00 too).
      verified: err || failures.length ? false : r.views.length ? r.views.every((v) => (v.view.json as { verified?: unknown }).verified !== false) : null,
      ok: all.length === 0,
      failures: all,
      error: err ? err.message : undefined,
    }));
  } else {
    const kids: TreeNode[] = [idNode(info.identification), ...r.sent.map((b) => hexNode('Sent SDU', b))];
    for (const v of r.views) kids.push(...v.view.tree);
    if (err) kids.push(node('Session error', err.message, undefined, { status: 'fail' }));
    const notes = r.views.flatMap((v) => v.view.notes);
    const head = node(`Session ${info.session}`, `${remote}, CAT_TP ${info.srcPort} → ${info.dstPort}`, kids);
    const verdict: TreeNode = failures.length
      ? { name: 'Verification', value: 'FAILED', status: 'fail', note: failures.join('; ') }
      : !r.views.length
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

export interface SendCliOpts extends SessionOpts {
  to: string;
  sdu?: string;
  wait: boolean;
  respond?: string;
  card?: string;
  /** Card counters file (as `card process --state`). */
  state?: string;
  /** Do not store the card's counters. */
  dryRun?: boolean;
  srcPort?: string;
  dstPort?: string;
  identification?: string;
  iccid?: string;
  localPort?: string;
}

/**
 * Card / terminal side: opens the connection (SYN with the identification),
 * then either sends --sdu and waits for the answer, or answers what the
 * server pushes — with the card simulator (--card) or a fixed --respond.
 */
export async function cattpSend(o: SendCliOpts): Promise<void> {
  const { send, toPcapRecords } = await import('../../cattp/session.js');
  const to = hostPort(o.to, '--to');
  const modes = [o.sdu !== undefined, o.respond !== undefined, o.card !== undefined].filter(Boolean).length;
  if (modes !== 1) {
    throw new InputError(modes ? 'give only one of --sdu, --respond, --card' : 'give --sdu HEX (send first), or --card CARD.json / --respond HEX (answer what the server sends)', { field: '--sdu' });
  }
  const sdu = o.sdu === undefined ? undefined : fromHex(o.sdu, '--sdu');
  const respond = o.respond === undefined ? undefined : fromHex(o.respond, '--respond');

  let card: import('../../card/card.js').Card | undefined;
  const cardMod = o.card === undefined ? undefined : await import('../../card/process.js');
  if (o.card !== undefined) {
    // Read once up front so a bad card file fails before any connection (exit 2/3).
    const { IoError } = await import('../../util/errors.js');
    const { parseCardText } = await import('../../card/card.js');
    let text: string;
    try {
      text = readFileSync(o.card, 'utf8');
    } catch (e) {
      throw new IoError(`cannot read card file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { field: o.card });
    }
    card = parseCardText(text, o.card).card;
  } else if (o.state !== undefined || o.dryRun) throw new InputError('only with --card', { field: o.state !== undefined ? '--state' : '--dry-run' });
  const identification = identificationOf(o) ?? (card?.iccid ? iccidToIdentification(card.iccid) : undefined);

  const exchanges: Exchange[] = [];
  const answer = async (got: Uint8Array): Promise<Uint8Array | undefined> => {
    // With --card the command is shown as the simulator reads it: with the card's own keys.
    const ck = card ? await cardKeys(card, got, o) : undefined;
    const view = await viewSdu(got, ck?.opts ?? o, undefined);
    if (ck?.missingKic) relabelMissingKeys(view, ck.missingKic);
    const ex: Exchange = { received: got, view, keys: ck?.json, keysTree: ck?.tree };
    exchanges.push(ex);
    if (cardMod && o.card !== undefined) {
      let res: import('../../card/simulator.js').ProcessResult;
      try {
        // Counters read and stored under the card file's lock, as `card process` does.
        res = await cardMod.processWithState({ card: o.card, state: o.state, dryRun: o.dryRun }, got, cattpDialect);
      } catch (e) {
        if (!(e instanceof OtaError)) throw e;
        // Not a packet the card can read: no PoR (TS 102 225: nothing to answer).
        ex.card = { error: e.message };
        ex.cardTree = node('Card', 'not processed', undefined, { status: 'warn', note: e.message });
        return undefined;
      }
      ex.card = cardMod.processJson(res, !o.dryRun);
      const { responseTree } = await import('../../secured/view.js');
      const { responseView } = await import('../../remote/view.js');
      const rv = res.response?.data?.length ? responseView(res.response.data) : undefined;
      ex.cardTree = node('Card', `status ${hex2(res.status)} (${res.statusName})`, [
        ...res.trace.map((t) => node(t)),
        ...(res.response ? [responseTree(res.response, rv?.tree ? [rv.tree] : undefined)] : [node('PoR', 'none (as SPI octet 2 and the card options say)')]),
      ], { status: res.status === 0 ? 'ok' : 'warn' });
      ex.sent = res.porPacket;
      return res.porPacket;
    }
    ex.sent = respond;
    return respond;
  };

  const records: import('../../cattp/session.js').DatagramRecord[] = [];
  const { log, trace } = await sessionLogger(o);
  const print = await treePrinter(o);
  const ann = announce(o);
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once('SIGINT', onSignal);
  let result: Awaited<ReturnType<typeof send>>;
  try {
    result = await send({
      to,
      sdu,
      onSdu: sdu ? undefined : answer,
      expectResponse: o.wait,
      srcPort: num(o.srcPort, '--src-port', 1024),
      dstPort: num(o.dstPort, '--dst-port', 1),
      identification,
      ...ann,
      ...timing(o),
      localPort: o.localPort === undefined ? undefined : intOption(o.localPort, '--local-port', 0, U16),
      records,
      log,
      trace,
      signal: ac.signal,
    });
  } catch (e) {
    if (e instanceof NetworkError || e instanceof OtaError) sessionPcap(o.pcap, records, toPcapRecords);
    printExchanges(o, print, exchanges);
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
  }
  sessionPcap(o.pcap, records, toPcapRecords);

  const failures = exchanges.flatMap((x) => x.view.failures);
  let respView: PacketView | undefined;
  let outcome: ReturnType<typeof porOutcome> = { failures: [] };
  if (sdu && result.response) {
    // Client-first: the answer to a command packet is its PoR.
    const req = cattpPacketKind(sdu) === 'command' ? (await viewSdu(sdu, o, undefined, 'command')).result?.command : undefined;
    respView = await viewSdu(result.response, o, req);
    failures.push(...respView.failures);
    // We sent the command: a PoR status other than 00 means it was not carried out.
    outcome = porOutcome([respView]);
  }
  const all = [...failures, ...outcome.failures];
  const peer = { isn: result.peer.isn, maxPdu: result.peer.maxPdu, maxSdu: result.peer.maxSdu, window: result.peer.window, ...idJson(result.peer.identification) };
  if (o.json) {
    printJson({
      format: formatTag('cattp-send'),
      local: result.local,
      remote: result.remote,
      peer,
      sent: sdu ? toHex(sdu) : undefined,
      response: respView ? { sdu: toHex(result.response!), ...(respView.json as object) } : undefined,
      exchanges: exchanges.map((x) => ({ received: { sdu: toHex(x.received), ...(x.view.json as object), ...(x.keys ? { keys: x.keys } : {}) }, card: x.card, sent: x.sent ? toHex(x.sent) : null })),
      verified: failures.length ? false : true,
      ok: all.length === 0,
      failures: all,
    });
  } else {
    if (sdu) {
      const kids: TreeNode[] = [hexNode('Sent SDU', sdu)];
      if (respView) kids.push(...respView.tree);
      else kids.push(node('Response', o.wait ? 'none' : 'not awaited (--no-wait)'));
      await printTree([node('Session', `${result.remote.address}:${result.remote.port}`, kids), await verdictNode(failures, respView?.notes ?? []), ...(outcome.tree ? [outcome.tree] : [])], o);
    } else printExchanges(o, print, exchanges);
  }
  if (failures.length) process.stderr.write(`uicc-ota: verification failed: ${failures.join('; ')}\n`);
  if (outcome.failures.length) process.stderr.write(`uicc-ota: OTA command failed: ${outcome.failures.join('; ')}\n`);
  if (all.length) process.exitCode = EXIT.VERIFY;
}

interface Exchange {
  received: Uint8Array;
  view: PacketView;
  /** --card: which of the card's key sets the command was read with. */
  keys?: Record<string, unknown>;
  keysTree?: TreeNode;
  card?: Record<string, unknown>;
  cardTree?: TreeNode;
  sent?: Uint8Array;
}

/**
 * Key options holding the card's own keys for a command packet: the key set
 * whose KVN is the KIc/KID high nibble, used only where the KIc/KID names the
 * algorithm that key set holds (or says "implicit") — the lookup the card
 * simulator makes. Keys never appear in the output, only their KVN.
 */
async function cardKeys(card: import('../../card/card.js').Card, packet: Uint8Array, o: ParseOpts): Promise<{ opts: ParseOpts; missingKic?: string; json: Record<string, unknown>; tree: TreeNode } | undefined> {
  if (cattpPacketKind(packet) !== 'command') return undefined;
  const { parseCommandHeader } = await import('../../secured/command.js');
  const { decodeKic, decodeKidCc, decodeKidRc } = await import('../../secured/kic.js');
  let hdr: CommandHeader;
  try {
    hdr = parseCommandHeader(cattpDialect, packet);
  } catch (e) {
    if (e instanceof OtaError) return undefined; // shown as malformed by viewSdu
    throw e;
  }
  const kicKvn = hdr.kic >> 4;
  const kidKvn = hdr.kid >> 4;
  const kicEntry = card.keysets.find((s) => s.kvn === kicKvn)?.kic;
  const kidEntry = card.keysets.find((s) => s.kvn === kidKvn)?.kid;
  const kicNamed = decodeKic(hdr.kic).algorithm;
  const kidNamed = hdr.spi.integrity === 'rc' ? decodeKidRc(hdr.kid).algorithm : decodeKidCc(hdr.kid).algorithm;
  const fits = (named: string | null, stored: string) => named === 'implicit' || named === stored;
  // '' (not undefined) so no --kic-key / environment key stands in for a key the card lacks.
  const opts: ParseOpts = { ...o, keyset: undefined, kvn: undefined, kicKey: '', kidKey: '', kicAlg: undefined, kidAlg: undefined };
  const missing: string[] = [];
  const used: string[] = [];
  if (kicEntry && fits(kicNamed, kicEntry.algorithm)) {
    opts.kicKey = toHex(kicEntry.key);
    if (kicNamed === 'implicit') opts.kicAlg = kicEntry.algorithm;
    used.push(`KIc: key set KVN ${kicKvn} (${kicEntry.algorithm})`);
  } else if (hdr.spi.ciphering) {
    missing.push(kicEntry ? `the card's KIc key of KVN ${kicKvn} is ${kicEntry.algorithm}, KIc ${hex2(hdr.kic)} names ${kicNamed}` : `the card has no KIc key with KVN ${kicKvn}`);
  }
  if (kidEntry && fits(kidNamed, kidEntry.algorithm)) {
    opts.kidKey = toHex(kidEntry.key);
    if (kidNamed === 'implicit') opts.kidAlg = kidEntry.algorithm;
    used.push(`KID: key set KVN ${kidKvn} (${kidEntry.algorithm})`);
  } else if (hdr.spi.integrity === 'cc') {
    missing.push(kidEntry ? `the card's KID key of KVN ${kidKvn} is ${kidEntry.algorithm}, KID ${hex2(hdr.kid)} names ${kidNamed}` : `the card has no KID key with KVN ${kidKvn}`);
  }
  const json = { from: 'card', kic: kicEntry ? kicKvn : null, kid: kidEntry ? kidKvn : null, missing };
  const tree = node('Keys', `from the card file${used.length ? `: ${used.join(', ')}` : ''}`, undefined, {
    status: missing.length ? 'warn' : undefined,
    note: missing.length ? missing.join('; ') : 'deciphered and checked as the card simulator does',
  });
  const missingKic = hdr.spi.ciphering && !opts.kicKey ? missing[0] : undefined;
  return { opts, missingKic, json, tree };
}

/** "no KIc key given" is untrue with --card: say which key the card lacks. */
function relabelMissingKeys(view: PacketView, missing: string): void {
  const fix = (t: string) => t.replace(/no KIc key given/g, missing);
  const walk = (n: TreeNode) => {
    if (n.value) n.value = fix(n.value);
    if (n.note) n.note = fix(n.note);
    n.children?.forEach(walk);
  };
  view.tree.forEach(walk);
  view.notes = view.notes.map(fix);
  const j = view.json as { notes?: string[]; checksum?: { reason?: string } };
  if (j.notes) j.notes = j.notes.map(fix);
  if (j.checksum?.reason) j.checksum.reason = fix(j.checksum.reason);
}

function printExchanges(o: OutputOptions, print: (n: TreeNode[]) => void, exchanges: Exchange[]): void {
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

/**
 * `send smpp` as a library call: the ESME side of SMPP 3.4. Bind to an SMSC,
 * submit the secured command as SMS user data (UDH included, 3GPP TS 31.115
 * cl. 4; one submit_sm per segment), wait for the PoR in a deliver_sm, match
 * it to its command by TAR and CNTR (TS 102 225 cl. 5.2) and read it as
 * `parse por --request COMMAND` does (src/api/smpp-download.ts,
 * src/transport/smpp/).
 *
 * Options are the command's long option names in camelCase. `sendSmpp`
 * resolves with the object `send smpp --json` prints (the PoR as `parse por
 * --json` shows it, with `statusOk` / `expectedStatus`; with `wait: false`
 * the submit line), plus `units` (the SMS user data sent) and `warnings` (the
 * command's "note:" lines). `sendSmppEach` is `--each`. Bad options throw
 * InputError (2), a missing `smpp` package StateError (3), SMPP failures or no
 * PoR NetworkError (4) (VerifyError, 1, when only PoRs of other commands came).
 * Nothing is written to stdout/stderr: `onPdu` sees every SMPP PDU (--trace).
 */
import { InputError, NetworkError, VerifyError, OtaError } from '../util/errors.js';
import { formatTag } from '../util/json-format.js';
import { fromHex, toHex, hex2 } from '../util/hex.js';
import { intOption, octet } from '../util/options.js';
import { parseExpectStatus, statusFailure, statusFailureLine } from '../secured/expect-status.js';
import type { SendSmppResult as EsmeResult, SendSmppOptions as EsmeOptions, SubmittedMessage, PorIdentity, EsmeSession as EsmeSessionT } from '../transport/smpp/esme.js';
import type { BatchSummary } from '../batch/engine.js';
import { errorJson, jsonErrorLine, textErrorLine } from '../batch/line.js';
import type { StreamOptions } from './batch.js';
import type { SecuredCommand } from '../secured/command.js';
import { securityOpts, type SecurityOptions } from './build.js';
import { password, systemId, smppAddress } from './smpp-options.js';
import { buildForSmpp, parsePorForSmpp, porIdentityReader, porReader, type BuiltForSmpp, type SmppBuildOpts } from './smpp-download.js';
import type { ParseOpts } from './packet.js';
import type { Parsed, ParseResult } from './parse.js';

type Num = string | number;

/** Every SMPP PDU both ways, as the ESME logs it (the CLI's --trace renders it with pduTree). */
export type SmppPduLog = Parameters<NonNullable<EsmeOptions['onPdu']>>[0];

/** `send smpp` options (camelCase of the long options). */
export interface SendSmppOptions extends SecurityOptions {
  /** Accept a 3DES key that degrades to single DES (K1 = K2). */
  allowWeakKey?: boolean;
  /** SMSC address (default 127.0.0.1). */
  host?: string;
  port: Num;
  systemId: string;
  /** Text, @file, or (absent) env UICC_OTA_SMPP_PASSWORD. */
  password?: string;
  systemType?: string;
  /** The card's MSISDN ("+…" international). */
  dest: string;
  destTon?: Num;
  destNpi?: Num;
  source?: string;
  sourceTon?: Num;
  sourceNpi?: Num;
  /** Default transceiver. */
  bind?: 'transceiver' | 'transmitter';
  /** protocol_id (default 7F). */
  pid?: string;
  /** data_coding (default F6). */
  dcs?: string;
  /** registered_delivery (default 0). */
  registeredDelivery?: Num;
  /** Bound on each SMPP step and on the wait for the PoR(s), ms (default 10000). */
  timeout?: Num;
  /** false: return after the submit_sm_resp(s) (default true). */
  wait?: boolean;
  concatRef?: Num;
  concat16?: boolean;
  /** Read the PoR data as a compact remote response. */
  compact?: boolean;
  /** PoR statuses a negative test expects (exactly these pass); default 00, 0B, 0C. */
  expectStatus?: string | readonly (string | number)[];
  /** Told every SMPP PDU both ways (the CLI's --trace). */
  onPdu?: (log: SmppPduLog) => void;
  /** Told each deliver_sm that was not a PoR (delivery receipts, other traffic), one line each, once the exchange ends (also before an error). */
  onOther?: (line: string) => void;
}

/** `send smpp --json` (waiting for the PoR): the PoR as `parse por --json` shows it, plus the SMS user data sent and the notes. */
export type SendSmppResult = ParseResult & { units: Uint8Array[]; warnings: string[] };

/** `send smpp --no-wait --json`: what the SMSC answered to the submit_sm(s). */
export interface SmppSubmitted {
  line: number;
  tar: string;
  counter: number | null;
  messageIds: string[];
  error: string | null;
  [key: string]: unknown;
}

/** One line of `send smpp --each`: a command's outcome, or an input line passed through (blank, # comment). */
export type SmppEachLine =
  | { line: number; passThrough: string }
  | {
    line: number;
    /** A PoR read (`por`), a command that failed before its PoR could be read (`error`: SMPP, no PoR, bad PoR), or with `wait: false` the submit (`submitted`). */
    kind: 'por' | 'error' | 'submitted';
    /** The NDJSON object `--each --json` prints for this line. */
    json: Record<string, unknown>;
    /** What failed (the text line's reason after "FAIL"); the error when `json.error` is set. */
    failures: string[];
    /** 0, or the exit code of this line (1 a check failed, 2 bad input, 4 SMPP). */
    exitCode: number;
  };

export interface SmppEachResult {
  /** One entry per input line, in order. */
  lines: SmppEachLine[];
  /** The worst line's exit code (0 when every command passed). */
  exitCode: number;
  /** Notes on deliver_sm that were not PoRs (the command prints them with --trace). */
  warnings: string[];
  /** The SMS user data sent, per command line sent (lines that are not hex send nothing). */
  units: Uint8Array[][];
}

interface Checked {
  port: number;
  sid: string;
  pw: string;
  dest: ReturnType<typeof smppAddress>;
  source?: ReturnType<typeof smppAddress>;
  pid: number;
  dcs: number;
  rd: number;
  timeoutMs: number;
  expect?: number[];
}

const str = (v: Num | undefined): string | undefined => (v === undefined ? undefined : String(v));

/** The options checked, in the command's order (the first bad one is the error). */
function check(o: SendSmppOptions): Checked {
  const port = intOption(o.port, '--port', 1, 65535);
  const sid = systemId(o.systemId);
  const pw = password(o.password);
  const dest = smppAddress(o.dest, str(o.destTon), str(o.destNpi), '--dest');
  const source = o.source !== undefined ? smppAddress(o.source, str(o.sourceTon), str(o.sourceNpi), '--source') : undefined;
  const pid = octet(o.pid ?? '7F', '--pid');
  const dcs = octet(o.dcs ?? 'F6', '--dcs');
  const rd = intOption(o.registeredDelivery ?? '0', '--registered-delivery', 0, 0x1f);
  const timeoutMs = intOption(o.timeout ?? '10000', '--timeout', 1, 3_600_000);
  const expect = parseExpectStatus(o.expectStatus);
  return { port, sid, pw, dest, source, pid, dcs, rd, timeoutMs, expect };
}

/** What came back, with what is needed to read it. */
export interface SmppRun {
  built: BuiltForSmpp;
  result: EsmeResult;
  checked: Checked;
  /** The one line for "no PoR for command i". */
  noPor(i: number): string;
  /** The command's keys as `parse por` takes them. */
  parseOpts: ParseOpts;
}

const cntr = (c: bigint | undefined) => (c === undefined ? '?' : String(c));

/** Build (reserving counters), bind, submit, wait: the exchange of `send smpp` for one command, or one per `datas` entry (--each). */
async function exchange(o: SendSmppOptions, c: Checked, datas?: Uint8Array[]): Promise<SmppRun> {
  const { sendSmpp: esmeSend, loadSmpp } = await import('../transport/smpp/index.js');
  loadSmpp(); // exit 3 with what to install, before any counter is reserved
  const so = { ...securityOpts(o), concatRef: str(o.concatRef) ?? '0', concat16: o.concat16 } as SmppBuildOpts;
  // Counters reserved here are used whatever happens next (never reused).
  const built = await buildForSmpp(so, datas);
  const result = await esmeSend({
    host: o.host ?? '127.0.0.1', port: c.port, systemId: c.sid, password: c.pw, systemType: o.systemType, bind: o.bind ?? 'transceiver',
    dest: c.dest, source: c.source, pid: c.pid, dcs: c.dcs, registeredDelivery: c.rd, timeoutMs: c.timeoutMs, wait: o.wait ?? true,
    messages: built.messages,
    // The PoR's TAR is in clear; its CNTR may be ciphered: read with the keys of the command with that TAR.
    readPor: porIdentityReader(built),
    onPdu: o.onPdu,
  });
  for (const n of result.other) o.onOther?.(n);
  const noPor = (i: number) => noPorText(built.commands[i], result.messages[i], result.unmatched, c.timeoutMs);
  return { built, result, checked: c, noPor, parseOpts: { ...o, kvn: str(o.kvn) } as ParseOpts };
}

function submittedJson(cmd: SecuredCommand, m: SubmittedMessage, line: number): SmppSubmitted {
  return { format: formatTag('smpp-submit'), line, tar: toHex(cmd.tar), counter: cmd.counter === undefined ? null : Number(cmd.counter), messageIds: m.messageIds, error: m.error ?? null };
}

/** The single command's outcome, for the CLI: the parse of its PoR and what to say on stderr. */
export interface SmppSingle {
  run: SmppRun;
  /** wait: false: the submit line. */
  submitted?: SmppSubmitted;
  /** The PoR read as `parse por --request COMMAND` (json, trees, failures, refusals, inputError). */
  parsed?: Parsed;
  /** "note:" lines of the PoR's message (always printed). */
  notes: string[];
  /** The PoR status line when the status fails the command and parse did not already say so. */
  statusLine?: string;
}

/** `send smpp` for one command, everything the CLI renders (see sendSmpp). */
export async function runSendSmpp(o: SendSmppOptions): Promise<SmppSingle> {
  const c = check(o);
  const run = await exchange(o, c);
  const m = run.result.messages[0];
  if (!(o.wait ?? true)) {
    if (m.error) throw new NetworkError(m.error);
    return { run, submitted: submittedJson(run.built.commands[0], m, 1), notes: [] };
  }
  if (m.error) throw new NetworkError(m.error);
  if (!m.por) {
    if (run.result.unmatched.length) throw new VerifyError(run.noPor(0));
    throw new NetworkError(run.noPor(0));
  }
  const { parseInputs } = await import('./parse.js');
  const cmd = run.built.commands[0];
  const parsed = await parseInputs(m.por.uds, { ...run.parseOpts, request: toHex(cmd.bytes) }, 'por');
  // A send fails when the card says the command failed (as cattp send does).
  const st = porReader(cmd, run.built.keys)(m.por.uds).status;
  const refused = statusFailure(st, c.expect);
  const parseFailed = parsed.inputError !== undefined || parsed.failures.length > 0 || parsed.refusals.length > 0;
  return { run, parsed, notes: m.notes, statusLine: refused && !parseFailed ? statusFailureLine(st, refused) : undefined };
}

/**
 * `send smpp --json`: one secured command through the SMSC, its PoR read and
 * verified. Resolves with the PoR as `parse por --json` shows it (a failed
 * check: `verified: false`, `failures`; an unexpected status: `statusOk:
 * false`); with `wait: false`, the submit line. Rejects with the typed error
 * the command prints on stderr (bad input in the PoR too, as parsePor does).
 */
export function sendSmpp(options: SendSmppOptions & { wait: false }): Promise<SmppSubmitted & { units: Uint8Array[]; warnings: string[] }>;
export function sendSmpp(options: SendSmppOptions): Promise<SendSmppResult>;
export async function sendSmpp(options: SendSmppOptions): Promise<SendSmppResult | (SmppSubmitted & { units: Uint8Array[]; warnings: string[] })> {
  const r = await runSendSmpp(options);
  const units = r.run.built.messages[0].uds;
  const warnings = [...r.run.result.other, ...r.notes];
  if (r.submitted) return { ...r.submitted, units, warnings };
  if (r.parsed!.inputError) throw r.parsed!.inputError;
  return { ...r.parsed!.json, units, warnings };
}

/** Input lines of --each: text (split at line ends as the line readers do: LF, CRLF or a lone CR; a leading BOM dropped) or the lines. */
function inputLines(input: string | readonly string[]): string[] {
  if (typeof input !== 'string') return [...input];
  const lines = (input.charCodeAt(0) === 0xfeff ? input.slice(1) : input).split(/\r\n?|\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

type EachOutcome = Exclude<SmppEachLine, { passThrough: string }>;

/** A line that failed: its JSON is the error object of every --each --json (uicc-ota-error/1). */
function errorOutcome(line: number, message: string, exitCode: number): EachOutcome {
  return { line, kind: 'error', json: errorJson({ line, message, exitCode }), failures: [message], exitCode };
}

/** One command's line of `--each` (the PoR read as parse por reads it, or what went wrong). */
function eachLine(line: number, m: SubmittedMessage, cmd: SecuredCommand, parseOpts: ParseOpts, expect: number[] | undefined, wait: boolean, noPor: () => string, strays: boolean): EachOutcome {
  const fail = (msg: string, code: number): EachOutcome => errorOutcome(line, msg, code);
  if (!wait) {
    const code = m.error ? 4 : 0;
    return { line, kind: 'submitted', json: submittedJson(cmd, m, line), failures: m.error ? [m.error] : [], exitCode: code };
  }
  if (m.error) return fail(m.error, 4);
  if (!m.por) return fail(noPor(), strays ? 1 : 4);
  try {
    const res = parsePorForSmpp(m.por.uds, cmd, parseOpts);
    if (res.inputError) throw res.inputError;
    const failures = [...res.peeled.failures, ...res.failures];
    const st = (res.json.status as { code?: string } | null | undefined)?.code;
    const refused = statusFailure(st === undefined ? undefined : parseInt(st, 16), expect);
    if (refused) failures.push(refused);
    return {
      line,
      kind: 'por',
      json: { format: res.json.format, line, layers: [...(res.peeled.layerNames ?? res.peeled.layers.map((l) => l.name)), 'response packet'], ...res.json, messageIds: m.messageIds, verified: failures.length ? false : res.json.verified },
      failures,
      exitCode: failures.length ? 1 : 0,
    };
  } catch (e) {
    if (!(e instanceof OtaError)) throw e;
    return fail(e.message, e.exitCode);
  }
}

/** The one line for "no PoR for this command" (what else came, an interim PoR only). */
function noPorText(cmd: SecuredCommand, m: SubmittedMessage, unmatched: EsmeResult['unmatched'], timeoutMs: number): string {
  const seen = unmatched.map((u) => `TAR ${toHex(u.identity.tar)} CNTR ${cntr(u.identity.counter)}${u.identity.status !== undefined ? ` status ${hex2(u.identity.status)}` : ''}`);
  return `SMPP waiting for the PoR: no PoR for TAR ${toHex(cmd.tar)} CNTR ${cntr(cmd.counter)} within ${timeoutMs} ms` +
    (seen.length ? `; received a PoR for another command (${seen.join('; ')})` : '') +
    (m.interim ? '; only the status 0B PoR arrived (the complete PoR by SMS-SUBMIT did not)' : '');
}

/**
 * `send smpp --each`: one command per input line of secured data (hex; blank
 * and # lines passed through), the counter +1 per command sent from
 * `counter`, all submitted on one SMPP session; one result per input line, in
 * input order (`json`: the NDJSON object `--each --json` prints). A command
 * that failed is a line with its exit code, and a line that is not hex an
 * error line (exit 2, not sent): the campaign goes on; bad options throw.
 * `input` may be a function giving the text (read only once the options are
 * known to be good). `streamSendSmpp` is the same, line by line.
 */
export async function sendSmppEach(input: string | readonly string[] | (() => string | readonly string[]), o: SendSmppOptions): Promise<SmppEachResult> {
  const c = check(o);
  if (o.apdu?.length || (o.data !== undefined && o.data !== '') || o.expanded) {
    throw new InputError('with --each the secured data comes from stdin, one hex line per command: drop --apdu/--data/--expanded', { field: '--each' });
  }
  // Output line N answers input line N: blank and # lines are passed through.
  const rawLines = inputLines(typeof input === 'function' ? input() : input);
  const workAt: number[] = [];
  rawLines.forEach((l, k) => {
    if (l.trim() && !l.trim().startsWith('#')) workAt.push(k + 1);
  });
  const passed = (k: number) => ({ line: k + 1, passThrough: rawLines[k] });
  // A line that is not hex is its own error line (exit 2, as the command's stream gives it); the others are sent.
  const bad = new Map<number, EachOutcome>();
  const sendAt: number[] = [];
  const datas: Uint8Array[] = [];
  for (const n of workAt) {
    try {
      datas.push(fromHex(rawLines[n - 1], ''));
      sendAt.push(n);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      bad.set(n, errorOutcome(n, e.message, e.exitCode));
    }
  }
  const sent = new Map<number, EachOutcome>();
  let warnings: string[] = [];
  let units: Uint8Array[][] = [];
  if (datas.length) {
    const run = await exchange(o, c, datas);
    const { result, built } = run;
    const wait = o.wait ?? true;
    result.messages.forEach((m, i) => sent.set(sendAt[i], eachLine(sendAt[i], m, built.commands[i], run.parseOpts, c.expect, wait, () => run.noPor(i), result.unmatched.length > 0)));
    warnings = result.other;
    units = built.messages.map((x) => x.uds);
  }
  const lines: SmppEachLine[] = rawLines.map((_, k) => sent.get(k + 1) ?? bad.get(k + 1) ?? passed(k));
  return {
    lines,
    exitCode: lines.reduce((w, x) => Math.max(w, 'exitCode' in x ? x.exitCode : 0), 0),
    warnings,
    units,
  };
}

/** What `streamSendSmpp` resolves with once the input has ended and every line is written. */
export interface SmppStreamSummary extends BatchSummary {
  /** Command lines (blank and # lines not counted). */
  commands: number;
  /** Command lines that failed (an error, a failed check, a refused status). */
  failed: number;
  /** Notes on deliver_sm that were not PoRs (the command prints them with --trace). */
  warnings: string[];
}

/**
 * `send smpp --each` as a stream (what the command runs): each input line of
 * secured data (hex) is secured, framed and submitted as soon as it is read,
 * on one SMPP session bound at the first command line; its output line (text
 * as `--each` prints it, or with `s.json` its NDJSON object) is written as
 * soon as its PoR came (or its --timeout passed) and the lines before it are
 * written. Output line N answers input line N (blank and # lines passed
 * through: text as is, JSON empty). A bad line or a failed command is its
 * own line with its exit code and the campaign goes on; the worst exit code
 * wins. The counter advances per command line from `counter` (with "next",
 * reserved as lines are read, a block per read). Bad options throw before
 * any line; a session that cannot be bound throws (NetworkError, 4).
 */
export async function streamSendSmpp(o: SendSmppOptions, s: Pick<StreamOptions, 'input' | 'output' | 'json' | 'onError'>): Promise<SmppStreamSummary> {
  const c = check(o);
  if (o.apdu?.length || (o.data !== undefined && o.data !== '') || o.expanded) {
    throw new InputError('with --each the secured data comes from stdin, one hex line per command: drop --apdu/--data/--expanded', { field: '--each' });
  }
  const { EsmeSession, loadSmpp, clearPorIdentity } = await import('../transport/smpp/index.js');
  loadSmpp(); // exit 3 with what to install, before any counter is reserved
  const { prepareCommand, batchCounters } = await import('./secured-options.js');
  const { buildCommand } = await import('../secured/command.js');
  const { smsDialect } = await import('../smspp/dialect.js');
  const { frameCommand } = await import('./frame.js');
  const { runBatch } = await import('../batch/engine.js');
  const so = { ...securityOpts(o), concatRef: str(o.concatRef) ?? '0', concat16: o.concat16 } as SmppBuildOpts;
  const next = so.counter === 'next';
  const first = await prepareCommand({ ...so, apdu: [], data: '', counter: next ? '0' : so.counter });
  const base = first.input.counter;
  const counters = batchCounters(so, first.input.kic, first.input.kid, first.input.tar);
  // A line whose data cannot be built (too long for its CPL or for 255 SMS) is not sent and takes no counter.
  const { fitsBy, buildFailure } = await import('../batch/fits.js');
  const tryBuild = (data: Uint8Array) => void frameCommand(buildCommand(smsDialect, { ...first.input, data, counter: 1n }, first.keys).bytes, { format: 'ud', concatRef: so.concatRef, concat16: so.concat16 });
  const fits = fitsBy(tryBuild);
  const parseOpts = { ...o, kvn: str(o.kvn) } as ParseOpts;
  const wait = o.wait ?? true;
  // Every line has the same SPI, KIc, KID and TAR: the first command's keys read every PoR's CNTR and status.
  let reader: ((uds: Uint8Array[]) => PorIdentity) | undefined;
  let session: EsmeSessionT | undefined;
  const summary: SmppStreamSummary = { lines: 0, errors: 0, exitCode: 0, commands: 0, failed: 0, warnings: [] };
  try {
    const r = await runBatch({
      input: s.input,
      output: s.output,
      passThrough: s.json ? 'empty' : 'echo',
      // A line that is not hex, or whose data cannot be built, is not sent and uses up no counter.
      seqRule: 'hex',
      seqFits: fits,
      // Before the first command line: the bind (its failure ends the run, exit 4, before any counter is reserved);
      // with "next", a block of counters per read.
      context: async (seq0, count) => {
        session ??= await EsmeSession.open({
          host: o.host ?? '127.0.0.1', port: c.port, systemId: c.sid, password: c.pw, systemType: o.systemType, bind: o.bind ?? 'transceiver',
          dest: c.dest, source: c.source, pid: c.pid, dcs: c.dcs, registeredDelivery: c.rd, timeoutMs: c.timeoutMs, wait,
          // Before the first command is built (a stray PoR): its clear header only.
          readPor: (uds) => (reader ? reader(uds) : clearPorIdentity(uds)),
          onPdu: o.onPdu,
        });
        return next ? counters(seq0, count) : undefined;
      },
      // Built and handed to the session in input order (it submits in that order); the PoRs are awaited together.
      fn: (line, lineNo, seq, ctx) => {
        summary.commands++;
        const data = fromHex(line, '');
        if (!fits(data.length)) throw buildFailure(tryBuild, data);
        const k = ctx as { seq0: number; counter: bigint } | undefined;
        const counter = k ? k.counter + BigInt(seq - k.seq0) : base + BigInt(seq);
        const cmd = buildCommand(smsDialect, { ...first.input, data, counter }, first.keys);
        reader ??= porReader(cmd, first.keys);
        const uds = frameCommand(cmd.bytes, { format: 'ud', concatRef: so.concatRef, concat16: so.concat16 });
        const es = session!;
        return es.send({ uds, tar: cmd.tar, counter: cmd.counter }).then((m) => {
          const x = eachLine(lineNo, m, cmd, parseOpts, c.expect, wait, () => noPorText(cmd, m, es.unmatched, c.timeoutMs), es.unmatched.length > 0);
          if (x.exitCode) summary.failed++;
          return { text: s.json ? JSON.stringify(x.json) : eachText(x), exitCode: x.exitCode };
        });
      },
      formatError: s.json ? jsonErrorLine : textErrorLine,
      onError: (e) => {
        summary.failed++;
        s.onError?.(e);
      },
    });
    Object.assign(summary, r);
  } finally {
    if (session) {
      await session.close();
      summary.warnings = session.other;
      for (const n of session.other) o.onOther?.(n);
    }
  }
  return summary;
}

/** The text line of a command of `--each` (the NDJSON object's essentials, as parse --each prints a line). */
export function eachText(x: { kind: string; json: Record<string, unknown>; failures: string[] }): string {
  const j = x.json as { line: number; error?: string | null; tar: string; counter?: number | null; messageIds?: string[]; status?: { code: string } | null; checksum: { type: string; verified: boolean | null } };
  if (x.kind === 'error' || (x.kind === 'submitted' && j.error)) return `${j.line} ERROR ${j.error}`;
  if (x.kind === 'submitted') return `${j.line} SUBMITTED tar=${j.tar} cntr=${j.counter ?? '?'} message_id=${j.messageIds!.join(',')}`;
  const verdict = x.failures.length ? 'FAIL' : j.checksum.verified === true ? 'OK' : 'UNCHECKED';
  return `${j.line} ${verdict} response tar=${j.tar}${j.status ? ` status=${j.status.code}` : ''} ${j.checksum.type}${x.failures.length ? ': ' + x.failures.join('; ') : ''}`;
}

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
import { fromHex, toHex, hex2 } from '../util/hex.js';
import { intOption, octet } from '../util/options.js';
import { parseExpectStatus, statusFailure, statusFailureLine } from '../secured/expect-status.js';
import type { SendSmppResult as EsmeResult, SendSmppOptions as EsmeOptions } from '../transport/smpp/esme.js';
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
  /** The SMS user data sent, per command line. */
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
  const other = () => result.unmatched.map((u) => `TAR ${toHex(u.identity.tar)} CNTR ${cntr(u.identity.counter)}${u.identity.status !== undefined ? ` status ${hex2(u.identity.status)}` : ''}`);
  const noPor = (i: number) => {
    const cmd = built.commands[i];
    const seen = other();
    return `SMPP waiting for the PoR: no PoR for TAR ${toHex(cmd.tar)} CNTR ${cntr(cmd.counter)} within ${c.timeoutMs} ms` +
      (seen.length ? `; received a PoR for another command (${seen.join('; ')})` : '') +
      (result.messages[i].interim ? '; only the status 0B PoR arrived (the complete PoR by SMS-SUBMIT did not)' : '');
  };
  return { built, result, checked: c, noPor, parseOpts: { ...o, kvn: str(o.kvn) } as ParseOpts };
}

function submittedJson(run: SmppRun, i: number, line: number): SmppSubmitted {
  const cmd = run.built.commands[i];
  const m = run.result.messages[i];
  return { line, tar: toHex(cmd.tar), counter: cmd.counter === undefined ? null : Number(cmd.counter), messageIds: m.messageIds, error: m.error ?? null };
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
    return { run, submitted: submittedJson(run, 0, 1), notes: [] };
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

/** Input lines of --each: text (split at line ends) or the lines. */
function inputLines(input: string | readonly string[]): string[] {
  if (typeof input !== 'string') return [...input];
  const lines = input.split(/\r?\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * `send smpp --each`: one command per input line of secured data (hex; blank
 * and # lines passed through), the counter +1 per command from `counter`,
 * all submitted on one SMPP session; one result per input line, in input
 * order (`json`: the NDJSON object `--each --json` prints). A command that
 * failed is a line with its exit code (the campaign goes on); bad options or
 * a bad hex line throw. `input` may be a function giving the text (read only
 * once the options are known to be good).
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
  if (!workAt.length) return { lines: rawLines.map((_, k) => passed(k)), exitCode: 0, warnings: [], units: [] };
  const datas = workAt.map((n) => fromHex(rawLines[n - 1], `stdin line ${n}`));
  const run = await exchange(o, c, datas);
  const { result, built } = run;
  const out: SmppEachLine[] = [];
  let worst = 0;
  const wait = o.wait ?? true;
  result.messages.forEach((m, i) => {
    const line = workAt[i] ?? i + 1;
    if (!wait) {
      const code = m.error ? 4 : 0;
      worst = Math.max(worst, code);
      out.push({ line, kind: 'submitted', json: submittedJson(run, i, line), failures: m.error ? [m.error] : [], exitCode: code });
      return;
    }
    const fail = (msg: string, code: number) => {
      worst = Math.max(worst, code);
      out.push({ line, kind: 'error', json: { line, error: msg, exitCode: code }, failures: [msg], exitCode: code });
    };
    if (m.error) return fail(m.error, 4);
    if (!m.por) return fail(run.noPor(i), result.unmatched.length ? 1 : 4);
    try {
      const res = parsePorForSmpp(m.por.uds, built.commands[i], run.parseOpts);
      if (res.inputError) throw res.inputError;
      const failures = [...res.peeled.failures, ...res.failures];
      const st = (res.json.status as { code?: string } | null | undefined)?.code;
      const refused = statusFailure(st === undefined ? undefined : parseInt(st, 16), c.expect);
      if (refused) failures.push(refused);
      if (failures.length) worst = Math.max(worst, 1);
      out.push({
        line,
        kind: 'por',
        json: { line, layers: [...(res.peeled.layerNames ?? res.peeled.layers.map((l) => l.name)), 'response packet'], ...res.json, messageIds: m.messageIds, verified: failures.length ? false : res.json.verified },
        failures,
        exitCode: failures.length ? 1 : 0,
      });
    } catch (e) {
      if (!(e instanceof OtaError)) throw e;
      fail(e.message, e.exitCode);
    }
  });
  let i = 0;
  return {
    lines: rawLines.map((l, k) => (l.trim() && !l.trim().startsWith('#') ? out[i++] : passed(k))),
    exitCode: worst,
    warnings: result.other,
    units: built.messages.map((x) => x.uds),
  };
}

/**
 * `send pcsc` as a library call: build the ENVELOPE(SMS-PP DOWNLOAD) C-APDUs
 * as `build sms --format envelope` does (3GPP TS 31.111 cl. 7.1.1.2, one per
 * SMS segment), run the SMS-PP data download with the card in a PC/SC reader
 * as a terminal would (TERMINAL PROFILE, SELECT, ENVELOPE, GET RESPONSE,
 * FETCH / TERMINAL RESPONSE: src/transport/pcsc/), then read and verify the
 * PoR (TS 102 225 cl. 5.2) as `parse por --request COMMAND` reads it.
 *
 * Options are the command's long option names in camelCase; the result is the
 * object `send pcsc --json` prints, plus `units` (the ENVELOPEs sent) and
 * `warnings`. A failed check or an unexpected PoR status is `ok: false` with
 * `failures`; bad options throw InputError (exit 2), a missing PC/SC binding
 * StateError (3), a PC/SC or card failure NetworkError (4). Nothing is written
 * to stdout/stderr: `onApdu` sees every APDU exchanged (the CLI's --trace).
 */
import { formatTag } from '../util/json-format.js';
import { EXIT, InputError, type OtaError } from '../util/errors.js';
import { fromHex, hex2, hex4, toHex } from '../util/hex.js';
import { node, type TreeNode } from '../render/tree.js';
import { verdictNode } from '../render/verdict.js';
import { statusName } from '../secured/status.js';
import { parseExpectStatus, statusFailure, statusFailureLine } from '../secured/expect-status.js';
import type { SecuredCommand } from '../secured/command.js';
import type { ApduExchange, SendPcscResult as PcscExchange } from '../transport/pcsc/send.js';
import type { BatchSummary } from '../batch/engine.js';
import { jsonErrorLine, textErrorLine } from '../batch/line.js';
import type { StreamOptions } from './batch.js';
import { securityOpts, smsFrameOpts, type SecurityOptions, type SmsDeliverOptions } from './build.js';
import type { DownloadOpts } from './sms-download.js';
import type { ParseOpts } from './packet.js';
import { preparePcsc, type PcscTerminal, type PcscTerminalOptions } from './pcsc-options.js';


export type { ApduExchange };

/** `send pcsc` options (camelCase of the long options): `build sms`'s security and SMS-DELIVER options, and the terminal's. */
export interface SendPcscOptions extends SecurityOptions, SmsDeliverOptions, PcscTerminalOptions {
  /** Accept a 3DES key that degrades to single DES (K1 = K2). */
  allowWeakKey?: boolean;
  /** Reader: index (0-based), exact name or a unique part of it (default the first reader with a card). */
  reader?: string;
  /** Write the APDU exchange as GSMTAP SIM frames to this pcap file (also when the exchange fails). */
  pcap?: string;
  /** PoR statuses a negative test expects (exactly these pass); default 00, 0B, 0C. */
  expectStatus?: string | readonly (string | number)[];
  /** Told every C-APDU / R-APDU as it is exchanged. */
  onApdu?: (x: ApduExchange) => void;
  /**
   * Told once the exchange with the card ends, also when it fails: every APDU
   * exchanged and the reader (undefined when the exchange failed); awaited
   * before the PoR is read (the CLI's --trace).
   */
  onExchanged?: (steps: readonly ApduExchange[], reader: string | undefined) => void | Promise<void>;
}

/** The object `send pcsc --json` prints, plus the ENVELOPEs sent (`units`) and `warnings` (none: the status-word warnings are in `transport.warnings`). */
export interface SendPcscResult {
  layers: string[];
  failures: string[];
  verified: boolean | null;
  ok: boolean;
  transport: Record<string, unknown>;
  units: Uint8Array[];
  warnings: string[];
  [key: string]: unknown;
}

interface Prepared extends PcscTerminal {
  /** --expect-status: the PoR statuses a negative test expects (then exactly those pass). */
  expectStatus?: number[];
}

async function prepare(o: SendPcscOptions): Promise<Prepared> {
  const expectStatus = parseExpectStatus(o.expectStatus);
  return { ...(await preparePcsc(o)), expectStatus };
}

/** API options → the options of build sms --format envelope (same defaults as the command). */
function downloadOpts(o: SendPcscOptions): DownloadOpts {
  const f = smsFrameOpts(o);
  return { ...securityOpts(o), format: 'envelope', concatRef: f.concatRef, oaTon: f.oaTon, oaNpi: f.oaNpi, pcap: undefined } as DownloadOpts;
}

/** `send pcsc --list --json`: the readers the PC/SC service knows, with card presence and ATR. */
export interface PcscReadersResult {
  format: string;
  readers: { index: number; name: string; card: boolean; atr: string | null }[];
}

/** `send pcsc --list --json`. Rejects with StateError without the PC/SC binding, NetworkError without the PC/SC service. */
export async function pcscReaders(): Promise<PcscReadersResult> {
  const { listPcscReaders } = await import('../transport/pcsc/send.js');
  const readers = await listPcscReaders();
  return { format: formatTag('pcsc-readers'), readers: readers.map((r) => ({ index: r.index, name: r.name, card: r.present, atr: r.atr ? toHex(r.atr) : null })) };
}

/** What a send came to: the --json object, the tree, the exit code and the one-line reason of a non-zero exit. */
export interface PcscOutcome {
  exitCode: number;
  /** One-line reason for a non-zero exit (the CLI's stderr line). */
  message?: string;
  /** Bad input found in the PoR after it was decoded (exit 2 after the output). */
  inputError?: OtaError;
  tree: TreeNode[];
  json: Record<string, unknown>;
  /** The --each line: OK / FAIL / UNCHECKED and the PoR's TAR, status, checksum type. */
  brief: string;
  /** The reader the card was in. */
  reader: string;
  /** The ENVELOPE C-APDUs sent. */
  units: Uint8Array[];
}

function transportJson(r: PcscExchange, p: Prepared) {
  return {
    reader: r.reader,
    atr: r.atr ? toHex(r.atr) : null,
    protocol: r.protocol,
    cla: hex2(p.cla),
    envelopes: r.envelopes.map((e) => ({ sw: hex4(e.sw), finalSw: hex4(e.finalSw), data: toHex(e.data) })),
    proactive: r.proactive.map((x) => ({ number: x.number, type: hex2(x.type), name: x.name, qualifier: hex2(x.qualifier), data: toHex(x.data), result: hex2(x.result) })),
    warnings: r.warnings,
    apdus: r.steps.map((s) => ({ step: s.step, command: toHex(s.command), response: toHex(s.response), sw: hex4(s.sw) })),
  };
}

/** Decode and judge the PoR the exchange brought back (TS 102 225 cl. 5.2; the statuses of Table 5). */
async function judge(ex: PcscExchange, command: SecuredCommand, o: SendPcscOptions, p: Prepared, units: Uint8Array[]): Promise<PcscOutcome> {
  const { parseDownloadPor } = await import('./sms-download.js');
  const porVia = ex.submitUds.length ? 'submit' : ex.deliverReportUd ? 'deliver-report' : null;
  const transport = { ...transportJson(ex, p), porVia };
  const head = node('Card', `${ex.reader} (${ex.protocol}${ex.atr ? `, ATR ${toHex(ex.atr)}` : ''})`, [
    ...ex.envelopes.map((e, i) => node(`ENVELOPE ${i + 1}/${ex.envelopes.length}`, `SW ${hex4(e.sw)}${e.finalSw !== e.sw ? `, then ${hex4(e.finalSw)}` : ''}${e.data.length ? `, ${e.data.length} octets of response data` : ''}`)),
    ...ex.proactive.map((x) => node(`Proactive ${x.name}`, `command ${x.number}, answered with general result ${hex2(x.result)}`, undefined, { hex: toHex(x.data) })),
    ...ex.warnings.map((w) => node('Warning', w, undefined, { status: 'warn' })),
  ]);
  if (!porVia) {
    const asked = command.spi.porRequest;
    const why = asked === 'none' ? 'SPI2 asks for none' : asked === 'on-error' ? 'SPI2 asks for a PoR on error only' : 'the command asked for one';
    const expected = p.expectStatus ? statusFailure(undefined, p.expectStatus) : undefined;
    const failed = asked === 'required' || asked === 'reserved' || expected !== undefined;
    const verdict = failed
      ? node('Result', `FAILED: no PoR (${why}; the card answered ${ex.envelopes.map((e) => hex4(e.finalSw)).join(', ')} without response data or SEND SHORT MESSAGE)`, undefined, { status: 'fail' })
      : node('Result', `no PoR (${why})`, undefined, { status: 'ok' });
    return {
      exitCode: failed ? EXIT.VERIFY : 0,
      message: failed ? `no PoR received (${why}; wrong keys, or a card that sends no PoR when authentication fails)${expected ? `: ${expected}` : ''}` : undefined,
      tree: [head, verdict],
      json: { format: formatTag('pcsc-no-por'), layers: [], transport, por: null, failures: failed ? ['no PoR received'] : [], verified: failed ? false : null, ok: !failed },
      brief: failed ? 'FAIL no PoR' : 'OK no PoR',
      reader: ex.reader,
      units,
    };
  }
  const uds = porVia === 'submit' ? ex.submitUds : [ex.deliverReportUd!];
  const parsed = parseDownloadPor(uds, command, { ...o, kvn: o.kvn === undefined ? undefined : String(o.kvn) } as ParseOpts);
  const r = parsed.result;
  const status = r.response?.status;
  const failures = [...parsed.failures];
  const outcome: string[] = [];
  const refused = statusFailure(status, p.expectStatus);
  if (refused) outcome.push(refused);
  const notes = [...r.notes];
  if (porVia === 'submit' && ex.deliverReportUd) notes.push('the ENVELOPE response carried a PoR too (status 0B: the complete PoR follows by SMS-SUBMIT)');
  const verdict = await verdictNode(failures, notes, (r.json.checksum as { type?: string } | undefined)?.type);
  const result = outcome.length
    ? node('Result', `FAILED: ${outcome.join('; ')}`, undefined, { status: 'fail', ...(status !== undefined && status !== 0 ? { note: 'the card did not carry out the command' } : {}) })
    : status !== undefined && status !== 0
      ? node('Result', `PoR status ${hex2(status)} (${statusName(status)}), as expected (--expect-status)`, undefined, { status: 'ok' })
      : node('Result', status === 0 ? 'PoR status 00 (PoR OK)' : 'PoR status not readable', undefined, { status: status === 0 ? 'ok' : 'warn' });
  const exitCode = r.inputError ? r.inputError.exitCode : failures.length || outcome.length ? EXIT.VERIFY : 0;
  const message = r.inputError ? r.inputError.message : failures.length ? `verification failed: ${failures.join('; ')}` : outcome.length ? statusFailureLine(status, outcome.join('; ')) : undefined;
  const j = r.json as { tar?: string; status?: { code: string } | null; checksum?: { type: string; verified: boolean | null } };
  const verdictWord = failures.length || outcome.length ? 'FAIL' : j.checksum?.verified === true ? 'OK' : 'UNCHECKED';
  return {
    exitCode,
    message,
    inputError: r.inputError,
    tree: [head, ...parsed.layerTrees, r.tree, verdict, result],
    json: {
      layers: [...parsed.layerNames, 'response packet'],
      ...r.json,
      framing: parsed.framing,
      failures: [...failures, ...outcome],
      verified: failures.length ? false : r.json.verified,
      ok: exitCode === 0,
      transport,
    },
    brief: `${verdictWord} response tar=${j.tar}${j.status ? ` status=${j.status.code}` : ''} ${j.checksum?.type ?? ''}${failures.length || outcome.length ? ': ' + [...failures, ...outcome].join('; ') : ''}`,
    reader: ex.reader,
    units,
  };
}

async function exchange(envelopes: Uint8Array[], o: SendPcscOptions, p: Prepared, steps: ApduExchange[]): Promise<PcscExchange> {
  const { sendPcsc: transportSend } = await import('../transport/pcsc/send.js');
  return transportSend({
    envelopes,
    reader: o.reader,
    timeoutMs: p.timeoutMs,
    cla: p.cla,
    terminalProfile: p.terminalProfile,
    selectAdf: p.selectAdf,
    proactiveResult: p.proactiveResult,
    onApdu: (x) => {
      steps.push(x);
      o.onApdu?.(x);
    },
  });
}

/** The APDU exchange as GSMTAP SIM frames (TS 102 221 APDUs; Wireshark's gsm_sim dissector). */
async function writeExchangePcap(path: string, steps: readonly ApduExchange[], startMs: number): Promise<void> {
  const { gsmtapSimRecords } = await import('../smspp/gsmtap.js');
  const { writePcap } = await import('../pcap/pcap.js');
  // gsm_sim reads CLA INS P1 P2 P3 ‖ command data ‖ response data ‖ SW1 SW2 (smspp/gsmtap.ts).
  writePcap(path, gsmtapSimRecords(steps.map((s) => ({ command: s.command, response: s.response.subarray(0, s.response.length - 2), sw: s.sw })), { startMs }));
}

/** The PC/SC binding, loaded (StateError, exit 3, naming what to install): before any counter is reserved. */
async function loadPcsc(): Promise<void> {
  const { loadBinding } = await import('../transport/pcsc/binding.js');
  loadBinding();
}

/**
 * `send pcsc` with everything the CLI renders: the --json object, the tree,
 * the exit code and its one-line reason. Bad options, a missing binding and
 * PC/SC failures throw (the pcap, when asked for, is written first).
 */
export async function runSendPcsc(o: SendPcscOptions): Promise<PcscOutcome> {
  const p = await prepare(o);
  // A missing binding is found before any counter is reserved (exit 3).
  await loadPcsc();
  const { buildEnvelopes } = await import('./sms-download.js');
  const built = await buildEnvelopes(downloadOpts(o));
  const steps: ApduExchange[] = [];
  const start = Date.now();
  let ex: PcscExchange | undefined;
  try {
    ex = await exchange(built.envelopes, o, p, steps);
  } finally {
    // What was exchanged is kept even when the exchange failed (the counter is spent either way).
    if (o.pcap) await writeExchangePcap(o.pcap, steps, start);
    await o.onExchanged?.(steps, ex?.reader);
  }
  return judge(ex, built.command, o, p, built.envelopes);
}

/**
 * `send pcsc --json`: one secured command to the card in a PC/SC reader, its
 * PoR read and verified. Resolves with the object the command prints (a
 * failed check: `ok: false`, `failures`); rejects with the typed error the
 * command prints on stderr (bad input in the PoR too, as parsePor does).
 */
export async function sendPcsc(options: SendPcscOptions): Promise<SendPcscResult> {
  const out = await runSendPcsc(options);
  if (out.inputError) throw out.inputError;
  return { ...out.json, units: out.units, warnings: [] } as unknown as SendPcscResult;
}

/** `send pcsc --each` options: no secured data of their own (each line is one command's). */
export type SendPcscEachOptions = Omit<SendPcscOptions, 'apdu' | 'data' | 'expanded' | 'indefinite' | 'immediateAction' | 'errorAction' | 'scriptChaining'> & { apdu?: string[]; data?: string; expanded?: boolean };

/**
 * `send pcsc --each` from a byte stream to text lines (as streamSmsBatch):
 * one command per input line of secured data, sent as soon as it is read, one
 * at a time, on one connection to the card (TERMINAL PROFILE and SELECT ADF
 * once, in the first line's exchange; after a failed exchange the next line
 * connects again), and answered by the output line of the same number (NDJSON with
 * `s.json`: the --json object with `line`; blank and # lines passed through);
 * a bad line is an error line and the campaign goes on; the worst exit code
 * wins. The counter advances per command line from `counter` (with "next",
 * counters are reserved as lines are read, a block per read). `s.pcap` is not
 * used: `pcap` writes the whole exchange once the input ends.
 */
export async function streamSendPcsc(o: SendPcscEachOptions, s: StreamOptions): Promise<BatchSummary> {
  const p = await prepare(o);
  await loadPcsc();
  if (o.apdu?.length || (o.data !== undefined && o.data !== '') || o.expanded) {
    throw new InputError('with --each the secured data comes from stdin, one hex line per packet: drop --apdu/--data/--expanded', { field: '--each' });
  }
  const { prepareCommand, batchCounters } = await import('./secured-options.js');
  const { buildCommand } = await import('../secured/command.js');
  const { smsDialect } = await import('../smspp/dialect.js');
  const { frameCommand } = await import('./frame.js');
  const { runBatch } = await import('../batch/engine.js');
  const so = downloadOpts(o as SendPcscOptions);
  const next = so.counter === 'next';
  const first = await prepareCommand({ ...so, apdu: [], data: '', counter: next ? '0' : so.counter });
  const base = first.input.counter;
  // A line whose data cannot be built (too long for its CPL or for 255 SMS) is not sent and takes no counter.
  const { fitsBy, buildFailure } = await import('../batch/fits.js');
  const tryBuild = (data: Uint8Array) => void frameCommand(buildCommand(smsDialect, { ...first.input, data, counter: 1n }, first.keys).bytes, { ...so, format: 'envelope' });
  const fits = fitsBy(tryBuild);
  const allSteps: ApduExchange[] = [];
  const start = Date.now();
  let chain: Promise<unknown> = Promise.resolve();
  // One connection for the campaign (TERMINAL PROFILE and SELECT ADF once, as a phone at power-up);
  // after a failed exchange the next line connects again.
  const { PcscUicc } = await import('../transport/pcsc/uicc.js');
  let steps: ApduExchange[] = [];
  const card = new PcscUicc({
    reader: o.reader, timeoutMs: p.timeoutMs, cla: p.cla, terminalProfile: p.terminalProfile, selectAdf: p.selectAdf, proactiveResult: p.proactiveResult,
    onApdu: (x) => {
      steps.push(x);
      o.onApdu?.(x);
    },
  });
  try {
    return await runBatch({
      input: s.input,
      output: s.output,
      passThrough: s.json ? 'empty' : 'echo',
      // A line that is not hex, or whose data cannot be built, is not sent and uses up no counter.
      seqRule: 'hex',
      seqFits: fits,
      context: next ? batchCounters(so, first.input.kic, first.input.kid, first.input.tar) : undefined,
      // One exchange with the card at a time, in input order.
      fn: (line, lineNo, seq, ctx) => {
        const run = chain.then(async () => {
          const data = fromHex(line, '');
          if (!fits(data.length)) throw buildFailure(tryBuild, data);
          const c = ctx as { seq0: number; counter: bigint } | undefined;
          const counter = c ? c.counter + BigInt(seq - c.seq0) : base + BigInt(seq);
          const command = buildCommand(smsDialect, { ...first.input, data, counter }, first.keys);
          const envelopes = frameCommand(command.bytes, { ...so, format: 'envelope' });
          steps = [];
          try {
            const ex = await card.download(envelopes);
            const out = await judge(ex, command, o as SendPcscOptions, p, envelopes);
            return { text: s.json ? JSON.stringify({ format: out.json.format, line: lineNo, ...out.json }) /* the version tag first, as everywhere */ : `${lineNo} ${out.brief}`, exitCode: out.exitCode };
          } finally {
            allSteps.push(...steps);
          }
        });
        chain = run.catch(() => undefined);
        return run;
      },
      formatError: s.json ? jsonErrorLine : textErrorLine,
      onError: s.onError,
    });
  } finally {
    await card.close();
    if (o.pcap) await writeExchangePcap(o.pcap, allSteps, start);
  }
}

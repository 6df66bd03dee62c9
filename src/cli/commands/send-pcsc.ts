/**
 * `send pcsc`: build the ENVELOPE(s) as `build sms --format envelope` does,
 * run the SMS-PP download exchange with the card in a PC/SC reader
 * (src/transport/pcsc/), then decode and verify the PoR as `parse por
 * --request` would. Exit 0 PoR verified with status 00 (or no PoR asked for);
 * 1 a check failed, the PoR status is not 00, or no PoR came; 2 bad options;
 * 3 no PC/SC binding installed; 4 PC/SC or card failure (the step is named).
 */
import { formatTag } from '../../util/json-format.js';
import { EXIT, InputError } from '../../util/errors.js';
import { fromHex, toHex, hex2 } from '../../util/hex.js';
import { node, type TreeNode } from '../../render/tree.js';
import { statusName } from '../../secured/status.js';
import { parseExpectStatus, statusFailure, statusFailureLine } from '../../secured/expect-status.js';
import type { SecuredCommand } from '../../secured/command.js';
import { printJson, printTree, useColor, writeOut, verdictNode } from '../output.js';
import type { BuildSmsOpts } from './build.js';
import type { ApduExchange, SendPcscResult, SmsPpExchange } from '../../transport/pcsc/send.js';
import { preparePcsc, type PcscTerminal } from '../../api/pcsc-options.js';

export interface SendPcscOpts extends BuildSmsOpts {
  reader?: string;
  list?: boolean;
  terminalProfile?: string;
  selectAdf?: string | boolean;
  cla: string;
  proactiveResult?: string;
  trace?: boolean;
  each?: boolean;
  timeout?: string;
  expectStatus?: string;
}

interface Prepared extends PcscTerminal {
  /** --expect-status: the PoR statuses a negative test expects (then exactly those pass). */
  expectStatus?: number[];
}

async function prepare(o: SendPcscOpts): Promise<Prepared> {
  const expectStatus = parseExpectStatus(o.expectStatus);
  return { ...(await preparePcsc(o)), expectStatus };
}

const swHex = (sw: number) => sw.toString(16).toUpperCase().padStart(4, '0');

/** The exchange as a tree (for --trace): one node per APDU with its step, C-APDU and R-APDU. */
export function traceTree(steps: readonly ApduExchange[], reader?: string): TreeNode {
  return node('APDU exchange', reader ? `reader "${reader}"` : undefined, steps.map((s, i) => {
    return node(`${i + 1} ${s.step}`, `SW ${swHex(s.sw)}`, [
      node('C-APDU', undefined, undefined, { hex: toHex(s.command) }),
      node('R-APDU', undefined, undefined, { hex: toHex(s.response) }),
    ], { status: s.sw === 0x9000 || s.sw >> 8 === 0x61 || s.sw >> 8 === 0x91 || s.sw >> 8 === 0x9f ? 'ok' : 'warn' });
  }));
}

async function writeTrace(steps: readonly ApduExchange[], o: SendPcscOpts, reader?: string): Promise<void> {
  const { renderTree } = await import('../../render/text.js');
  const color = useColor(o) && Boolean(process.stderr.isTTY);
  const chalk = color ? (await import('chalk')).default : undefined;
  process.stderr.write(renderTree([traceTree(steps, reader)], { color, bits: o.bits }, chalk) + '\n');
}

async function writeExchangePcap(path: string, steps: readonly ApduExchange[], startMs: number): Promise<void> {
  const { gsmtapSimRecords } = await import('../../smspp/gsmtap.js');
  const { writePcap } = await import('../../pcap/pcap.js');
  // gsm_sim reads CLA INS P1 P2 P3 ‖ command data ‖ response data ‖ SW1 SW2 (smspp/gsmtap.ts).
  writePcap(path, gsmtapSimRecords(steps.map((s) => ({ command: s.command, response: s.response.subarray(0, s.response.length - 2), sw: s.sw })), { startMs }));
}

export async function sendPcscList(o: SendPcscOpts): Promise<void> {
  const { listPcscReaders } = await import('../../transport/pcsc/send.js');
  const readers = await listPcscReaders();
  if (o.json) {
    printJson({ format: formatTag('pcsc-readers'), readers: readers.map((r) => ({ index: r.index, name: r.name, card: r.present, atr: r.atr ? toHex(r.atr) : null })) });
    return;
  }
  if (!readers.length) {
    process.stderr.write('uicc-ota: the PC/SC service lists no reader\n');
    return;
  }
  writeOut(readers.map((r) => `${r.index}: ${r.name}: ${r.present ? `card, ATR ${r.atr ? toHex(r.atr) : '(none)'}` : 'no card'}`).join('\n'));
}

interface Outcome {
  exitCode: number;
  /** One-line reason for a non-zero exit (stderr). */
  message?: string;
  tree: TreeNode[];
  json: Record<string, unknown>;
  brief: string;
}

function transportJson(r: SendPcscResult, p: Prepared) {
  return {
    reader: r.reader,
    atr: r.atr ? toHex(r.atr) : null,
    protocol: r.protocol,
    cla: hex2(p.cla),
    envelopes: r.envelopes.map((e) => ({ sw: swHex(e.sw), finalSw: swHex(e.finalSw), data: toHex(e.data) })),
    proactive: r.proactive.map((x) => ({ number: x.number, type: hex2(x.type), name: x.name, qualifier: hex2(x.qualifier), data: toHex(x.data), result: hex2(x.result) })),
    warnings: r.warnings,
    apdus: r.steps.map((s) => ({ step: s.step, command: toHex(s.command), response: toHex(s.response), sw: swHex(s.sw) })),
  };
}

/** Decode and judge the PoR the exchange brought back. */
async function judge(ex: SendPcscResult, command: SecuredCommand, o: SendPcscOpts, p: Prepared): Promise<Outcome> {
  const { parsePor } = await import('./pcsc-adapter.js');
  const porVia = ex.submitUds.length ? 'submit' : ex.deliverReportUd ? 'deliver-report' : null;
  const transport = { ...transportJson(ex, p), porVia };
  const head = node('Card', `${ex.reader} (${ex.protocol}${ex.atr ? `, ATR ${toHex(ex.atr)}` : ''})`, [
    ...ex.envelopes.map((e, i) => node(`ENVELOPE ${i + 1}/${ex.envelopes.length}`, `SW ${swHex(e.sw)}${e.finalSw !== e.sw ? `, then ${swHex(e.finalSw)}` : ''}${e.data.length ? `, ${e.data.length} octets of response data` : ''}`)),
    ...ex.proactive.map((x) => node(`Proactive ${x.name}`, `command ${x.number}, answered with general result ${hex2(x.result)}`, undefined, { hex: toHex(x.data) })),
    ...ex.warnings.map((w) => node('Warning', w, undefined, { status: 'warn' })),
  ]);
  if (!porVia) {
    const asked = command.spi.porRequest;
    const why = asked === 'none' ? 'SPI2 asks for none' : asked === 'on-error' ? 'SPI2 asks for a PoR on error only' : 'the command asked for one';
    const expected = p.expectStatus ? statusFailure(undefined, p.expectStatus) : undefined;
    const failed = asked === 'required' || asked === 'reserved' || expected !== undefined;
    const verdict = failed
      ? node('Result', `FAILED: no PoR (${why}; the card answered ${ex.envelopes.map((e) => swHex(e.finalSw)).join(', ')} without response data or SEND SHORT MESSAGE)`, undefined, { status: 'fail' })
      : node('Result', `no PoR (${why})`, undefined, { status: 'ok' });
    return {
      exitCode: failed ? EXIT.VERIFY : 0,
      message: failed ? `no PoR received (${why}; wrong keys, or a card that sends no PoR when authentication fails)${expected ? `: ${expected}` : ''}` : undefined,
      tree: [head, verdict],
      json: { layers: [], transport, por: null, failures: failed ? ['no PoR received'] : [], verified: failed ? false : null, ok: !failed },
      brief: failed ? 'FAIL no PoR' : 'OK no PoR',
    };
  }
  const uds = porVia === 'submit' ? ex.submitUds : [ex.deliverReportUd!];
  const parsed = parsePor(uds, command, o);
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
  };
}

async function exchange(envelopes: Uint8Array[], o: SendPcscOpts, p: Prepared, steps: ApduExchange[]): Promise<SendPcscResult> {
  const { sendPcsc } = await import('../../transport/pcsc/send.js');
  return sendPcsc({
    envelopes,
    reader: o.reader,
    timeoutMs: p.timeoutMs,
    cla: p.cla,
    terminalProfile: p.terminalProfile,
    selectAdf: p.selectAdf,
    proactiveResult: p.proactiveResult,
    onApdu: (x) => steps.push(x),
  });
}

export async function sendPcscCommand(o: SendPcscOpts): Promise<void> {
  await sendPcscMain(o);
}

async function sendPcscMain(o: SendPcscOpts): Promise<void> {
  if (o.list) return sendPcscList(o);
  const p = await prepare(o);
  // A missing binding is found before any counter is reserved (exit 3).
  const { loadBinding } = await import('../../transport/pcsc/binding.js');
  loadBinding();
  if (o.each) return sendEach(o, p);
  const { buildEnvelopes } = await import('./pcsc-adapter.js');
  const built = await buildEnvelopes(o);
  const steps: ApduExchange[] = [];
  const start = Date.now();
  let ex: SendPcscResult | undefined;
  try {
    ex = await exchange(built.envelopes, o, p, steps);
  } finally {
    // What was exchanged is kept even when the exchange failed (the counter is spent either way).
    if (o.pcap) await writeExchangePcap(o.pcap, steps, start);
    if (o.trace) await writeTrace(steps, o, ex?.reader);
  }
  const out = await judge(ex!, built.command, o, p);
  if (o.json) printJson(out.json);
  else await printTree(out.tree, o);
  if (out.message) process.stderr.write(`uicc-ota: ${out.message}\n`);
  if (out.exitCode) process.exitCode = out.exitCode;
}

/**
 * --each: one command per stdin line of secured data, streamed through the batch
 * engine (src/batch): each line is sent as soon as it is read, one at a time, and
 * answered by the line of the same number (blank and # lines passed through);
 * a bad line is an error line and the campaign goes on; the worst exit code wins.
 * The counter advances per command line from --counter (with "next", counters are
 * reserved as lines are read, a block per read).
 */
async function sendEach(o: SendPcscOpts, p: Prepared): Promise<void> {
  if (o.apdu.length || (o.data !== undefined && o.data !== '') || o.expanded) {
    throw new InputError('with --each the secured data comes from stdin, one hex line per packet: drop --apdu/--data/--expanded', { field: '--each' });
  }
  const { prepareCommand, counterBlock } = await import('../../api/secured-options.js');
  const { buildCommand } = await import('../../secured/command.js');
  const { smsDialect } = await import('../../smspp/dialect.js');
  const { frameCommand } = await import('../../api/frame.js');
  const { runBatch } = await import('../../batch/engine.js');
  const { cliStream } = await import('../batch-run.js');
  const next = o.counter === 'next';
  const first = await prepareCommand({ ...o, apdu: [], data: '', counter: next ? '0' : o.counter });
  const base = first.input.counter;
  const s = await cliStream({ json: o.json });
  const allSteps: ApduExchange[] = [];
  const start = Date.now();
  let chain: Promise<unknown> = Promise.resolve();
  const summary = await runBatch({
    input: s.input,
    output: s.output,
    passThrough: o.json ? 'empty' : 'echo',
    context: next ? async (seq0, count) => ({ seq0, counter: await counterBlock(o, first.input.kic, first.input.kid, first.input.tar, 0n, count) }) : undefined,
    // One exchange with the card at a time, in input order.
    fn: (line, lineNo, seq, ctx) => {
      const run = chain.then(async () => {
        const data = fromHex(line, `line ${lineNo}`);
        const c = ctx as { seq0: number; counter: bigint } | undefined;
        const counter = c ? c.counter + BigInt(seq - c.seq0) : base + BigInt(seq);
        const command = buildCommand(smsDialect, { ...first.input, data, counter }, first.keys);
        const envelopes = frameCommand(command.bytes, { ...o, format: 'envelope', pcap: undefined });
        const steps: ApduExchange[] = [];
        try {
          const ex = await exchange(envelopes, o, p, steps);
          const out = await judge(ex, command, o, p);
          return { text: o.json ? JSON.stringify({ line: lineNo, ...out.json }) : `${lineNo} ${out.brief}`, exitCode: out.exitCode };
        } finally {
          allSteps.push(...steps);
        }
      });
      chain = run.catch(() => undefined);
      return run;
    },
    formatError: (e) => (o.json ? JSON.stringify({ line: e.line, error: e.message, exitCode: e.exitCode }) : `${e.line} ERROR ${e.message}`),
    onError: s.onError,
  });
  if (o.pcap) await writeExchangePcap(o.pcap, allSteps, start);
  if (o.trace) await writeTrace(allSteps, o);
  if (summary.exitCode) process.exitCode = summary.exitCode;
}

export type { SmsPpExchange };

/**
 * Batch mode (`build sms --each`, `parse --each`) as a library: lines in,
 * one answer per line out, in order, as each line arrives.
 *
 *  - buildSmsBatch / parseBatch: async iterators over lines (strings), yielding
 *    one item per input line (blank and `#` lines give `{ line, skipped: true }`);
 *    the options are resolved once for the whole batch (keys, SPI, algorithms,
 *    framing options), not per packet.
 *  - streamSmsBatch / streamParseBatch: the same work from a byte stream to a
 *    writable stream of text lines through the streaming engine (src/batch),
 *    optionally on worker threads, with pcap frames appended to one file.
 *    This is what the CLI runs.
 *
 * Output line N always answers input line N. A blank or `#` input line is
 * copied as it is in text mode and answered with an empty line with --json
 * (so that the output stays JSON Lines). A bad line gives an error line (text
 * `N ERROR message`; JSON `{"format":"uicc-ota-error/1","line":N,"error":…,
 * "exitCode":…}`) and the batch goes on; the batch's exit code is the worst line's.
 */
import { availableParallelism } from 'node:os';
import { InputError, OtaError } from '../util/errors.js';
import { constantTimeEqualAt, fromHex, hex2, hexInto, hexOut, toHex } from '../util/hex.js';
import { formatTag } from '../util/json-format.js';
import { runBatch, type BatchSummary, type WorkerSpec } from '../batch/engine.js';
import { GroupError } from '../batch/group-error.js';
import { buildFailure, fitsBy } from '../batch/fits.js';
import { hexTakesSeq, isPassThrough, jsonErrorLine, overlongError, textErrorLine, toLineError, type ChunkFn, type LineError, type LineFn, type LineOutcome, type LineResult, type PassThrough } from '../batch/line.js';
import { readLines } from '../batch/lines.js';
import { buildCommand, commandAlgorithms, commandBuilder, type CommandInput } from '../secured/command.js';
import { commandBatchBuilder, type BuiltPackets } from '../secured/command-batch.js';
import { spiCodec } from '../secured/spi.js';
import { CNTR_MAX } from '../secured/common.js';
import type { KeyMaterial } from '../secured/keys.js';
import { smsDialect } from '../smspp/dialect.js';
import { buildSmsPp, type BuildSmsOptions as SmsPpOptions } from '../smspp/build.js';
import { envelopeRecords } from '../smspp/gsmtap.js';
import { peel, type Peeled } from '../layers/peel.js';
import { looksLikeCattpPdu, peelCattpPdus, sduPeeled } from '../cattp/peel.js';
import { notPacketNote } from '../cattp/detect.js';
import { setCryptoBackend, type CryptoBackend } from '../crypto/backend.js';
import type { PcapRecord } from '../pcap/pcap.js';
import { batchCounters, counterBlock, prepareCommand, type SecurityOpts } from './secured-options.js';
import { smsOptions, type SmsFrameOpts } from './frame.js';
import { buildWarnings, smsBuildJson, smsFrameOpts, type BuildSmsOptions } from './build.js';
import { longPacketNote } from './build-units.js';
import { packetMemo, parsePacket, parsePacketBrief, type PacketMemo, type ParseMode, type ParseOpts } from './packet.js';
import { parseCommandHeader, type CommandHeader } from '../secured/command.js';
import { assertKeyFits, cipherAlgFor } from '../secured/keys.js';
import { checkIntegrityLength } from '../secured/common.js';
import { decodeKic } from '../secured/kic.js';
import { scriptError } from '../remote/view.js';
import { parseExpectStatus, statusOutcome } from '../secured/expect-status.js';
import { kvnConflicts } from './keys.js';
import { batchChecksummer, batchDecryptor, checkKey, getCryptoBackend, type CbcBatch, type CcAlg, type CipherAlg } from '../crypto/index.js';
import { parsedRecords } from './pcap-records.js';
import type { ParseOptions } from './parse.js';
import { BUILD_CLOSE, commandJsonWriter, jsonHead, JsonOut, type JsonHead } from './batch-json.js';
import { withMembers } from '../util/object.js';

/** `build sms --each` options: those of build sms without the secured data (it comes one line each). */
export type SmsBatchOptions = Omit<BuildSmsOptions, 'apdu' | 'data' | 'expanded' | 'indefinite' | 'immediateAction' | 'errorAction' | 'scriptChaining'> & {
  /** Block-cipher implementation for this batch (default: the process's, auto unless UICC_OTA_CRYPTO; a batch's long-lived ciphers are OpenSSL's under auto). */
  crypto?: CryptoBackend;
};

/** `parse --each` options. */
export type ParseBatchOptions = ParseOptions & {
  showComputed?: boolean;
  crypto?: CryptoBackend;
};

/** One answer of a batch: the result of input line `line`, its error, or a skipped blank/comment line. */
export type BatchItem<T> =
  | { line: number; result: T; exitCode: number }
  | { line: number; error: LineError }
  | { line: number; skipped: true };

/** What buildSmsBatch yields per packet: the --json object of the line plus the wire octets. */
export interface SmsBatchResult {
  json: Record<string, unknown>;
  units: Uint8Array[];
  /** What a one-shot build of the line notes on stderr (a bare packet too long for one SMS); absent when nothing. */
  notes?: string[];
}

/** What parseBatch yields per packet: the --json object of the line (as parse --each --json prints it). */
export type ParseBatchResult = Record<string, unknown>;

// ---------------------------------------------------------------- build sms

interface BuildPlan {
  input: Omit<CommandInput, 'data' | 'counter'>;
  keys: KeyMaterial;
  format: SmsFrameOpts['format'];
  sms: SmsPpOptions;
  /** Counter of work line 0 when fixed (not "next"). */
  fixed?: bigint;
  warnings: string[];
  /** planFits of this plan, made on first use. */
  fits?: (octets: number) => boolean;
}

/** A counter option as text: numbers in 0x-hex (a 10-digit decimal would read as hex digits). */
export function counterText(c: string | number | bigint): string {
  return typeof c === 'string' ? c : `0x${c.toString(16)}`;
}

function buildSecurity(o: SmsBatchOptions): SecurityOpts {
  return withMembers(o, {
    apdu: [], data: '', counter: o.counter === undefined || o.counter === 'next' ? '0' : counterText(o.counter),
    paddingByte: o.paddingByte ?? '00', ccLen: o.ccLen === undefined ? undefined : String(o.ccLen), kvn: o.kvn === undefined ? undefined : String(o.kvn),
  }) as SecurityOpts;
}

async function planBuild(o: SmsBatchOptions): Promise<BuildPlan> {
  if (o.crypto) setCryptoBackend(o.crypto);
  const p = await prepareCommand(buildSecurity(o));
  const fo = smsFrameOpts(o as BuildSmsOptions);
  const { counter, data: _d, ...input } = p.input;
  // A weak key accepted with --allow-weak-key is noted once per batch, as a one-shot build notes it.
  const warnings = [...buildWarnings(spiCodec.encode(input.spi), input.kic, input.kid, input.spi.integrity, input.spi.ciphering), ...commandAlgorithms(input, p.keys).weakNotes];
  return {
    input, keys: p.keys, format: fo.format, sms: smsOptions(fo),
    fixed: o.counter === 'next' ? undefined : counter, warnings,
  };
}

/** Counters of a group of work lines reserved with "next": line `seq` gets `counter + (seq - seq0)`. */
interface CounterCtx {
  seq0: number;
  counter: bigint;
}

interface BuiltLine {
  json?: Record<string, unknown>;
  text: string;
  units: Uint8Array[];
  records?: PcapRecord[];
  /** What a one-shot build of this line notes (a bare packet too long for one SMS). */
  notes?: string[];
}

/** The notes of a built line: a bare packet (--format packet) too long for one SMS. */
function lineNotes(format: string, length: number): string[] | undefined {
  const long = format === 'packet' ? longPacketNote(length) : undefined;
  return long ? [long] : undefined;
}

/** Build `data` with this plan as a line would be (its packet, then its SMS when the format asks for them; counter 1): throws when it cannot. */
function tryPlan(plan: BuildPlan): (data: Uint8Array) => void {
  return (data) => {
    const cmd = buildCommand(smsDialect, withMembers(plan.input, { data, counter: 1n }), plan.keys);
    if (plan.format !== 'packet') buildSmsPp(cmd.bytes, plan.sms);
  };
}

/** Whether data of that many octets can be built with this plan (SeqRule 'hex', seqFits); one per plan, so its limit is searched once. */
function planFits(plan: BuildPlan): (octets: number) => boolean {
  return (plan.fits ??= fitsBy(tryPlan(plan)));
}

/** The error building `data` with this plan gives. */
function buildError(plan: BuildPlan, data: Uint8Array): unknown {
  return buildFailure(tryPlan(plan), data);
}

/** The per-line work of build sms --each with everything else resolved. */
function buildLineFn(plan: BuildPlan, json: boolean, pcap: boolean): (line: string, lineNo: number, seq: number, ctx: unknown) => BuiltLine {
  const { input, keys, format, sms } = plan;
  // Text output needs the octets only: the compiled builder (checks and keys resolved once).
  const fast = json ? undefined : commandBuilder(smsDialect, input, keys);
  const fits = planFits(plan);
  return (line, lineNo, seq, ctx) => {
    const data = fromHex(line, '');
    // Data that cannot be built took no counter (seqFits): its own error, before any counter is looked at.
    if (!fits(data.length)) throw buildError(plan, data);
    let counter: bigint;
    if (plan.fixed !== undefined) counter = plan.fixed + BigInt(seq);
    else {
      const c = ctx as CounterCtx | undefined;
      if (!c) throw new InputError('no counter reserved for this line', { field: 'CNTR' });
      counter = c.counter + BigInt(seq - c.seq0);
    }
    if (counter > CNTR_MAX) throw new InputError(`no counter left for this line: it would pass 2^40-1`, { field: 'CNTR' });
    const cmd = fast ? undefined : buildCommand(smsDialect, withMembers(input, { data, counter }), keys);
    const bytes = cmd ? cmd.bytes : fast!(data, counter);
    let units: Uint8Array[];
    let records: PcapRecord[] | undefined;
    if (format === 'packet' && !pcap) units = [bytes];
    else {
      const built = buildSmsPp(bytes, sms);
      units = format === 'packet' ? [bytes] : format === 'ud' ? built.uds : format === 'tpdu' ? built.tpdus : built.envelopes;
      if (pcap) records = envelopeRecords(built.tpdus, { address: sms.scAddress as never });
    }
    if (cmd) {
      // The one-shot `build sms --json` object, its line number first.
      const j = { line: lineNo, ...smsBuildJson(cmd, units, format, 'compact') };
      return { json: j, text: JSON.stringify(j), units, records, notes: lineNotes(format, bytes.length) };
    }
    // Several SMS of one long packet: on the line of their input, separated by spaces.
    return { text: units.map(toHex).join(' '), units, records, notes: lineNotes(format, bytes.length) };
  };
}

/**
 * The text-mode work of build sms --each for many lines at once (the engine's
 * chunk fast path): the lines' data decoded into one buffer, the packets built
 * together (commandBatchBuilder: batched checksums and ciphering), the hex
 * written into one buffer. Same output and errors as buildLineFn line by line.
 */
function buildChunkFn(plan: BuildPlan, pcap: boolean, jb?: JsonBuild): ChunkFn {
  const { input, keys, format, sms } = plan;
  const build = commandBatchBuilder(smsDialect, input, keys, jb !== undefined);
  const fits = planFits(plan);
  const fixed = plan.fixed === undefined ? undefined : Number(plan.fixed);
  const MAX = Number(CNTR_MAX);
  let din = new Uint8Array(1 << 16);
  let doff = new Int32Array(0);
  let dlen = new Int32Array(0);
  let ctr = new Float64Array(0);
  let slot = new Int32Array(0); // per line: packet index, -1 pass-through, -2 error
  let seqs = new Float64Array(0); // per packet: its seq (--json: a line given line by line after all)
  const errors: unknown[] = [];
  return (lines, first, seq, ctx, pass: PassThrough) => {
    const n = lines.length;
    if (slot.length < n) {
      const m = Math.max(n, 2 * slot.length);
      doff = new Int32Array(m);
      dlen = new Int32Array(m);
      ctr = new Float64Array(m);
      slot = new Int32Array(m);
      seqs = new Float64Array(m);
    }
    errors.length = n;
    let w = 0;
    let pos = 0;
    let bad = 0;
    let skipped = 0;
    for (let k = 0; k < n; k++) {
      const line = lines[k];
      errors[k] = undefined;
      if (isPassThrough(line)) {
        slot[k] = -1;
        skipped++;
        continue;
      }
      let sq = -1;
      try {
        if (din.length < pos + (line.length >> 1) + 1) {
          const bigger = new Uint8Array(Math.max(2 * din.length, pos + line.length));
          bigger.set(din.subarray(0, pos));
          din = bigger;
        }
        let len = hexInto(line, din, pos);
        if (len < 0) {
          const d = fromHex(line, '');
          din.set(d, pos);
          len = d.length;
        }
        // Only a hex line whose data can be built takes a counter (SeqRule 'hex', seqFits): no gap for one that cannot.
        if (!fits(len)) throw buildError(plan, din.slice(pos, pos + len));
        sq = seq++;
        let counter: number;
        if (fixed !== undefined) counter = fixed + sq;
        else {
          const c = ctx as CounterCtx | undefined;
          if (!c) throw new InputError('no counter reserved for this line', { field: 'CNTR' });
          counter = Number(c.counter) + (sq - c.seq0);
        }
        if (counter > MAX) throw new InputError(`no counter left for this line: it would pass 2^40-1`, { field: 'CNTR' });
        doff[w] = pos;
        dlen[w] = len;
        ctr[w] = counter;
        seqs[w] = sq;
        slot[k] = w++;
        pos += len;
      } catch (e) {
        if (!(e instanceof OtaError)) throw e;
        errors[k] = e;
        slot[k] = -2;
        bad++;
      }
    }
    const r = build(din, doff, dlen, ctr, w);
    if (jb) return jb.lines(lines, first, ctx, pass, r, slot, seqs, errors);
    if (format === 'packet' && !pcap && !bad && !skipped) {
      // Every line a packet: its hex and "\n" into one buffer, one string.
      let size = 0;
      // A failed line, or a packet too long for one SMS (noted), takes the line by line outcomes below.
      for (let j = 0; j < w; j++) if (r.error[j] || longPacketNote(r.len[j])) size = -1;
      if (size === 0) {
        for (let j = 0; j < w; j++) size += 2 * r.len[j] + 1;
        // Octets in a buffer of their own: written as they are, moved between threads without a copy.
        const txt = Buffer.allocUnsafeSlow(size);
        let at = 0;
        for (let j = 0; j < w; j++) {
          at = hexOut(r.out, r.off[j], r.off[j] + r.len[j], txt, at);
          txt[at++] = 10;
        }
        return txt;
      }
    }
    const outs: LineOutcome[] = new Array(n);
    let all = !bad;
    for (let k = 0; k < n; k++) {
      const j = slot[k];
      if (j === -1) {
        outs[k] = { text: pass === 'echo' ? lines[k] : '', exitCode: 0 };
        continue;
      }
      try {
        if (j === -2) throw errors[k];
        if (r.error[j]) throw r.error[j];
        const bytes = r.out.slice(r.off[j], r.off[j] + r.len[j]);
        let units: Uint8Array[];
        let records: PcapRecord[] | undefined;
        if (format === 'packet' && !pcap) units = [bytes];
        else {
          // Only the layers printed (and the TPDUs of a pcap).
          const built = buildSmsPp(bytes, sms, format === 'envelope' ? 'envelope' : format === 'tpdu' || pcap ? 'tpdu' : 'ud');
          units = format === 'packet' ? [bytes] : format === 'ud' ? built.uds : format === 'tpdu' ? built.tpdus : built.envelopes;
          if (pcap) records = envelopeRecords(built.tpdus, { address: sms.scAddress as never });
        }
        // Several SMS of one long packet: on the line of their input, separated by spaces.
        const notes = lineNotes(format, bytes.length);
        if (notes) all = false;
        outs[k] = { text: units.length === 1 ? toHex(units[0]) : units.map(toHex).join(' '), exitCode: 0, extra: records, notes };
      } catch (e) {
        all = false;
        outs[k] = { error: toLineError(e, first + k) };
      }
    }
    if (all && !pcap) {
      let text = '';
      for (let k = 0; k < n; k++) text += (outs[k] as LineResult).text + '\n';
      // Hex and echoed lines: as octets (latin1 is a copy; the output stream would encode the string as UTF-8).
      return /^[\x00-\x7f]*$/.test(text) ? Buffer.from(text, 'latin1') : text;
    }
    return outs;
  };
}

/**
 * build sms --each --json (--format packet) through the chunk path: each
 * line's object written as octets by the writer of parse --each --json
 * (src/api/batch-json.ts, the two objects agree up to `cipherAlgorithm`) from
 * the packet and its octets in clear, then `output`; test/each.test.ts
 * compares it with the per-line path octet for octet. A line the writer
 * leaves (a script that is bad input) goes line by line; a packet too long
 * for one SMS keeps the one-shot note.
 */
interface JsonBuild {
  lines(lines: string[], first: number, ctx: unknown, pass: PassThrough, r: BuiltPackets, slot: Int32Array, seqs: Float64Array, errors: unknown[]): LineOutcome[] | Uint8Array;
  recycle(b: Uint8Array): void;
}

/** The JsonBuild of a plan, undefined when its lines go line by line (another format, no CC, a weak key noted). */
function jsonBuild(plan: BuildPlan, one: (line: string, lineNo: number, seq: number, ctx: unknown) => BuiltLine): JsonBuild | undefined {
  if (plan.format !== 'packet') return undefined;
  let a: ReturnType<typeof commandAlgorithms>;
  try {
    a = commandAlgorithms(plan.input, plan.keys);
  } catch {
    return undefined;
  }
  const { integ, L, alg } = a;
  if (integ.type !== 'cc' || !(L === 4 || L === 8) || a.weakNotes.length || (alg && !alg.endsWith('-cbc'))) return undefined;
  const writer = commandJsonWriter('compact');
  const jout = new JsonOut();
  let head: JsonHead | undefined;
  let span = new Int32Array(0);
  let perLine = 64;
  let noted = false;
  const byLine = (line: string, lineNo: number, seq: number, ctx: unknown): LineOutcome => {
    try {
      const b = one(line, lineNo, seq, ctx);
      return { text: b.text, exitCode: 0, notes: b.notes };
    } catch (e) {
      return { error: toLineError(e, lineNo) };
    }
  };
  /** Packet j's object (input line lineNo) into jout; false: the writer leaves it to the per-line path. */
  const write = (r: BuiltPackets, j: number, lineNo: number): boolean => {
    const off = r.off[j];
    const len = r.len[j];
    const pAt = r.pAt![j];
    head ??= jsonHead(parseCommandHeader(smsDialect, r.out.subarray(off, off + len)), plan.keys, integ.algorithm as CcAlg, alg, 'build');
    if (!writer(jout, lineNo, r.out, off, len, r.plain!, pAt, off + len - pAt, L, head)) return false;
    jout.room(2 * len + BUILD_CLOSE.length);
    jout.hex(r.out, off, off + len);
    jout.put(BUILD_CLOSE);
    return true;
  };
  return {
    recycle: (b) => jout.recycle(b),
    lines(lines, first, ctx, pass, r, slot, seqs, errors) {
      const n = lines.length;
      if (span.length < 2 * n) span = new Int32Array(4 * n);
      jout.start(Math.ceil(perLine * n * 1.125) + 4096);
      const outs: LineOutcome[] = new Array(n);
      let all = true;
      for (let k = 0; k < n; k++) {
        const j = slot[k];
        const lineNo = first + k;
        if (j === -1) outs[k] = { text: pass === 'echo' ? lines[k] : '', exitCode: 0 };
        else if (j === -2) outs[k] = { error: toLineError(errors[k], lineNo) };
        else if (r.error[j]) outs[k] = { error: toLineError(r.error[j], lineNo) };
        else {
          const at = jout.at;
          if (write(r, j, lineNo)) {
            span[2 * k] = at;
            span[2 * k + 1] = jout.at;
            // A packet too long for one SMS: its note goes with the first such line this function sees
            // (the engine prints it once per batch, with the batch's first: on workers each has its own first).
            const notes = noted ? undefined : lineNotes('packet', r.len[j]);
            if (notes) noted = true;
            outs[k] = notes ? { text: jout.buf.toString('utf8', at, jout.at - 1), exitCode: 0, notes } : FAST;
          } else {
            jout.at = at;
            outs[k] = byLine(lines[k], lineNo, seqs[j], ctx);
          }
        }
        if (outs[k] !== FAST) all = false;
      }
      perLine = Math.max(64, jout.at / n);
      if (all) return jout.buf.subarray(0, jout.at);
      for (let k = 0; k < n; k++) if (outs[k] === FAST) outs[k] = { text: jout.buf.toString('utf8', span[2 * k], span[2 * k + 1] - 1), exitCode: 0 };
      return outs;
    },
  };
}

/** Reserve `count` counters with --counter next (in input order, in the main thread). */
function counterReserver(o: SmsBatchOptions, plan: BuildPlan): ((seq0: number, count: number) => Promise<CounterCtx>) | undefined {
  if (plan.fixed !== undefined) return undefined;
  const so = { counter: 'next', state: o.state, keyset: o.keyset, kvn: o.kvn === undefined ? undefined : String(o.kvn), kicKey: o.kicKey, kidKey: o.kidKey };
  return batchCounters(so as Parameters<typeof counterBlock>[0], plan.input.kic, plan.input.kid, plan.input.tar);
}

/**
 * `build sms --each` as an async iterator: each line is the secured data (hex)
 * of one packet; the counter advances by one per packet from `counter` (with
 * "next", counters are reserved in the state file as lines arrive).
 */
export async function* buildSmsBatch(lines: AsyncIterable<string> | Iterable<string>, o: SmsBatchOptions = {}): AsyncGenerator<BatchItem<SmsBatchResult>> {
  const plan = await planBuild(o);
  const fn = buildLineFn(plan, true, false);
  const fits = planFits(plan);
  const reserve = counterReserver(o, plan);
  let lineNo = 0;
  let seq = 0;
  for await (const line of lines) {
    lineNo++;
    if (isPassThrough(line)) {
      yield { line: lineNo, skipped: true };
      continue;
    }
    const over = overlongError(line, lineNo);
    if (over) {
      yield { line: lineNo, error: over };
      continue;
    }
    // A line that is not hex, or whose data cannot be built, uses up no counter, as in the stream (SeqRule 'hex').
    const takes = hexTakesSeq(line, 0, line.length, fits);
    try {
      if (!takes) fn(line, lineNo, seq, undefined); // throws its error, before a counter is reserved for it
      const ctx = reserve ? await reserve(seq, 1) : undefined;
      const r = fn(line, lineNo, seq, ctx);
      yield { line: lineNo, result: r.notes ? { json: r.json!, units: r.units, notes: r.notes } : { json: r.json!, units: r.units }, exitCode: 0 };
    } catch (e) {
      // A counter store that could not give a counter (GroupError): this line's error, and the batch goes on.
      const err = e instanceof GroupError ? e.error : e;
      if (!(err instanceof OtaError)) throw err;
      yield { line: lineNo, error: toLineError(err, lineNo) };
    } finally {
      if (takes) seq++;
    }
  }
}

// ---------------------------------------------------------------- parse

interface ParsedLine {
  json?: Record<string, unknown>;
  text: string;
  exitCode: number;
  peeled?: Peeled;
  /** What failed, worded as the one-shot parse says it on stderr (LineResult.problems). */
  problems?: string[];
}

/** A failed line's stderr lines, as renderParsed (src/cli/commands/parse.ts) words them. */
function problemLines(failures: string[], unverified: string[], refusal: string | undefined): string[] | undefined {
  if (!failures.length && !unverified.length && !refusal) return undefined;
  const p: string[] = [];
  if (failures.length) p.push(`verification failed: ${failures.join('; ')}`);
  if (unverified.length) p.push(`not verified (--require-verified): ${unverified.join('; ')}`);
  if (refusal) p.push(refusal);
  return p;
}

/** The per-line work of parse --each: one packet (any layer) per line. */
function parseLineFn(o: ParseOpts, mode: ParseMode, json: boolean, memo: PacketMemo = packetMemo(o)): (line: string, lineNo: number) => ParsedLine {
  return (line, lineNo) => {
    const b = fromHex(line, '');
    // A CAT_TP data PDU per line: its SDU must be whole (one PDU) to be parsed alone.
    const pe = looksLikeCattpPdu(b) && mode !== 'sms' ? peelCattpPdus([b]) : undefined;
    if (pe) {
      const sdu = pe.sdus[0];
      if (!sdu || !sdu.kind) {
        const d = pe.pdus[0].json;
        const verdict = pe.failures.length ? 'FAIL' : 'OK';
        const exitCode = pe.failures.length ? 1 : 0;
        if (json) {
          // The one-shot `parse --json` object of this PDU (parseCattpPdus, src/api/parse-cattp.ts), its
          // line number first, and `pdu`: the PDU alone (as this line gave it before it had `framing`).
          const j: Record<string, unknown> = { format: formatTag('cattp-pdus'), line: lineNo, layers: sdu ? ['CAT_TP', 'SDU'] : ['CAT_TP'], type: 'cattp-pdus', dialect: 'cat_tp', hex: null };
          const notes = sdu ? [...pe.notes, notPacketNote(sdu.data)] : pe.notes;
          if (sdu) Object.assign(j, { sdu: toHex(sdu.data), packet: null });
          Object.assign(j, { pdu: d, framing: [pe.json], verified: pe.failures.length ? false : true, failures: pe.failures, notes });
          if (!sdu) j.unverified = [];
          return { json: j, text: JSON.stringify(j), exitCode, problems: problemLines(pe.failures, [], undefined) };
        }
        return { text: `${lineNo} ${verdict} CAT_TP ${d.type} seq=${d.seq}${pe.failures.length ? ': ' + pe.failures.join('; ') : ''}`, exitCode, problems: problemLines(pe.failures, [], undefined) };
      }
    }
    const peelMode = o.cattp ? 'cattp' : mode === 'auto' ? 'auto' : 'sms';
    let peeled: Peeled;
    if (pe) peeled = sduPeeled(pe, pe.sdus[0], [b]);
    else {
      try {
        peeled = peel([b], peelMode);
      } catch (e) {
        // `build sms --each` writes the segments of a long packet on one line, separated by spaces: when
        // the line read as one input is malformed, its words are tried as the segments (else its error stands).
        const parts = e instanceof InputError ? segmentsOfLine(line) : undefined;
        if (!parts) throw e;
        try {
          peeled = peel(parts, peelMode);
        } catch {
          throw e;
        }
      }
    }
    const hint = mode === 'por' ? 'response' : mode === 'sms' && peeled.kind === undefined ? 'command' : undefined;
    if (!json) return briefLine(peeled, o, hint, memo, lineNo, !pe);
    // JSON: the object only (no tree), keys resolved once per KIc/KID.
    const res = parsePacket(peeled, o, hint, memo.keys, { tree: false });
    if (res.inputError) throw res.inputError;
    const failures = res.failures.length || peeled.failures.length ? [...peeled.failures, ...res.failures] : res.failures;
    // A PoR status other than the expected outcome (--expect-status; default 00, 0B, 0C) is a refusal: exit 1.
    const unverified = o.requireVerified && !failures.length ? res.unverified : [];
    const exitCode = failures.length || res.refusal || unverified.length ? 1 : 0;
    if (json) {
      // The one-shot `parse --json` object (parseInputs, src/api/parse.ts), its line number first.
      const j = { line: lineNo, layers: [...(peeled.layerNames ?? peeled.layers.map((l) => l.name)), `${res.kind} packet`], ...res.json, framing: pe ? [pe.json] : peeled.layers.map((l) => l.json), verified: failures.length ? false : res.json.verified };
      return { json: j, text: JSON.stringify(j), exitCode, peeled: pe ? undefined : peeled, problems: problemLines(failures, unverified, res.refusal) };
    }
    const j = res.json as { tar: string; status?: { code: string } | null; checksum: { type: string; verified: boolean | null } };
    const verdict = failures.length || res.refusal || unverified.length ? 'FAIL' : j.checksum.verified === true ? 'OK' : 'UNCHECKED';
    const why = [...failures, ...unverified.map((x) => `not verified: ${x}`), ...(res.refusal ? [res.refusal] : [])];
    return { text: `${lineNo} ${verdict} ${res.kind} tar=${j.tar}${j.status ? ` status=${j.status.code}` : ''} ${j.checksum.type}${why.length ? ': ' + why.join('; ') : ''}`, exitCode, peeled: pe ? undefined : peeled, problems: problemLines(failures, unverified, res.refusal) };
  };
}

/** The space-separated inputs of a line (the segments of a concatenated SMS), when it has several. */
function segmentsOfLine(line: string): Uint8Array[] | undefined {
  const words = line.trim().split(/\s+/);
  return words.length > 1 ? words.map((w) => fromHex(w, '')) : undefined;
}

/** The text line of parse --each for one peeled packet (the verdict only: no tree, no JSON object). */
function briefLine(peeled: Peeled, o: ParseOpts, hint: 'command' | 'response' | undefined, memo: PacketMemo, lineNo: number, keepPeeled: boolean): ParsedLine {
  const r = parsePacketBrief(peeled, o, hint, memo);
  if (r.inputError) throw r.inputError;
  const failures = peeled.failures.length ? [...peeled.failures, ...r.failures] : r.failures;
  // --require-verified: anything left unchecked fails the line.
  const unverified = o.requireVerified && !failures.length ? r.unverified : [];
  const verdict = failures.length || r.refusal || unverified.length ? 'FAIL' : r.checksumVerified === true ? 'OK' : 'UNCHECKED';
  const why = [...failures, ...unverified.map((x) => `not verified: ${x}`), ...(r.refusal ? [r.refusal] : [])];
  return {
    text: `${lineNo} ${verdict} ${r.kind} tar=${toHex(r.tar)}${r.status !== undefined ? ` status=${hex2(r.status)}` : ''} ${r.checksumType}${why.length ? ': ' + why.join('; ') : ''}`,
    exitCode: failures.length || r.refusal || unverified.length ? 1 : 0, peeled: keepPeeled ? peeled : undefined,
    problems: problemLines(failures, unverified, r.refusal),
  };
}

/** What is the same for every packet of one header (SPI, KIc, KID, CHL): checked once. */
interface ParsePlan {
  /** False: this header goes packet by packet (the per-line path gives its verdict or error). */
  ok: boolean;
  L: number;
  dec?: CbcBatch;
  mac?: CbcBatch;
  /** The places of `dec` (-1: none) and `mac` in parseChunkFn's lists (a group per key). */
  di: number;
  mi: number;
  /** --json: the parts of the line this header fixes. */
  json?: JsonHead;
}

/**
 * One line of a group in parseChunkFn. Octets are kept as a buffer and offsets,
 * not views: a view per packet is an object per packet for the collector.
 */
interface GroupLine {
  k: number;
  /** The packet: src[bAt .. bAt + bLen). */
  src: Uint8Array;
  bAt: number;
  bLen: number;
  plan: ParsePlan;
  /** The secured data, deciphered: pt[pAt .. pAt + pLen); undefined when the line goes per line. */
  pt?: Uint8Array;
  pAt: number;
  pLen: number;
  /** The CC input's place in the group's buffer. */
  at: number;
  len: number;
}

/** Where the secured data of an SMS-PP command packet starts: CPL 2, CHL 1, SPI 2, KIc, KID, TAR 3 (TS 31.115 cl. 4.2). */
const SEC_AT = 10;

/**
 * The text-mode work of parse --each for many lines at once (the engine's
 * chunk fast path), for the common form: an SMS-PP command packet (TS 102 225
 * cl. 5.1) with a CC, ciphered with a CBC algorithm or not. The header checks
 * and keys are resolved once per header; the ciphered parts of all packets
 * under one key are deciphered together (CbcBatch.decrypt: one native ECB
 * call, then the CBC XOR, cl. 5.1.2, IV zero) and the CCs computed together
 * (CbcBatch.mac: CBC-MAC / AES-CMAC by block position, cl. 5.1.3), compared in
 * constant time. A packet that checks out is "N OK command tar=… cc", or with
 * --json its object (src/api/batch-json.ts), as the per-line path prints them;
 * every other line (another form, a failed check,
 * an error, the forge backend) goes through `one`, the per-line path, so the
 * output is the same octet for octet.
 */
function parseChunkFn(o: ParseOpts, mode: ParseMode, memo: PacketMemo, one: (line: string, lineNo: number) => ParsedLine, json: boolean): ChunkFn & { recycle?: LineFn['recycle'] } {
  const plans = new Map<number, ParsePlan>();
  const fmt = o.expanded ? 'expanded' : o.compact ? 'compact' : 'auto';
  const deciphers = new Map<string, CbcBatch | undefined>();
  const macs = new Map<string, CbcBatch>();
  const keyId = (alg: string, key: Uint8Array) => `${alg}:${toHex(key)}`;
  const jsonLine = commandJsonWriter(fmt);
  const jout = new JsonOut();
  let span = new Int32Array(0); // --json: line k's octets in jout, from span[2k] to span[2k + 1]
  let din = new Uint8Array(1 << 16); // the chunk's packets, decoded one after the other
  let perLine = 64; // --json: octets per line of the last chunk
  /** The place of `c` in `list` (added with an empty group when new). */
  const groupOf = (list: CbcBatch[], lists: GroupLine[][], counts: number[], c: CbcBatch): number => {
    let i = list.indexOf(c);
    if (i < 0) {
      i = list.push(c) - 1;
      lists.push([]);
      counts.push(0);
    }
    return i;
  };
  /** The plan of a header not seen yet (key: SPI, KIc, KID, CHL octets). */
  const planFor = (hdr: CommandHeader, id: number): ParsePlan => {
    let p: ParsePlan = { ok: false, L: hdr.chl - 13, di: -1, mi: -1 };
    try {
      const { spi, kic, kid } = hdr;
      const L = p.L;
      // The checks of parseCommand, in its order; anything it would refuse or note as a failure stays per packet.
      if (!kvnConflicts(o, kic, kid, { kic: spi.ciphering, kid: spi.integrity === 'cc' }).length && BATCH_CIPHERS.has(getCryptoBackend())) {
        const keys = memo.keys(kic, kid);
        const integ = checkIntegrityLength(spi.integrity, kid, keys, L, { layer: 'command packet', field: 'CHL', offset: hdr.h });
        let dec: CbcBatch | undefined;
        let alg: CipherAlg | undefined;
        let good = integ.type === 'cc' && integ.algorithm !== undefined && keys.kidKey !== undefined && (L === 4 || L === 8);
        if (good && spi.ciphering) {
          good = false;
          if (decodeKic(kic).algorithm !== null || keys.kicAlg) {
            alg = cipherAlgFor(kic, keys);
            if (keys.kicKey && alg.endsWith('-cbc')) {
              assertKeyFits(keys, 'kic');
              checkKey(alg, keys.kicKey, 'KIc key', { allowWeak: true });
              const kk = keyId(alg, keys.kicKey);
              if (!deciphers.has(kk)) deciphers.set(kk, batchDecryptor(alg, keys.kicKey));
              dec = deciphers.get(kk);
              good = dec !== undefined;
            }
          }
        }
        if (good) {
          assertKeyFits(keys, 'kid');
          const ccAlg = integ.algorithm as CcAlg;
          checkKey(ccAlg, keys.kidKey!, 'KID key', { allowWeak: true });
          const mk = keyId(ccAlg, keys.kidKey!);
          if (!macs.has(mk)) macs.set(mk, batchChecksummer(ccAlg, keys.kidKey!));
          const mac = macs.get(mk)!;
          p = { ok: true, L, dec, mac, di: dec ? groupOf(decs, dLists, dN, dec) : -1, mi: groupOf(macList, mLists, mN, mac), json: json ? jsonHead(hdr, keys, ccAlg, alg) : undefined };
        }
      }
    } catch {
      p = { ok: false, L: p.L, di: -1, mi: -1 };
    }
    if (plans.size > 1024) plans.clear();
    plans.set(id, p);
    return p;
  };
  // The chunk's packets, decoded one after the other (`pos`: the next free octet).
  let pos = 0;
  // The chunk's lines of the group (group[0 .. gN): objects reused from chunk to chunk, not made per
  // line), and per decipherer / checksummer (decs[i], macList[i]) its lines dLists[i][0 .. dN[i]).
  const group: GroupLine[] = [];
  let gN = 0;
  const decs: CbcBatch[] = [];
  const dLists: GroupLine[][] = [];
  const dN: number[] = [];
  const macList: CbcBatch[] = [];
  const mLists: GroupLine[][] = [];
  const mN: number[] = [];
  let outs: LineOutcome[] = [];
  let lastHi = -1;
  let lastLo = -1;
  let lastPlan: ParsePlan | undefined;
  // Scratch of the chunks, grown as needed: ciphertexts, CC inputs and tags, and the runs' offsets and lengths.
  let ct = new Uint8Array(0);
  let mIn = new Uint8Array(0);
  let tags = new Uint8Array(0);
  let sOff = new Int32Array(0);
  let sLen = new Int32Array(0);
  let sOut = new Int32Array(0);
  /** Room in the runs' offsets and lengths for `n` runs. */
  const scratchFor = (n: number): void => {
    if (sOff.length >= n) return;
    sOff = new Int32Array(2 * n);
    sLen = new Int32Array(2 * n);
    sOut = new Int32Array(2 * n);
  };
  /**
   * Line `k` of the chunk (input line `lineNo`) as group[gN++] (true), or
   * false for the per-line path. Per line and small, as are gather() and
   * emit(), so that each is compiled on its own once hot (the chunk function
   * runs once per chunk: its loops would wait for on-stack replacement).
   */
  const take = (line: string, lineNo: number, k: number): boolean => {
    try {
      // Plain hex into the chunk's buffer; anything else (separators, bad digits) as fromHex reads it.
      if (din.length < pos + (line.length >> 1)) {
        din = new Uint8Array(Math.max(2 * din.length, line.length)); // earlier lines keep the old buffer
        pos = 0;
      }
      const len = hexInto(line, din, pos);
      let src: Uint8Array = din;
      let a = pos;
      let n = len;
      if (len < 0) {
        src = fromHex(line, '');
        a = 0;
        n = src.length;
      } else pos += len;
      // What peel() (src/layers/peel-core.ts) takes for a bare SMS-PP command packet first, in either
      // mode: CPL = the octets after it, CHL 13 + {0, 2, 4, 8} (TS 102 225 cl. 5.1; 31.115 cl. 4.2).
      // (Never a CAT_TP PDU: octet 2 is CHL, not zero, TS 102 127 cl. 5.)
      const chl = n >= 3 && ((src[a] << 8) | src[a + 1]) === n - 2 ? src[a + 2] : 0;
      if (!(chl === 13 || chl === 15 || chl === 17 || chl === 21)) return false;
      // SMS-PP: CPL at 0-1, CHL at 2 (no CPI); SPI 3-4, KIc 5, KID 6, TAR 7-9 (TS 31.115 cl. 4.2).
      // The last header's plan first, compared as two small integers (the 40-bit key is a heap number).
      const hi = (src[a + 3] << 16) | (src[a + 4] << 8) | src[a + 5];
      const lo = (src[a + 6] << 8) | chl;
      let plan = hi === lastHi && lo === lastLo ? lastPlan : undefined;
      if (!plan) {
        const id = hi * 0x10000 + lo;
        plan = plans.get(id);
        if (!plan) plan = planFor(parseCommandHeader(smsDialect, src.subarray(a, a + n)), id);
        lastHi = hi;
        lastLo = lo;
        lastPlan = plan;
      }
      // The length checks of parseCommandHeader (the rest depends on the octets of the plan's key only).
      if (n - 2 < 14 || 1 + chl > n - 2) return false;
      if (!plan.ok) return false;
      const secLen = n - SEC_AT;
      if (plan.dec && (!secLen || secLen % plan.dec.block)) return false;
      let g = group[gN];
      if (g === undefined) group[gN] = g = { k, src, bAt: a, bLen: n, plan, pt: undefined, pAt: 0, pLen: 0, at: 0, len: 0 };
      else {
        g.k = k;
        g.src = src;
        g.bAt = a;
        g.bLen = n;
        g.plan = plan;
        g.pt = undefined;
      }
      gN++;
      if (plan.dec) dLists[plan.di][dN[plan.di]++] = g;
      else {
        g.pt = src;
        g.pAt = a + SEC_AT;
        g.pLen = secLen;
      }
      return true;
    } catch {
      return false; // the per-line path gives this line's error
    }
  };
  /** The secured data of `g` (cl. 5.1.2: ciphered from CNTR on) into `ct` at `at` (a per-line function: see take). */
  const secured = (g: GroupLine, ct: Uint8Array, at: number): void => {
    const { src, bAt, bLen } = g;
    for (let i = SEC_AT, o = at - SEC_AT; i < bLen; i++) ct[o + i] = src[bAt + i];
  };
  /** The CC input of `g` (cl. 5.1.3: header, CNTR, PCNTR, data and padding) into `mIn` at g.at. */
  const gather = (g: GroupLine, mIn: Uint8Array): void => {
    const { src, bAt, pAt, pLen } = g;
    const p = g.pt!;
    const o = g.at;
    const L = g.plan.L;
    for (let i = 0; i < SEC_AT; i++) mIn[o + i] = src[bAt + i];
    for (let i = 0; i < 6; i++) mIn[o + SEC_AT + i] = p[pAt + i];
    for (let i = 6 + L, d = o + SEC_AT - L; i < pLen; i++) mIn[d + i] = p[pAt + i];
  };
  /** Line `g` of the group with its computed CC `tag` (L octets): its outcome, left undefined for the per-line path. */
  const emit = (g: GroupLine, tags: Uint8Array, tagAt: number, L: number, first: number, outs: LineOutcome[]): void => {
    const p = g.pt!;
    // Constant time: every octet of the CC is compared (cl. 5.1.3).
    if (g.plan.L !== L || !constantTimeEqualAt(tags, tagAt, p, g.pAt + 6, L)) {
      g.pt = undefined;
      return;
    }
    if (json) {
      const at = jout.at;
      if (jsonLine(jout, first + g.k, g.src, g.bAt, g.bLen, p, g.pAt, g.pLen, L, g.plan.json!)) {
        outs[g.k] = FAST;
        span[2 * g.k] = at;
        span[2 * g.k + 1] = jout.at;
      }
      return;
    }
    // The script of the data as parse checks it (a malformed expanded script or push: exit 2).
    const end = g.pAt + g.pLen;
    const t = g.bAt + 7;
    if (!scriptError(p.subarray(g.pAt + 6 + L, end - p[g.pAt + 5]), fmt)) outs[g.k] = { text: `${first + g.k} OK command tar=${hex2(g.src[t])}${hex2(g.src[t + 1])}${hex2(g.src[t + 2])} cc`, exitCode: 0 };
  };
  const chunk: ChunkFn = (lines, first, _seq, _ctx, pass) => {
    const n = lines.length;
    // Indexed loops only: this function runs once per chunk, mostly before it is optimised, and
    // unoptimised for-of loops and Map iteration make an object per step.
    if (outs.length < n) outs = new Array(n);
    for (let k = 0; k < n; k++) outs[k] = undefined as unknown as LineOutcome;
    if (json) {
      // Sized from the last chunk: the lines are written where they are sent from.
      jout.start(Math.ceil(perLine * n * 1.125) + 4096);
      if (span.length < 2 * n) span = new Int32Array(2 * n);
    }
    gN = 0;
    for (let i = 0; i < dN.length; i++) dN[i] = 0;
    for (let i = 0; i < mN.length; i++) mN[i] = 0;
    pos = 0;
    for (let k = 0; k < n; k++) {
      const line = lines[k];
      if (isPassThrough(line)) outs[k] = { text: pass === 'echo' ? line : '', exitCode: 0 };
      else if (!take(line, first + k, k)) outs[k] = outcome(one, line, first + k);
    }
    // Decipher: every ciphertext under one key in one buffer, one native call.
    for (let di = 0; di < decs.length; di++) {
      const m = dN[di];
      if (!m) continue;
      const list = dLists[di];
      scratchFor(m);
      let total = 0;
      for (let j = 0; j < m; j++) {
        sOff[j] = total;
        total += sLen[j] = list[j].bLen - SEC_AT;
      }
      if (ct.length < total) ct = new Uint8Array(2 * total);
      for (let j = 0; j < m; j++) secured(list[j], ct, sOff[j]);
      const pt = decs[di].decrypt(ct, total, sOff, sLen, m);
      if (pt) {
        for (let j = 0; j < m; j++) {
          const g = list[j];
          g.pt = pt;
          g.pAt = sOff[j];
          g.pLen = sLen[j];
        }
      }
    }
    // The CC inputs, 4-aligned, grouped by key.
    let mTotal = 0;
    for (let gi = 0; gi < gN; gi++) {
      const g = group[gi];
      const p = g.pt;
      const L = g.plan.L;
      if (!p || g.pLen < 6 + L || p[g.pAt + 5] > g.pLen - 6 - L) {
        g.pt = undefined;
        continue;
      }
      g.at = mTotal;
      g.len = SEC_AT + g.pLen - L;
      mTotal = (mTotal + g.len + 3) & ~3;
      const mi = g.plan.mi;
      mLists[mi][mN[mi]++] = g;
    }
    if (mIn.length < mTotal) mIn = new Uint8Array(2 * mTotal);
    if (tags.length < gN * 8) tags = new Uint8Array(2 * gN * 8);
    for (let mi = 0; mi < macList.length; mi++) {
      const c = mN[mi];
      if (!c) continue;
      const list = mLists[mi];
      scratchFor(c);
      for (let j = 0; j < c; j++) {
        const g = list[j];
        gather(g, mIn);
        sOff[j] = g.at;
        sLen[j] = g.len;
        sOut[j] = j * 8;
      }
      // Every plan of one MAC object has one L (the plan key holds CHL and KID), so one outLen.
      const L = list[0].plan.L;
      macList[mi].mac(mIn, sOff, sLen, c, tags, sOut, L);
      for (let j = 0; j < c; j++) emit(list[j], tags, j * 8, L, first, outs);
    }
    for (let gi = 0; gi < gN; gi++) {
      const k = group[gi].k;
      if (outs[k] === undefined) outs[k] = outcome(one, lines[k], first + k);
    }
    let all = true;
    for (let k = 0; k < n; k++) if (!('text' in outs[k]) || (outs[k] as LineResult).exitCode !== 0) all = false;
    if (json) {
      perLine = Math.max(64, jout.at / n);
      if (!all) {
        for (let k = 0; k < n; k++) if (outs[k] === FAST) outs[k] = { text: jout.buf.toString('utf8', span[2 * k], span[2 * k + 1] - 1), exitCode: 0 };
        return outs.slice(0, n);
      }
      // Every line's octets in input order, in a buffer of their own (see ChunkFn).
      let size = 0;
      let inOrder = true;
      for (let k = 0; k < n; k++) {
        if (outs[k] !== FAST) {
          inOrder = false;
          size += Buffer.byteLength((outs[k] as LineResult).text) + 1;
        } else {
          if (span[2 * k] !== (k ? span[2 * k - 1] : 0)) inOrder = false;
          size += span[2 * k + 1] - span[2 * k];
        }
      }
      if (inOrder) return size === jout.buf.length ? jout.buf : jout.buf.subarray(0, size);
      const txt = Buffer.allocUnsafeSlow(size);
      let at = 0;
      for (let k = 0; k < n; k++) {
        if (outs[k] === FAST) {
          txt.set(jout.buf.subarray(span[2 * k], span[2 * k + 1]), at);
          at += span[2 * k + 1] - span[2 * k];
        } else {
          at += txt.write((outs[k] as LineResult).text, at);
          txt[at++] = 10;
        }
      }
      return txt;
    }
    if (all) {
      let text = '';
      for (let k = 0; k < n; k++) text += (outs[k] as LineResult).text + '\n';
      return text;
    }
    return outs.slice(0, n);
  };
  return json ? Object.assign(chunk, { recycle: (b: Uint8Array) => jout.recycle(b) }) : chunk;
}

/** The backends whose long-lived ciphers are OpenSSL's (auto: src/crypto/engine.ts); with the others every line goes per line. */
const BATCH_CIPHERS = new Set(['native', 'auto']);

/** A line of parseChunkFn's --json output written in its JsonOut. */
const FAST: LineResult = { text: '', exitCode: 0 };

/** A line through the per-line path, its error as that path reports it. */
function outcome(one: (line: string, lineNo: number) => ParsedLine, line: string, lineNo: number): LineOutcome {
  try {
    const r = one(line, lineNo);
    return r.problems ? { text: r.text, exitCode: r.exitCode, problems: r.problems } : { text: r.text, exitCode: r.exitCode };
  } catch (e) {
    return { error: toLineError(e, lineNo) };
  }
}

/** Key resolution once per (KIc, KID) pair of the batch, not per packet. */
function memoKeys(o: ParseBatchOptions): ParseOpts {
  // The keyset file is read once; resolveKeys results are cached by KIc/KID.
  return { ...o } as ParseOpts;
}

/**
 * `parse --each` as an async iterator: each line is one packet (any layer
 * parse recognises); the result is the object parse --each --json prints for
 * it, `exitCode` 1 when a check failed.
 */
/**
 * What every line would refuse alike (an unreadable keyset, a bad --kvn, key, algorithm, SPI,
 * --request or --expect-status) is refused once, before the first line, not on each line.
 */
function checkParseOptions(o: ParseBatchOptions): void {
  const memo = packetMemo(o);
  memo.keys(undefined, undefined);
  memo.expected();
  parseExpectStatus(o.expectStatus);
}

export async function* parseBatch(lines: AsyncIterable<string> | Iterable<string>, o: ParseBatchOptions = {}, mode: ParseMode = 'auto'): AsyncGenerator<BatchItem<ParseBatchResult>> {
  if (o.crypto) setCryptoBackend(o.crypto);
  if (o.expanded && o.compact) throw new InputError('give --expanded or --compact, not both', { field: '--compact' });
  checkParseOptions(o);
  const fn = parseLineFn(memoKeys(o), mode, true);
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (isPassThrough(line)) {
      yield { line: lineNo, skipped: true };
      continue;
    }
    const over = overlongError(line, lineNo);
    if (over) {
      yield { line: lineNo, error: over };
      continue;
    }
    try {
      const r = fn(line, lineNo);
      yield { line: lineNo, result: r.json!, exitCode: r.exitCode };
    } catch (e) {
      if (!(e instanceof OtaError)) throw e;
      yield { line: lineNo, error: toLineError(e, lineNo) };
    }
  }
}

// ---------------------------------------------------------------- streaming (CLI)

/** Where a streamed batch reads and writes, and how it runs. */
export interface StreamOptions {
  /** Input bytes or text (stdin: fdChunks() of src/batch, robust to a non-blocking descriptor). */
  input: AsyncIterable<Buffer | string>;
  output: NodeJS.WritableStream;
  /** NDJSON output. */
  json?: boolean;
  /** Worker threads: 1 (default) runs in this thread; "auto" one per CPU. */
  threads?: number | 'auto';
  /** Append every frame to this pcap file (created when missing). */
  pcap?: string;
  /**
   * Told the batch's notes (what the user probably did not mean): once the options are
   * resolved, before any line; and a line's note (a packet too long for one SMS) for
   * the first line that has it, as "line N: ...".
   */
  onNote?: (notes: string[]) => void;
  /** Told about each failed line, in order (the CLI prints it on stderr). */
  onError?: (e: LineError) => void;
  /** Told about each line whose check failed (exit 1: CC mismatch, refused PoR…), in order, what failed (the CLI prints it on stderr). */
  onProblems?: (line: number, problems: string[]) => void;
  /**
   * For code bundled into one file: CommonJS source that starts a worker by
   * calling serveBatchWorker(createBatchLineFn) (src/batch/worker-loop.ts).
   * Without it, workers import this module by its path.
   */
  workerBootstrap?: string;
}

/** What a worker (or this thread) is told to run: structured-clonable. */
export type BatchJob =
  | { kind: 'build'; options: SmsBatchOptions; json: boolean; pcap: boolean }
  | { kind: 'parse'; options: ParseBatchOptions; mode: ParseMode; json: boolean; pcap: boolean };

/** The engine's per-line function for a job (run once per worker thread). */
export async function createBatchLineFn(job: BatchJob): Promise<LineFn> {
  if (job.options.crypto) setCryptoBackend(job.options.crypto);
  if (job.kind === 'build') {
    const plan = await planBuild(job.options);
    const fn = buildLineFn(plan, job.json, job.pcap);
    const line: LineFn = (line, lineNo, seq, ctx): LineResult => {
      const r = fn(line, lineNo, seq, ctx);
      return { text: r.text, exitCode: 0, extra: r.records, notes: r.notes };
    };
    // Many lines per call (batched crypto); --json only with --format packet and a CC (jsonBuild), else line by line.
    if (!job.json) line.chunk = buildChunkFn(plan, job.pcap);
    else if (!job.pcap && process.env.UICC_OTA_BUILD_CHUNK !== '0') {
      const jb = jsonBuild(plan, fn);
      if (jb) {
        line.chunk = buildChunkFn(plan, false, jb);
        line.recycle = jb.recycle;
      }
    }
    line.seqFits = planFits(plan);
    return line;
  }
  const po = memoKeys(job.options);
  const memo = packetMemo(po);
  const fn = parseLineFn(po, job.mode, job.json, memo);
  const records = job.pcap;
  const line: LineFn = (line, lineNo): LineResult => {
    const r = fn(line, lineNo);
    if (!records) return { text: r.text, exitCode: r.exitCode, problems: r.problems };
    if (!r.peeled) throw new InputError('--pcap of parse writes SMS-PP captures; for CAT_TP use cattp commands', { field: '--pcap' });
    return { text: r.text, exitCode: r.exitCode, extra: parsedRecords(r.peeled), problems: r.problems };
  };
  // Without pcap, text or --json: many lines per call (batched deciphering and checksums).
  // (Not for a PoR (--por), --cattp, --require-verified, or an --expect-status that refuses a command: per line.)
  if (!records && job.mode !== 'por' && !po.cattp && !po.requireVerified && !statusOutcome(undefined, po, false).refusal && process.env.UICC_OTA_PARSE_CHUNK !== '0') {
    const chunk = parseChunkFn(po, job.mode, memo, fn, job.json);
    line.chunk = chunk;
    line.recycle = chunk.recycle;
  }
  return line;
}

function threadCount(t: StreamOptions['threads']): number {
  if (t === undefined) return 1;
  if (t === 'auto') return availableParallelism();
  if (!Number.isInteger(t) || t < 1 || t > 256) throw new InputError(`must be a number of threads from 1 to 256, or auto (got ${t})`, { field: '--threads' });
  return t;
}

export { jsonErrorLine, textErrorLine };

async function stream(job: BatchJob, s: StreamOptions, context?: (seq0: number, count: number) => Promise<unknown>, seqFits?: (octets: number) => boolean): Promise<BatchSummary> {
  const threads = threadCount(s.threads);
  const noted = new Set<string>();
  let appender: import('../pcap/append.js').PcapAppender | undefined;
  if (s.pcap) {
    const { PcapAppender } = await import('../pcap/append.js');
    appender = new PcapAppender(s.pcap);
  }
  const workers: WorkerSpec | undefined = threads > 1
    ? { threads, data: job, linesPerMessage: job.kind === 'build' ? 1024 : undefined, ...(s.workerBootstrap ? { bootstrap: s.workerBootstrap } : { module: new URL(import.meta.url), export: 'createBatchLineFn' }) }
    : undefined;
  try {
    return await runBatch({
      input: s.input,
      output: s.output,
      fn: workers ? undefined : await createBatchLineFn(job),
      workers,
      passThrough: s.json ? 'empty' : 'echo',
      window: workers && job.kind === 'build' ? 16384 : undefined,
      // parse --json lines are long (about 1.3 kB for one APDU): smaller chunks keep each chunk's
      // output buffer small enough for the allocator to reuse freed memory (fresh pages cost).
      chunkLines: job.kind === 'parse' && job.json ? 128 : undefined,
      formatError: s.json ? jsonErrorLine : textErrorLine,
      onError: s.onError,
      onProblems: s.onProblems,
      onNotes: s.onNote ? (line, notes) => {
        // A note once per batch and kind (its numbers aside), for the first line that has it.
        const fresh = notes.filter((n) => {
          const kind = n.replace(/\d+/g, '#');
          if (noted.has(kind)) return false;
          noted.add(kind);
          return true;
        });
        if (fresh.length) s.onNote!(fresh.map((n) => `line ${line}: ${n} (noted for the first such line only)`));
      } : undefined,
      context,
      // build: a line that is not hex uses up no counter (the next line gets it).
      seqRule: job.kind === 'build' ? 'hex' : 'work',
      seqFits,
      onResult: appender ? (r) => {
        for (const rec of (r.extra as PcapRecord[] | undefined) ?? []) appender!.append(rec);
      } : undefined,
      // The frames reach the file before their lines reach the output (tail -f, SIGINT, | head -1).
      beforeWrite: appender ? () => appender!.flush() : undefined,
    });
  } finally {
    appender?.close();
  }
}

/** `build sms --each` from a byte stream to text lines (see the module comment). */
export async function streamSmsBatch(o: SmsBatchOptions, s: StreamOptions): Promise<BatchSummary & { warnings: string[] }> {
  // Resolved here first: bad options fail before any line is read or any worker starts.
  const plan = await planBuild(o);
  if (plan.warnings.length) s.onNote?.(plan.warnings);
  const summary = await stream({ kind: 'build', options: o, json: !!s.json, pcap: !!s.pcap }, s, counterReserver(o, plan), planFits(plan));
  return { ...summary, warnings: plan.warnings };
}

/** `parse --each` from a byte stream to text lines (see the module comment). */
export async function streamParseBatch(o: ParseBatchOptions, mode: ParseMode, s: StreamOptions): Promise<BatchSummary> {
  if (o.crypto) setCryptoBackend(o.crypto);
  if (o.expanded && o.compact) throw new InputError('give --expanded or --compact, not both', { field: '--compact' });
  checkParseOptions(o);
  return stream({ kind: 'parse', options: o, mode, json: !!s.json, pcap: !!s.pcap }, s);
}

/** Lines of a text or byte stream (for the iterators above). */
export { readLines };
export type { BatchSummary, LineError };

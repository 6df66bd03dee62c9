/**
 * `parse --read FILE|-`: src/api/capture.ts reads and analyses the capture a
 * chunk at a time; this renders each exchange as soon as it is complete
 * (tree, `--json` object streamed member by member, or `--ndjson` records),
 * with a progress line on a terminal's stderr for long runs.
 */
import { writeSync } from 'node:fs';
import { isatty } from '../isatty.js';
import { InputError } from '../../util/errors.js';
import { formatTag } from '../../util/json-format.js';
import { node, type TreeNode } from '../../render/tree.js';
import { withMembers } from '../../util/object.js';
import { streamCapture, DEFAULT_PAIRING_WINDOW, type CaptureItem, type CaptureBrief, type CaptureRun, type StreamHooks } from '../../api/capture.js';
import type { ParseMode } from '../../api/packet.js';
import type { ParseOpts as PacketOptions } from '../../api/packet.js';
import { outcomeNodes, stdoutError, useColor, verdictNode, type OutputOptions } from '../output.js';

type ParseOpts = PacketOptions & OutputOptions & { ndjson?: boolean; pairingWindow?: string; follow?: boolean };

const RECORD_TAG = formatTag('capture-record');

/** Output written in batches of about this many characters (and after every chunk read). */
const BATCH = 1 << 16;

const replacer = (_k: string, x: unknown) => (typeof x === 'bigint' ? Number(x) : x instanceof Uint8Array ? Buffer.from(x).toString('hex').toUpperCase() : x);

/**
 * True when `v` holds only what the replacer passes through unchanged (plain
 * objects and arrays, strings, numbers, booleans, null): then JSON.stringify
 * gives the same text without it, several times faster (no call per value).
 */
function plain(v: unknown, depth = 0): boolean {
  if (v === null || typeof v !== 'object') return typeof v !== 'bigint';
  if (depth > 32) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!plain(v[i], depth + 1)) return false;
    return true;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return false;
  for (const k in v) if (!plain((v as Record<string, unknown>)[k], depth + 1)) return false;
  return true;
}
const stringify = (v: unknown, indent?: number) => (plain(v) ? JSON.stringify(v, null, indent) : JSON.stringify(v, replacer, indent));
/**
 * stringify(v) on one line, without walking `v` first: JSON.stringify alone
 * writes what the replacer would change in a form that shows. A bigint
 * throws; a Uint8Array that is not a Buffer (Buffer's toJSON comes before any
 * replacer) comes out as `{"0":…}`, or `{}` when empty. Only then is the
 * value taken through stringify.
 */
function stringifyLine(v: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch {
    s = undefined;
  }
  return s === undefined || s.includes('{"0":') || s.includes('{}') ? stringify(v) : s;
}
/** A value as printJson prints it, as a member of the top-level object (indented one more level). */
const member = (v: unknown, depth: number) => stringify(v, 2).replace(/\n/g, '\n' + '  '.repeat(depth));

/** All of `b` to stdout, synchronously (waiting out EAGAIN on a non-blocking pipe); a reader gone away ends the process quietly. */
function writeAll(b: Uint8Array): void {
  let o = 0;
  while (o < b.length) {
    try {
      o += writeSync(1, b, o, b.length - o);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(PAUSE, 0, 0, 2);
        continue;
      }
      if (code === 'EPIPE') process.exit(0);
      throw stdoutError(e);
    }
  }
}
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

function pairingWindow(v: string | undefined): number {
  if (v === undefined) return DEFAULT_PAIRING_WINDOW;
  if (!/^\d+$/.test(v.trim()) || Number(v) < 1) throw new InputError(`"${v}" is not a whole number of at least 1`, { field: '--pairing-window' });
  return Number(v);
}

/** `parse [sms|por] --read FILE` (the mode changes nothing: a capture says what each item is). */
export async function parseCapture(file: string, args: string[], o: ParseOpts, _mode: ParseMode): Promise<void> {
  if (args.length) throw new InputError('give hex inputs or --read FILE, not both', { field: '--read' });
  if (o.pcap) throw new InputError('--pcap writes what was parsed from hex inputs; it cannot be combined with --read', { field: '--pcap' });
  if ((o as { threads?: string }).threads !== undefined) throw new InputError('it goes with --each (hex lines), not with --read', { field: '--threads' });
  if (o.json && o.ndjson) throw new InputError('give --json (one object) or --ndjson (one record per line), not both', { field: '--ndjson' });
  const window = pairingWindow(o.pairingWindow);
  if (file === '-' && isatty(0)) throw new InputError('no capture on stdin (it is a terminal): give a file name, or pipe a pcap/pcapng capture in', { field: '--read' });
  const name = file === '-' ? 'standard input' : file;
  const mode = o.ndjson ? 'ndjson' : o.json ? 'json' : 'text';

  // --- batched stdout: each piece encoded once into one buffer, written when it holds BATCH octets
  // (and after every chunk read). Encoding flat pieces there is several times faster than
  // concatenating them into one string first.
  const buf = Buffer.allocUnsafe(BATCH * 4);
  let pos = 0;
  // A progress line on the terminal stdout also writes to is cleared first, not run into (it is drawn again).
  let progressShown = false;
  const clearProgress = () => {
    if (!progressShown) return;
    progressShown = false;
    writeSync(2, '\r\x1b[K');
  };
  const flush = () => {
    if (!pos) return;
    clearProgress();
    writeAll(buf.subarray(0, pos));
    pos = 0;
  };
  const emit = (s: string) => {
    if (s.length * 3 > buf.length - pos) {
      flush();
      if (s.length * 3 > buf.length) return clearProgress(), writeAll(Buffer.from(s));
    }
    pos += buf.write(s, pos);
    if (pos >= BATCH) flush();
  };
  /** `s` and a newline (not `s + '\n'`: a long record would be copied once more to flatten the pair). */
  const emitLine = (s: string) => {
    if (s.length * 3 + 1 > buf.length - pos) {
      flush();
      if (s.length * 3 + 1 > buf.length) return clearProgress(), writeAll(Buffer.from(s + '\n'));
    }
    pos += buf.write(s, pos);
    buf[pos++] = 0x0a;
    if (pos >= BATCH) flush();
  };

  // --- text rendering
  const color = mode === 'text' && useColor(o);
  const { renderTree, renderTreeTo } = mode === 'text' ? await import('../../render/text.js') : { renderTree: undefined, renderTreeTo: undefined };
  const chalk = color ? (await import('chalk')).default : undefined;
  const emitBytes = (b: Uint8Array) => {
    if (b.length > buf.length - pos) {
      flush();
      if (b.length > buf.length) return clearProgress(), writeAll(b);
    }
    buf.set(b, pos);
    pos += b.length;
    if (pos >= BATCH) flush();
  };
  const out = { text: emit, bytes: emitBytes };
  /** Without colour, lines go straight to the output buffer (shared subtrees as octets encoded once). */
  const put = (nodes: TreeNode[]) => (color ? emit(renderTree!(nodes, { color, bits: o.bits }, chalk)) : renderTreeTo!(nodes, { bits: o.bits }, out));
  /** Consecutive APDUs outside the CAT flow, counted into one line. */
  let run: { first: number; last: number; count: number; text: string; byName: Map<string, number> } | undefined;
  const flushRun = () => {
    if (!run) return;
    const r = run;
    run = undefined;
    const list = [...r.byName].map(([n, c]) => (c > 1 ? `${n} ×${c}` : n)).join(', ');
    put([node(r.first === r.last ? `Frame ${r.first}` : `Frames ${r.first}–${r.last}`, r.count === 1 ? r.text : `${r.count} other APDUs (${list})`)]);
  };

  // --- JSON: the object streamed member by member; apdus and sessions kept (as text) until the end
  let opened = false;
  let firstItem = true;
  const apdus: string[] = [];
  const sessions: string[] = [];
  let format: string | undefined;
  const open = () => {
    if (opened) return;
    opened = true;
    emit(`{\n  "format": ${JSON.stringify(formatTag('capture'))},\n  "file": ${JSON.stringify(name)},\n  "captureFormat": ${JSON.stringify(format ?? null)},\n  "items": [`);
  };

  let items = 0;
  // A malformed item's line on stderr comes with it (after what stdout holds so far), not at the end.
  let errorsShown = 0;
  const sink = {
    item(i: CaptureItem) {
      emitItem(i);
      if (i.errorLine === undefined) return;
      flush();
      clearProgress();
      writeSync(2, `uicc-ota: ${i.errorLine}\n`);
      errorsShown++;
    },
    brief: emitBrief,
  };
  function emitItem(i: CaptureItem) {
    items++;
    if (mode === 'text') {
      flushRun();
      put([i.tree!]);
    } else if (mode === 'json') {
      open();
      emit(`${firstItem ? '' : ','}\n    ${member(i.json, 2)}`);
      firstItem = false;
    } else {
      // The item's own tag (uicc-ota-command/1, -response/1) gives way to the record's; `type` still says which.
      // Packet items come as records already (recordTag); the others are copied behind the record's members.
      if (i.text !== undefined) return emitLine(i.text);
      const j = i.json!;
      if (j.format === RECORD_TAG) emitLine(stringifyLine(j));
      else {
        const rec: Record<string, unknown> = { format: RECORD_TAG, record: 'item' };
        for (const k in j) if (k !== 'format') rec[k] = j[k];
        emitLine(stringifyLine(rec));
      }
    }
  }
  function emitBrief(b: CaptureBrief) {
    if (mode === 'text') {
      if (b.cat) {
        flushRun();
        put([node(`Frame ${b.frame}`, b.text, b.children, { status: b.status })]);
      } else if (!run) run = { first: b.frame, last: b.frame, count: 1, text: b.text, byName: new Map([[b.name, 1]]) };
      else {
        run.last = b.frame;
        run.count++;
        run.byName.set(b.name, (run.byName.get(b.name) ?? 0) + 1);
      }
    } else if (mode === 'json') (b.group === 'apdu' ? apdus : sessions).push(member(b.json, 2));
    else emitLine(stringifyLine({ format: formatTag('capture-record'), record: b.group, ...b.json }));
  }

  // --- progress on a terminal's stderr, once the work takes more than a second
  const progress = Boolean(process.stderr.isTTY);
  const stdoutTty = progress && isatty(1);
  const t0 = Date.now();
  let shown = 0;
  const hooks: StreamHooks = {
    format(fmt: string | undefined) {
      format = fmt;
    },
    chunk(frames: number, fmt: string | undefined) {
      format = fmt;
      flush();
      if (!progress) return;
      const now = Date.now();
      if (now - t0 < 1000 || now - shown < 250) return;
      shown = now;
      const rate = Math.round(frames / ((now - t0) / 1000));
      process.stderr.write(`\r\x1b[K${name}: ${frames} frames, ${items} exchanges, ${rate} frames/s`);
      progressShown = stdoutTty;
    },
  };

  // --follow: Ctrl-C or SIGTERM ends the following (once; a second one ends the process as usual), then the summary.
  const follow = o.follow ? new AbortController() : undefined;
  const stop = () => follow!.abort();
  if (follow) {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
  let r: CaptureRun;
  try {
    r = await streamCapture(file, name, { ...o, follow: follow && { signal: follow.signal }, pairingWindow: window, tree: mode === 'text', json: mode !== 'text', recordTag: mode === 'ndjson' ? RECORD_TAG : undefined, recordText: mode === 'ndjson' }, sink, hooks);
  } finally {
    if (shown) process.stderr.write('\r\x1b[K');
    if (follow) {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  }
  format = r.format;
  const s = r.summary;

  if (mode === 'text') {
    flushRun();
    // The same verdict as JSON "verified": FAILED (false) before incomplete (null) before passed (true).
    const n = s.errors.length;
    const stop = r.stopped && `the capture stopped at byte ${r.stopped.offset}, before frame ${r.stopped.frame} (see stderr)`;
    const u = s.uncheckedItems - n;
    // A long capture may fail thousands of checks: the verdict names the first few (each item is marked above).
    const fl = s.failures.length > 3 ? [...s.failures.slice(0, 3), `… ${s.failures.length - 3} more (marked above)`] : s.failures;
    const verdict = s.failures.length
      ? withMembers(await verdictNode(fl, s.notes), stop ? { note: `${fl.join('; ')}; and ${stop}` } : {})
      : stop
        ? node('Verification', 'incomplete', undefined, { status: 'fail', note: stop })
        : s.nothing
          ? node('Verification', 'nothing to verify', undefined, { status: 'info' })
          : n
            ? node('Verification', 'incomplete', undefined, { status: 'fail', note: `${n} malformed item${n === 1 ? '' : 's'} (see above)` })
            : u > 0
              ? node('Verification', 'incomplete', undefined, { status: 'warn', note: `${u} item${u === 1 ? '' : 's'} with nothing verified or something not checked (marked above; --require-verified makes it a failure)` })
              : await verdictNode(s.failures, s.notes);
    put([s.tree, verdict, ...outcomeNodes(s.refusals)]);
  } else if (mode === 'json') {
    open();
    const list = (xs: string[]) => (xs.length ? `[\n    ${xs.join(',\n    ')}\n  ]` : '[]');
    emit(`${firstItem ? ']' : '\n  ]'},\n  "frames": ${s.frames},\n  "apdus": ${list(apdus)},\n  "sessions": ${list(sessions)},\n  "summary": ${member(s.summary, 1)},\n  "notes": ${member(s.notes, 1)},\n  "verified": ${JSON.stringify(s.verified)}`);
    if (r.stopped) emit(`,\n  "stopped": ${member(r.stopped, 1)}`);
    emit('\n}\n');
  } else {
    emit(JSON.stringify({ format: formatTag('capture-record'), record: 'end', file: name, captureFormat: r.format ?? null, frames: s.frames, summary: s.summary, notes: s.notes, verified: s.verified, ...(r.stopped ? { stopped: r.stopped } : {}) }) + '\n');
  }
  flush();
  for (const e of s.errors.slice(errorsShown)) process.stderr.write(`uicc-ota: ${e}\n`);
  for (const f of s.failures) process.stderr.write(`uicc-ota: verification failed: ${f}\n`);
  for (const x of s.unverified) process.stderr.write(`uicc-ota: not verified (--require-verified): ${x}\n`);
  for (const x of s.refusals) process.stderr.write(`uicc-ota: ${x}\n`);
  if (r.stopped) process.stderr.write(`uicc-ota: ${r.stopped.message}; reading stopped there, before frame ${r.stopped.frame}${mode === 'text' ? (r.stopped.frame === 2 ? ' (the frame before it is above)' : ` (the ${r.stopped.frame - 1} frames before it are above)`) : ''}\n`);
  if (r.exitCode) process.exitCode = r.exitCode;
}

/**
 * `parse --read` as a library: a pcap/pcapng capture read in chunks, parsed
 * incrementally, its exchanges paired and delivered as they complete.
 */
import { open, stat } from 'node:fs/promises';
import { fdChunks, fileChunks } from '../batch/fd-input.js';
import { InputError, OtaError } from '../util/errors.js';
import { CaptureParser, type CaptureFrame } from '../pcap/read.js';
import {
  CaptureAnalyser, analyseCapture, captureIoError, captureStop,
  type CaptureResult, type CaptureSink, type CaptureStop, type CaptureSummary, type CaptureOptions,
} from '../capture/read.js';
import type { ParseOptions } from './parse.js';

export type { CaptureResult, CaptureStop, CaptureSummary, CaptureItem, CaptureBrief, CaptureSink } from '../capture/read.js';
export { DEFAULT_PAIRING_WINDOW } from '../capture/read.js';

/** Bytes read at a time. */
export const CAPTURE_CHUNK = 256 * 1024;

export interface CaptureReadOptions extends ParseOptions {
  /** Most unfinished concatenations / unanswered commands / waiting TPDUs / CAT_TP datagrams kept (each); default 10,000. */
  pairingWindow?: number;
  /** With a file path: follow the file as it grows until `follow.signal` aborts (an incomplete last record is then left unread). */
  follow?: FollowOptions;
}

/** A capture: a file path ("-": standard input), its bytes, or its bytes as they arrive. */
export type CaptureSource = string | Uint8Array | AsyncIterable<Uint8Array>;

/** How a capture file still being written is followed (captureChunks). */
export interface FollowOptions {
  /** Ends the following: reading stops at once (what was read is analysed; an incomplete last record is left). */
  signal?: AbortSignal;
  /** How often the end of the file is looked at again; default 200 ms. */
  pollMs?: number;
}

/**
 * A file (or "-", standard input, also when left non-blocking) in chunks; OS errors are IoErrors (exit 3).
 * With `follow` (a file only), the end of the file is not the end: it is read again
 * as the writer (tcpdump -w, SIMtrace) adds to it, until `follow.signal` aborts.
 */
export async function* captureChunks(path: string, size = CAPTURE_CHUNK, follow?: FollowOptions): AsyncGenerator<Uint8Array, void, undefined> {
  const stdin = path === '-';
  if (follow && stdin) throw new InputError('following goes with a file; standard input is read as it comes anyway', { field: '--follow' });
  if (follow) {
    // Only a regular file has an end to wait at: a FIFO blocks (its open and reads would not see Ctrl-C), and is read as it comes anyway.
    let st;
    try {
      st = await stat(path);
    } catch (e) {
      throw captureIoError(e, path);
    }
    if (!st.isFile()) throw new InputError(`${path} is not a regular file: following goes with a capture file still being written; a FIFO or pipe is read as it comes without it`, { field: '--follow' });
  }
  const signal = follow?.signal;
  if (signal?.aborted) return;
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  let regular = false;
  try {
    fh = stdin ? undefined : await open(path, 'r');
    regular = fh !== undefined && (await fh.stat()).isFile();
  } catch (e) {
    await fh?.close();
    throw captureIoError(e, path);
  }
  try {
    const atEnd = follow ? () => waitMore(follow.pollMs ?? 200, signal) : undefined;
    const ioError = (e: Error) => captureIoError(e, stdin ? 'standard input' : path);
    // A regular file read to its end: the next chunk is read while this one is analysed.
    const chunks = fh && regular && !follow ? fileChunks(fh.fd, size, ioError) : fdChunks(fh ? fh.fd : 0, size, ioError, atEnd);
    for await (const chunk of chunks) {
      yield chunk;
      if (signal?.aborted) return;
    }
  } finally {
    await fh?.close();
  }
}

/** A pause of `ms` (cut short by `signal`); then whether to read on. */
function waitMore(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve(!signal?.aborted);
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * When the following of a file ended it (its signal aborted): the octets read but not
 * yet a frame, the writer's next record, which is then noted, not damage.
 */
function followEnd(follow: FollowOptions | undefined, parser: CaptureParser): { unread: number } | undefined {
  return follow?.signal?.aborted ? { unread: parser.unread } : undefined;
}

/** The chunks of a source; a file path followed as it grows with `follow` (captureChunks). */
function chunksOf(source: CaptureSource, follow?: FollowOptions): AsyncIterable<Uint8Array> {
  if (typeof source === 'string') return captureChunks(source, CAPTURE_CHUNK, follow);
  if (source instanceof Uint8Array) {
    return (async function* () {
      yield source;
    })();
  }
  return source;
}

/** How a streamed capture ended. */
export interface CaptureRun {
  format?: 'pcap' | 'pcapng';
  summary: CaptureSummary;
  /** Set when damage stopped the reading after at least one frame. */
  stopped?: CaptureStop;
  /** The worst exit code: 2 when stopped or an item is malformed, else 1 when a check failed, else 0. */
  exitCode: number;
}

export interface StreamHooks {
  /** Once the file header is read, before the first frame: pcap or pcapng. */
  format?(format: string | undefined): void;
  /** After each chunk: frames read so far (for a progress line, or to flush output). */
  chunk?(frames: number, format: string | undefined): void;
}

/**
 * Read a capture chunk by chunk, handing every exchange and brief entry to
 * `sink` as soon as it is complete. Damage before the first frame is thrown
 * (InputError, or IoError for the file); damage after it ends the reading
 * with `stopped` set, everything before it delivered.
 */
export async function streamCapture(source: CaptureSource, name: string, options: CaptureOptions & { follow?: FollowOptions }, sink: CaptureSink, hooks: StreamHooks = {}): Promise<CaptureRun> {
  const parser = new CaptureParser(name);
  const analyser = new CaptureAnalyser(name, options, sink);
  let announced = false;
  const onFrame = (f: CaptureFrame) => {
    if (!announced) {
      announced = true;
      hooks.format?.(parser.format);
    }
    analyser.frame(f);
  };
  let stopped: CaptureStop | undefined;
  let followed: { unread: number } | undefined;
  try {
    for await (const chunk of chunksOf(source, options.follow)) {
      parser.push(chunk, onFrame);
      hooks.chunk?.(parser.frames, parser.format);
    }
    followed = followEnd(options.follow, parser);
    if (!followed) parser.end(onFrame);
  } catch (e) {
    if (!(e instanceof OtaError) || e.exitCode !== 2 || parser.frames === 0) throw e;
    stopped = captureStop(e, parser.frames);
  }
  const summary = analyser.finish(parser.format, stopped !== undefined, followed);
  return { format: parser.format, summary, stopped, exitCode: stopped ? Math.max(2, summary.exitCode) : summary.exitCode };
}

/**
 * Every OTA exchange of a pcap/pcapng capture (GSMTAP SIM, CAT_TP over UDP,
 * exported SMS PDUs) as the `items[]` objects of `parse --read --json`, each
 * yielded as soon as it is complete (PoRs paired with their commands). A
 * capture damaged after some frames yields what came before, then throws the
 * InputError that says where it stopped.
 */
export async function* readCapture(source: CaptureSource, options: CaptureReadOptions = {}): AsyncGenerator<Record<string, unknown>, void, undefined> {
  const name = typeof source === 'string' ? (source === '-' ? 'standard input' : source) : 'capture';
  const queue: Record<string, unknown>[] = [];
  const parser = new CaptureParser(name);
  const analyser = new CaptureAnalyser(name, { ...options, tree: false, json: true }, { item: (i) => void queue.push(i.json!), brief: () => undefined });
  const onFrame = (f: CaptureFrame) => analyser.frame(f);
  const drain = function* () {
    while (queue.length) yield queue.shift()!;
  };
  let damage: unknown;
  let followed: { unread: number } | undefined;
  try {
    for await (const chunk of chunksOf(source, options.follow)) {
      parser.push(chunk, onFrame);
      yield* drain();
    }
    followed = followEnd(options.follow, parser);
    if (!followed) parser.end(onFrame);
  } catch (e) {
    if (!(e instanceof OtaError) || parser.frames === 0) throw e;
    damage = e;
  }
  analyser.finish(parser.format, damage !== undefined, followed);
  yield* drain();
  if (damage) throw damage;
}

/** The whole object `parse --read FILE --json` prints, built in memory. */
export function captureReport(pathOrBytes: string | Uint8Array, options: CaptureReadOptions = {}): CaptureResult {
  return typeof pathOrBytes === 'string' ? analyseCapture(pathOrBytes, options) : analyseCapture('capture', options, pathOrBytes);
}

/**
 * Streaming, ordered batch engine: one output line per input line, in input
 * order, each written as soon as it and every earlier line are done; memory
 * bounded by `window` lines in flight whatever the input length (the input is
 * pulled only when there is room, and writing waits for the output to drain).
 * Optionally the lines run on worker threads (several lines per message), the
 * order being kept by the main thread. The exit code is the worst line's.
 * The library never writes anywhere but `output`.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { readLineChunks, readTextBlocks, splitLines } from './lines.js';
import { hexTakesSeq, isPassThrough, isPassThroughAt, overlongError, runChunk, runLine, takesSeq, textError, toLineError, type LineError, type SeqRule, type LineFn, type LineOutcome, type LineResult, type PassThrough } from './line.js';
import type { WorkerInit, WorkReply, WorkRequest } from './worker-loop.js';
import { GroupError } from './group-error.js';
import { fromHex } from '../util/hex.js';

export { GroupError };

export interface WorkerSpec {
  /** Module (file URL or absolute path) whose `export` is a factory `(data) => LineFn` run once per worker. */
  module?: string | URL;
  /**
   * Instead of `module`: CommonJS source run as the worker's script (`eval`), which
   * must call serveBatchWorker() (worker-loop.ts) itself; for code bundled into one
   * file, where no module of its own can be imported by path. It sees `workerData.data`.
   */
  bootstrap?: string;
  /** Name of the factory export; default "createLineFn". */
  export?: string;
  /** Structured-clonable data given to the factory (options, key material). */
  data?: unknown;
  /** Number of worker threads; default: the number of CPUs. */
  threads?: number;
  /** Lines per message to a worker (at most); default 256. */
  linesPerMessage?: number;
}

export interface BatchOptions {
  input: AsyncIterable<Buffer | string>;
  output: NodeJS.WritableStream;
  /** Per-line function, run in this thread (when `workers` is absent). */
  fn?: LineFn;
  /** Per-line function run on worker threads instead. */
  workers?: WorkerSpec;
  /** Blank and "#" lines: copied ('echo', default) or answered with an empty line ('empty'). */
  passThrough?: PassThrough;
  /** Output line for a failed line; default "line N: message" (the commands pass textErrorLine or jsonErrorLine). */
  formatError?: (e: LineError) => string;
  /** Called for each failed line (e.g. to print it on stderr as well). */
  onError?: (e: LineError) => void;
  /** Called, in input order, for each line that gave a result with `notes`. */
  onNotes?: (line: number, notes: string[]) => void;
  /** Called, in input order, for each line that gave a result with `problems` (a failed check: exit 1, not an error line). */
  onProblems?: (line: number, problems: string[]) => void;
  /** Which lines take a `seq` (and so a counter of the context): 'work' (default) or 'hex' (see SeqRule). */
  seqRule?: SeqRule;
  /** With 'hex', in this thread: whether data of that many octets can be built (takesSeq); workers ask their line function's seqFits, which must agree. */
  seqFits?: (octets: number) => boolean;
  /** Most lines read but not yet written; default 4096. */
  window?: number;
  /** Most lines per call of a line function's chunk fast path (LineFn.chunk) in this thread; default 1024. */
  chunkLines?: number;
  /**
   * Called in the main thread, in input order, before a group of work lines is
   * run (firstSeq: the `seq` of its first work line, count: its work lines); what
   * it returns (structured-clonable with workers) is the `ctx` of those lines.
   * E.g. reserving a block of counters for them.
   */
  context?: (firstSeq: number, count: number) => unknown;
  /** Called for each successful line, in input order, as it is written (e.g. to append its pcap frames). */
  onResult?: (r: LineResult, line: number) => void;
  /**
   * Called after the onResult calls of a group of lines and before their output
   * lines are written (e.g. to flush their pcap frames: a file never behind the
   * output, whatever stops the run after that write).
   */
  beforeWrite?: () => void;
}

/**
 * The outcomes of a group whose context failed: pass-through lines as always, each
 * line that takes a seq `error`; a work line that takes none (not hex, under rule
 * 'hex') its own error, as if the group had had its context.
 */
function failedGroup(lines: string[], first: number, pass: PassThrough, error: unknown, rule: SeqRule): LineOutcome[] {
  return lines.map((l, k) => {
    if (isPassThrough(l)) return { text: pass === 'echo' ? l : '', exitCode: 0 };
    const own = overlongError(l, first + k);
    if (own) return { error: own };
    if (!takesSeq(l, rule)) {
      try {
        fromHex(l, '');
      } catch (e) {
        return { error: toLineError(e, first + k) };
      }
    }
    return { error: toLineError(error, first + k) };
  });
}

/** The context of a group, or the GroupError of one that could not have it. */
async function groupContext(hook: NonNullable<BatchOptions['context']>, seq: number, count: number): Promise<{ ctx?: unknown; failed?: GroupError }> {
  try {
    return { ctx: await hook(seq, count) };
  } catch (e) {
    if (e instanceof GroupError) return { failed: e };
    throw e;
  }
}

export interface BatchSummary {
  /** Input lines read (blank and comment lines included). */
  lines: number;
  /** Lines that failed. */
  errors: number;
  /** The worst (largest) exit code of any line; 0 when all succeeded. */
  exitCode: number;
}

/** A run of consecutive lines whose outcomes arrive together. */
interface Slot {
  /** Input line number of its first line. */
  first: number;
  count: number;
  /** One per line, or every line's text (all succeeded, exit code 0, nothing extra) from a chunk function. */
  outcomes?: LineOutcome[] | string | Uint8Array;
}

export async function runBatch(opts: BatchOptions): Promise<BatchSummary> {
  if (!opts.fn === !opts.workers) throw new Error('runBatch needs exactly one of fn and workers');
  const pass = opts.passThrough ?? 'echo';
  const formatError = opts.formatError ?? textError;
  const window = Math.max(1, opts.window ?? 4096);
  const chunkLines = Math.max(1, opts.chunkLines ?? 1024);
  const out = opts.output;
  // Only process.stdout is known to be done with a chunk at its write callback (a stream of the caller may keep it).
  const recycle = opts.fn?.recycle && out === process.stdout ? opts.fn.recycle : undefined;
  const summary: BatchSummary = { lines: 0, errors: 0, exitCode: 0 };

  const queue: Slot[] = [];
  let head = 0; // queue[head] is the oldest slot not yet written
  let inFlight = 0; // lines read and not yet written
  let wake: (() => void) | undefined;
  let failure: unknown;
  let drained = true;

  const flush = (): void => {
    let text = '';
    // Written in order: text, and the octets chunk functions gave (no string to encode again).
    const parts: (string | Uint8Array)[] = [];
    while (head < queue.length && queue[head].outcomes !== undefined) {
      const slot = queue[head];
      let lineNo = slot.first;
      const all = slot.outcomes!;
      if (typeof all === 'string' || all instanceof Uint8Array) {
        if (typeof all === 'string') text += all;
        else {
          if (text) parts.push(text);
          text = '';
          parts.push(all);
        }
        inFlight -= slot.count;
        queue[head++] = undefined as unknown as Slot;
        continue;
      }
      for (const o of all) {
        let exit: number;
        if ('error' in o) {
          summary.errors++;
          exit = o.error.exitCode;
          opts.onError?.(o.error);
          text += formatError(o.error) + '\n';
        } else {
          exit = o.exitCode;
          text += o.text + '\n';
          if (o.notes && opts.onNotes) opts.onNotes(lineNo, o.notes);
          if (o.problems && opts.onProblems) opts.onProblems(lineNo, o.problems);
          if (opts.onResult) {
            try {
              opts.onResult(o, lineNo);
            } catch (e) {
              failure ??= e;
            }
          }
        }
        lineNo++;
        if (exit > summary.exitCode) summary.exitCode = exit;
      }
      inFlight -= slot.count;
      queue[head++] = undefined as unknown as Slot; // let the outcomes be collected
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
    if (text) parts.push(text);
    if (parts.length) {
      if (opts.beforeWrite) {
        try {
          opts.beforeWrite();
        } catch (e) {
          failure ??= e;
        }
      }
      let room = true;
      for (const x of parts) {
        if (!recycle || typeof x === 'string') {
          room = out.write(x);
          continue;
        }
        let given = false;
        const give = (): void => {
          if (!given) recycle(x);
          given = true;
        };
        room = out.write(x, give);
        // Nothing left in the stream: written at once (process.stdout on a file or pipe is synchronous on
        // Linux), so the octets may be filled again now, not after the callback's tick (fewer buffers, fresh pages cost).
        if ((out as { writableLength?: number }).writableLength === 0) give();
      }
      if (!room && drained) {
        // Listen at once: 'drain' may come (next tick) while this thread awaits input, not the output.
        drained = false;
        out.once('drain', () => {
          drained = true;
          const w = wake;
          wake = undefined;
          w?.();
        });
      }
    }
    const w = wake;
    wake = undefined;
    w?.();
  };

  const waitRoom = async (): Promise<void> => {
    // Wait for the output to drain and for room in the window.
    for (;;) {
      if (failure) throw failure;
      if (!drained) {
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      if (inFlight < window) return;
      await new Promise<void>((r) => (wake = r));
    }
  };

  const fail = (e: unknown): void => {
    failure ??= e;
    const w = wake;
    wake = undefined;
    w?.();
  };
  // A failed write (a full disk) ends the run: the stream is destroyed and its 'drain' would never come.
  out.on('error', fail);
  let pool: Pool | undefined;
  try {
    pool = opts.workers ? await startPool(opts.workers, pass, opts.seqRule, fail) : undefined;
    let seq = 0; // work lines seen so far
    const rule = opts.seqRule ?? 'work';
    const fits = opts.seqFits ?? opts.fn?.seqFits;
    const works = (lines: string[], from: number, to: number): number => {
      let n = 0;
      for (let k = from; k < to; k++) if (takesSeq(lines[k], rule, fits)) n++;
      return n;
    };
    if (pool) {
      // Blocks of text to the workers, split into lines there: this thread only
      // counts lines (and work lines, for `seq` and the counters' context).
      for await (const block of readTextBlocks(opts.input)) {
        let at = 0;
        while (at < block.length) {
          await waitRoom();
          const first = summary.lines + 1;
          const most = Math.min(pool.linesPerMessage, Math.max(1, window - inFlight));
          let n = 0;
          let w = 0;
          let end = at;
          while (n < most && end < block.length) {
            const start = end;
            end = block.indexOf('\n', end) + 1;
            if (!isPassThroughAt(block, start) && (rule === 'work' || hexTakesSeq(block, start, end - 1, fits))) w++;
            n++;
          }
          const text = at === 0 && end === block.length ? block : block.slice(at, end);
          at = end;
          const g = opts.context && w ? await groupContext(opts.context, seq, w) : {};
          const slot: Slot = { first, count: n };
          queue.push(slot);
          inFlight += n;
          summary.lines += n;
          if (g.failed) {
            slot.outcomes = failedGroup(splitLines(text), first, pass, g.failed.error, rule);
            seq += w;
            flush();
            continue;
          }
          const mctx = g.ctx;
          pool.submit(first, seq, text, mctx).then((o) => {
            slot.outcomes = o;
            flush();
          }, (e: unknown) => {
            failure ??= e;
            flush();
          });
          seq += w;
        }
      }
    } else for await (const lines of readLineChunks(opts.input)) {
      let i = 0;
      // In this thread: one context per chunk read (the lines already there).
      let ctx: unknown;
      if (opts.context) {
        const n = works(lines, 0, lines.length);
        const g = n ? await groupContext(opts.context, seq, n) : {};
        ctx = g.ctx;
        if (g.failed) {
          await waitRoom();
          const first = summary.lines + 1;
          queue.push({ first, count: lines.length, outcomes: failedGroup(lines, first, pass, g.failed.error, rule) });
          inFlight += lines.length;
          summary.lines += lines.length;
          seq += n;
          flush();
          continue;
        }
      }
      while (i < lines.length) {
        await waitRoom();
        const first = summary.lines + 1;
        if (opts.fn!.chunk) {
          // Many lines per call (the line function's fast path), written together.
          const n = Math.min(lines.length - i, chunkLines, Math.max(1, window - inFlight));
          const part = i === 0 && n === lines.length ? lines : lines.slice(i, i + n);
          const w = works(lines, i, i + n);
          const r = runChunk(opts.fn!, part, first, pass, seq, ctx, rule);
          const slot: Slot = { first, count: n };
          queue.push(slot);
          inFlight += n;
          summary.lines += n;
          i += n;
          seq += w;
          if (r instanceof Promise) {
            r.then((o) => {
              slot.outcomes = o;
              flush();
            });
          } else {
            slot.outcomes = r;
            if (i === lines.length || inFlight >= window) flush();
          }
        } else {
          const line = lines[i];
          const r = runLine(opts.fn!, line, first, pass, seq, ctx);
          if (takesSeq(line, rule, fits)) seq++;
          const slot: Slot = { first, count: 1 };
          queue.push(slot);
          inFlight++;
          summary.lines++;
          i++;
          if (r instanceof Promise) {
            r.then((o) => {
              slot.outcomes = [o];
              flush();
            });
          } else {
            slot.outcomes = [r];
            // Consecutive synchronous lines of one chunk are written together.
            if (i === lines.length || inFlight >= window) flush();
          }
        }
      }
    }
    flush();
    while (head < queue.length) {
      if (failure) throw failure;
      await new Promise<void>((r) => (wake = r));
      flush();
    }
    for (;;) {
      if (failure) throw failure;
      if (drained) break;
      await new Promise<void>((r) => (wake = r));
    }
  } finally {
    out.off('error', fail);
    await pool?.close();
  }
  return summary;
}

interface Pool {
  linesPerMessage: number;
  /** `text`: whole lines, each ended by "\n". */
  submit(first: number, seq: number, text: string, ctx: unknown): Promise<LineOutcome[] | string | Uint8Array>;
  close(): Promise<void>;
}

async function startPool(spec: WorkerSpec, pass: PassThrough, seqRule: SeqRule | undefined, fail: (e: unknown) => void): Promise<Pool> {
  const threads = Math.max(1, spec.threads ?? availableParallelism());
  const mod = spec.module;
  if (!mod === !spec.bootstrap) throw new Error('a worker spec needs exactly one of module and bootstrap');
  const init: WorkerInit = {
    module: mod === undefined ? '' : mod instanceof URL ? mod.href : mod.startsWith('file:') ? mod : new URL(`file://${mod}`).href,
    export: spec.export ?? 'createLineFn',
    data: spec.data,
    pass,
    seqRule,
  };
  const entry: string | URL = spec.bootstrap ?? new URL('./worker.js', import.meta.url);
  const workers: { w: Worker; load: number }[] = [];
  const waiting = new Map<number, { resolve: (o: LineOutcome[] | string | Uint8Array) => void; reject: (e: unknown) => void; wi: number; n: number }>();
  let nextId = 0;
  let closing = false;
  await Promise.all(Array.from({ length: threads }, (_, wi) => new Promise<void>((resolve, reject) => {
    const w = new Worker(entry, { workerData: init, eval: spec.bootstrap !== undefined });
    workers.push({ w, load: 0 });
    let ready = false;
    w.on('message', (m: WorkReply | { ready: true }) => {
      if ('ready' in m) {
        ready = true;
        resolve();
        return;
      }
      const p = waiting.get(m.id);
      if (!p) return;
      waiting.delete(m.id);
      workers[p.wi].load -= p.n;
      p.resolve(m.outcomes);
    });
    w.on('error', (e) => {
      if (!ready) reject(e);
      fail(e);
      for (const [id, p] of waiting) if (p.wi === wi) {
        waiting.delete(id);
        p.reject(e);
      }
    });
    w.on('exit', (code) => {
      if (!closing && code !== 0) fail(new Error(`batch worker exited with code ${code}`));
    });
  })));
  // Workers were pushed in creation order; keep index = position.
  return {
    linesPerMessage: Math.max(1, spec.linesPerMessage ?? 256),
    submit(first, seq, text, ctx) {
      // The least loaded worker (load: characters sent and not answered yet).
      let wi = 0;
      for (let i = 1; i < workers.length; i++) if (workers[i].load < workers[wi].load) wi = i;
      const id = nextId++;
      workers[wi].load += text.length;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject, wi, n: text.length });
        workers[wi].w.postMessage({ id, first, seq, text, ctx } satisfies WorkRequest);
      });
    },
    async close() {
      closing = true;
      await Promise.all(workers.map(({ w }) => w.terminate()));
    },
  };
}

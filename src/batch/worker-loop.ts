/**
 * Worker-thread side of the batch engine: asks the factory for the per-line
 * function once, then answers messages of many lines each (batched to amortize
 * the transfer) in order. worker.ts runs it for a module named by path;
 * bundled code calls it from its bootstrap with the factory it already has.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { splitLines } from './lines.js';
import { runChunk, runLine, takesSeq, type LineFn, type LineOutcome, type PassThrough, type SeqRule } from './line.js';

export interface WorkerInit {
  module: string;
  export: string;
  data: unknown;
  pass: PassThrough;
  /** Which lines take a seq (default 'work'). */
  seqRule?: SeqRule;
}
export interface WorkRequest {
  id: number;
  /** Input line number of the first line. */
  first: number;
  /** `seq` of the first work line. */
  seq: number;
  /** The lines, or `text`: a block of whole lines each ended by "\n" (split here, not in the main thread). */
  lines?: string[];
  text?: string;
  /** The batch's context for these lines. */
  ctx: unknown;
}
export interface WorkReply {
  id: number;
  /** One outcome per line, or (a line function's chunk fast path) all lines' text, each ended by "\n" (octets: transferred). */
  outcomes: LineOutcome[] | string | Uint8Array;
}

/** What the main thread gave this worker. */
export function workerInit(): WorkerInit {
  return workerData as WorkerInit;
}

/** Serve the main thread's requests with the line function `factory(data)` makes. */
export async function serveBatchWorker(factory: (data: unknown) => LineFn | Promise<LineFn>): Promise<void> {
  const init = workerInit();
  const fn = await factory(init.data);
  const port = parentPort!;
  // Requests are handled one after the other, so replies leave in request order.
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (req: WorkRequest) => {
    chain = chain.then(async () => {
      const lines = req.lines ?? splitLines(req.text!);
      if (fn.chunk) {
        const r = runChunk(fn, lines, req.first, init.pass, req.seq, req.ctx, init.seqRule);
        const outcomes = r instanceof Promise ? await r : r;
        // Octets in a buffer of their own move to the main thread without a copy.
        const own = outcomes instanceof Uint8Array && outcomes.byteOffset === 0 && outcomes.byteLength === outcomes.buffer.byteLength && outcomes.buffer instanceof ArrayBuffer;
        port.postMessage({ id: req.id, outcomes } satisfies WorkReply, own ? [outcomes.buffer as ArrayBuffer] : []);
        return;
      }
      const outcomes: LineOutcome[] = new Array(lines.length);
      let seq = req.seq;
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        const r = runLine(fn, line, req.first + i, init.pass, seq, req.ctx);
        if (takesSeq(line, init.seqRule ?? 'work', fn.seqFits)) seq++;
        outcomes[i] = r instanceof Promise ? await r : r;
      }
      port.postMessage({ id: req.id, outcomes } satisfies WorkReply);
    });
  });
  port.postMessage({ ready: true });
}

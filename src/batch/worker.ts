/**
 * Worker-thread side of the batch engine: loads the module named by the main
 * thread, asks its factory for the per-line function once, then answers
 * messages of many lines each (batched to amortize the transfer) in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runLine, type LineFn, type LineOutcome, type PassThrough } from './line.js';

export interface WorkerInit {
  module: string;
  export: string;
  data: unknown;
  pass: PassThrough;
}
export interface WorkRequest {
  id: number;
  first: number;
  lines: string[];
}
export interface WorkReply {
  id: number;
  outcomes: LineOutcome[];
}

async function main(): Promise<void> {
  const init = workerData as WorkerInit;
  const mod = (await import(init.module)) as Record<string, (data: unknown) => LineFn | Promise<LineFn>>;
  const factory = mod[init.export];
  if (typeof factory !== 'function') throw new Error(`${init.module} has no export ${init.export}()`);
  const fn = await factory(init.data);
  const port = parentPort!;
  // Requests are handled one after the other, so replies leave in request order.
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (req: WorkRequest) => {
    chain = chain.then(async () => {
      const outcomes: LineOutcome[] = new Array(req.lines.length);
      for (let i = 0; i < req.lines.length; i++) {
        const r = runLine(fn, req.lines[i], req.first + i, init.pass);
        outcomes[i] = r instanceof Promise ? await r : r;
      }
      port.postMessage({ id: req.id, outcomes } satisfies WorkReply);
    });
  });
  port.postMessage({ ready: true });
}

main().catch((e: unknown) => {
  // Reported to the main thread as the worker's 'error' event.
  throw e;
});

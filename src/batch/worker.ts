/**
 * Worker-thread entry of the batch engine for a line-function module named by
 * path (see worker-loop.ts): imports it and serves with its factory.
 */
import { serveBatchWorker, workerInit } from './worker-loop.js';
import type { LineFn } from './line.js';

export type { WorkerInit, WorkReply, WorkRequest } from './worker-loop.js';

async function main(): Promise<void> {
  const init = workerInit();
  const mod = (await import(init.module)) as Record<string, (data: unknown) => LineFn | Promise<LineFn>>;
  const factory = mod[init.export];
  if (typeof factory !== 'function') throw new Error(`${init.module} has no export ${init.export}()`);
  await serveBatchWorker(factory);
}

main().catch((e: unknown) => {
  // Reported to the main thread as the worker's 'error' event.
  throw e;
});

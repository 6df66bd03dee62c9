/** Streaming ordered batch engine (line in, line out); see engine.ts. */
export { GroupError, runBatch, type BatchOptions, type BatchSummary, type WorkerSpec } from './engine.js';
export { readLineChunks, readLines } from './lines.js';
export {
  isPassThrough, jsonErrorLine, runLine, textError, textErrorLine, toLineError,
  type LineError, type LineFn, type LineOutcome, type LineResult, type PassThrough,
} from './line.js';
export { fdChunks } from './fd-input.js';
export { serveBatchWorker, type WorkerInit, type WorkRequest, type WorkReply } from './worker-loop.js';

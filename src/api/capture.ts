/** `parse --read` as an async iterator over the exchanges of a capture. */
import { analyseCapture, type CaptureResult } from '../capture/read.js';
import type { ParseOptions } from './parse.js';

/**
 * Every OTA item of a pcap/pcapng capture (GSMTAP SIM, CAT_TP over UDP,
 * exported SMS PDUs), in the order `parse --read --json` lists them in
 * `items`, with PoRs paired with their commands.
 */
export async function* readCapture(pathOrBytes: string | Uint8Array, options: ParseOptions = {}): AsyncGenerator<Record<string, unknown>, void, undefined> {
  const r = captureReport(pathOrBytes, options);
  for (const item of r.json.items) yield item;
}

/** The whole object `parse --read FILE --json` prints. */
export function captureReport(pathOrBytes: string | Uint8Array, options: ParseOptions = {}): CaptureResult {
  return typeof pathOrBytes === 'string' ? analyseCapture(pathOrBytes, options) : analyseCapture('capture', options, pathOrBytes);
}

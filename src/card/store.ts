/**
 * Processing a command packet with the card's RE counters kept in its
 * CARD.json, as `card process` does: the file is locked, read, the counter of
 * an accepted command written back atomically (src/keys/state.ts), so a kill
 * or a concurrent process never loses or reuses a counter value.
 */
import { updateJsonFile } from '../keys/state.js';
import { smsDialect } from '../smspp/dialect.js';
import type { Dialect } from '../secured/dialect.js';
import { validateCard, withCounter } from './card.js';
import { processPacket, type ProcessResult } from './simulator.js';

/** Process `packet` for the card in `cardPath`; the counter update (if any) is stored before this resolves. */
export async function processWithCardFile(cardPath: string, packet: Uint8Array, dialect: Dialect = smsDialect, opts: { dryRun?: boolean } = {}): Promise<ProcessResult> {
  return updateJsonFile<unknown, ProcessResult>(cardPath, undefined, 'card file', (raw) => {
    const r = processPacket(validateCard(raw, cardPath), packet, dialect);
    if (opts.dryRun || r.counterUpdate === undefined || !r.app) return { result: r };
    return { value: withCounter(raw, r.app.tarHex, r.counterUpdate), result: r };
  });
}

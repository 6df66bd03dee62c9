/**
 * The simulated card kept in its CARD.json: every change a command makes —
 * the RE counter of an accepted command, EFs written by RFM, the
 * GlobalPlatform registry changed by RAM, key sets replaced by PUT KEY — is
 * written back under the card file's lock, atomically (temporary file and
 * rename, src/keys/state.ts), so a kill or a concurrent process never loses
 * an update nor leaves a half-written file.
 *
 * Two entry points: a secured command packet (SMS-PP or CAT_TP, as `card
 * process`, `card vpcd` and `smsc` receive them) and a bare remote command
 * script run by an application (SCP81: the admin agent runs the scripts the
 * server sends over PSK-TLS, no TS 102 225 packet around them).
 */
import { updateJsonFile } from '../keys/state.js';
import { InputError } from '../util/errors.js';
import { toHex } from '../util/hex.js';
import { smsDialect } from '../smspp/dialect.js';
import type { Dialect } from '../secured/dialect.js';
import { validateCard } from './card.js';
import { withContent } from './content.js';
import { executeScript, type ScriptResult } from './execute.js';
import { processWithState } from './process.js';
import { openSession, type ContentChanges } from './session.js';
import type { ProcessResult } from './simulator.js';

/**
 * Process `packet` for the card in `cardPath`; the counter and content changes (if any) are stored before this resolves.
 * With `state`, the RE counters are kept in that file instead of CARD.json, as `card process --state` does.
 */
export async function processWithCardFile(cardPath: string, packet: Uint8Array, dialect: Dialect = smsDialect, opts: { dryRun?: boolean; state?: string } = {}): Promise<ProcessResult> {
  return processWithState({ card: cardPath, dryRun: opts.dryRun, state: opts.state }, packet, dialect);
}

export interface CardScriptResult extends ScriptResult {
  /** What the script changed in the card (stored unless dryRun). */
  changes?: ContentChanges;
  /** The application that ran the script. */
  application: { tar: string; name?: string; handler: 'files' | 'gp' };
}

/**
 * Run a remote command script (expanded format, TS 102 226 cl. 5.2) in the
 * application `tarHex` of the card in `cardPath`, as an SCP81 admin agent
 * does: no secured packet, no counter. An application without a "handler"
 * is answered as a security domain ("gp"): SCP81 runs in one (GP Amendment
 * B). The registry starts empty when CARD.json has none; PUT KEY unwraps
 * with the KIK of key set `kvn` (default: the first key set with a KIK).
 */
export async function runScriptWithCardFile(
  cardPath: string, tarHex: string, script: Uint8Array, opts: { dryRun?: boolean; kvn?: number } = {},
): Promise<CardScriptResult> {
  return updateJsonFile<unknown, CardScriptResult>(cardPath, undefined, 'card file', (raw) => {
    const card = validateCard(raw, cardPath);
    const found = card.applications.find((a) => a.tarHex === tarHex.toUpperCase());
    if (!found) throw new InputError(`${cardPath} has no application with TAR ${tarHex.toUpperCase()} (the security domain running the scripts)`, { field: '--tar' });
    const app = { ...found, format: 'expanded' as const, handler: found.handler ?? ('gp' as const) };
    const kvn = opts.kvn ?? card.keysets.find((k) => k.kik)?.kvn ?? 0;
    const session = openSession(card, app, kvn);
    const run = executeScript(app, card.options, script, session);
    const ch = session?.changes();
    const changes = ch && Object.keys(ch).length ? ch : undefined;
    if (changes) run.trace.push(`card content changed: ${Object.keys(changes).join(', ')}${opts.dryRun ? ' (not stored: dry run)' : ''}`);
    const result: CardScriptResult = { ...run, changes, application: { tar: toHex(app.tar), name: app.name, handler: app.handler } };
    return { value: changes && !opts.dryRun ? withContent(raw, changes) : undefined, result };
  });
}

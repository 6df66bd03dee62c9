/**
 * `card vpcd`: the card simulator (CARD.json) as a virtual card in a vsmartcard
 * vpcd reader, so that any PC/SC client (uicc-ota send pcsc, scriptor,
 * pySim) can talk to it through pcscd. Runs until SIGINT/SIGTERM. Logic:
 * src/api/card-vpcd.ts; this prints its log.
 */
import { toHex } from '../../util/hex.js';
import type { CardVpcdOptions } from '../../api/card-vpcd.js';

export interface CardVpcdOpts extends CardVpcdOptions {
  host: string;
  port: string;
  trace?: boolean;
  quiet?: boolean;
}

export async function cardVpcd(o: CardVpcdOpts): Promise<void> {
  const { cardVpcd: start } = await import('../../api/card-vpcd.js');
  const run = start(o);
  const log = (s: string) => {
    if (!o.quiet) process.stderr.write(`uicc-ota: card vpcd: ${s}\n`);
  };
  run.on('log', log);
  if (o.trace) run.on('apdu', (c: Uint8Array, r: Uint8Array) => log(`> ${toHex(c)}\n    < ${toHex(r)}`));
  const stop = () => run.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await run.done;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

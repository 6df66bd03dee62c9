/**
 * `card vpcd`: the card simulator (CARD.json) as a virtual card in a vsmartcard
 * vpcd reader, so that any PC/SC client (uicc-ota send pcsc, scriptor,
 * pySim) can talk to it through pcscd. Runs until SIGINT/SIGTERM, reconnecting
 * whenever the reader driver closes the connection. Logic: src/card/terminal-interface.ts
 * (ISO 7816 commands), src/transport/vpcd.ts (the socket protocol).
 */
import { readFileSync } from 'node:fs';
import { IoError } from '../../util/errors.js';
import { fromHex, toHex } from '../../util/hex.js';
import { parseCardText } from '../../card/card.js';
import { intOption } from '../input.js';

export interface CardVpcdOpts {
  card: string;
  host: string;
  port: string;
  atr?: string;
  dryRun?: boolean;
  trace?: boolean;
  quiet?: boolean;
}

export async function cardVpcd(o: CardVpcdOpts): Promise<void> {
  // The card file is checked once before connecting (exit 2/3), then read again for every packet.
  let text: string;
  try {
    text = readFileSync(o.card, 'utf8');
  } catch (e) {
    throw new IoError(`cannot read card file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { field: o.card });
  }
  parseCardText(text, o.card);
  const port = intOption(o.port, '--port', 1, 65535);
  const atr = o.atr === undefined ? undefined : fromHex(o.atr, '--atr');
  const { VirtualCard } = await import('../../card/terminal-interface.js');
  const { processWithCardFile } = await import('../../card/store.js');
  const { runVpcdCard } = await import('../../transport/vpcd.js');
  const { smsDialect } = await import('../../smspp/dialect.js');
  const log = (s: string) => {
    if (!o.quiet) process.stderr.write(`uicc-ota: card vpcd: ${s}\n`);
  };
  const card = new VirtualCard({ process: (pkt) => processWithCardFile(o.card, pkt, smsDialect, { dryRun: o.dryRun }), atr, log });
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  log(`ATR ${toHex(card.atr)}; connecting to the vpcd reader at ${o.host}:${port} (Ctrl-C ends)`);
  await runVpcdCard({
    card,
    host: o.host,
    port,
    signal: ac.signal,
    log,
    onApdu: o.trace ? (c, r) => log(`> ${toHex(c)}\n    < ${toHex(r)}`) : undefined,
  });
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  log('stopped');
}

/**
 * `smsc`: the SMSC emulator (SMPP 3.4 server) in front of the card simulator
 * or a card in a PC/SC reader. Options in, `Smsc` (src/api/smsc.ts), its log
 * out on stderr as trees.
 */
import type { OutputOptions } from '../output.js';
import type { SmscOptions } from '../../api/smsc.js';
import type { SmppConnOpts } from './smpp.js';

export interface SmscCliOpts extends SmppConnOpts, OutputOptions, Omit<SmscOptions, 'port' | 'host' | 'systemId' | 'password' | 'signal'> {
  timeout?: string;
  quiet?: boolean;
}

export async function smscCommand(o: SmscCliOpts): Promise<void> {
  const { Smsc } = await import('../../api/smsc.js');
  const { stderrTrees } = await import('./smpp.js');
  const smsc = new Smsc(o);
  if (!o.quiet) smsc.on('log', await stderrTrees(o));
  const addr = await smsc.start();
  process.stderr.write(`uicc-ota: smsc: listening on TCP ${addr.address}:${addr.port} (${smsc.card})\n`);
  const stop = () => void smsc.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await smsc.done;
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  process.stderr.write('uicc-ota: smsc: stopped\n');
}

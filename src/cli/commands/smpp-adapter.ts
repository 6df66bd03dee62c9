/** `send smpp`: the download logic lives in src/api/smpp-download.ts; this adds the `parse por` rendering of a single PoR. */
import { toHex } from '../../util/hex.js';
import type { SecuredCommand } from '../../secured/command.js';
import type { ParseOpts } from '../../api/packet.js';
export * from '../../api/smpp-download.js';

/** `parse por` itself, for the output of a single command. */
export async function printPorAsParse(uds: Uint8Array[], cmd: SecuredCommand, o: ParseOpts): Promise<void> {
  const { parseAuto } = await import('./parse.js');
  await parseAuto(uds.map(toHex), { ...o, request: toHex(cmd.bytes) }, 'por');
}

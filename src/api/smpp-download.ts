/**
 * An SMS-PP download through an SMSC (what `send smpp` submits and reads
 * back): the secured command(s) as SMS user data, UDH included (3GPP TS
 * 31.115 cl. 4, TS 23.040 9.2.3.24.1), and the PoR matched to its command by
 * TAR and counter (TS 102 225 cl. 5.2) and read as `parse por` reads it.
 */
import { toHex } from '../util/hex.js';
import { buildCommand, type SecuredCommand } from '../secured/command.js';
import { parseResponse } from '../secured/response.js';
import { smsDialect } from '../smspp/dialect.js';
import { reassemble } from '../smspp/concat.js';
import type { KeyMaterial } from '../secured/keys.js';
import type { PorIdentity, SmppMessage } from '../transport/smpp/esme.js';
import { prepareBatch, prepareCommand, type SecurityOpts } from './secured-options.js';
import { frameCommand } from './frame.js';
import { parsePacket, type ParseOpts, type PacketResult } from './packet.js';
import { peel } from '../layers/peel.js';

export interface SmppBuildOpts extends SecurityOpts {
  concatRef: string;
  concat16?: boolean;
}

export interface BuiltForSmpp {
  commands: SecuredCommand[];
  messages: SmppMessage[];
  keys: KeyMaterial;
}

/**
 * The secured command(s) as SMS user data (UDH included), one entry per SMS.
 * `datas` (for --each): one secured data per command, the counter advancing by
 * one per command from --counter (with `--counter next` the block is reserved at once).
 */
export async function buildForSmpp(o: SmppBuildOpts, datas?: Uint8Array[]): Promise<BuiltForSmpp> {
  const frame = (c: SecuredCommand) => frameCommand(c.bytes, { format: 'ud', concatRef: o.concatRef, concat16: o.concat16 });
  if (!datas) {
    const { input, keys } = await prepareCommand(o);
    const cmd = buildCommand(smsDialect, input, keys);
    return { commands: [cmd], messages: [{ uds: frame(cmd), tar: cmd.tar, counter: cmd.counter }], keys };
  }
  const first = await prepareBatch(o, datas.length);
  const counter = first.input.counter;
  const commands = datas.map((data, i) => buildCommand(smsDialect, { ...first.input, data, counter: counter + BigInt(i) }, first.keys));
  return { commands, messages: commands.map((c) => ({ uds: frame(c), tar: c.tar, counter: c.counter })), keys: first.keys };
}

/** TAR, CNTR and status of a PoR, deciphered with the command's keys when it is ciphered (to match it to its command). */
export function porReader(cmd: SecuredCommand, keys: KeyMaterial): (uds: Uint8Array[]) => PorIdentity {
  return (uds) => {
    const packet = reassemble(uds).packet;
    const r = parseResponse(smsDialect, packet, keys, { integrity: cmd.spi.porIntegrity, ciphered: cmd.spi.porCiphered, kic: cmd.kic, kid: cmd.kid });
    return { tar: r.tar, counter: r.counter, status: r.status };
  };
}

/**
 * What `send smpp` matches PoRs with: the TAR, in clear in every response
 * packet (RPL RHL TAR, TS 102 225 cl. 5.2), picks the command whose keys read
 * the CNTR and status (deciphered when ciphered); the first command's when
 * none has that TAR.
 */
export function porIdentityReader(built: BuiltForSmpp): (uds: Uint8Array[]) => PorIdentity {
  const readers = built.commands.map((c) => porReader(c, built.keys));
  return (uds) => {
    const tar = toHex(reassemble(uds).packet.subarray(3, 6));
    const i = built.commands.findIndex((c) => toHex(c.tar) === tar);
    return (readers[i] ?? readers[0])(uds);
  };
}

/** The PoR read and verified as `parse por --request <command>` would. */
export function parsePorForSmpp(uds: Uint8Array[], cmd: SecuredCommand, o: ParseOpts): PacketResult & { peeled: ReturnType<typeof peel> } {
  const peeled = peel(uds, 'auto');
  const res = parsePacket(peeled, { ...o, request: toHex(cmd.bytes), spi: undefined, kic: undefined, kid: undefined }, 'response');
  return { ...res, peeled };
}

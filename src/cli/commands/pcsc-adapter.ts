/**
 * The one place where `send pcsc` uses the build-sms and parse-por code of the
 * CLI (prepareCommand + buildCommand + frameCommand; peel + parsePacket). When
 * the library API (src/api/) offers the same, only this file changes.
 */
import { buildCommand, type SecuredCommand } from '../../secured/command.js';
import { smsDialect } from '../../smspp/dialect.js';
import { fromHex, toHex } from '../../util/hex.js';
import { prepareBatch, prepareCommand } from '../../api/secured-options.js';
import { frameCommand } from '../../api/frame.js';
import type { BuildSmsOpts } from './build.js';
import { peel } from '../../layers/peel.js';
import { parsePacket, type PacketResult, type ParseOpts } from '../../api/packet.js';

export interface BuiltDownload {
  command: SecuredCommand;
  /** ENVELOPE C-APDUs, one per SMS segment. */
  envelopes: Uint8Array[];
}

/** `build sms --format envelope` with the same options; --counter next is reserved (stored as used) here. */
export async function buildEnvelopes(o: BuildSmsOpts, cla?: number): Promise<BuiltDownload> {
  const { input, keys } = await prepareCommand(o);
  const command = buildCommand(smsDialect, input, keys);
  const envelopes = frameCommand(command.bytes, { ...o, format: 'envelope', pcap: undefined });
  return { command, envelopes: cla === undefined ? envelopes : envelopes.map((e) => Uint8Array.of(cla, ...e.subarray(1))) };
}

/**
 * `build sms --each`: one command per stdin line of secured data, counters
 * advancing per line (with --counter next the whole block is reserved at once).
 */
export async function buildEnvelopeBatch(o: BuildSmsOpts, lines: string[]): Promise<BuiltDownload[]> {
  const datas = lines.map((l, i) => fromHex(l, `stdin line ${i + 1}`));
  if (!datas.length) return [];
  const first = await prepareBatch(o, datas.length);
  const counter = first.input.counter;
  return datas.map((data, i) => {
    const command = buildCommand(smsDialect, { ...first.input, data, counter: counter + BigInt(i) }, first.keys);
    return { command, envelopes: frameCommand(command.bytes, { ...o, format: 'envelope', pcap: undefined }) };
  });
}

export interface ParsedPor {
  result: PacketResult;
  /** Framing layers (user data / concatenation) as parse shows them. */
  layerTrees: import('../../render/tree.js').TreeNode[];
  layerNames: string[];
  framing: Record<string, unknown>[];
  failures: string[];
}

/** `parse por --request COMMAND` on the PoR user data (one, or the segments of a concatenated SMS-SUBMIT). */
export function parsePor(uds: Uint8Array[], command: SecuredCommand, o: ParseOpts): ParsedPor {
  const peeled = peel(uds, 'sms');
  const result = parsePacket(peeled, { ...o, request: toHex(command.bytes), spi: undefined, kic: undefined, kid: undefined }, 'response');
  return {
    result,
    layerTrees: peeled.layers.map((l) => l.tree),
    layerNames: peeled.layerNames ?? peeled.layers.map((l) => l.name),
    framing: peeled.layers.map((l) => l.json),
    failures: [...peeled.failures, ...result.failures],
  };
}

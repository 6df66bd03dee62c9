/**
 * An SMS-PP download to a card (what `send pcsc` sends and reads back): the
 * secured command as ENVELOPE(SMS-PP DOWNLOAD) C-APDUs (TS 102 225 cl. 5.1,
 * 3GPP TS 31.111 cl. 7.1.1.2), one per SMS segment, and the PoR read back
 * as `parse por --request COMMAND` reads it.
 */
import { buildCommand, type SecuredCommand } from '../secured/command.js';
import { smsDialect } from '../smspp/dialect.js';
import { fromHex, toHex } from '../util/hex.js';
import { prepareBatch, prepareCommand } from './secured-options.js';
import { frameCommand } from './frame.js';
import type { SecurityOpts } from './secured-options.js';
import type { SmsFrameOpts } from './frame.js';
import { peel } from '../layers/peel.js';
import { parsePacket, type PacketResult, type ParseOpts } from './packet.js';
import type { TreeNode } from '../render/tree.js';

/** `build sms` options (security and SMS-DELIVER fields); the framing format is always `envelope`. */
export type DownloadOpts = SecurityOpts & Omit<SmsFrameOpts, 'format' | 'pcap'> & { format?: string; pcap?: string };

export interface BuiltDownload {
  command: SecuredCommand;
  /** ENVELOPE C-APDUs, one per SMS segment. */
  envelopes: Uint8Array[];
}

/** `build sms --format envelope` with the same options; --counter next is reserved (stored as used) here. */
export async function buildEnvelopes(o: DownloadOpts, cla?: number): Promise<BuiltDownload> {
  const { input, keys } = await prepareCommand(o);
  const command = buildCommand(smsDialect, input, keys);
  const envelopes = frameCommand(command.bytes, { ...o, format: 'envelope', pcap: undefined });
  return { command, envelopes: cla === undefined ? envelopes : envelopes.map((e) => Uint8Array.of(cla, ...e.subarray(1))) };
}

/**
 * `build sms --each`: one command per stdin line of secured data, counters
 * advancing per line (with --counter next the whole block is reserved at once).
 */
export async function buildEnvelopeBatch(o: DownloadOpts, lines: string[]): Promise<BuiltDownload[]> {
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
  layerTrees: TreeNode[];
  layerNames: string[];
  framing: Record<string, unknown>[];
  failures: string[];
}

/** `parse por --request COMMAND` on the PoR user data (one, or the segments of a concatenated SMS-SUBMIT). */
export function parseDownloadPor(uds: Uint8Array[], command: SecuredCommand, o: ParseOpts): ParsedPor {
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

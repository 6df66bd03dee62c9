/**
 * `parse`, `parse sms`, `parse por` as functions: recognise what the input is,
 * peel every layer (outermost first), decipher and verify the secured packet
 * inside. The result is the object `parse --json` prints; the CLI renders the
 * same result as a tree.
 */
import { InputError, type OtaError } from '../util/errors.js';
import { fromHex } from '../util/hex.js';
import type { TreeNode } from '../render/tree.js';
import { peel, withSmsPeel, type Peeled } from '../layers/peel-core.js';
import { looksLikeCattpPdu } from '../cattp/detect.js';
import type { CattpPeel } from '../cattp/peel.js';
import { parsePacket, type ParseOpts, type ParseMode } from './packet.js';
import type { KeyOptions } from './keys.js';

/** Hex text, bytes, or the segments of one concatenated SMS (or the CAT_TP PDUs of one exchange). */
export type PacketInput = string | Uint8Array | Array<string | Uint8Array>;

/** Options of `parse` (camelCase). */
export interface ParseOptions extends KeyOptions {
  /** The command's SPI (for a PoR). */
  spi?: string;
  kic?: string;
  kid?: string;
  /** The command packet that was sent (SPI/KIc/KID/TAR/CNTR for a PoR). */
  request?: string;
  /** PoR statuses that are the expected outcome ("02" / "02,0A" / [2, 10]; default 00 only): sets `statusOk`. */
  expectStatus?: string | readonly (string | number)[];
  /** A bare packet is in the CAT_TP dialect. */
  cattp?: boolean;
  expanded?: boolean;
  compact?: boolean;
}

/** The object `parse --json` prints. */
export interface ParseResult {
  layers: string[];
  type: string;
  dialect: string;
  verified: boolean | null;
  failures: string[];
  notes: string[];
  [key: string]: unknown;
}

/** Everything the CLI needs to render a parse: the JSON object, the trees, the outcome. */
export interface Parsed {
  json: ParseResult;
  /** Trees of every layer, outermost first (without the closing verdict); empty when parseInputs was asked for no trees. */
  tree: TreeNode[];
  failures: string[];
  notes: string[];
  /** PoR statuses that are not the expected outcome (`--expect-status`, default 00): one line each, exit 1. */
  refusals: string[];
  /** What could not be checked (JSON `unverified`): a failure with `--require-verified`. */
  unverified: string[];
  /** Checksum type of the packet, for the verdict line. */
  checksumType?: string;
  /** Bad input found after decoding (malformed expanded TLV, reserved status): reported after the output. */
  inputError?: OtaError;
  /** SMS-PP or bare-packet inputs: the peeled layers (for --pcap). */
  peeled?: Peeled;
  /** CAT_TP PDU inputs: the decoded PDUs (for --pcap). */
  cattp?: CattpPeel;
}

/** Input → one byte array per input (the `what` names it in errors, as the CLI's arguments). */
export function inputBytes(input: PacketInput, what = 'input'): Uint8Array[] {
  const list = Array.isArray(input) ? input : [input];
  if (!list.length) throw new InputError('no input (give hex as arguments or lines on stdin)', { field: what });
  return list.map((x, i) => (typeof x === 'string' ? fromHex(x, list.length > 1 ? `${what} ${i + 1}` : what) : x));
}

/**
 * The work of `parse [sms|por]` on hex inputs (CLI and API alike). With
 * `want.tree` false (JSON output, the library) `tree` is empty and the trees
 * built only on demand (the secured packet's, its script's, a single
 * ENVELOPE's, proactive command's or TPDU's) are not built.
 */
export async function parseInputs(inputs: Uint8Array[], o: ParseOpts, mode: ParseMode, want: { tree?: boolean } = {}): Promise<Parsed> {
  if (o.expanded && o.compact) throw new InputError('give --expanded or --compact, not both', { field: '--compact' });
  // CAT_TP PDUs (one UDP payload per input): decoded, reassembled and verified by the CAT_TP module.
  if (looksLikeCattpPdu(inputs[0]) && (mode !== 'sms' || o.cattp)) {
    const { parseCattpPdus } = await import('./parse-cattp.js');
    const r = await parseCattpPdus(inputs, o, mode);
    if (r) return { json: r.json as ParseResult, tree: r.tree, failures: r.failures, notes: r.notes, refusals: r.refusals, unverified: r.unverified, cattp: r.peeled };
  }
  // The SMS-PP layer decoders are loaded only for an input (or --request) that has SMS-PP layers.
  const peeled = await withSmsPeel(() => peel(inputs, o.cattp ? 'cattp' : mode === 'auto' ? 'auto' : 'sms'));
  const hint = mode === 'por' ? 'response' : mode === 'sms' && peeled.kind === undefined ? 'command' : undefined;
  const wantTree = want.tree !== false;
  const res = await withSmsPeel(() => parsePacket(peeled, o, hint, undefined, { tree: wantTree }));
  const failures = [...peeled.failures, ...res.failures];
  const json = {
    layers: [...(peeled.layerNames ?? peeled.layers.map((l) => l.name)), res.kind === 'command' ? 'command packet' : 'response packet'],
    ...res.json, framing: peeled.layers.map((l) => l.json), failures, verified: failures.length ? false : res.json.verified,
  } as unknown as ParseResult;
  return {
    json, tree: wantTree ? [...peeled.layers.map((l) => l.tree), res.tree] : [], failures, notes: res.notes, refusals: res.refusal ? [res.refusal] : [], unverified: res.unverified,
    checksumType: (res.json.checksum as { type?: string } | undefined)?.type, inputError: res.inputError, peeled,
  };
}

async function run(input: PacketInput, o: ParseOptions, mode: ParseMode): Promise<ParseResult> {
  const r = await parseInputs(inputBytes(input), o, mode, { tree: false });
  if (r.inputError) throw r.inputError;
  return r.json;
}

/**
 * `parse --json`: any supported layer (auto-detected: secured packet, SMS user
 * data, TPDU, ENVELOPE, segments of a concatenated SMS, CAT_TP PDUs). A failed
 * check is `verified: false` with `failures`; bad input throws InputError.
 */
export function parse(input: PacketInput, options: ParseOptions = {}): Promise<ParseResult> {
  return run(input, options, 'auto');
}

/** `parse sms --json`: an SMS-PP command packet (with or without its layers). */
export function parseSms(input: PacketInput, options: ParseOptions = {}): Promise<ParseResult> {
  return run(input, options, 'sms');
}

/** `parse por --json`: a response packet / PoR, checked with the command's security (`request`, or `spi`/`kic`/`kid`). */
export function parsePor(input: PacketInput, options: ParseOptions = {}): Promise<ParseResult> {
  return run(input, options, 'por');
}

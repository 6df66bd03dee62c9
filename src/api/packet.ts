/**
 * Parsing one secured packet once its outer layers are peeled (src/layers/peel-core.ts):
 * decipher and verify a command or a PoR, with the security a PoR is expected to
 * carry (from the command that was sent, or its SPI/KIc/KID), and build the
 * tree and the JSON object `parse` shows.
 */
import { InputError, type OtaError } from '../util/errors.js';
import { statusKnown } from '../secured/status.js';
import { equalBytes, fromHex, hex2 } from '../util/hex.js';
import { octet } from '../util/options.js';
import type { TreeNode } from '../render/tree.js';
import { parseCommand, parseCommandHeader, type SecuredCommand } from '../secured/command.js';
import { parseResponse, type ResponseSecurity, type SecuredResponse } from '../secured/response.js';
import { commandJson, commandTree, responseJson, responseTree } from '../secured/view.js';
import { spiCodec } from '../secured/spi.js';
import { smsDialect } from '../smspp/dialect.js';
import { cattpDialect } from '../cattp/dialect.js';
import type { Dialect } from '../secured/dialect.js';
import { kvnConflicts, resolveKeys, type KeyOptions } from './keys.js';
import { scriptError, scriptView, responseView, type ViewWant } from '../remote/view.js';
import { node } from '../render/tree.js';
// peel-core: a --request with SMS-PP layers throws SmsPeelNotLoaded unless a caller loaded the decoders
// (api/parse.ts retries with withSmsPeel; the batch and capture readers import layers/peel.js).
import { peel, type Peeled } from '../layers/peel-core.js';
import { statusOutcome } from '../secured/expect-status.js';

export { statusOutcome };

export interface ParseOpts extends KeyOptions {
  spi?: string;
  kic?: string;
  kid?: string;
  request?: string;
  /** The command of `request`, already parsed (with the same keys): spares parsing it again for every PoR. */
  requestCommand?: SecuredCommand;
  expanded?: boolean;
  compact?: boolean;
  cattp?: boolean;
  pcap?: string;
  /** --read FILE: a pcap/pcapng capture instead of hex inputs (src/capture/read.ts). */
  read?: string;
  /** --show-computed: the computed RC/CC on a mismatch (withheld by default: no MAC oracle). */
  showComputed?: boolean;
  /**
   * --expect-status XX[,YY]: the PoR statuses that are the expected outcome
   * (default: 00 only). Any other status is a card refusal (exit 1).
   */
  expectStatus?: string | readonly (string | number)[];
  /** --require-verified: anything left unchecked (`unverified`) is a failed check (exit 1). */
  requireVerified?: boolean;
}

export type ParseMode = 'auto' | 'sms' | 'por';

export interface PacketResult {
  /** Bad input found after decoding (malformed expanded TLV, reserved status code): exit 2 after the output. */
  inputError?: OtaError;
  kind: 'command' | 'response';
  command?: SecuredCommand;
  response?: SecuredResponse;
  /** The tree `parse` prints (an empty node when the caller asked for no tree: `want.tree` false). */
  tree: TreeNode;
  /** The JSON object of `parse --json` (`{}` when the caller asked for no JSON: `want.json` false). */
  json: Record<string, unknown>;
  /** The verdict `json.verified` carries: false on any failure, else the RC/CC check (null: not checked). */
  verified: boolean | null;
  failures: string[];
  notes: string[];
  /**
   * The PoR status is not an expected outcome (TS 102 225 Table 5: any status
   * but 00 means the card did not carry out the command): why, in one line.
   */
  refusal?: string;
  /** What could not be checked (missing key, unknown PoR security, nothing to check): JSON `unverified`. */
  unverified: string[];
}

/**
 * What of a packet's security was not checked, one phrase each: a ciphered
 * packet not deciphered, an RC/CC not computed (no key), a packet (or a PoR
 * read without the command's SPI) carrying no RC/CC/DS at all. Empty when
 * every RC/CC was computed and matched or mismatched.
 */
export function uncheckedParts(p: { ciphered: boolean; deciphered: boolean; checksum: { type: string; verified: boolean | null; reason?: string } }, securityKnown = true): string[] {
  const out: string[] = [];
  if (p.ciphered && !p.deciphered) out.push('ciphering: not deciphered (no KIc key)');
  const c = p.checksum;
  if (!securityKnown) out.push('PoR security unknown: no SPI (give --request or --spi)');
  else if (c.type === 'none') out.push('no RC/CC/DS in the packet');
  else if (c.verified === null) out.push(`${c.type.toUpperCase()}: not checked${p.ciphered && !p.deciphered ? ' (not deciphered)' : c.reason ? ` (${c.reason})` : ''}`);
  return out;
}

/** The security a PoR is expected to carry, from --request or --spi/--kic/--kid. */
export function expectedPorSecurity(o: ParseOpts): { sec: Partial<ResponseSecurity>; request?: SecuredCommand } {
  const sec: Partial<ResponseSecurity> = {};
  let request: SecuredCommand | undefined;
  if (o.requestCommand) {
    request = o.requestCommand;
    sec.integrity = request.spi.porIntegrity;
    sec.ciphered = request.spi.porCiphered;
    sec.kic = request.kic;
    sec.kid = request.kid;
  } else if (o.request) {
    const b = fromHex(o.request, '--request');
    const p = peel([b], o.cattp ? 'cattp' : 'auto');
    const pkt = p.packet;
    const dialect = p.dialect === 'cat_tp' ? cattpDialect : smsDialect;
    const hdr = parseCommandHeader(dialect, pkt);
    request = parseCommand(dialect, pkt, resolveKeys(o, hdr.kic, hdr.kid), hdr);
    sec.integrity = request.spi.porIntegrity;
    sec.ciphered = request.spi.porCiphered;
    sec.kic = request.kic;
    sec.kid = request.kid;
  }
  if (o.spi) {
    const s = fromHex(o.spi, 'SPI');
    if (s.length !== 2) throw new InputError(`must be 2 octets, got ${s.length}`, { field: 'SPI' });
    const spi = spiCodec.decode(s);
    sec.integrity = spi.porIntegrity;
    sec.ciphered = spi.porCiphered;
  }
  if (o.kic) sec.kic = octet(o.kic, 'KIc');
  if (o.kid) sec.kid = octet(o.kid, 'KID');
  return { sec, request };
}

/** A tree nobody asked for (`want.tree` false). */
const NO_TREE: TreeNode = Object.freeze(node('')) as TreeNode;

/**
 * `keys`: a per-batch memo of the key resolution (packetMemo(o).keys) for callers that parse many packets with the same key options.
 * `want`: the views the caller prints (text mode builds no JSON, JSON mode no tree); the checks are the same.
 */
export function parsePacket(p: Peeled, o: ParseOpts, kindHint: 'command' | 'response' | undefined, keys: PacketMemo['keys'] = (kic, kid) => resolveKeys(o, kic, kid), want: ViewWant = {}): PacketResult {
  const wantTree = want.tree !== false;
  const wantJson = want.json !== false;
  const dialect: Dialect = p.dialect === 'cat_tp' ? cattpDialect : smsDialect;
  const kind = kindHint ?? p.kind;
  if (kind === 'response') {
    const { sec, request } = expectedPorSecurity(o);
    // A PoR secured with another key version than --kvn selects: reported, and read without keys.
    const conflicts = kvnConflicts(o, sec.kic, sec.kid, { kic: sec.ciphered === true, kid: sec.integrity === 'cc' });
    const km = conflicts.length ? {} : keys(sec.kic, sec.kid);
    const r = parseResponse(dialect, p.packet, km, sec);
    const failures = [...conflicts, ...r.failures];
    const notes = [...r.notes];
    if (request) {
      if (!equalBytes(request.tar, r.tar)) failures.push('TAR of the PoR differs from the command\'s TAR');
      // Not after a failed check: a wrong key deciphers any counter.
      if (request.counter !== undefined && r.counter !== undefined && request.counter !== r.counter && request.checksum.verified !== false && r.checksum.verified !== false) {
        notes.push(`PoR CNTR ${r.counter} differs from the command CNTR ${request.counter} (cards may send 0 in error PoRs)`);
      }
    }
    const view = r.data ? responseView(r.data, want) : { json: null };
    const tree = wantTree ? responseTree(r, view.tree ? [view.tree] : undefined, false, o) : NO_TREE;
    const verified = failures.length ? false : r.checksum.verified;
    const outcome = statusOutcome(r.status, o, true);
    const unverified = uncheckedParts(r, sec.integrity !== undefined);
    let json: Record<string, unknown> = {};
    if (wantJson) {
      json = responseJson(r, view.json, { failures, notes }, o);
      json.verified = verified;
      Object.assign(json, outcome.json);
      json.unverified = unverified;
    }
    let inputError = 'error' in view ? view.error : undefined;
    // A reserved status read from a PoR whose deciphering or checksum failed is garbage, not bad input.
    const trusted = !r.ciphered || r.checksum.verified === true;
    if (r.status !== undefined && !statusKnown(r.status) && r.deciphered && !failures.length && trusted) {
      inputError = new InputError(`0x${hex2(r.status)} is a reserved status code (TS 102 225 Table 5)`, { layer: 'response packet', field: 'status', offset: p.offset + r.offsets.status });
    }
    return { kind, response: r, tree, json, verified, failures, notes, inputError, refusal: outcome.refusal, unverified };
  }
  const hdr = parseCommandHeader(dialect, p.packet);
  // The packet's key version against the KVN asked for (--kvn): a failed check; the packet is then
  // read without keys (the selected key set is not the one it was secured with).
  const conflicts = kvnConflicts(o, hdr.kic, hdr.kid, { kic: hdr.spi.ciphering, kid: hdr.spi.integrity === 'cc' });
  const km = conflicts.length ? {} : keys(hdr.kic, hdr.kid);
  const c = parseCommand(dialect, p.packet, km, hdr);
  c.failures.unshift(...conflicts);
  const fmt = o.expanded ? 'expanded' : o.compact ? 'compact' : 'auto';
  const view = c.data ? scriptView(c.data, fmt, want) : { apdus: null, json: null };
  const tree = wantTree ? commandTree(c, view.tree ? [view.tree] : undefined, false, o) : NO_TREE;
  const outcome = statusOutcome(undefined, o, false);
  const unverified = uncheckedParts(c);
  let json: Record<string, unknown> = {};
  if (wantJson) {
    json = commandJson(c, view.apdus ?? undefined, { script: view.json }, o);
    Object.assign(json, outcome.json);
    json.unverified = unverified;
  }
  const verified = c.failures.length ? false : c.checksum.verified;
  return { kind: 'command', command: c, tree, json, verified, failures: c.failures, notes: c.notes, inputError: 'error' in view ? view.error : undefined, refusal: outcome.refusal, unverified };
}


/** What a text line of `parse --each` says about a packet: no tree, no JSON object. */
export interface PacketBrief {
  kind: 'command' | 'response';
  tar: Uint8Array;
  status?: number;
  checksumType: string;
  /** The RC/CC check itself (true, false, or null when not checked). */
  checksumVerified: boolean | null;
  failures: string[];
  refusal?: string;
  inputError?: OtaError;
  /** What could not be checked (a failure with --require-verified). */
  unverified: string[];
}

/**
 * Per-batch memo of what parsePacket resolves from the options alone: the keys
 * for each (KIc, KID) pair and the security a PoR is expected to carry (its
 * --request parsed once). Only for options that do not change during the batch.
 */
export interface PacketMemo {
  keys(kic: number | undefined, kid: number | undefined): ReturnType<typeof resolveKeys>;
  expected(): ReturnType<typeof expectedPorSecurity>;
}

export function packetMemo(o: ParseOpts): PacketMemo {
  const keys = new Map<number, ReturnType<typeof resolveKeys>>();
  let expected: ReturnType<typeof expectedPorSecurity> | undefined;
  return {
    keys(kic, kid) {
      const id = ((kic ?? 0x100) << 9) | (kid ?? 0x100);
      let k = keys.get(id);
      if (!k) {
        k = resolveKeys(o, kic, kid);
        if (keys.size < 1024) keys.set(id, k);
      }
      return k;
    },
    expected: () => (expected ??= expectedPorSecurity(o)),
  };
}

/** parsePacket for a one-line verdict: the same checks and errors, without building the tree and the JSON. */
export function parsePacketBrief(p: Peeled, o: ParseOpts, kindHint: 'command' | 'response' | undefined, memo: PacketMemo): PacketBrief {
  const dialect: Dialect = p.dialect === 'cat_tp' ? cattpDialect : smsDialect;
  const kind = kindHint ?? p.kind;
  if (kind === 'response') {
    const { sec, request } = memo.expected();
    const conflicts = kvnConflicts(o, sec.kic, sec.kid, { kic: sec.ciphered === true, kid: sec.integrity === 'cc' });
    const r = parseResponse(dialect, p.packet, conflicts.length ? {} : memo.keys(sec.kic, sec.kid), sec);
    const failures = [...conflicts, ...r.failures];
    if (request && Buffer.compare(Buffer.from(request.tar), Buffer.from(r.tar)) !== 0) failures.push('TAR of the PoR differs from the command\'s TAR');
    let inputError = r.data && r.data.length ? responseView(r.data).error : undefined;
    const trusted = !r.ciphered || r.checksum.verified === true;
    if (r.status !== undefined && !statusKnown(r.status) && r.deciphered && !failures.length && trusted) {
      inputError = new InputError(`0x${hex2(r.status)} is a reserved status code (TS 102 225 Table 5)`, { layer: 'response packet', field: 'status', offset: p.offset + r.offsets.status });
    }
    const outcome = statusOutcome(r.status, o, true);
    return { kind, tar: r.tar, status: r.status, checksumType: r.checksum.type, checksumVerified: r.checksum.verified, failures, refusal: outcome.refusal, inputError, unverified: uncheckedParts(r, sec.integrity !== undefined) };
  }
  const hdr = parseCommandHeader(dialect, p.packet);
  const conflicts = kvnConflicts(o, hdr.kic, hdr.kid, { kic: hdr.spi.ciphering, kid: hdr.spi.integrity === 'cc' });
  const c = parseCommand(dialect, p.packet, conflicts.length ? {} : memo.keys(hdr.kic, hdr.kid), hdr);
  c.failures.unshift(...conflicts);
  const fmt = o.expanded ? 'expanded' : o.compact ? 'compact' : 'auto';
  // The same bad-input verdict as parsePacket's scriptView (a malformed expanded script or push: exit 2).
  const inputError = c.data ? scriptError(c.data, fmt) : undefined;
  const outcome = statusOutcome(undefined, o, false);
  return {
    kind: 'command', tar: c.tar, checksumType: c.checksum.type, checksumVerified: c.checksum.verified,
    failures: c.failures, refusal: outcome.refusal, inputError, unverified: uncheckedParts(c),
  };
}

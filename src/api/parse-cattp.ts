/**
 * `parse` of CAT_TP PDUs (one UDP payload per input; ETSI TS 102 127): the
 * PDUs decoded and checked, data reassembled into SDUs, each SDU parsed as a
 * TS 102 225 packet of the CAT_TP dialect, a PoR checked against the command
 * it answers. Also used by the session commands to show what they received.
 */
import { formatTag } from '../util/json-format.js';
import { InputError, OtaError } from '../util/errors.js';
import { fromHex, toHex, equalBytes, hex2 } from '../util/hex.js';
import { node, type TreeNode } from '../render/tree.js';
import { cattpDialect } from '../cattp/dialect.js';
import { notPacketNote, notPacketWhy } from '../cattp/detect.js';
import { cattpPacketKind, peelCattpPdus, relocateSduError, type CattpPeel } from '../cattp/peel.js';
import type { SecuredCommand } from '../secured/command.js';
import { spiHex } from '../secured/spi.js';
import type { Peeled } from '../layers/peel.js';
import type { ParseOpts, ParseMode, PacketResult } from './packet.js';

/** A secured packet received over CAT_TP, parsed for display; problems become failures, never throws OtaErrors. */
export interface PacketView {
  result?: PacketResult;
  tree: TreeNode[];
  json: unknown;
  failures: string[];
  notes: string[];
}

export const hexNode = (name: string, b: Uint8Array, note?: string) => node(name, `${b.length} octets`, undefined, { hex: toHex(b), note });

/**
 * Parse an SDU as a TS 102 225 packet of the CAT_TP dialect. A response is
 * checked against `request` (the command it answers: SPI octet 2 says how the
 * PoR is secured, KIc/KID name the keys, TAR must match).
 */
export async function viewSdu(sdu: Uint8Array, o: ParseOpts, request: SecuredCommand | undefined, kindHint?: 'command' | 'response', strict = false): Promise<PacketView> {
  const kind = kindHint ?? cattpPacketKind(sdu);
  if (!kind) {
    const why = notPacketWhy(sdu);
    const note = notPacketNote(sdu);
    return { tree: [hexNode('SDU', sdu, `not a TS 102 225 packet: ${why}`)], json: { sdu: toHex(sdu), packet: null, failures: [], notes: [note] }, failures: [], notes: [note] };
  }
  const { parsePacket } = await import('./packet.js');
  // A --request given with SMS-PP layers needs their decoders (packet.ts peels it).
  if (o.request !== undefined && o.requestCommand === undefined) await (await import('../layers/peel-core.js')).loadSmsPeel();
  const peeled: Peeled = { layers: [], packet: sdu, dialect: 'cat_tp', kind, offset: 0, failures: [], inputs: [sdu], outer: 'cattp' };
  const oo: ParseOpts = kind === 'response' && request ? { ...o, request: undefined, spi: spiHex(request.spi), kic: hex2(request.kic), kid: hex2(request.kid) } : o;
  try {
    const r = parsePacket(peeled, oo, kind);
    const failures = [...r.failures];
    const notes = [...r.notes];
    if (kind === 'response' && request && r.response) {
      if (!equalBytes(request.tar, r.response.tar)) failures.push("TAR of the PoR differs from the command's TAR");
      // As parse --request does (cards may answer an error with CNTR 0).
      if (request.counter !== undefined && r.response.counter !== undefined && request.counter !== r.response.counter && request.checksum.verified !== false && r.response.checksum.verified !== false) {
        notes.push(`PoR CNTR ${r.response.counter} differs from the command CNTR ${request.counter} (cards may send 0 in error PoRs)`);
      }
    }
    const json = { ...r.json, verified: failures.length ? false : r.json.verified, failures, notes };
    return { result: r, tree: [r.tree], json, failures, notes };
  } catch (e) {
    if (strict || !(e instanceof OtaError)) throw e;
    const failure = `${kind} packet: ${e.message}`;
    return {
      tree: [hexNode(kind === 'command' ? 'Command packet' : 'Response packet', sdu, undefined), node('Error', e.message, undefined, { status: 'fail' })],
      json: { type: kind, dialect: 'cat_tp', hex: toHex(sdu), sdu: toHex(sdu), error: e.message, verified: false, failures: [failure], notes: [] },
      failures: [failure],
      notes: [],
    };
  }
}

/** `--request` given as a CAT_TP packet or data PDU: read it with the CAT_TP dialect (parse.ts would take it for SMS-PP). */
export async function cattpRequest(o: ParseOpts): Promise<SecuredCommand | undefined> {
  if (!o.request) return undefined;
  let b = fromHex(o.request, '--request');
  const pe = peelCattpPdus([b]);
  if (pe) {
    if (pe.sdus.length !== 1) throw new InputError('a CAT_TP PDU given as --request must carry the command packet', { field: '--request' });
    b = pe.sdus[0].data;
  }
  if (cattpPacketKind(b) !== 'command') return undefined;
  const { parseCommand, parseCommandHeader } = await import('../secured/command.js');
  const { resolveKeys } = await import('./keys.js');
  const hdr = parseCommandHeader(cattpDialect, b);
  return parseCommand(cattpDialect, b, resolveKeys(o, hdr.kic, hdr.kid), hdr);
}

/** What `parse --json` prints for CAT_TP PDU inputs, the trees, and the outcome; undefined when the inputs are not CAT_TP PDUs. */
export async function parseCattpPdus(inputs: Uint8Array[], o: ParseOpts, mode: ParseMode = 'auto'): Promise<{ json: Record<string, unknown>; tree: TreeNode[]; failures: string[]; notes: string[]; refusals: string[]; unverified: string[]; peeled: CattpPeel } | undefined> {
  if (mode === 'sms' && !o.cattp) return undefined;
  const pe = peelCattpPdus(inputs);
  if (!pe) return undefined;
  const hint = mode === 'por' ? 'response' : undefined;
  const given = await cattpRequest(o);
  const base: ParseOpts = given ? { ...o, request: undefined } : o;
  let request = given;
  const views: PacketView[] = [];
  for (const sdu of pe.sdus) {
    let v: PacketView;
    try {
      v = await viewSdu(sdu.data, base, request, hint ?? sdu.kind, true);
    } catch (e) {
      // Offsets of a malformed packet point into its input (one PDU) or name the reassembled SDU.
      relocateSduError(pe, sdu, e);
    }
    // A command earlier in the same input is the request of a later PoR (a whole session pasted).
    if (!request && v.result?.command) request = v.result.command;
    views.push(v);
  }
  const failures = [...pe.failures, ...views.flatMap((v) => v.failures)];
  const notes = [...pe.notes, ...views.flatMap((v) => v.notes)];
  const kinds = views.map((v) => (v.result ? `${v.result.kind} packet` : 'SDU'));
  // The keys parse --json has for every input (man page, JSON OUTPUT). One secured packet: its
  // type and hex; several: type "cattp-packets", each in `packets`; none: type "cattp-pdus".
  const packets = views.filter((v) => v.result);
  const body: Record<string, unknown> = {
    layers: ['CAT_TP', ...kinds],
    type: views.length === 1 && packets.length === 1 ? packets[0].result!.kind : packets.length ? 'cattp-packets' : 'cattp-pdus',
    dialect: 'cat_tp',
    hex: null,
  };
  body.format = formatTag(body.type === 'command' || body.type === 'response' ? body.type : body.type === 'cattp-packets' ? 'cattp-packets' : 'cattp-pdus');
  if (views.length === 1) Object.assign(body, views[0].json);
  else if (views.length > 1) body.packets = views.map((v) => v.json);
  body.framing = [pe.json];
  // false on any failure; null when a packet had nothing to verify (as parse does for one packet).
  const each = views.map((v) => (v.json as { verified?: boolean | null }).verified);
  body.verified = failures.length ? false : each.some((x) => x === null) ? null : true;
  body.failures = failures;
  body.notes = notes;
  // PoR statuses that are not the expected outcome (--expect-status; default 00).
  const pors = views.filter((v) => v.result?.kind === 'response');
  const refusals = pors.map((v) => v.result!.refusal).filter((x): x is string => x !== undefined);
  if (!pors.length && o.expectStatus !== undefined) {
    const { statusOutcome } = await import('./packet.js');
    const none = statusOutcome(undefined, o, false);
    Object.assign(body, none.json);
    if (none.refusal) refusals.push(none.refusal);
  }
  // What could not be checked, per packet (numbered when there are several).
  const unverified = views.flatMap((v, i) => (v.result?.unverified ?? []).map((x) => (views.length > 1 ? `packet ${i + 1}: ${x}` : x)));
  if (views.length !== 1) body.unverified = unverified;
  return { json: body, tree: [...pe.layers.map((l) => l.tree), ...views.flatMap((v) => v.tree)], failures, notes, refusals, unverified, peeled: pe };
}

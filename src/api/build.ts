/**
 * `build sms`, `build por`, `build cattp` as functions. Each returns the object
 * the command prints with --json, plus `units` (the wire octets of every unit
 * produced: packet, SMS, TPDU, ENVELOPE or CAT_TP PDU) and `warnings` (what the
 * command prints on stderr as notes). The CLI renders these same results.
 */
import { InputError } from '../util/errors.js';
import { toHex, fromHex } from '../util/hex.js';
import { octet, intOption } from '../util/options.js';
import type { TreeNode } from '../render/tree.js';
import { buildCommand, parseCommand, parseCommandHeader, type SecuredCommand } from '../secured/command.js';
import { buildResponse, type SecuredResponse } from '../secured/response.js';
import { commandJson, responseJson } from '../secured/view.js';
import { parseTar } from '../secured/tar.js';
import { parseCounter } from '../secured/common.js';
import { spiCodec } from '../secured/spi.js';
import { statusKnown } from '../secured/status.js';
import { smsDialect } from '../smspp/dialect.js';
import { cattpDialect } from '../cattp/dialect.js';
import { decodePdu, pduJson } from '../cattp/pdu.js';
import { scriptView, responseView } from '../remote/view.js';
import { peel } from '../layers/peel.js';
import { prepareCommand } from './secured-options.js';
import { keysetOf, resolveKeys, resolveKic, resolveKid, type KeyOptions } from './keys.js';
import { framePor, type PorFrameOpts } from './frame-por.js';
import { responseData, type ResponseDataOpts } from './por-options.js';
import { sduPdus, pduPcap, type PduHeaderOpts } from './cattp-options.js';
import { str, securityOpts, buildSmsUnits, type SecurityOptions, type BuildSmsOptions } from './build-units.js';
import { withMembers } from '../util/object.js';

/** A result object is JSON: its views build no trees. */
const JSON_ONLY = { tree: false } as const;

export { securityOpts, smsFrameOpts, buildWarnings, buildSmsUnits } from './build-units.js';
export type { SecurityOptions, SmsDeliverOptions, BuildSmsOptions } from './build-units.js';

type Num = string | number;
type Counter = string | number | bigint;

export interface BuildPorOptions extends KeyOptions {
  /** Accept a 3DES key that degrades to single DES; the result notes it. */
  allowWeakKey?: boolean;
  request?: string;
  spi?: string;
  kic?: string;
  kid?: string;
  tar?: string;
  counter?: Counter;
  status?: string;
  anyStatus?: boolean;
  unsecured?: boolean;
  data?: string;
  executed?: Num;
  sw?: string;
  rdata?: string;
  expanded?: boolean;
  indefinite?: boolean;
  rapdu?: string[];
  badFormat?: string;
  ccLen?: Num;
  paddingByte?: string;
  cattp?: boolean;
  da?: string;
  concatRef?: Num;
  pcap?: string;
  format?: 'packet' | 'ud' | 'submit' | 'deliver-report' | 'proactive' | 'pdu';
  maxPdu?: Num;
  srcPort?: Num;
  dstPort?: Num;
  seq?: Num;
  ack?: Num;
  window?: Num;
  udpPort?: string;
}

export interface BuildCattpOptions extends SecurityOptions {
  format?: 'pdu' | 'packet';
  maxPdu?: Num;
  srcPort?: Num;
  dstPort?: Num;
  seq?: Num;
  ack?: Num;
  window?: Num;
  pcap?: string;
  udpPort?: string;
}

/** The --json object of a build, plus the wire octets and the stderr notes. */
export interface BuildResult {
  /** Hex of every unit, one per output line (as the command prints them). */
  output: string[];
  format: string;
  /** The wire octets of every unit (same order as `output`). */
  units: Uint8Array[];
  /** What the command says on stderr as "note:" lines (never part of --json). */
  warnings: string[];
  [key: string]: unknown;
}


/** The SMS layers of what was built, decoded back (for --show and --json; `trees` false: no trees, for --json). */
export function builtLayers(lines: Uint8Array[], trees = true): { trees: TreeNode[]; names: string[]; json: unknown[] } {
  const p = peel(lines, 'auto');
  return { trees: trees ? p.layers.map((l) => l.tree) : [], names: p.layerNames ?? p.layers.map((l) => l.name), json: p.layers.map((l) => l.json) };
}

/** `build sms --json`: a secured command packet for SMS-PP (3GPP TS 31.115) at the requested layer. */
export async function buildSms(o: BuildSmsOptions): Promise<BuildResult> {
  const { cmd, units, warnings } = await buildSmsUnits(o);
  const json = smsBuildJson(cmd, units, o.format ?? 'packet', o.expanded ? 'expanded' : 'compact');
  return withExtras(json, units, warnings);
}

/** The --json object of `build sms` (without its line number, which `--each` puts first): the packet, its script, its SMS layers decoded back. */
export function smsBuildJson(cmd: SecuredCommand, units: Uint8Array[], format: string, scriptFormat: 'compact' | 'expanded'): Record<string, unknown> {
  const script = scriptView(cmd.data!, scriptFormat, JSON_ONLY);
  const outer = format === 'packet' ? { names: [], json: [] } : builtLayers(units, false);
  return { layers: [...outer.names, 'command packet'], ...commandJson(cmd, script.apdus ?? undefined, { script: script.json }), framing: outer.json, outputFormat: format, output: units.map(toHex) };
}

/** `build por` without the views: the response packet and its frames. */
export async function buildPorUnits(o: BuildPorOptions): Promise<{ response: SecuredResponse; units: Uint8Array[] }> {
  const ko: KeyOptions = withMembers(o, { kvn: str(o.kvn) });
  const dialect = o.cattp ? cattpDialect : smsDialect;
  let spi, kic: number | undefined, kid: number | undefined, tar: Uint8Array | undefined, counter: bigint | undefined;
  if (o.request) {
    const p = peel([fromHex(o.request, '--request')], o.cattp ? 'cattp' : 'sms');
    const d = p.dialect === 'cat_tp' ? cattpDialect : smsDialect;
    const hdr = parseCommandHeader(d, p.packet);
    const req = parseCommand(d, p.packet, resolveKeys(ko, hdr.kic, hdr.kid), hdr);
    spi = req.spi;
    kic = req.kic;
    kid = req.kid;
    tar = req.tar;
    counter = req.counter;
  }
  // Like build sms: options first, then the command (request), then the keyset's defaults.
  const ks = keysetOf(ko);
  const spiText = o.spi ?? (spi ? undefined : ks?.defaults.spi);
  if (spiText) {
    const b = fromHex(spiText, 'SPI');
    if (b.length !== 2) throw new InputError(`must be 2 octets, got ${b.length}`, { field: 'SPI' });
    spi = spiCodec.decode(b);
  }
  if (!spi) throw new InputError('give the command\'s SPI (--spi) or the command itself (--request)', { field: 'SPI' });
  if (o.kic) kic = octet(o.kic, 'KIc');
  if (o.kid) kid = octet(o.kid, 'KID');
  if (kic === undefined && ks?.defaults.kic) kic = octet(ks.defaults.kic, 'KIc');
  if (kid === undefined && ks?.defaults.kid) kid = octet(ks.defaults.kid, 'KID');
  if (kic === undefined && ks) kic = orUndefined(() => resolveKic(undefined, ko));
  if (kid === undefined && ks) kid = orUndefined(() => resolveKid(undefined, ko, spi.porIntegrity));
  const tarText = o.tar ?? (tar ? undefined : ks?.defaults.tar);
  if (tarText) tar = parseTar(tarText);
  if (!tar) throw new InputError('give --tar or --request', { field: 'TAR' });
  if (o.counter !== undefined) counter = parseCounter(String(o.counter));
  const statusText = o.status ?? '00';
  const status = octet(statusText, '--status');
  if (!statusKnown(status) && !o.anyStatus) {
    throw new InputError(`0x${statusText.toUpperCase()} is a reserved status code (TS 102 225 Table 5; --any-status to send it anyway)`, { field: '--status' });
  }
  const data = await responseData(withMembers(o, { executed: str(o.executed) }) as ResponseDataOpts);
  const keys = resolveKeys(ko, kic, kid);
  if (o.allowWeakKey) keys.allowWeak = true;
  const r = buildResponse(dialect, {
    tar, counter: counter ?? 0n, status, data,
    integrity: o.unsecured ? 'none' : spi.porIntegrity, ciphered: o.unsecured ? false : spi.porCiphered,
    kic: kic ?? 0, kid: kid ?? 0, ccLength: o.ccLen !== undefined ? intOption(o.ccLen, '--cc-len', 1, 16) : undefined,
    paddingByte: octet(o.paddingByte ?? '00', '--padding-byte'),
  }, keys);
  const fo = withMembers(o, { format: o.format ?? 'packet', concatRef: str(o.concatRef) ?? '0', maxPdu: str(o.maxPdu), srcPort: str(o.srcPort), dstPort: str(o.dstPort), seq: str(o.seq), ack: str(o.ack), window: str(o.window) }) as PorFrameOpts;
  return { response: r, units: framePor(r.bytes, dialect.name, fo) };
}

/** `build por --json`: a response packet / PoR (TS 102 225 cl. 5.2), secured as the command's SPI octet 2 asks. */
export async function buildPor(o: BuildPorOptions): Promise<BuildResult> {
  const { response: r, units } = await buildPorUnits(o);
  const format = o.format ?? 'packet';
  const view = responseView(r.data!, JSON_ONLY);
  // SMS layers decoded back from what was built (CAT_TP PDUs are shown by cattp commands).
  const outer = format === 'packet' || format === 'pdu' ? { names: [], json: [] } : builtLayers(units, false);
  const json = { layers: [...outer.names, 'response packet'], ...responseJson(r, view.json), framing: outer.json, outputFormat: format, output: units.map(toHex) };
  return withExtras(json, units, r.notes.slice());
}

/** `build cattp` without the views: the command packet in the CAT_TP dialect and its data PDUs. */
export async function buildCattpUnits(o: BuildCattpOptions): Promise<{ cmd: SecuredCommand; pdus: Uint8Array[]; units: Uint8Array[] }> {
  const { input, keys } = await prepareCommand(securityOpts(o));
  const cmd = buildCommand(cattpDialect, input, keys);
  const ho = { maxPdu: str(o.maxPdu), srcPort: str(o.srcPort), dstPort: str(o.dstPort), seq: str(o.seq), ack: str(o.ack), window: str(o.window) } as PduHeaderOpts;
  const pdus = sduPdus(cmd.bytes, ho, 'server');
  if (o.pcap) pduPcap(o.pcap, pdus, o.udpPort);
  return { cmd, pdus, units: (o.format ?? 'pdu') === 'packet' ? [cmd.bytes] : pdus };
}

/** `build cattp --json`: the command packet in the TS 102 225 CAT_TP dialect, as CAT_TP data PDU(s) (TS 102 127). */
export async function buildCattp(o: BuildCattpOptions): Promise<BuildResult> {
  const { cmd, pdus, units } = await buildCattpUnits(o);
  const script = scriptView(cmd.data!, o.expanded ? 'expanded' : 'compact', JSON_ONLY);
  const json = Object.assign(commandJson(cmd, script.apdus ?? undefined), { outputFormat: o.format ?? 'pdu', output: units.map(toHex), pdus: pdus.map((b) => pduJson(decodePdu(b))) });
  return withExtras(json, units, []);
}

function orUndefined<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/** The JSON object (fresh from its caller) with the library-only `units` and `warnings` added. */
function withExtras(json: Record<string, unknown>, units: Uint8Array[], warnings: string[]): BuildResult {
  return Object.assign(json, { units, warnings }) as BuildResult;
}

/** The --json object of an API result: the result without the library-only keys. */
export function jsonOf<T extends Record<string, unknown>>(r: T): Omit<T, 'units' | 'warnings'> {
  const { units: _u, warnings: _w, ...json } = r;
  return json;
}

/** `build sms`: secure a command packet and emit it at the requested SMS-PP layer. */
import { InputError } from '../../util/errors.js';
import { toHex } from '../../util/hex.js';
import { buildCommand, type SecuredCommand } from '../../secured/command.js';
import { commandJson, commandTree } from '../../secured/view.js';
import { smsDialect } from '../../smspp/dialect.js';
import { printJson, printTree, writeOut, type OutputOptions } from '../output.js';
import { prepareCommand, type SecurityOpts } from './secured-options.js';
import { resolveKic as resolveKicSync, resolveKid as resolveKidSync } from '../keys.js';
import { scriptView } from '../../remote/view.js';

export interface BuildSmsOpts extends SecurityOpts, OutputOptions {
  format: 'packet' | 'ud' | 'tpdu' | 'envelope';
  oa: string;
  oaTon: string;
  oaNpi: string;
  pid: string;
  dcs: string;
  scts?: string;
  smsc?: string;
  concatRef: string;
  concat16?: boolean;
  pcap?: string;
  show?: boolean;
}

/** What a user probably did not mean, said once on stderr (the packet is still built). */
export function buildWarnings(spi: Uint8Array, kic: number, kid: number, integrity: string, ciphering: boolean): void {
  const notes: string[] = [];
  if (spi[0] & 0xe0) notes.push(`SPI octet 1 has reserved bits set (0x${(spi[0] & 0xe0).toString(16).toUpperCase()})`);
  if (spi[1] & 0xc0) notes.push(`SPI octet 2 has reserved bits set (0x${(spi[1] & 0xc0).toString(16).toUpperCase()})`);
  if ((spi[1] & 3) === 3) notes.push('SPI octet 2: PoR request 11 is reserved');
  // TS 102 225 Annex A / digest §5.4: KIc and KID of different key sets are refused by cards (status 06).
  if (ciphering && (integrity === 'cc') && kic >> 4 && kid >> 4 && kic >> 4 !== kid >> 4) notes.push(`KIc names KVN ${kic >> 4} but KID KVN ${kid >> 4}: cards refuse mixed key sets (status 06)`);
  for (const n of notes) process.stderr.write(`uicc-ota: note: ${n}\n`);
}

/** The layers of what was built, decoded back, for --show and --json. */
async function builtLayers(lines: Uint8Array[]): Promise<{ trees: import('../../render/tree.js').TreeNode[]; names: string[]; json: unknown[] }> {
  const { peel } = await import('./peel.js');
  const p = peel(lines, 'auto');
  return { trees: p.layers.map((l) => l.tree), names: p.layerNames ?? p.layers.map((l) => l.name), json: p.layers.map((l) => l.json) };
}

export async function buildSms(o: BuildSmsOpts): Promise<void> {
  const { input, keys } = await prepareCommand(o);
  const cmd = buildCommand(smsDialect, input, keys);
  buildWarnings(cmd.bytes.subarray(3, 5), input.kic, input.kid, input.spi.integrity, input.spi.ciphering);
  const lines = await frameSms(cmd, o);
  if (o.format === 'packet' && cmd.bytes.length > 137) {
    process.stderr.write(`uicc-ota: note: the packet is ${cmd.bytes.length} octets, more than the 137 of one SMS; --format ud, tpdu or envelope concatenates it\n`);
  }
  if (o.json || o.show) {
    const script = scriptView(cmd.data!, o.expanded ? 'expanded' : 'compact');
    const outer = o.format === 'packet' ? { trees: [], names: [], json: [] } : await builtLayers(lines);
    if (o.json) {
      printJson({ layers: [...outer.names, 'command packet'], ...commandJson(cmd, script.apdus ?? undefined, { script: script.json }), framing: outer.json, outputFormat: o.format, output: lines.map(toHex) });
    } else {
      await printTree([...outer.trees, commandTree(cmd, script.tree ? [script.tree] : undefined, true)], o);
    }
    return;
  }
  writeOut(lines.map(toHex).join('\n'));
}

/** The SMS-PP layers below the packet: UD with UDH, SMS-DELIVER TPDU, ENVELOPE; split when too long for one SMS. */
export async function frameSms(cmd: SecuredCommand, o: BuildSmsOpts): Promise<Uint8Array[]> {
  const { frameCommand } = await import('./frame.js');
  return frameCommand(cmd.bytes, o);
}

export interface BuildPorOpts extends OutputOptions {
  status: string;
  counter: string;
  data?: string;
  executed?: string;
  sw?: string;
  rdata?: string;
  tar?: string;
  spi?: string;
  kic?: string;
  kid?: string;
  request?: string;
  ccLen?: string;
  paddingByte: string;
  kicKey?: string;
  kidKey?: string;
  keyset?: string;
  kvn?: string;
  kicAlg?: string;
  kidAlg?: string;
  cattp?: boolean;
  format: 'packet' | 'ud' | 'submit' | 'deliver-report' | 'proactive' | 'pdu';
  maxPdu?: string;
  srcPort?: string;
  dstPort?: string;
  seq?: string;
  ack?: string;
  window?: string;
  udpPort?: string;
  anyStatus?: boolean;
  unsecured?: boolean;
  expanded?: boolean;
  indefinite?: boolean;
  rapdu?: string[];
  badFormat?: string;
  da?: string;
  concatRef?: string;
  show?: boolean;
  pcap?: string;
}

/** `build por`: a response packet secured as the command's SPI octet 2 asks (TS 102 225 cl. 5.2). */
export async function buildPor(o: BuildPorOpts): Promise<void> {
  const { buildResponse } = await import('../../secured/response.js');
  const { responseJson, responseTree } = await import('../../secured/view.js');
  const { parseCommand, parseCommandHeader } = await import('../../secured/command.js');
  const { parseTar } = await import('../../secured/tar.js');
  const { parseCounter } = await import('../../secured/common.js');
  const { spiCodec } = await import('../../secured/spi.js');
  const { fromHex } = await import('../../util/hex.js');
  const { octet, intOption } = await import('../input.js');
  const { resolveKeys } = await import('../keys.js');
  const { cattpDialect } = await import('../../cattp/dialect.js');
  const { peel } = await import('./peel.js');
  const { responseView } = await import('../../remote/view.js');
  const dialect = o.cattp ? cattpDialect : smsDialect;

  let spi, kic: number | undefined, kid: number | undefined, tar: Uint8Array | undefined, counter: bigint | undefined;
  if (o.request) {
    const p = peel([fromHex(o.request, '--request')], o.cattp ? 'cattp' : 'sms');
    const d = p.dialect === 'cat_tp' ? cattpDialect : smsDialect;
    const hdr = parseCommandHeader(d, p.packet);
    const req = parseCommand(d, p.packet, resolveKeys(o, hdr.kic, hdr.kid));
    spi = req.spi;
    kic = req.kic;
    kid = req.kid;
    tar = req.tar;
    counter = req.counter;
  }
  // Like build sms: options first, then the command (--request), then the keyset's defaults.
  const { keysetOf } = await import('../keys.js');
  const ks = keysetOf(o);
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
  if (kic === undefined && ks) kic = resolveKicDefault(o);
  if (kid === undefined && ks) kid = resolveKidDefault(o, spi.porIntegrity);
  const tarText = o.tar ?? (tar ? undefined : ks?.defaults.tar);
  if (tarText) tar = parseTar(tarText);
  if (!tar) throw new InputError('give --tar or --request', { field: 'TAR' });
  if (o.counter !== undefined) counter = parseCounter(o.counter);
  const status = octet(o.status, '--status');
  const { statusKnown } = await import('../../secured/status.js');
  if (!statusKnown(status) && !o.anyStatus) {
    throw new InputError(`0x${o.status.toUpperCase()} is a reserved status code (TS 102 225 Table 5; --any-status to send it anyway)`, { field: '--status' });
  }
  const { responseData } = await import('./por-options.js');
  const data = await responseData(o);
  const keys = resolveKeys(o, kic, kid);
  const r = buildResponse(dialect, {
    tar, counter: counter ?? 0n, status, data,
    integrity: o.unsecured ? 'none' : spi.porIntegrity, ciphered: o.unsecured ? false : spi.porCiphered,
    kic: kic ?? 0, kid: kid ?? 0, ccLength: o.ccLen !== undefined ? intOption(o.ccLen, '--cc-len', 1, 16) : undefined,
    paddingByte: octet(o.paddingByte, '--padding-byte'),
  }, keys);
  const { framePor } = await import('./frame.js');
  const lines = framePor(r.bytes, dialect.name, o);
  if (o.json || o.show) {
    const view = responseView(r.data!);
    // SMS layers decoded back from what was built (CAT_TP PDUs are shown by cattp commands).
    const outer = o.format === 'packet' || o.format === 'pdu' ? { trees: [], names: [], json: [] } : await builtLayers(lines);
    if (o.json) printJson({ layers: [...outer.names, 'response packet'], ...responseJson(r, view.json), framing: outer.json, outputFormat: o.format, output: lines.map(toHex) });
    else await printTree([...outer.trees, responseTree(r, view.tree ? [view.tree] : undefined, true)], o);
    return;
  }
  writeOut(lines.map(toHex).join('\n'));
}

/**
 * `build sms --each`: batch mode. Each stdin line is the secured data (hex) of
 * one packet; the counter advances by one per line from --counter (with
 * `--counter next` the whole block is reserved at once in the state file).
 * One output line per packet (per SMS segment for long packets).
 */
export async function buildSmsEach(o: BuildSmsOpts): Promise<void> {
  if (o.apdu.length || (o.data !== undefined && o.data !== '') || o.expanded) {
    throw new InputError('with --each the secured data comes from stdin, one hex line per packet: drop --apdu/--data/--expanded', { field: '--each' });
  }
  const { readStdin } = await import('../input.js');
  const { fromHex } = await import('../../util/hex.js');
  const lines = readStdin().split(/\r?\n/).filter((l) => l.trim() && !l.trim().startsWith('#'));
  if (!lines.length) return;
  const datas = lines.map((l, i) => fromHex(l, `stdin line ${i + 1}`));
  const first = await prepareCommand({ ...o, apdu: [], data: '', counter: o.counter === 'next' ? '0' : o.counter });
  let counter = first.input.counter;
  if (o.counter === 'next') {
    const { nextCounter } = await import('../../keys/counters.js');
    counter = await nextCounter(o, first.input.kic, first.input.kid, first.input.tar, datas.length);
  }
  const { CNTR_MAX } = await import('../../secured/common.js');
  if (counter + BigInt(datas.length - 1) > CNTR_MAX) throw new InputError('the batch would run the counter past 2^40−1', { field: 'CNTR' });
  const out: string[] = [];
  for (let i = 0; i < datas.length; i++) {
    const cmd = buildCommand(smsDialect, { ...first.input, data: datas[i], counter: counter + BigInt(i) }, first.keys);
    const frames = await frameSms(cmd, o);
    if (o.json) out.push(JSON.stringify({ line: i + 1, ...commandJson(cmd), output: frames.map(toHex) }));
    else for (const f of frames) out.push(toHex(f));
  }
  process.stdout.write(out.join('\n') + '\n');
}

/** KIc/KID from the keyset's KVN when a PoR is built without --kic/--kid/--request. */
function resolveKicDefault(o: BuildPorOpts): number | undefined {
  try {
    return resolveKicSync(undefined, o);
  } catch {
    return undefined;
  }
}
function resolveKidDefault(o: BuildPorOpts, integrity: string): number | undefined {
  try {
    return resolveKidSync(undefined, o, integrity);
  } catch {
    return undefined;
  }
}

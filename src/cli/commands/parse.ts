/**
 * `parse`: recognise what the input is, peel every layer (outermost first),
 * decipher and verify the secured packet inside, print a tree or JSON.
 * Exit 1 when a check failed (the failing check is named on stderr too).
 */
import { formatTag } from '../../util/json-format.js';
import { InputError, OtaError } from '../../util/errors.js';
import { statusKnown } from '../../secured/status.js';
import { fromHex, hex2 } from '../../util/hex.js';
import type { TreeNode } from '../../render/tree.js';
import { parseCommand, parseCommandHeader, type SecuredCommand } from '../../secured/command.js';
import { parseResponse, type ResponseSecurity, type SecuredResponse } from '../../secured/response.js';
import { commandJson, commandTree, responseJson, responseTree } from '../../secured/view.js';
import { spiCodec } from '../../secured/spi.js';
import { smsDialect } from '../../smspp/dialect.js';
import { cattpDialect } from '../../cattp/dialect.js';
import type { Dialect } from '../../secured/dialect.js';
import { resolveKeys, type KeyOptions } from '../keys.js';
import { hexInputs, octet } from '../input.js';
import { printJson, printTree, verdictNode, type OutputOptions } from '../output.js';
import { scriptView, responseView } from '../../remote/view.js';
import { peel, type Peeled } from './peel.js';
import { looksLikeCattpPdu, peelCattpPdus, sduPeeled } from '../../cattp/peel.js';

export interface ParseOpts extends KeyOptions, OutputOptions {
  spi?: string;
  kic?: string;
  kid?: string;
  request?: string;
  expanded?: boolean;
  compact?: boolean;
  cattp?: boolean;
  pcap?: string;
  /** --read FILE: a pcap/pcapng capture instead of hex inputs (read.ts). */
  read?: string;
  /** --show-computed: the computed RC/CC on a mismatch (withheld by default: no MAC oracle). */
  showComputed?: boolean;
}

export type ParseMode = 'auto' | 'sms' | 'por';

export interface PacketResult {
  /** Bad input found after decoding (malformed expanded TLV, reserved status code): exit 2 after the output. */
  inputError?: OtaError;
  kind: 'command' | 'response';
  command?: SecuredCommand;
  response?: SecuredResponse;
  tree: TreeNode;
  json: Record<string, unknown>;
  failures: string[];
  notes: string[];
}

/** The security a PoR is expected to carry, from --request or --spi/--kic/--kid. */
export function expectedPorSecurity(o: ParseOpts): { sec: Partial<ResponseSecurity>; request?: SecuredCommand } {
  const sec: Partial<ResponseSecurity> = {};
  let request: SecuredCommand | undefined;
  if (o.request) {
    const b = fromHex(o.request, '--request');
    const p = peel([b], o.cattp ? 'cattp' : 'auto');
    const pkt = p.packet;
    const dialect = p.dialect === 'cat_tp' ? cattpDialect : smsDialect;
    const hdr = parseCommandHeader(dialect, pkt);
    request = parseCommand(dialect, pkt, resolveKeys(o, hdr.kic, hdr.kid));
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

export function parsePacket(p: Peeled, o: ParseOpts, kindHint: 'command' | 'response' | undefined): PacketResult {
  const dialect: Dialect = p.dialect === 'cat_tp' ? cattpDialect : smsDialect;
  const kind = kindHint ?? p.kind;
  if (kind === 'response') {
    const { sec, request } = expectedPorSecurity(o);
    const keys = resolveKeys(o, sec.kic, sec.kid);
    const r = parseResponse(dialect, p.packet, keys, sec);
    const failures = [...r.failures];
    const notes = [...r.notes];
    if (request) {
      if (Buffer.compare(Buffer.from(request.tar), Buffer.from(r.tar)) !== 0) failures.push('TAR of the PoR differs from the command\'s TAR');
      if (request.counter !== undefined && r.counter !== undefined && request.counter !== r.counter) {
        notes.push(`PoR CNTR ${r.counter} differs from the command CNTR ${request.counter} (cards may send 0 in error PoRs)`);
      }
    }
    const view = r.data ? responseView(r.data) : { json: null };
    const tree = responseTree(r, view.tree ? [view.tree] : undefined, false, o);
    const json = responseJson(r, view.json, { failures, notes }, o);
    json.verified = failures.length ? false : r.checksum.verified;
    let inputError = 'error' in view ? view.error : undefined;
    // A reserved status read from a PoR whose deciphering or checksum failed is garbage, not bad input.
    const trusted = !r.ciphered || r.checksum.verified === true;
    if (r.status !== undefined && !statusKnown(r.status) && r.deciphered && !failures.length && trusted) {
      inputError = new InputError(`0x${hex2(r.status)} is a reserved status code (TS 102 225 Table 5)`, { layer: 'response packet', field: 'status', offset: p.offset + r.offsets.status });
    }
    return { kind, response: r, tree, json, failures, notes, inputError };
  }
  const hdr = parseCommandHeader(dialect, p.packet);
  const keys = resolveKeys(o, hdr.kic, hdr.kid);
  const c = parseCommand(dialect, p.packet, keys);
  const fmt = o.expanded ? 'expanded' : o.compact ? 'compact' : 'auto';
  const view = c.data ? scriptView(c.data, fmt) : { apdus: null, json: null };
  const tree = commandTree(c, view.tree ? [view.tree] : undefined, false, o);
  const json = commandJson(c, view.apdus ?? undefined, { script: view.json }, o);
  return { kind: 'command', command: c, tree, json, failures: c.failures, notes: c.notes, inputError: 'error' in view ? view.error : undefined };
}

export async function parseAuto(args: string[], o: ParseOpts, mode: ParseMode): Promise<void> {
  if (o.expanded && o.compact) throw new InputError('give --expanded or --compact, not both', { field: '--compact' });
  if (o.read !== undefined) {
    const { parseCapture } = await import('./read.js');
    return parseCapture(o.read, args, o, mode);
  }
  const inputs = hexInputs(args);
  // CAT_TP PDUs (one UDP payload per input): decoded, reassembled and verified by the CAT_TP module.
  if (looksLikeCattpPdu(inputs[0]) && (mode !== 'sms' || o.cattp)) {
    const { parseCattpInputs } = await import('./cattp.js');
    if (await parseCattpInputs(inputs, o, mode)) return;
  }
  const peeled = peel(inputs, o.cattp ? 'cattp' : mode === 'auto' ? 'auto' : 'sms');
  const hint = mode === 'por' ? 'response' : mode === 'sms' && peeled.kind === undefined ? 'command' : undefined;
  const res = parsePacket(peeled, o, hint);
  const failures = [...peeled.failures, ...res.failures];
  if (o.json) {
    printJson({ layers: [...(peeled.layerNames ?? peeled.layers.map((l) => l.name)), res.kind === 'command' ? 'command packet' : 'response packet'], ...res.json, framing: peeled.layers.map((l) => l.json), failures, verified: failures.length ? false : res.json.verified });
  } else {
    await printTree([...peeled.layers.map((l) => l.tree), res.tree, await verdictNode(failures, res.notes, (res.json.checksum as { type?: string } | undefined)?.type)], o);
  }
  if (o.pcap) {
    const { writeParsedPcap } = await import('./pcap-out.js');
    writeParsedPcap(o.pcap, peeled);
  }
  if (res.inputError) {
    process.stderr.write(`uicc-ota: ${res.inputError.message}\n`);
    process.exitCode = res.inputError.exitCode;
  } else if (failures.length) {
    process.stderr.write(`uicc-ota: verification failed: ${failures.join('; ')}\n`);
    process.exitCode = 1;
  }
}

/**
 * `parse --each`: batch mode. Every input line is an independent packet;
 * one output line per input (NDJSON with --json), exit 1 if any check failed,
 * 2 if any input was malformed — the rest of the batch still runs.
 */
export async function parseEach(args: string[], o: ParseOpts, mode: ParseMode): Promise<void> {
  const { OtaError: OtaErr } = await import('../../util/errors.js');
  const { readStdin } = await import('../input.js');
  const lines = args.length && !(args.length === 1 && args[0] === '-') ? args : readStdin().split(/\r?\n/).filter((l) => l.trim() && !l.trim().startsWith('#'));
  const out: string[] = [];
  let worst = 0;
  lines.forEach((line, i) => {
    try {
      const b = fromHex(line, `line ${i + 1}`);
      // A CAT_TP data PDU per line: its SDU must be whole (one PDU) to be parsed alone.
      const pe = looksLikeCattpPdu(b) && mode !== 'sms' ? peelCattpPdus([b]) : undefined;
      if (pe) {
        const sdu = pe.sdus[0];
        if (!sdu || !sdu.kind) {
          const d = pe.pdus[0].json;
          if (pe.failures.length) worst = Math.max(worst, 1);
          const verdict = pe.failures.length ? 'FAIL' : 'OK';
          out.push(o.json ? JSON.stringify({ format: formatTag('cattp-pdus'), line: i + 1, layers: ['CAT_TP'], type: 'cattp-pdus', dialect: 'cat_tp', hex: null, pdu: d, verified: pe.failures.length ? false : true, failures: pe.failures, notes: pe.notes })
            : `${i + 1} ${verdict} CAT_TP ${d.type} seq=${d.seq}${pe.failures.length ? ': ' + pe.failures.join('; ') : ''}`);
          return;
        }
      }
      const peeled = pe ? sduPeeled(pe, pe.sdus[0], [b]) : peel([b], o.cattp ? 'cattp' : mode === 'auto' ? 'auto' : 'sms');
      const hint = mode === 'por' ? 'response' : mode === 'sms' && peeled.kind === undefined ? 'command' : undefined;
      const res = parsePacket(peeled, o, hint);
      const failures = [...peeled.failures, ...res.failures];
      if (res.inputError) throw res.inputError;
      if (failures.length) worst = Math.max(worst, 1);
      if (o.json) out.push(JSON.stringify({ line: i + 1, layers: [...(peeled.layerNames ?? peeled.layers.map((l) => l.name)), `${res.kind} packet`], ...res.json, verified: failures.length ? false : res.json.verified }));
      else {
        const j = res.json as { tar: string; status?: { code: string } | null; checksum: { type: string; verified: boolean | null } };
        const verdict = failures.length ? 'FAIL' : j.checksum.verified === true ? 'OK' : 'UNCHECKED';
        out.push(`${i + 1} ${verdict} ${res.kind} tar=${j.tar}${j.status ? ` status=${j.status.code}` : ''} ${j.checksum.type}${failures.length ? ': ' + failures.join('; ') : ''}`);
      }
    } catch (e) {
      if (!(e instanceof OtaErr)) throw e;
      worst = Math.max(worst, e.exitCode);
      out.push(o.json ? JSON.stringify({ format: formatTag('error'), line: i + 1, error: e.message, exitCode: e.exitCode }) : `${i + 1} ERROR ${e.message}`);
    }
  });
  process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
  if (worst) process.exitCode = worst;
}

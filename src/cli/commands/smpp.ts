/**
 * `send smpp` (ESME: submit the secured SMS to an SMSC, collect the PoR).
 * Protocol logic is in src/transport/smpp/; this is options in, call, render
 * out. The npm package `smpp` is loaded by those modules only. `smsc` is in
 * smsc.ts (src/api/smsc.ts).
 */
import { InputError, NetworkError, VerifyError, OtaError } from '../../util/errors.js';
import { fromHex, toHex, hex2 } from '../../util/hex.js';
import type { TreeNode } from '../../render/tree.js';
import type { SecurityOpts } from '../../api/secured-options.js';
import type { ParseOpts } from './parse.js';
import { intOption, octet, readStdin } from '../input.js';
import { writeOut, type OutputOptions } from '../output.js';
import { parseExpectStatus, statusFailure, statusFailureLine } from '../../secured/expect-status.js';

export interface SmppConnOpts {
  host: string;
  port: string;
  systemId: string;
  password: string;
  systemType?: string;
}

export interface SendSmppCliOpts extends SecurityOpts, SmppConnOpts, OutputOptions {
  dest: string;
  destTon?: string;
  destNpi?: string;
  source?: string;
  sourceTon?: string;
  sourceNpi?: string;
  bind: 'transceiver' | 'transmitter';
  pid: string;
  dcs: string;
  registeredDelivery: string;
  timeout: string;
  wait: boolean;
  trace?: boolean;
  each?: boolean;
  concatRef: string;
  concat16?: boolean;
  compact?: boolean;
  expectStatus?: string;
}

export { password, systemId, smppAddress } from '../../api/smpp-options.js';
import { password, systemId, smppAddress } from '../../api/smpp-options.js';

/** --trace: every SMPP PDU as a tree on stderr. */
export async function stderrTrees(o: OutputOptions): Promise<(t: TreeNode) => void> {
  const color = o.color !== false && !(process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') && (Boolean(process.stderr.isTTY) || Boolean(process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0'));
  const { renderTree } = await import('../../render/text.js');
  const chalk = color ? (await import('chalk')).default : undefined;
  return (t) => {
    const s = renderTree([t], { color, bits: o.bits }, chalk);
    process.stderr.write(s.endsWith('\n') ? s : s + '\n');
  };
}

const cntr = (c: bigint | undefined) => (c === undefined ? '?' : String(c));

export async function sendSmppCommand(o: SendSmppCliOpts): Promise<void> {
  const port = intOption(o.port, '--port', 1, 65535);
  const sid = systemId(o.systemId);
  const pw = password(o.password);
  const dest = smppAddress(o.dest, o.destTon, o.destNpi, '--dest');
  const source = o.source !== undefined ? smppAddress(o.source, o.sourceTon, o.sourceNpi, '--source') : undefined;
  const pid = octet(o.pid, '--pid');
  const dcs = octet(o.dcs, '--dcs');
  const rd = intOption(o.registeredDelivery, '--registered-delivery', 0, 0x1f);
  const timeoutMs = intOption(o.timeout, '--timeout', 1, 3_600_000);
  const expect = parseExpectStatus(o.expectStatus);
  let datas: Uint8Array[] | undefined;
  let rawLines: string[] = [];
  const workAt: number[] = [];
  if (o.each) {
    if (o.apdu.length || (o.data !== undefined && o.data !== '') || o.expanded) {
      throw new InputError('with --each the secured data comes from stdin, one hex line per command: drop --apdu/--data/--expanded', { field: '--each' });
    }
    // Output line N answers input line N: blank and # lines are passed through (text) or empty (--json).
    rawLines = readStdin().split(/\r?\n/);
    if (rawLines.length && rawLines[rawLines.length - 1] === '') rawLines.pop();
    rawLines.forEach((l, k) => {
      if (l.trim() && !l.trim().startsWith('#')) workAt.push(k + 1);
    });
    if (!workAt.length) {
      if (rawLines.length) writeOut(rawLines.map((l) => (o.json ? '' : l)).join('\n'));
      return;
    }
    datas = workAt.map((n) => fromHex(rawLines[n - 1], `stdin line ${n}`));
  }
  /** The command lines' outputs put back among the pass-through lines. */
  const aligned = (out: string[]): string[] => {
    if (!o.each) return out;
    let i = 0;
    return rawLines.map((l) => (l.trim() && !l.trim().startsWith('#') ? out[i++] : o.json ? '' : l));
  };
  const { sendSmpp, loadSmpp, pduTree } = await import('../../transport/smpp/index.js');
  loadSmpp(); // exit 3 with what to install, before any counter is reserved
  const { buildForSmpp, porReader, porIdentityReader, parsePorForSmpp, printPorAsParse } = await import('./smpp-adapter.js');
  // Counters reserved here are used whatever happens next (never reused).
  const built = await buildForSmpp(o, datas);
  const trace = o.trace ? await stderrTrees(o) : undefined;
  const readers = built.commands.map((c) => porReader(c, built.keys));
  const result = await sendSmpp({
    host: o.host, port, systemId: sid, password: pw, systemType: o.systemType, bind: o.bind,
    dest, source, pid, dcs, registeredDelivery: rd, timeoutMs, wait: o.wait,
    messages: built.messages,
    // The PoR's TAR is in clear; its CNTR may be ciphered: read with the keys of the command with that TAR.
    readPor: porIdentityReader(built),
    onPdu: trace ? (l) => trace(pduTree(l.pdu, l.direction, l.session)) : undefined,
  });
  const other = () => result.unmatched.map((u) => `TAR ${toHex(u.identity.tar)} CNTR ${cntr(u.identity.counter)}${u.identity.status !== undefined ? ` status ${hex2(u.identity.status)}` : ''}`);
  const noPor = (i: number) => {
    const c = built.commands[i];
    const seen = other();
    return `SMPP waiting for the PoR: no PoR for TAR ${toHex(c.tar)} CNTR ${cntr(c.counter)} within ${timeoutMs} ms` +
      (seen.length ? `; received a PoR for another command (${seen.join('; ')})` : '') +
      (result.messages[i].interim ? '; only the status 0B PoR arrived (the complete PoR by SMS-SUBMIT did not)' : '');
  };
  for (const n of result.other) if (o.trace) process.stderr.write(`uicc-ota: note: ${n}\n`);

  if (!o.wait) {
    const lines = result.messages.map((m, i) => {
      const c = built.commands[i];
      return o.json
        ? JSON.stringify({ line: workAt[i] ?? i + 1, tar: toHex(c.tar), counter: c.counter === undefined ? null : Number(c.counter), messageIds: m.messageIds, error: m.error ?? null })
        : m.error ? `${workAt[i] ?? i + 1} ERROR ${m.error}` : `${workAt[i] ?? i + 1} SUBMITTED tar=${toHex(c.tar)} cntr=${cntr(c.counter)} message_id=${m.messageIds.join(',')}`;
    });
    if (!o.each && result.messages[0].error) throw new NetworkError(result.messages[0].error);
    writeOut(aligned(lines).join('\n'));
    if (result.messages.some((m) => m.error)) process.exitCode = 4;
    return;
  }

  if (!o.each) {
    const m = result.messages[0];
    if (m.error) throw new NetworkError(m.error);
    if (!m.por) {
      if (result.unmatched.length) throw new VerifyError(noPor(0));
      throw new NetworkError(noPor(0));
    }
    for (const n of m.notes) process.stderr.write(`uicc-ota: note: ${n}\n`);
    await printPorAsParse(m.por.uds, built.commands[0], o as unknown as ParseOpts);
    // A send fails when the card says the command failed (as cattp send does).
    const st = readers[0](m.por.uds).status;
    const refused = statusFailure(st, expect);
    if (refused && !process.exitCode) {
      process.stderr.write(`uicc-ota: ${statusFailureLine(st, refused)}\n`);
      process.exitCode = 1;
    }
    return;
  }

  // --each: one line per command, in input order (as parse --each).
  let worst = 0;
  const out: string[] = [];
  result.messages.forEach((m, i) => {
    const line = workAt[i] ?? i + 1;
    const fail = (msg: string, code: number) => {
      worst = Math.max(worst, code);
      out.push(o.json ? JSON.stringify({ line, error: msg, exitCode: code }) : `${line} ERROR ${msg}`);
    };
    if (m.error) return fail(m.error, 4);
    if (!m.por) return fail(noPor(i), result.unmatched.length ? 1 : 4);
    try {
      const res = parsePorForSmpp(m.por.uds, built.commands[i], o as unknown as ParseOpts);
      if (res.inputError) throw res.inputError;
      const failures = [...res.peeled.failures, ...res.failures];
      const st = (res.json.status as { code?: string } | null | undefined)?.code;
      const refused = statusFailure(st === undefined ? undefined : parseInt(st, 16), expect);
      if (refused) failures.push(refused);
      if (failures.length) worst = Math.max(worst, 1);
      if (o.json) out.push(JSON.stringify({ line, layers: [...(res.peeled.layerNames ?? res.peeled.layers.map((l) => l.name)), 'response packet'], ...res.json, messageIds: m.messageIds, verified: failures.length ? false : res.json.verified }));
      else {
        const j = res.json as { tar: string; status?: { code: string } | null; checksum: { type: string; verified: boolean | null } };
        const verdict = failures.length ? 'FAIL' : j.checksum.verified === true ? 'OK' : 'UNCHECKED';
        out.push(`${line} ${verdict} response tar=${j.tar}${j.status ? ` status=${j.status.code}` : ''} ${j.checksum.type}${failures.length ? ': ' + failures.join('; ') : ''}`);
      }
    } catch (e) {
      if (!(e instanceof OtaError)) throw e;
      fail(e.message, e.exitCode);
    }
  });
  const all = aligned(out);
  process.stdout.write(all.join('\n') + (all.length ? '\n' : ''));
  if (worst) {
    process.stderr.write(`uicc-ota: ${out.filter((l) => / (ERROR|FAIL) /.test(l) || /"error"|"verified":false/.test(l)).length} of ${out.length} commands failed\n`);
    process.exitCode = worst;
  }
}

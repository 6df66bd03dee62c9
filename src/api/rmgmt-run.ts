/**
 * `rfm(operation, options)` / `ram(operation, options)` in every mode of the
 * command: build (the secured packets, TS 102 225 cl. 5.1), --dry-run (the
 * script, nothing secured), --por (PoRs decoded against what was asked),
 * --card (the card simulator answers), --send pcsc|smpp|cattp (each packet
 * sent and its PoR decoded before the next goes: an OTA server stops at the
 * first failing packet) and --format scp81-scripts (SCP81 command strings,
 * TS 102 226 cl. 5.2 with the HTTPS binding of GP Amendment B).
 *
 * `runRmgmt` returns what the command prints — the `--json` object, the tree
 * or text printed without --json — and the failures that make it exit 1; the
 * CLI only maps options, calls and renders.
 */
import { formatTag } from '../util/json-format.js';
import { InputError, NetworkError, OtaError } from '../util/errors.js';
import { fromHex, hex2, toHex } from '../util/hex.js';
import { intOption } from '../util/options.js';
import { node, type TreeNode } from '../render/tree.js';
import { insName, parseCApdu } from '../remote/index.js';
import type { RemoteScript } from '../remote/script.js';
import type { Bearer, PacketPlan } from '../remote/packets.js';
import { answerTree, decodeAnswer, type ScriptAnswer } from '../remote/answer.js';
import { codedApdu, rmgmtScript, scriptBearer, scriptJson, type RamOperation, type RfmOperation, type RmgmtOptions, type ScriptMaker } from './rmgmt.js';
import { readPor, secureScript, type ScriptBuild } from './script-packets.js';
import type { Addr, PduLogEntry } from '../cattp/session.js';
import type { ApduExchange } from '../transport/pcsc/send.js';
import type { ScriptDelivery, SmppDelivery } from './script-send.js';

/** What `rfm` / `ram` print, as values. */
export interface RmgmtRun {
  /** The object `--json` prints. */
  json: Record<string, unknown>;
  /** Without --json: the tree printed (--dry-run, --show, PoR reports)… */
  tree?: TreeNode[];
  /** …or the text printed (hex lines, the scp81 serve --scripts file). */
  text?: string;
  /** The wire octets of every packet at the requested layer (build mode; none otherwise). */
  units: Uint8Array[];
  /** Failed checks (a PoR status, a verification, a command's SW): the command exits 1. */
  failures: string[];
  /** A transport failure after some packets went (exit 4): `json` / `tree` report what came back until then. */
  error?: OtaError;
}

/** Callbacks of a run with --send. */
export interface RmgmtHooks {
  /** --send cattp: the UDP address the OTA server listens on (before any card connects). */
  listening?: (address: Addr) => void;
  /** --send cattp: every CAT_TP PDU sent or received. */
  pdu?: (e: PduLogEntry) => void;
  /** --send pcsc: every APDU exchanged (what send pcsc --trace shows). */
  apdu?: (x: ApduExchange) => void;
  /** --send smpp: every SMPP PDU both ways. */
  smppPdu?: NonNullable<SmppDelivery['onPdu']>;
  /** Transport state changes and remarks. */
  trace?: (line: string) => void;
  /** Stops a --send cattp server waiting for the card. */
  signal?: AbortSignal;
}

interface Outcome {
  packet: number;
  status: string;
  statusName?: string;
  verified: boolean | null;
  failures: string[];
  answer?: ScriptAnswer;
  tree: TreeNode[];
}

type Built = ScriptBuild & { script: RemoteScript };

/** Run `rfm OP` / `ram OP` with the command's options (camelCase); see RmgmtRun. Bad input throws before any counter is reserved. */
export async function runRmgmt(kind: 'rfm' | 'ram', op: string, options: RmgmtOptions, hooks: RmgmtHooks = {}): Promise<RmgmtRun> {
  const s = await rmgmtScript(kind, op, options);
  const o = s.opts;
  const { bearer, extra } = scriptBearer(o);
  const modes = [o.dryRun && '--dry-run', o.por !== undefined && '--por', o.card !== undefined && '--card', o.send !== undefined && '--send'].filter(Boolean);
  if (modes.length > 1) throw new InputError(`give only one of ${modes.join(', ')}`, { field: String(modes[1]) });
  if (bearer.kind === 'https') {
    if (o.send !== undefined) throw new InputError('with --format scp81-scripts the scripts go out by scp81 serve --scripts', { field: '--send' });
    return runScp81(o, bearer, extra, s.make);
  }
  if (o.send === undefined) {
    const given = ([[o.reader, '--reader'], [o.cla, '--cla'], [o.terminalProfile, '--terminal-profile'], [o.selectAdf, '--select-adf'], [o.proactiveResult, '--proactive-result'], [o.trace, '--trace'],
      [o.host, '--host'], [o.port, '--port'], [o.systemId, '--system-id'], [o.password, '--password'], [o.dest, '--dest'], [o.source, '--source'], [o.timeout, '--timeout']] as const).find(([v]) => v !== undefined && v !== false);
    if (given) throw new InputError('is a transport option: give --send pcsc|smpp|cattp', { field: given[1] });
  }
  // The transport is checked (options, binding) before any counter is reserved.
  const via = o.send !== undefined ? await deliveryOf(o, bearer, hooks) : undefined;
  const dry = Boolean(o.dryRun || o.por !== undefined);
  const format = via ? { pcsc: 'envelope', smpp: 'ud', cattp: 'packet' }[via.kind] : o.format;
  const adapter = { ...o, apdu: o.apdu ?? [], counter: String(o.counter ?? '0'), paddingByte: o.paddingByte ?? '00', bearer, format };
  if (via?.kind === 'cattp') {
    // The next packet goes once the PoR of the one before came (TS 102 225 cl. 5.1.1): checked before any counter is reserved.
    const plan = await secureScript(adapter, s.defaultTar, extra, true, s.make);
    if (plan.plans.length > 1 && (parseInt(plan.spi.slice(2), 16) & 3) !== 1) {
      throw new InputError(`--send cattp pushes each packet after the PoR of the one before: a script of ${plan.plans.length} packets needs an SPI asking for a PoR (second octet b2b1 = 01, e.g. 1621)`, { field: '--spi' });
    }
  }
  const b = await secureScript(adapter, s.defaultTar, extra, dry, s.make);

  if (via) return sendRun(b, via, o);
  if (o.dryRun) return { json: scriptJson(b, bearer, o, true), tree: [scriptTree(b, true, o)], units: [], failures: [] };
  if (o.por !== undefined) {
    const pors = porLines(o.por);
    if (pors.length > b.plans.length) throw new InputError(`${pors.length} PoRs for a script of ${b.plans.length} packet${b.plans.length > 1 ? 's' : ''}`, { field: '--por' });
    // N PoRs answer the last N packets (usually: the one PoR of a one-packet script).
    const first = b.plans.length - pors.length;
    const outs: Outcome[] = [];
    for (let i = 0; i < pors.length; i++) outs.push(await decodePor(b, first + i, pors[i], o));
    return report(outs);
  }
  if (o.card !== undefined) return cardRun(b, o);
  const units = b.frames.flat();
  return { json: scriptJson(b, bearer, o, false), tree: o.show ? [scriptTree(b, false, o)] : undefined, text: units.map(toHex).join('\n'), units, failures: [] };
}

/** `uicc-ota rfm read|update|select` as a call (TS 102 226 clause 6): the object `--json` prints, plus `units`. A failed check does not throw: see `pors[].failures`. */
export async function rfm(operation: RfmOperation, options: RmgmtOptions, hooks?: RmgmtHooks): Promise<RmgmtResult> {
  return result(await runRmgmt('rfm', operation, options, hooks));
}

/** `uicc-ota ram load|install|delete|status|put-key` as a call (TS 102 226 clause 8): as `rfm`. */
export async function ram(operation: RamOperation, options: RmgmtOptions, hooks?: RmgmtHooks): Promise<RmgmtResult> {
  return result(await runRmgmt('ram', operation, options, hooks));
}

/** The result of `rfm` / `ram`: the `--json` object plus the wire octets of every packet at the requested layer (none for a dry run or a PoR report). */
export type RmgmtResult = Record<string, unknown> & { units: Uint8Array[] };

function result(r: RmgmtRun): RmgmtResult {
  if (r.error) throw r.error;
  return { ...r.json, units: r.units };
}

// ------------------------------------------------------------------ trees and PoRs

function scriptTree(b: Built, dry: boolean, o: RmgmtOptions): TreeNode {
  const packets = b.plans.map((p, i) => {
    const counter = b.packets[i] ? `CNTR ${b.packets[i].counter}` : 'counter not reserved';
    return node(`Packet ${i + 1}`, `${p.data.length} octets of secured data, ${counter}`, p.steps.map((st) => {
      const a = parseCApdu(st.apdu, 'C-APDU');
      return node(st.title, `${insName(a) ?? hex2(a.ins)} ${toHex(st.apdu.subarray(0, 4))}`, undefined, { hex: codedApdu(st.apdu, o) });
    }));
  });
  return node(`${b.script.kind.toUpperCase()} ${b.script.operation}`, `${b.plans.length} packet${b.plans.length > 1 ? 's' : ''}, TAR ${toHex(b.tar)}, SPI ${b.spi}, KIc ${hex2(b.kic)}, KID ${hex2(b.kid)}${dry ? ' (dry run: nothing secured)' : ''}`,
    [...b.script.notes.map((n) => node('Note', n)), ...packets]);
}

/** Non-empty lines that are not comments. */
function textLines(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

function porLines(text: string): Uint8Array[] {
  const lines = textLines(text);
  if (!lines.length) throw new InputError('no PoR given', { field: '--por' });
  return lines.map((l, i) => fromHex(l, lines.length > 1 ? `--por line ${i + 1}` : '--por'));
}

async function decodePor(b: ScriptBuild, planIndex: number, por: Uint8Array | Uint8Array[], o: RmgmtOptions): Promise<Outcome> {
  const r = await readPor(por, b, o);
  const resp = r.response!;
  const failures = [...r.failures];
  const status = resp.status ?? 0xff;
  if (status !== 0) failures.push(`PoR status ${hex2(status)}`);
  let answer: ScriptAnswer | undefined;
  if (resp.data && resp.data.length) {
    answer = decodeAnswer(resp.data, b.plans[planIndex].steps);
    if (!answer.ok) failures.push(`packet ${planIndex + 1}: ${answer.problem}`);
  }
  return {
    packet: planIndex + 1, status: hex2(status), statusName: (r.json as { status?: { name?: string } }).status?.name,
    verified: failures.length ? false : resp.checksum.verified ?? null, failures, answer,
    tree: [r.tree, ...(answer ? [answerTree(answer)] : [])],
  };
}

/** The PoR report (`rmgmt-pors`): `packets` the packets of the script (of a build; SCP81: the scripts), the outcome of each packet answered. */
function report(outs: Outcome[], b?: ScriptBuild, scripts?: number, error?: OtaError): RmgmtRun {
  const packets = b ? b.packets.length : scripts;
  const json = {
    format: formatTag('rmgmt-pors'), ...(scripts !== undefined ? { bearer: 'https' } : {}), ...(packets !== undefined ? { packets } : {}),
    pors: outs.map((x) => ({ packet: x.packet, status: x.status, statusName: x.statusName, verified: x.verified, failures: x.failures, answer: x.answer ?? null })),
  };
  const tree = outs.flatMap((x) => (outs.length > 1 ? [node(`PoR of packet ${x.packet}`, `status ${x.status}`, x.tree, { status: x.failures.length ? 'fail' : 'ok' })] : x.tree));
  return { json, tree, units: [], failures: outs.flatMap((x) => x.failures), error };
}

/** SMS-PP PoR packet as the user data `02 71 00 …` that `parse` recognises. */
function smsPorUd(packet: Uint8Array): Uint8Array {
  return Uint8Array.from([0x02, 0x71, 0x00, ...packet]);
}

// ------------------------------------------------------------------ --card

async function cardRun(b: Built, o: RmgmtOptions): Promise<RmgmtRun> {
  const { processWithState } = await import('../card/process.js');
  const outs: Outcome[] = [];
  for (let i = 0; i < b.packets.length; i++) {
    const r = await processWithState({ card: o.card!, state: o.cardState }, b.packets[i].bytes, b.dialect);
    const p = r.porPacket;
    if (!p) {
      outs.push({ packet: i + 1, status: hex2(r.status), statusName: r.statusName, verified: null, failures: r.status ? [`packet ${i + 1}: status ${hex2(r.status)} ${r.statusName}, no PoR`] : [], tree: [node(`Packet ${i + 1}`, `no PoR (status ${hex2(r.status)} ${r.statusName})`)] });
    } else {
      // The complete PoR (status 0B: the one sent by SMS-SUBMIT).
      const full = r.pors[r.pors.length - 1].packet;
      outs.push(await decodePor(b, i, b.dialect.name === 'cat_tp' ? full : smsPorUd(full), o));
    }
    if (outs[outs.length - 1].failures.length) break; // an OTA server stops at the first failing packet
  }
  return report(outs, b);
}

// ------------------------------------------------------------------ --send

/** The transport of --send, checked before anything is secured (exit 2 bad option, 3 transport not installed). */
async function deliveryOf(o: RmgmtOptions, bearer: Bearer, hooks: RmgmtHooks): Promise<ScriptDelivery> {
  if (o.send === 'cattp') {
    if (bearer.kind !== 'cattp') throw new InputError('--send cattp carries CAT_TP packets: use --bearer cattp', { field: '--bearer' });
  } else if (bearer.kind !== 'sms') throw new InputError('--send pcsc|smpp carries SMS-PP: use --bearer sms (CAT_TP: --send cattp)', { field: '--bearer' });
  if (o.format !== undefined) throw new InputError('--send frames the packets itself (ENVELOPEs for pcsc, SMS user data for smpp, SDUs for cattp): drop --format', { field: '--format' });
  const timeoutMs = o.timeout !== undefined ? intOption(o.timeout, '--timeout', 1, 3_600_000) : undefined;
  const smppOnly = [[o.systemId, '--system-id'], [o.password, '--password'], [o.dest, '--dest'], [o.source, '--source']] as const;
  if (o.send === 'pcsc') {
    for (const [v, f] of [[o.host, '--host'], [o.port, '--port'], ...smppOnly] as const) {
      if (v !== undefined) throw new InputError(`is an ${f === '--host' || f === '--port' ? 'SMPP / CAT_TP option (--send smpp|cattp)' : 'SMPP option (--send smpp)'}`, { field: f });
    }
    // The terminal options of send pcsc, checked as it checks them.
    const { preparePcsc } = await import('./pcsc-options.js');
    const t = await preparePcsc({ cla: o.cla, timeout: timeoutMs, terminalProfile: o.terminalProfile, selectAdf: o.selectAdf, proactiveResult: o.proactiveResult });
    const { loadBinding } = await import('../transport/pcsc/binding.js');
    loadBinding();
    return { kind: 'pcsc', reader: o.reader, timeoutMs: t.timeoutMs, cla: t.cla, terminalProfile: t.terminalProfile, selectAdf: t.selectAdf, proactiveResult: t.proactiveResult, onApdu: hooks.apdu };
  }
  if (o.send !== 'smpp' && o.send !== 'cattp') throw new InputError(`"${o.send}": pcsc, smpp or cattp`, { field: '--send' });
  for (const [v, f] of [[o.reader, '--reader'], [o.cla, '--cla'], [o.terminalProfile, '--terminal-profile'], [o.selectAdf, '--select-adf'], [o.proactiveResult, '--proactive-result']] as const) {
    if (v !== undefined && v !== false) throw new InputError('is a PC/SC option (--send pcsc)', { field: f });
  }
  if (o.send === 'cattp') {
    for (const [v, f] of smppOnly) if (v !== undefined) throw new InputError('is an SMPP option (--send smpp)', { field: f });
    // The CAT_TP session numbers and addresses the PDUs itself (TS 102 127 cl. 5.2).
    for (const [v, f] of [[o.seq, '--seq'], [o.ack, '--ack'], [o.window, '--window'], [o.srcPort, '--src-port'], [o.dstPort, '--dst-port'], [o.maxPdu, '--max-pdu']] as const) {
      if (v !== undefined) throw new InputError('the CAT_TP session sets it with --send cattp (the card announces its sizes in its SYN)', { field: f });
    }
    if (o.port === undefined) throw new InputError('missing: the UDP port to listen on for the card (--port N; 0: a free port, printed on stderr) for --send cattp', { field: '--port' });
    return {
      kind: 'cattp', host: o.host ?? '127.0.0.1', port: intOption(o.port, '--port', 0, 65535), timeoutMs: timeoutMs ?? 60000,
      onListening: hooks.listening, onPdu: hooks.pdu, onTrace: hooks.trace, signal: hooks.signal,
    };
  }
  if (o.port === undefined) throw new InputError('missing: the SMSC port (--port N) for --send smpp', { field: '--port' });
  if (o.systemId === undefined) throw new InputError('missing: the SMPP system_id (--system-id ID) for --send smpp', { field: '--system-id' });
  if (o.dest === undefined) throw new InputError('missing: the card\'s MSISDN (--dest) for --send smpp', { field: '--dest' });
  const { password, systemId, smppAddress } = await import('./smpp-options.js');
  const { loadSmpp } = await import('../transport/smpp/index.js');
  const via: ScriptDelivery = {
    kind: 'smpp', host: o.host ?? '127.0.0.1', port: intOption(o.port, '--port', 1, 65535), systemId: systemId(o.systemId), password: password(o.password),
    dest: smppAddress(o.dest, undefined, undefined, '--dest'), source: o.source !== undefined ? smppAddress(o.source, undefined, undefined, '--source') : undefined, timeoutMs: timeoutMs ?? 10000,
    onPdu: hooks.smppPdu,
  };
  loadSmpp(); // exit 3 with what to install, before any counter is reserved
  return via;
}

async function sendRun(b: Built, via: ScriptDelivery, o: RmgmtOptions): Promise<RmgmtRun> {
  const { sendScriptPackets } = await import('./script-send.js');
  const outs: Outcome[] = [];
  try {
    await sendScriptPackets(b.packets, b.frames, b.keys, via, async (sent) => {
      let out: Outcome;
      if (!sent.porUds) {
        const failed = b.packets[sent.packet - 1].spi.porRequest === 'required';
        out = { packet: sent.packet, status: 'FF', statusName: 'no PoR', verified: null, failures: failed ? [`packet ${sent.packet}: ${sent.notes.join('; ') || 'no PoR'}`] : [], tree: [node(`Packet ${sent.packet}`, `no PoR (${sent.notes.join('; ')})`)] };
      } else {
        out = await decodePor(b, sent.packet - 1, sent.porUds, o);
        const head = sent.pcsc
          ? `${sent.pcsc.reader}${sent.pcsc.atr ? `, ATR ${toHex(sent.pcsc.atr)}` : ''}, PoR by ${sent.via === 'submit' ? 'SEND SHORT MESSAGE (SMS-SUBMIT)' : 'ENVELOPE response (SMS-DELIVER-REPORT)'}`
          : sent.cattp
            ? `PoR SDU on the CAT_TP session with UDP ${sent.cattp.remote.address}:${sent.cattp.remote.port}${sent.cattp.identification ? ` (identification ${sent.cattp.identification})` : ''}`
            : 'PoR in a deliver_sm';
        out.tree = [node(`Packet ${sent.packet} via ${via.kind}`, head, sent.notes.map((n) => node('Note', n))), ...out.tree];
      }
      outs.push(out);
      return out.failures.length === 0; // an OTA server stops at the first failing packet
    });
  } catch (e) {
    if (!(e instanceof OtaError)) throw e;
    if (!outs.length) throw e;
    return report(outs, b, undefined, e);
  }
  if (!outs.length) throw new NetworkError('no packet was sent', { layer: via.kind.toUpperCase() });
  return report(outs, b);
}

// ------------------------------------------------------------------ SCP81 (HTTPS)

/**
 * --format scp81-scripts: the script as SCP81 command strings (expanded
 * format, indefinite length: TS 102 226 cl. 5.2 and the HTTPS binding of
 * GP Amendment B), in the JSON file `scp81 serve --scripts` reads. Nothing
 * is secured here (PSK-TLS secures the session) and no counter is used.
 * With --por: the response strings (hex, or the JSON lines of `scp81 serve
 * --responses`) decoded against what was asked.
 */
async function runScp81(o: RmgmtOptions, bearer: Bearer, extra: Uint8Array[], make: ScriptMaker): Promise<RmgmtRun> {
  if (o.card !== undefined) throw new InputError('with --format scp81-scripts the card is reached by HTTPS: run scp81 serve --scripts FILE and scp81 agent --card CARD.json', { field: '--card' });
  if (o.show) throw new InputError('use --dry-run to see the script as a tree', { field: '--show' });
  const { planPackets, bearerFits } = await import('../remote/packets.js');
  const { encodeCommandScript } = await import('../remote/index.js');
  const opt = (v: string | undefined, f: string) => (v === undefined ? undefined : fromHex(v, f));
  const scriptOpts = {
    format: 'expanded' as const, indefinite: true,
    immediateAction: opt(o.immediateAction, '--immediate-action'), errorAction: opt(o.errorAction, '--error-action'), scriptChaining: opt(o.scriptChaining, '--script-chaining'),
  };
  // The sizer measures the command string itself (what goes in the HTTP response body): --max-script, else no limit.
  const sizer = bearerFits(bearer);
  let script: RemoteScript;
  let plans: PacketPlan[];
  try {
    script = make({ sizer, script: scriptOpts });
    plans = planPackets(script, extra, scriptOpts, sizer, bearer);
  } catch (e) {
    // Nothing is secured here: the only limit is --max-script.
    if (e instanceof InputError && e.where.field === '--bearer') throw new InputError(e.detail.replace(' with this SPI/KIc/KID', ''), { ...e.where, field: '--max-script' });
    throw e;
  }
  const agent = o.scp81Agent ?? '*';
  const label = `${script.kind.toUpperCase()} ${script.operation}`;
  if (o.dryRun) {
    const json = { format: formatTag('rmgmt-script'), operation: `${script.kind} ${script.operation}`, dryRun: true, bearer: 'https', notes: script.notes, packets: plans.map((p) => ({ apdus: p.steps.map((st) => toHex(st.apdu)), steps: p.steps.map((st) => st.title), data: toHex(p.data) })) };
    const tree = [node(label, `${plans.length} SCP81 command string${plans.length > 1 ? 's' : ''} for agent "${agent}" (dry run)`, [
      ...script.notes.map((n) => node('Note', n)),
      ...plans.map((p, i) => node(`Script ${i + 1}`, `${p.data.length} octets`, p.steps.map((st) => {
        const a = parseCApdu(st.apdu, 'C-APDU');
        return node(st.title, `${insName(a) ?? hex2(a.ins)} ${toHex(st.apdu.subarray(0, 4))}`, undefined, { hex: toHex(st.apdu) });
      }))),
    ])];
    return { json, tree, units: [], failures: [] };
  }
  if (o.por !== undefined) {
    const responses = responseStrings(o.por);
    if (responses.length > plans.length) throw new InputError(`${responses.length} response strings for ${plans.length} script${plans.length > 1 ? 's' : ''}`, { field: '--por' });
    const first = plans.length - responses.length;
    const outs: Outcome[] = responses.map((r, i) => {
      const plan = plans[first + i];
      let answer: ScriptAnswer;
      try {
        answer = decodeAnswer(r, plan.steps);
      } catch (e) {
        if (e instanceof InputError) throw new InputError(e.detail, { ...e.where, field: responses.length > 1 ? `--por line ${i + 1}` : '--por' });
        throw e;
      }
      const failures = answer.ok ? [] : [`script ${first + i + 1}: ${answer.problem}`];
      return {
        packet: first + i + 1, status: '00', statusName: 'response string received (SCP81: no PoR, PSK-TLS secured the session)', verified: null, failures, answer,
        tree: [node(`Response string ${first + i + 1}`, `${r.length} octets`, undefined, { hex: toHex(r) }), answerTree(answer)],
      };
    });
    return report(outs, undefined, plans.length);
  }
  // Reuse encodeCommandScript so that the file holds exactly what planPackets measured.
  const scripts = plans.map((p) => toHex(encodeCommandScript(p.steps.map((st) => st.apdu), scriptOpts)));
  const json = { [agent]: scripts };
  return { json, text: JSON.stringify(json, null, 2), units: [], failures: [] };
}

/** Response strings (Response Scripting template AB/AF): hex lines, or JSON lines with "response" as `scp81 serve --responses` writes them. */
function responseStrings(text: string): Uint8Array[] {
  const lines = textLines(text);
  if (!lines.length) throw new InputError('no response string given', { field: '--por' });
  return lines.map((l, i) => {
    const field = lines.length > 1 ? `--por line ${i + 1}` : '--por';
    if (!l.startsWith('{')) return fromHex(l, field);
    let j: unknown;
    try {
      j = JSON.parse(l);
    } catch (e) {
      throw new InputError(`not valid JSON: ${(e as Error).message}`, { field });
    }
    const r = (j as { response?: unknown }).response;
    if (typeof r !== 'string') throw new InputError('a JSON line needs "response" (hex), as scp81 serve --responses writes', { field });
    return fromHex(r, `${field} response`);
  });
}

/**
 * `rfm read|update|select` and `ram load|install|delete|status|put-key`:
 * remote management scripts (TS 102 226) secured like `build sms` / `build
 * cattp`, cut into packets that fit the bearer (one counter per packet),
 * printed at the requested layer, or answered by the card simulator
 * (--card), or — with --por — the PoR decoded against what was asked.
 */
import { formatTag } from '../../util/json-format.js';
import { InputError, VerifyError } from '../../util/errors.js';
import { fromHex, hex2, toHex } from '../../util/hex.js';
import { node, type TreeNode } from '../../render/tree.js';
import { insName, parseCApdu, toCompactTpdu } from '../../remote/index.js';
import type { RemoteScript } from '../../remote/script.js';
import type { Bearer } from '../../remote/packets.js';
import { answerTree, decodeAnswer, type ScriptAnswer } from '../../remote/answer.js';
import { intOption, readStdin } from '../input.js';
import { printJson, printTree, writeOut, type OutputOptions } from '../output.js';
import { DEFAULT_TARS, rmgmtScript, scriptBearer, scriptJson, type RmgmtOptions } from '../../api/rmgmt.js';
import { readPor, secureScript, type ScriptBuild } from './rmgmt-adapter.js';

export interface RmgmtOpts extends RmgmtOptions, OutputOptions {
  counter: string;
  paddingByte: string;
}

export { DEFAULT_TARS };

export async function rfmCommand(op: 'read' | 'update' | 'select', o: RmgmtOpts): Promise<void> {
  const s = await rmgmtScript('rfm', op, o);
  await run({ ...o, data: undefined }, s.defaultTar, s.make);
}

export async function ramCommand(op: 'load' | 'install' | 'delete' | 'status' | 'put-key', o: RmgmtOpts): Promise<void> {
  const s = await rmgmtScript('ram', op, o);
  await run(o, s.defaultTar, s.make);
}

// ------------------------------------------------------------------ common

/** A step's C-APDU as coded in the script: compact = T=0 TPDU (case 4 without Le), expanded = ISO form. */
function coded(apdu: Uint8Array, o: RmgmtOpts): string {
  return toHex(o.expanded ? apdu : toCompactTpdu(parseCApdu(apdu, 'C-APDU')));
}

function scriptTree(b: ScriptBuild & { script: RemoteScript }, dry: boolean, o: RmgmtOpts): TreeNode {
  const packets = b.plans.map((p, i) => {
    const counter = b.packets[i] ? `CNTR ${b.packets[i].counter}` : 'counter not reserved';
    return node(`Packet ${i + 1}`, `${p.data.length} octets of secured data, ${counter}`, p.steps.map((s) => {
      const a = parseCApdu(s.apdu, 'C-APDU');
      return node(s.title, `${insName(a) ?? hex2(a.ins)} ${toHex(s.apdu.subarray(0, 4))}`, undefined, { hex: coded(s.apdu, o) });
    }));
  });
  return node(`${b.script.kind.toUpperCase()} ${b.script.operation}`, `${b.plans.length} packet${b.plans.length > 1 ? 's' : ''}, TAR ${toHex(b.tar)}, SPI ${b.spi}, KIc ${hex2(b.kic)}, KID ${hex2(b.kid)}${dry ? ' (dry run: nothing secured)' : ''}`,
    [...b.script.notes.map((n) => node('Note', n)), ...packets]);
}

function porLines(arg: string): Uint8Array[] {
  const text = arg === '-' ? readStdin() : arg;
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (!lines.length) throw new InputError('no PoR given', { field: '--por' });
  return lines.map((l, i) => fromHex(l, lines.length > 1 ? `--por line ${i + 1}` : '--por'));
}

interface PorOutcome {
  packet: number;
  status: string;
  statusName?: string;
  verified: boolean | null;
  failures: string[];
  answer?: ScriptAnswer;
  tree: TreeNode[];
}

async function decodePor(b: ScriptBuild, planIndex: number, por: Uint8Array | Uint8Array[], o: RmgmtOpts): Promise<PorOutcome> {
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

async function run(o: RmgmtOpts, defaultTar: string, make: Parameters<typeof secureScript>[4]): Promise<void> {
  const { bearer, extra } = scriptBearer(o);
  const modes = [o.dryRun && '--dry-run', o.por !== undefined && '--por', o.card && '--card', o.send && '--send'].filter(Boolean);
  if (modes.length > 1) throw new InputError(`give only one of ${modes.join(', ')}`, { field: String(modes[1]) });
  if (bearer.kind === 'https') {
    if (o.send) throw new InputError('with --format scp81-scripts the scripts go out by scp81 serve --scripts', { field: '--send' });
    return runScp81(o, bearer, extra, make);
  }
  // The transport is checked (options, binding) before any counter is reserved.
  const via = o.send ? await deliveryOf(o, bearer) : undefined;
  const dry = Boolean(o.dryRun || o.por !== undefined);
  const format = via ? (via.kind === 'pcsc' ? 'envelope' : 'ud') : o.format;
  const b = await secureScript({ ...o, apdu: o.apdu ?? [], bearer, format }, defaultTar, extra, dry, make);

  if (via) {
    const { sendScriptPackets } = await import('../../api/script-send.js');
    const outs: PorOutcome[] = [];
    try {
      await sendScriptPackets(b.packets, b.frames, b.keys, via, async (sent) => {
        let out: PorOutcome;
        if (!sent.porUds) {
          const failed = b.packets[sent.packet - 1].spi.porRequest === 'required';
          out = { packet: sent.packet, status: 'FF', statusName: 'no PoR', verified: null, failures: failed ? [`packet ${sent.packet}: ${sent.notes.join('; ') || 'no PoR'}`] : [], tree: [node(`Packet ${sent.packet}`, `no PoR (${sent.notes.join('; ')})`)] };
        } else {
          out = await decodePor(b, sent.packet - 1, sent.porUds, o);
          const head = sent.pcsc ? `${sent.pcsc.reader}${sent.pcsc.atr ? `, ATR ${toHex(sent.pcsc.atr)}` : ''}, PoR by ${sent.via === 'submit' ? 'SEND SHORT MESSAGE (SMS-SUBMIT)' : 'ENVELOPE response (SMS-DELIVER-REPORT)'}` : 'PoR in a deliver_sm';
          out.tree = [node(`Packet ${sent.packet} via ${via.kind}`, head, sent.notes.map((n) => node('Note', n))), ...out.tree];
        }
        outs.push(out);
        return out.failures.length === 0; // an OTA server stops at the first failing packet
      });
    } catch (e) {
      if (outs.length) await report(outs, o, b).catch(() => undefined);
      throw e;
    }
    await report(outs, o, b);
    return;
  }

  if (o.dryRun) {
    if (o.json) printJson(scriptJson(b, bearer, o, true));
    else await printTree([scriptTree(b, true, o)], o);
    return;
  }

  if (o.por !== undefined) {
    const pors = porLines(o.por);
    if (pors.length > b.plans.length) throw new InputError(`${pors.length} PoRs for a script of ${b.plans.length} packet${b.plans.length > 1 ? 's' : ''}`, { field: '--por' });
    // N PoRs answer the last N packets (usually: the one PoR of a one-packet script).
    const first = b.plans.length - pors.length;
    const outs: PorOutcome[] = [];
    for (let i = 0; i < pors.length; i++) outs.push(await decodePor(b, first + i, pors[i], o));
    await report(outs, o);
    return;
  }

  if (o.card) {
    const { processWithState } = await import('./card.js');
    const outs: PorOutcome[] = [];
    for (let i = 0; i < b.packets.length; i++) {
      const r = await processWithState({ card: o.card, state: o.cardState }, b.packets[i].bytes, b.dialect);
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
    await report(outs, o, b);
    return;
  }

  const lines = b.frames.flat().map(toHex);
  if (o.json) {
    printJson(scriptJson(b, bearer, o, false));
  } else if (o.show) {
    await printTree([scriptTree(b, false, o)], o);
  } else writeOut(lines.join('\n'));
}

/** SMS-PP PoR packet as the user data `02 71 00 …` that `parse` recognises. */
function smsPorUd(packet: Uint8Array): Uint8Array {
  return Uint8Array.from([0x02, 0x71, 0x00, ...packet]);
}

async function report(outs: PorOutcome[], o: RmgmtOpts, b?: ScriptBuild, scripts?: number): Promise<void> {
  const failures = outs.flatMap((x) => x.failures);
  if (o.json) {
    printJson({ format: formatTag('rmgmt-pors'), ...(scripts !== undefined ? { bearer: 'https' } : {}), packets: b ? b.packets.length : scripts, pors: outs.map((x) => ({ packet: x.packet, status: x.status, statusName: x.statusName, verified: x.verified, failures: x.failures, answer: x.answer ?? null })) });
  } else {
    const trees = outs.flatMap((x) => (outs.length > 1 ? [node(`PoR of packet ${x.packet}`, `status ${x.status}`, x.tree, { status: x.failures.length ? 'fail' : 'ok' })] : x.tree));
    await printTree(trees, o);
  }
  if (failures.length) throw new VerifyError(failures.join('; '));
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
async function runScp81(o: RmgmtOpts, bearer: Bearer, extra: Uint8Array[], make: Parameters<typeof secureScript>[4]): Promise<void> {
  if (o.card) throw new InputError('with --format scp81-scripts the card is reached by HTTPS: run scp81 serve --scripts FILE and scp81 agent --card CARD.json', { field: '--card' });
  if (o.show) throw new InputError('use --dry-run to see the script as a tree', { field: '--show' });
  const { planPackets } = await import('../../remote/packets.js');
  const { encodeCommandScript } = await import('../../remote/index.js');
  const opt = (v: string | undefined, f: string) => (v === undefined ? undefined : fromHex(v, f));
  const scriptOpts = {
    format: 'expanded' as const, indefinite: true,
    immediateAction: opt(o.immediateAction, '--immediate-action'), errorAction: opt(o.errorAction, '--error-action'), scriptChaining: opt(o.scriptChaining, '--script-chaining'),
  };
  const always = () => true;
  const script = make({ sizer: always, script: scriptOpts });
  const plans = planPackets(script, extra, scriptOpts, always, bearer);
  const agent = o.scp81Agent ?? '*';
  const label = `${script.kind.toUpperCase()} ${script.operation}`;
  if (o.dryRun) {
    if (o.json) printJson({ format: formatTag('rmgmt-script'), operation: `${script.kind} ${script.operation}`, dryRun: true, bearer: 'https', notes: script.notes, packets: plans.map((p) => ({ apdus: p.steps.map((st) => toHex(st.apdu)), steps: p.steps.map((st) => st.title), data: toHex(p.data) })) });
    else {
      await printTree([node(label, `${plans.length} SCP81 command string${plans.length > 1 ? 's' : ''} for agent "${agent}" (dry run)`, [
        ...script.notes.map((n) => node('Note', n)),
        ...plans.map((p, i) => node(`Script ${i + 1}`, `${p.data.length} octets`, p.steps.map((st) => {
          const a = parseCApdu(st.apdu, 'C-APDU');
          return node(st.title, `${insName(a) ?? hex2(a.ins)} ${toHex(st.apdu.subarray(0, 4))}`, undefined, { hex: toHex(st.apdu) });
        }))),
      ])], o);
    }
    return;
  }
  if (o.por !== undefined) {
    const responses = responseStrings(o.por);
    if (responses.length > plans.length) throw new InputError(`${responses.length} response strings for ${plans.length} script${plans.length > 1 ? 's' : ''}`, { field: '--por' });
    const first = plans.length - responses.length;
    const outs: PorOutcome[] = responses.map((r, i) => {
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
    await report(outs, o, undefined, plans.length);
    return;
  }
  // Reuse encodeCommandScript so that the file holds exactly what planPackets measured.
  const scripts = plans.map((p) => toHex(encodeCommandScript(p.steps.map((st) => st.apdu), scriptOpts)));
  writeOut(JSON.stringify({ [agent]: scripts }, null, 2));
}

/** Response strings (Response Scripting template AB/AF): hex lines, or JSON lines with "response" as `scp81 serve --responses` writes them. */
function responseStrings(arg: string): Uint8Array[] {
  const text = arg === '-' ? readStdin() : arg;
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
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

// ------------------------------------------------------------------ --send

/** The transport of --send, checked before anything is secured (exit 2 bad option, 3 transport not installed). */
async function deliveryOf(o: RmgmtOpts, bearer: Bearer) {
  if (bearer.kind !== 'sms') throw new InputError('--send pcsc|smpp carries SMS-PP: use --bearer sms (CAT_TP goes by cattp send)', { field: '--bearer' });
  if (o.format !== undefined) throw new InputError('--send frames the packets itself (ENVELOPEs for pcsc, SMS user data for smpp): drop --format', { field: '--format' });
  const timeoutMs = o.timeout !== undefined ? intOption(o.timeout, '--timeout', 1, 3_600_000) : undefined;
  if (o.send === 'pcsc') {
    for (const [v, f] of [[o.host, '--host'], [o.port, '--port'], [o.systemId, '--system-id'], [o.dest, '--dest'], [o.source, '--source']] as const) {
      if (v !== undefined) throw new InputError('is an SMPP option (--send smpp)', { field: f });
    }
    const { loadBinding } = await import('../../transport/pcsc/binding.js');
    loadBinding();
    return { kind: 'pcsc' as const, reader: o.reader, timeoutMs };
  }
  if (o.send !== 'smpp') throw new InputError(`"${o.send}": pcsc or smpp`, { field: '--send' });
  if (o.reader !== undefined) throw new InputError('is a PC/SC option (--send pcsc)', { field: '--reader' });
  if (o.port === undefined) throw new InputError('missing: the SMSC port (--port N) for --send smpp', { field: '--port' });
  if (o.systemId === undefined) throw new InputError('missing: the SMPP system_id (--system-id ID) for --send smpp', { field: '--system-id' });
  if (o.dest === undefined) throw new InputError('missing: the card\'s MSISDN (--dest) for --send smpp', { field: '--dest' });
  const { password, systemId, smppAddress } = await import('../../api/smpp-options.js');
  const { loadSmpp } = await import('../../transport/smpp/index.js');
  const via = {
    kind: 'smpp' as const, host: o.host ?? '127.0.0.1', port: intOption(o.port, '--port', 1, 65535), systemId: systemId(o.systemId), password: password(o.password),
    dest: smppAddress(o.dest, undefined, undefined, '--dest'), source: o.source !== undefined ? smppAddress(o.source, undefined, undefined, '--source') : undefined, timeoutMs: timeoutMs ?? 10000,
  };
  loadSmpp(); // exit 3 with what to install, before any counter is reserved
  return via;
}

/**
 * "Execution" of a remote command script (TS 102 226 cl. 5) by the simulated
 * card: the C-APDUs are not run, each gets the SW configured for it in
 * CARD.json; the script stops at the first failing command (TS 102 226
 * cl. 5.1.2) and the response is built in the script's format.
 */
import { OtaError } from '../util/errors.js';
import { hex4, toHex } from '../util/hex.js';
import {
  TAG, compactResponse, compactScript, expandedResponse, insDirection, parseCApdu,
  type RApdu, type ScriptApdu,
} from '../remote/index.js';
import { INDEFINITE, readHeader, readTlv } from '../remote/tlv.js';
import type { CardApp, CardOptions } from './card.js';
import type { CardSession } from './session.js';

export interface ExecutedApdu {
  /** The C-APDU as coded in the script. */
  apdu: Uint8Array;
  sw: number;
  data: Uint8Array;
  /** Why this SW (which rule matched, or a format problem). */
  reason: string;
}

export interface ScriptResult {
  format: 'compact' | 'expanded';
  /** Additional response data for the PoR (compact or expanded response). */
  data: Uint8Array;
  executed: ExecutedApdu[];
  trace: string[];
}

const LAYER = 'remote APDU (expanded)';

/** The SW configured for a C-APDU: longest matching prefix, else defaultSw. */
export function answerFor(app: CardApp, apdu: Uint8Array, session?: CardSession): { sw: number; data: Uint8Array; reason: string } {
  const h = toHex(apdu);
  // The card's content (files, GlobalPlatform registry) sees every command, so its state (current
  // file, LOAD sequence) follows the script even where a swByApdu rule overrides the answer.
  const c = session?.answer(apdu);
  for (const r of app.swByApdu) {
    if (h.startsWith(r.prefix)) return { sw: r.sw, data: r.data, reason: `swByApdu ${r.prefix}` };
  }
  if (c) return { ...c, reason: `${app.handler}: ${c.reason}` };
  return { sw: app.defaultSw, data: new Uint8Array(0), reason: 'defaultSw' };
}

function succeeded(opts: CardOptions, sw: number): boolean {
  return opts.successSw1.includes(sw >> 8);
}

export function scriptFormat(app: CardApp, data: Uint8Array): 'compact' | 'expanded' {
  if (app.format !== 'auto') return app.format;
  return data[0] === TAG.COMMAND_DEFINITE || data[0] === TAG.COMMAND_INDEFINITE ? 'expanded' : 'compact';
}

export function executeScript(app: CardApp, opts: CardOptions, data: Uint8Array, session?: CardSession): ScriptResult {
  return scriptFormat(app, data) === 'expanded' ? runExpanded(app, opts, data, session) : runCompact(app, opts, data, session);
}

// ------------------------------------------------------------------ compact

/**
 * Split a compact script the way a card reads a T=0 command stream: each
 * command's P3 is an Lc or an Le by its INS. Our decoder does this with
 * inference for unknown INS; when it cannot split the whole script, a
 * simple walk runs the commands up to the broken one, which gets 6700.
 */
function splitCompact(data: Uint8Array, trace: string[]): { apdus: Uint8Array[]; broken?: Uint8Array } {
  try {
    return { apdus: compactScript.decode(data).apdus.map((a: ScriptApdu) => a.raw) };
  } catch (e) {
    if (!(e instanceof OtaError)) throw e;
    trace.push(`script: ${e.message}`);
  }
  const apdus: Uint8Array[] = [];
  let p = 0;
  while (p < data.length) {
    if (data.length - p < 5) return { apdus, broken: data.subarray(p) };
    const h = { cla: data[p], ins: data[p + 1], p1: data[p + 2], p2: data[p + 3] };
    const p3 = data[p + 4];
    const dir = insDirection(h) ?? (p + 5 + p3 <= data.length ? 'in' : 'out');
    const next = dir === 'in' ? p + 5 + p3 : p + 5;
    if (next > data.length) return { apdus, broken: data.subarray(p) };
    apdus.push(data.subarray(p, next));
    p = next;
  }
  return { apdus };
}

function runCompact(app: CardApp, opts: CardOptions, data: Uint8Array, session?: CardSession): ScriptResult {
  const trace: string[] = [];
  const executed: ExecutedApdu[] = [];
  if (data.length === 0) {
    trace.push('script: empty (no C-APDU), no response data');
    return { format: 'compact', data: new Uint8Array(0), executed, trace };
  }
  const { apdus, broken } = splitCompact(data, trace);
  let count = 0;
  let stopped = false;
  for (const a of apdus) {
    const ans = answerFor(app, a, session);
    const prev = executed[executed.length - 1];
    // A T=0 GET RESPONSE fetching the previous command's data can count as part of that command (Gemalto trace).
    const continuation = a[1] === 0xc0 && prev !== undefined && [0x61, 0x9f].includes(prev.sw >> 8);
    if (opts.countGetResponse || !continuation) count++;
    else trace.push('GET RESPONSE after 61xx/9Fxx: counted with the command before it (options.countGetResponse = false)');
    executed.push({ apdu: a, ...ans });
    trace.push(`C-APDU ${toHex(a)} → ${hex4(ans.sw)}${ans.data.length ? ` + ${ans.data.length} octets` : ''} (${ans.reason})`);
    if (!succeeded(opts, ans.sw)) {
      trace.push(`script stops: ${hex4(ans.sw)} is not a success status (successSw1)`);
      stopped = true;
      break;
    }
  }
  if (broken && !stopped) {
    count++;
    executed.push({ apdu: broken, sw: 0x6700, data: new Uint8Array(0), reason: 'C-APDU truncated: wrong length' });
    trace.push(`C-APDU ${toHex(broken)} → 6700 (truncated command, script stops)`);
  }
  const last = executed[executed.length - 1];
  const resp = compactResponse.encode({ executed: Math.min(count, 255), sw: last.sw, data: last.data });
  trace.push(`compact response: ${count} executed, last SW ${hex4(last.sw)}, ${last.data.length} octets of data`);
  return { format: 'compact', data: resp, executed, trace };
}

// ------------------------------------------------------------------ expanded

/** Bad format TLV value (TS 102 226 cl. 5.2.2): 01 unknown tag, 02 wrong length, 03 length not found. */
function badFormatCode(e: OtaError): number {
  const field = e.where.field ?? '';
  if (/length missing|end-of-contents|needs .* more octet/.test(e.detail) || field === 'end-of-contents') return 0x03;
  if (/\btag\b/.test(field)) return 0x01;
  return 0x02;
}

function runExpanded(app: CardApp, opts: CardOptions, data: Uint8Array, session?: CardSession): ScriptResult {
  const trace: string[] = [];
  const executed: ExecutedApdu[] = [];
  let badFormat: number | undefined;
  const indefinite = data[0] === TAG.COMMAND_INDEFINITE;
  let stop = false;

  const onElement = (tag: number, value: Uint8Array): void => {
    switch (tag) {
      case TAG.C_APDU: {
        try {
          parseCApdu(value, LAYER, `C-APDU ${executed.length + 1}`);
        } catch (e) {
          if (!(e instanceof OtaError)) throw e;
          executed.push({ apdu: value, sw: 0x6700, data: new Uint8Array(0), reason: `malformed C-APDU: ${e.detail}` });
          trace.push(`C-APDU ${toHex(value)} → 6700 (${e.detail}); script stops`);
          stop = true;
          return;
        }
        const ans = answerFor(app, value, session);
        executed.push({ apdu: value, ...ans });
        trace.push(`C-APDU ${toHex(value)} → ${hex4(ans.sw)}${ans.data.length ? ` + ${ans.data.length} octets` : ''} (${ans.reason})`);
        if (!succeeded(opts, ans.sw)) {
          trace.push(`script stops: ${hex4(ans.sw)} is not a success status (successSw1)`);
          stop = true;
        }
        return;
      }
      case TAG.IMMEDIATE_ACTION:
      case TAG.ERROR_ACTION:
      case TAG.SCRIPT_CHAINING:
        trace.push(`TLV ${tag.toString(16).toUpperCase()} ${toHex(value)}: accepted, not interpreted (value coding unknown)`);
        return;
      default:
        badFormat = 0x01;
        trace.push(`TLV ${tag.toString(16).toUpperCase()}: not a Command Scripting TLV → Bad format 01 (unknown tag); script stops`);
        stop = true;
    }
  };

  try {
    if (data[0] !== TAG.COMMAND_DEFINITE && data[0] !== TAG.COMMAND_INDEFINITE) {
      badFormat = 0x01;
      trace.push(`script: first octet ${data.length ? toHex(data.subarray(0, 1)) : '(none)'} is not a Command Scripting template (AA/AE) → Bad format 01`);
    } else {
      const h = readHeader(data, 0, data.length, LAYER);
      let p = h.valueOffset;
      let end: number;
      if (indefinite) {
        if (h.length !== INDEFINITE) {
          badFormat = 0x02;
          trace.push('script: AE template with a definite length → Bad format 02');
          end = p;
        } else end = data.length;
      } else {
        if (h.length === INDEFINITE) {
          badFormat = 0x02;
          trace.push('script: AA template with indefinite length → Bad format 02');
          end = p;
        } else if (h.length > data.length - p) {
          badFormat = 0x02;
          trace.push(`script: template says ${h.length} octets, ${data.length - p} present → Bad format 02`);
          end = p;
        } else end = p + h.length;
      }
      while (!stop && badFormat === undefined) {
        if (indefinite) {
          if (p + 1 < data.length && data[p] === 0 && data[p + 1] === 0) break;
          if (p >= data.length) {
            badFormat = 0x03;
            trace.push('script: end-of-contents 00 00 not found → Bad format 03');
            break;
          }
        } else if (p >= end) break;
        const t = readTlv(data, p, end, LAYER);
        onElement(t.tag, t.value);
        p = t.end;
      }
    }
  } catch (e) {
    if (!(e instanceof OtaError)) throw e;
    badFormat = badFormatCode(e);
    trace.push(`script: ${e.message} → Bad format ${badFormat.toString(16).padStart(2, '0')}`);
  }

  const rapdus: RApdu[] = executed.map((x) => ({ data: x.data, sw: x.sw }));
  const resp = expandedResponse.encode({
    indefinite,
    // The indefinite Response Scripting template has no "number of executed" TLV (pySim-exp, TS 102 226 cl. 5.2.2).
    executed: indefinite ? undefined : executed.length,
    rapdus: opts.expandedRApdus === 'last' ? rapdus.slice(-1) : rapdus,
    badFormat: badFormat === undefined ? undefined : Uint8Array.of(badFormat),
  });
  trace.push(
    `expanded response (${indefinite ? 'AF' : 'AB'}): ${executed.length} C-APDU${executed.length === 1 ? '' : 's'} executed` +
      `${badFormat !== undefined ? `, Bad format ${badFormat.toString(16).padStart(2, '0')}` : ''}`,
  );
  return { format: 'expanded', data: resp, executed, trace };
}


/**
 * Cutting a remote management script into secured packets that fit the
 * bearer, and securing them (one counter per packet).
 *
 * Bearers: SMS-PP (TS 31.115: a command packet of up to 137 octets fits one
 * SMS — 140 octets of user data less the 3-octet UDH 02 70 00 — and up to
 * `maxSms` concatenated SMS otherwise), CAT_TP (the packet is one SDU of at
 * most `maxSdu` octets, TS 102 127).
 */
import { InputError } from '../util/errors.js';
import { buildCommand, type CommandInput, type SecuredCommand } from '../secured/command.js';
import type { Dialect } from '../secured/dialect.js';
import type { KeyMaterial } from '../secured/keys.js';
import { splitPacket } from '../smspp/concat.js';
import { encodeCommandScript, type CommandScriptOptions } from './index.js';
import { stepsFor, type RemoteScript, type ScriptStep } from './script.js';
import * as gp from './gp/commands.js';
import { withMembers } from '../util/object.js';

/**
 * `https`: SCP81 (GP Amendment B) command strings, sent in the clear inside
 * PSK-TLS: no size limit but the LOAD block's short Lc, unless `maxScript`
 * bounds each command string (an agent's buffer): a longer script is then
 * split into several, run one after the other.
 */
export type Bearer = { kind: 'sms'; maxSms: number } | { kind: 'cattp'; maxSdu: number } | { kind: 'https'; maxScript?: number };

export interface PacketPlan {
  steps: ScriptStep[];
  /** The secured data (remote command script) of this packet. */
  data: Uint8Array;
}

/** The bearer's limit as a predicate on a built packet. */
export function bearerFits(bearer: Bearer): (packet: Uint8Array) => boolean {
  if (bearer.kind === 'cattp') return (p) => p.length <= bearer.maxSdu;
  if (bearer.kind === 'https') return (p) => bearer.maxScript === undefined || p.length <= bearer.maxScript;
  return (p) => p.length <= 137 || (bearer.maxSms > 1 && splitPacket(p).length <= bearer.maxSms);
}

export function bearerText(bearer: Bearer): string {
  if (bearer.kind === 'https') return bearer.maxScript === undefined ? 'an SCP81 command string' : `an SCP81 command string of ${bearer.maxScript} octets`;
  return bearer.kind === 'cattp' ? `a CAT_TP SDU of ${bearer.maxSdu} octets` : bearer.maxSms === 1 ? 'one SMS (137 octets of packet)' : `${bearer.maxSms} concatenated SMS`;
}

/** Secure one script with the header of `base` (counter irrelevant: its length is fixed). */
export type Sizer = (data: Uint8Array) => boolean;

export function makeSizer(dialect: Dialect, base: Omit<CommandInput, 'data' | 'counter'>, keys: KeyMaterial, bearer: Bearer): Sizer {
  const fits = bearerFits(bearer);
  return (data) => fits(buildCommand(dialect, withMembers(base, { counter: 0n, data }), keys).bytes);
}

/** Largest LOAD block (≤ max) whose LOAD alone fits one packet; InputError when none (or `max` itself does not) fit. */
export function fitBlockSize(sizer: Sizer, script: CommandScriptOptions, bearer: Bearer, max?: number): number {
  const loadOf = (n: number) => encodeCommandScript([encodeLoad(n)], script);
  if (max !== undefined) {
    if (!sizer(loadOf(max))) throw new InputError(`a LOAD of ${max} octets does not fit ${bearerText(bearer)} with this SPI/KIc/KID (give a smaller --max-block)`, { field: '--max-block' });
    return max;
  }
  let lo = 0;
  let hi = 255;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (sizer(loadOf(mid))) lo = mid;
    else hi = mid - 1;
  }
  if (lo < 1) throw new InputError(`not even a LOAD of 1 octet fits ${bearerText(bearer)} with this SPI/KIc/KID`, { field: '--bearer' });
  return lo;
}

function encodeLoad(n: number): Uint8Array {
  const a = gp.load(new Uint8Array(n), 0, false);
  return Uint8Array.from([a.cla, a.ins, a.p1, a.p2, n, ...a.data!]);
}

/**
 * Pack the script's steps, in order, into as few packets as fit: each packet
 * is a complete script (TS 102 226 cl. 5: the card runs each packet's
 * commands as one command session). A single step too long for one packet is
 * bad input (nothing is secured).
 */
export function planPackets(s: RemoteScript, extra: Uint8Array[], script: CommandScriptOptions, sizer: Sizer, bearer: Bearer): PacketPlan[] {
  const steps: ScriptStep[] = [...stepsFor(s, script.format), ...extra.map((apdu, i): ScriptStep => ({ apdu, title: `--apdu ${i + 1}`, answer: "none" }))];
  const plans: PacketPlan[] = [];
  let cur: ScriptStep[] = [];
  const enc = (x: ScriptStep[]) => encodeCommandScript(x.map((y) => y.apdu), script);
  for (const st of steps) {
    const tryThis = [...cur, st];
    // A GET RESPONSE stays with the command it fetches from (same command session).
    if (sizer(enc(tryThis))) {
      cur = tryThis;
      continue;
    }
    if (!cur.length || !sizer(enc([st]))) {
      throw new InputError(`${st.title} (${st.apdu.length} octets) does not fit ${bearerText(bearer)} with this SPI/KIc/KID`, { field: '--bearer' });
    }
    if (st.compactOnly || /GET RESPONSE/.test(st.title)) {
      const prev = cur[cur.length - 1];
      if (!sizer(enc([prev, st]))) throw new InputError(`${prev.title} and its GET RESPONSE do not fit ${bearerText(bearer)}`, { field: '--bearer' });
      plans.push({ steps: cur.slice(0, -1), data: enc(cur.slice(0, -1)) });
      cur = [prev, st];
      continue;
    }
    plans.push({ steps: cur, data: enc(cur) });
    cur = [st];
  }
  if (cur.length) plans.push({ steps: cur, data: enc(cur) });
  return plans.filter((p) => p.steps.length);
}

/** Secure each planned packet; counters `first`, `first + 1`, … (one per packet). */
export function buildScriptPackets(dialect: Dialect, base: Omit<CommandInput, 'data' | 'counter'>, keys: KeyMaterial, plans: PacketPlan[], first: bigint): SecuredCommand[] {
  return plans.map((p, i) => buildCommand(dialect, withMembers(base, { counter: first + BigInt(i), data: p.data }), keys));
}

/**
 * Receiving-entity processing of a command packet (TS 102 225 cl. 5.1, 5.2;
 * TS 31.115 for SMS-PP), as a UICC would do it, producing the PoR.
 *
 * Order of checks (first failure decides the status):
 *   framing   CPL/CHL consistent with the octets present        → InputError (not a packet: no PoR)
 *   1. TAR    an application with this TAR                        → 09
 *   2. MSL    SPI1 sub-fields ≥ the TAR's MSL (TS 102 226
 *             cl. 8.2.1.3.2.4, per sub-field)                     → 0A
 *   3. header SPI/KIc/KID interpretable: no DS, no reserved PoR
 *             code, KVN rule (TS 102 225 Annex A.2, option), PoR security rule
 *             (option), keys present for the named KVN and
 *             algorithm (and the TAR's kvns), CHL fits the KID    → 06
 *   4. cipher ciphertext a block multiple, PCNTR possible          → 05
 *   5. RC/CC  over the octets of TS 102 225 cl. 5.1               → 01
 *   6. CNTR   per SPI1 b5b4 against the stored counter (cl. 5.1.1) → 04 blocked / 02 low / 03 high
 *   7. run    the script; status 00
 *   8. PoR    as SPI2 asks (makePor); SMS-PP with the PoR via
 *             SMS-DELIVER-REPORT and too long for the ENVELOPE
 *             response → 0B there, the complete PoR by SMS-SUBMIT
 * TAR and MSL come first because they need nothing but the clear header
 * (cardOS does the same; onomondo checks MSL with the key lookup). The RC/CC
 * is checked before the counter (as onomondo does and TS 31.111 Rel-18 asks:
 * authenticate first), so an unauthenticated sender learns nothing about the
 * RE counter; the counter is stored only when every check passed (cardOS and
 * onomondo both commit only after authentication).
 */
import { OtaError } from '../util/errors.js';
import { concat, toHex, hex2 } from '../util/hex.js';
import { blockSize, decrypt, type CipherAlg, type CcAlg, type RcAlg } from '../crypto/index.js';
import type { Dialect } from '../secured/dialect.js';
import { spiHex, type CounterMode, type Integrity, type PorVia, type Spi } from '../secured/spi.js';
import { decodeKic, decodeKidCc, decodeKidRc, algText } from '../secured/kic.js';
import type { KeyMaterial } from '../secured/keys.js';
import { checkIntegrityLength, CNTR_MAX, decodeCounter, verifyIntegrity } from '../secured/common.js';
import { buildResponse, type SecuredResponse } from '../secured/response.js';
import { parseCommandHeader } from '../secured/command.js';
import { STATUS, statusName } from '../secured/status.js';
import { UDH_RESPONSE } from '../smspp/dialect.js';
import { splitPacket } from '../smspp/concat.js';
import { IEI } from '../smspp/udh.js';
import type { Card, CardApp } from './card.js';
import { executeScript, type ExecutedApdu } from './execute.js';
import { openSession, type ContentChanges } from './session.js';

export const LAYER = 'command packet';

/** One PoR as the card sends it. */
export interface SentPor {
  /** SMS-PP: in the ENVELOPE response (for the SMS-DELIVER-REPORT) or by SMS-SUBMIT; or over CAT_TP. */
  via: PorVia | 'cat_tp';
  status: number;
  /** The response packet (SMS-PP: RPL…; CAT_TP: RPI RPL…). */
  packet: Uint8Array;
  response: SecuredResponse;
  /** true when it carries an RC/CC or is ciphered. */
  secured: boolean;
  /** On the bearer, in sending order: SMS user data (02 71 00 …, or concatenated segments), or the CAT_TP packet. */
  messages: Uint8Array[];
}

export interface ProcessResult {
  /** Status of the PoR the card answers first: 0B when the complete PoR (status 00) goes by SMS-SUBMIT. */
  status: number;
  statusName: string;
  /** TAR of the command (echoed in the PoR). */
  tar: Uint8Array;
  /** The application the TAR named, when known. */
  app?: CardApp;
  spi: Spi;
  kic: number;
  kid: number;
  /**
   * The first PoR as it goes on the bearer: SMS-PP the user data `02 71 00 …`
   * (in the ENVELOPE response, or the only SMS-SUBMIT), CAT_TP the response
   * packet; undefined when there is none or it is a concatenated SMS-SUBMIT.
   */
  por?: Uint8Array;
  /** The response packet of the first PoR alone (RPL… / RPI RPL…). */
  porPacket?: Uint8Array;
  /** true when the first PoR carries an RC/CC or is ciphered. */
  porSecured: boolean;
  /** How the first PoR travels (the SPI's b6 for SMS-PP). */
  porVia: PorVia | 'cat_tp';
  response?: SecuredResponse;
  /** Every PoR the card sends, in order (empty: none). */
  pors: SentPor[];
  /** SMS-PP: the user data of the SMS-SUBMIT(s) carrying a PoR, in sending order. */
  porSubmit: Uint8Array[];
  counterMode: CounterMode;
  /** CNTR of the command, when it could be read (deciphered). */
  commandCounter?: bigint;
  /** The stored RE counter of the TAR before processing. */
  counterBefore?: bigint;
  /** New RE counter to store (only for an accepted command, and only when it changes). */
  counterUpdate?: bigint;
  /** Secured data of the command (the script), when it could be read. */
  script?: Uint8Array;
  executed: ExecutedApdu[];
  /** Additional response data of the PoR (remote response). */
  responseData?: Uint8Array;
  /** Files, registry or key sets the script changed (to store with the counter). */
  changes?: ContentChanges;
  trace: string[];
}

const cntrText = (c: bigint) => `${c} (0x${c.toString(16).toUpperCase().padStart(10, '0')})`;

interface Ctx {
  card: Card;
  dialect: Dialect;
  spi: Spi;
  kic: number;
  kid: number;
  tar: Uint8Array;
  app?: CardApp;
  keys?: KeyMaterial;
  lSig: number;
  counter?: bigint;
  trace: string[];
}

/** Keys for what the SPI asks (command and/or PoR); a problem string means status 06. */
function resolveKeys(ctx: Ctx, scope: { command: boolean; por: boolean }): { keys: KeyMaterial; problem?: string } {
  const { card, spi, kic, kid, app } = ctx;
  const keys: KeyMaterial = {};
  const porOn = scope.por && spi.porRequest !== 'none';
  const needKic = (scope.command && spi.ciphering) || (porOn && spi.porCiphered);
  const needCc = (scope.command && spi.integrity === 'cc') || (porOn && spi.porIntegrity === 'cc');
  const needRc = (scope.command && spi.integrity === 'rc') || (porOn && spi.porIntegrity === 'rc');
  const allowed = (kvn: number, what: string) =>
    app?.kvns && !app.kvns.includes(kvn) ? `${what} key set KVN ${kvn} is not allowed for TAR ${app.tarHex} (kvns ${app.kvns.join(', ')})` : undefined;
  if (needKic) {
    const kvn = kic >> 4;
    const named = decodeKic(kic).algorithm;
    const ks = card.keysets.find((s) => s.kvn === kvn);
    const p = allowed(kvn, 'KIc');
    if (p) return { keys, problem: p };
    if (named === null || named === 'proprietary') return { keys, problem: `KIc 0x${hex2(kic)} names ${algText(named)}, which this card does not support` };
    if (!ks?.kic) return { keys, problem: `no KIc key with KVN ${kvn} on the card` };
    if (named !== 'implicit' && named !== ks.kic.algorithm) {
      return { keys, problem: `KIc 0x${hex2(kic)} names ${named}, but key set KVN ${kvn} holds a ${ks.kic.algorithm} key` };
    }
    keys.kicKey = ks.kic.key;
    keys.kicAlg = ks.kic.algorithm as CipherAlg;
  }
  if (needCc) {
    const kvn = kid >> 4;
    const named = decodeKidCc(kid).algorithm;
    const ks = card.keysets.find((s) => s.kvn === kvn);
    const p = allowed(kvn, 'KID');
    if (p) return { keys, problem: p };
    if (named === null || named === 'proprietary') return { keys, problem: `KID 0x${hex2(kid)} names ${algText(named)} for a CC, which this card does not support` };
    if (!ks?.kid) return { keys, problem: `no KID key with KVN ${kvn} on the card` };
    if (named !== 'implicit' && named !== ks.kid.algorithm) {
      return { keys, problem: `KID 0x${hex2(kid)} names ${named}, but key set KVN ${kvn} holds a ${ks.kid.algorithm} key` };
    }
    if (named === 'implicit' && (ks.kid.algorithm === 'crc16' || ks.kid.algorithm === 'crc32')) {
      return { keys, problem: `KID 0x${hex2(kid)} asks for a CC but key set KVN ${kvn} holds a ${ks.kid.algorithm} entry` };
    }
    keys.kidKey = ks.kid.key;
    keys.kidAlg = ks.kid.algorithm as CcAlg;
  }
  if (needRc) {
    const named = decodeKidRc(kid).algorithm;
    if (named === 'implicit') {
      const alg = card.keysets.find((s) => s.kvn === kid >> 4)?.kid?.algorithm;
      if (alg !== 'crc16' && alg !== 'crc32') return { keys, problem: `KID 0x${hex2(kid)} names an implicit RC and key set KVN ${kid >> 4} names no CRC` };
      if (!keys.kidAlg) keys.kidAlg = alg as RcAlg;
    } else if (named !== 'crc16' && named !== 'crc32') {
      return { keys, problem: `KID 0x${hex2(kid)} names ${algText(named)} for an RC, which this card does not support` };
    }
  }
  return { keys };
}

/** TS 102 226 cl. 8.2.1.3.2.4: each SPI1 sub-field at least the MSL's (numeric comparison per sub-field). */
export function mslShortfall(spi1: number, msl: number): string | undefined {
  const subs: Array<[string, number, readonly string[]]> = [
    ['integrity', 0x03, ['none', 'RC', 'CC', 'DS']],
    ['ciphering', 0x04, ['off', 'on']],
    ['counter', 0x18, ['none', 'available', 'higher', 'one higher']],
  ];
  const low: string[] = [];
  for (const [name, mask, names] of subs) {
    const shift = Math.log2(mask & -mask);
    const have = (spi1 & mask) >> shift;
    const need = (msl & mask) >> shift;
    if (have < need) low.push(`${name} ${names[have]} < ${names[need]}`);
  }
  return low.length ? low.join(', ') : undefined;
}

/**
 * Process a command packet (the secured packet itself: SMS-PP from CPL,
 * CAT_TP from CPI) addressed to `card`. Pure: the caller stores
 * `counterUpdate` (see src/cli/commands/card.ts for the locked update).
 */
export function processPacket(card: Card, packet: Uint8Array, dialect: Dialect): ProcessResult {
  const b = packet;
  const trace: string[] = [];
  const where = (field: string, offset: number) => ({ layer: LAYER, field, offset });

  // Framing: without consistent lengths there is no packet to answer.
  const { cpl, h, chl, spi, kic, kid, tar } = parseCommandHeader(dialect, b);
  const lSig = chl - 13;
  trace.push(`header: CPL ${cpl}, CHL ${chl}, SPI ${spiHex(spi)}, KIc ${hex2(kic)}, KID ${hex2(kid)}, TAR ${toHex(tar)}`);

  const ctx: Ctx = { card, dialect, spi, kic, kid, tar, lSig, trace };
  const result = (status: number, why: string, extra: Partial<ProcessResult> = {}): ProcessResult => {
    trace.push(`status ${hex2(status)} (${statusName(status)})${why ? `: ${why}` : ''}`);
    const r: ProcessResult = {
      status, statusName: statusName(status), tar, app: ctx.app, spi, kic, kid,
      porSecured: false, porVia: dialect.name === 'sms-pp' ? spi.porVia : 'cat_tp', pors: [], porSubmit: [], counterMode: spi.counter,
      commandCounter: ctx.counter, counterBefore: ctx.app?.counter, executed: [], trace, ...extra,
    };
    Object.assign(r, makePor(ctx, status, extra.responseData ?? new Uint8Array(0)));
    return r;
  };

  // 1. TAR
  const app = card.applications.find((a) => a.tarHex === toHex(tar));
  if (!app) return result(STATUS.TAR_UNKNOWN, `no application with TAR ${toHex(tar)} on the card`);
  ctx.app = app;
  trace.push(`TAR ${app.tarHex}: ${app.name ?? 'application'} (MSL ${hex2(app.msl)}, ${app.format}, stored counter ${cntrText(app.counter)})`);

  // 2. MSL
  const short = mslShortfall(b[h + 1], app.msl);
  if (short) return result(STATUS.INSUFFICIENT_SECURITY, `SPI1 ${hex2(b[h + 1])} below MSL ${hex2(app.msl)}: ${short}`);

  // 3. header interpretation and keys
  const s1r = b[h + 1] & 0xe0;
  const s2r = b[h + 2] & 0xc0;
  if (s1r || s2r) trace.push(`reserved SPI bits set (${s1r ? `octet 1 ${hex2(s1r)}` : ''}${s1r && s2r ? ', ' : ''}${s2r ? `octet 2 ${hex2(s2r)}` : ''}): ignored`);
  const unidentified = (why: string) => result(STATUS.UNIDENTIFIED, why);
  if (spi.integrity === 'ds') return unidentified('SPI1 asks for a digital signature, which has no standard algorithm (TS 102 225 cl. 5.1.3)');
  if (spi.porRequest === 'reserved') return unidentified('SPI2 PoR request 11 is reserved');
  if (spi.porRequest !== 'none' && spi.porIntegrity === 'ds') return unidentified('SPI2 asks for a PoR digital signature, which has no standard algorithm');
  // Only when both octets name keys in use: an unused KIc/KID is ignored (TS 102 225 cl. 5.1.2: KIc/KID only mean something when used).
  const porOn = spi.porRequest !== 'none';
  const kicUsed = spi.ciphering || (porOn && spi.porCiphered);
  const kidUsed = spi.integrity === 'cc' || (porOn && spi.porIntegrity === 'cc');
  if (card.options.kvnMismatch === 'reject' && kicUsed && kidUsed && kic >> 4 !== 0 && kid >> 4 !== 0 && kic >> 4 !== kid >> 4) {
    return unidentified(`KIc names key set KVN ${kic >> 4}, KID KVN ${kid >> 4} (mixed key sets, TS 102 225 Annex A.2; options.kvnMismatch)`);
  }
  if (card.options.porSecurityMustMatch && spi.porRequest !== 'none') {
    if (spi.porCiphered && !spi.ciphering) return unidentified('ciphered PoR asked for an unciphered command (options.porSecurityMustMatch)');
    if (spi.porIntegrity !== 'none' && spi.porIntegrity !== spi.integrity) {
      return unidentified(`PoR ${spi.porIntegrity.toUpperCase()} asked for a command with ${spi.integrity === 'none' ? 'no RC/CC' : spi.integrity.toUpperCase()} (options.porSecurityMustMatch)`);
    }
  }
  const rk = resolveKeys(ctx, { command: true, por: true });
  if (rk.problem) return unidentified(rk.problem);
  ctx.keys = rk.keys;
  let integ;
  try {
    integ = checkIntegrityLength(spi.integrity, kid, rk.keys, lSig, where('CHL', h));
  } catch (e) {
    if (e instanceof OtaError) return unidentified(`CHL ${chl}: ${e.detail}`);
    throw e;
  }
  trace.push(`keys: ${describeKeys(spi, kic, kid, rk.keys)}`);

  // 4. deciphering
  const secAt = h + 8;
  let plain = b.subarray(secAt);
  if (spi.ciphering) {
    const alg = rk.keys.kicAlg!;
    const B = blockSize(alg);
    if (plain.length === 0 || plain.length % B !== 0) {
      return result(STATUS.CIPHERING_ERROR, `${plain.length} ciphered octets are not a whole number of ${B}-octet ${alg} blocks`);
    }
    plain = decrypt(alg, rk.keys.kicKey!, plain);
    trace.push(`deciphered ${plain.length} octets (${alg})`);
  }
  const counter = decodeCounter(plain.subarray(0, 5));
  const pcntr = plain[5];
  const sig = plain.slice(6, 6 + lSig);
  const body = plain.subarray(6 + lSig);
  if (spi.ciphering) {
    const B = blockSize(rk.keys.kicAlg!);
    if (pcntr >= B || pcntr > body.length) {
      return result(STATUS.CIPHERING_ERROR, `PCNTR ${pcntr} is impossible (${body.length} octets of data and padding, block ${B}): wrong KIc key or corrupted packet`);
    }
  } else if (pcntr > body.length) {
    return unidentified(`PCNTR ${pcntr} but only ${body.length} octets of secured data in an unciphered packet`);
  } else if (pcntr !== 0) {
    trace.push(`PCNTR ${pcntr} in an unciphered packet: ${pcntr} octets stripped as padding`);
  }
  ctx.counter = counter;
  const data = body.subarray(0, body.length - pcntr);
  trace.push(`CNTR ${cntrText(counter)}, PCNTR ${pcntr}, ${data.length} octets of secured data`);

  // 5. RC/CC
  if (integ.type !== 'none') {
    const input = concat(b.subarray(0, secAt), plain.subarray(0, 6), body);
    const chk = verifyIntegrity(integ, rk.keys.kidKey, input, sig);
    if (chk.verified !== true) {
      return result(STATUS.CHECKSUM_FAILED, `${integ.type.toUpperCase()} ${toHex(sig)} does not verify (mismatch${chk.reason ? `: ${chk.reason}` : ''})`);
    }
    trace.push(`${integ.type.toUpperCase()} ${toHex(sig)} verified (${integ.algorithm})`);
  }

  // 6. counter
  let counterUpdate: bigint | undefined;
  const stored = app.counter;
  switch (spi.counter) {
    case 'none':
      trace.push('counter: SPI1 says no counter, not checked');
      break;
    case 'available':
      trace.push('counter: available, no replay or sequence check');
      if (card.options.storeCounterWhenNoCheck) counterUpdate = counter;
      break;
    case 'higher':
    case 'one-higher': {
      if (stored >= CNTR_MAX) return result(STATUS.CNTR_BLOCKED, `stored counter is at the maximum ${cntrText(CNTR_MAX)}`);
      const ok = spi.counter === 'higher' ? counter > stored : counter === stored + 1n;
      if (!ok) {
        if (counter <= stored) {
          return result(card.options.counterLowStatus, `CNTR ${counter} is not ${spi.counter === 'higher' ? 'higher than' : 'one higher than'} the stored ${stored}` +
            (card.options.counterLowStatus !== STATUS.CNTR_LOW ? ` (CNTR low answered with ${hex2(card.options.counterLowStatus)}: options.counterLowStatus)` : ''));
        }
        return result(STATUS.CNTR_HIGH, `CNTR ${counter} is more than one higher than the stored ${stored}`);
      }
      trace.push(`counter: ${counter} ${spi.counter === 'higher' ? '>' : '='} ${spi.counter === 'higher' ? stored : `${stored} + 1`}`);
      counterUpdate = counter;
      break;
    }
  }
  if (counterUpdate !== undefined && counterUpdate === stored) counterUpdate = undefined;
  if (counterUpdate !== undefined) trace.push(`counter: RE counter ${stored} → ${counterUpdate}`);

  // 7. run the script
  // The key set that secured the command (KID's, else KIc's): PUT KEY unwraps with its KIK.
  const session = openSession(card, app, spi.integrity === 'cc' ? kid >> 4 : kic >> 4);
  const run = executeScript(app, card.options, data, session);
  trace.push(...run.trace);
  const changes = session?.changes();
  const changed = changes && Object.keys(changes).length ? changes : undefined;
  if (changed) trace.push(`card content changed: ${Object.keys(changed).join(', ')}`);
  return result(STATUS.OK, '', { executed: run.executed, responseData: run.data, counterUpdate, script: data, changes: changed });
}

function describeKeys(spi: Spi, kic: number, kid: number, k: KeyMaterial): string {
  const parts: string[] = [];
  if (k.kicAlg) parts.push(`KIc KVN ${kic >> 4} ${k.kicAlg}`);
  if (k.kidKey) parts.push(`KID KVN ${kid >> 4} ${k.kidAlg}`);
  if (spi.integrity === 'rc' || spi.porIntegrity === 'rc') parts.push(`RC ${decodeKidRc(kid).algorithm === 'implicit' ? k.kidAlg : decodeKidRc(kid).algorithm}`);
  return parts.length ? parts.join(', ') : 'none needed';
}

interface SecuredPor {
  resp: SecuredResponse;
  secured: boolean;
}

/** Build one PoR secured per SPI2 (TS 102 225 cl. 5.2), with the unsecured-error rule and the CNTR rule. */
function securePor(ctx: Ctx, status: number, data: Uint8Array): SecuredPor {
  const { spi, card, trace } = ctx;
  const opts = card.options;
  // 0B is not an error (the script ran): secured as SPI2 asks and CNTR echoed, as onomondo builds it.
  const isError = status !== STATUS.OK && status !== STATUS.VIA_SMS_SUBMIT;
  const listed = opts.unsecuredErrorStatuses === 'all' ? isError : opts.unsecuredErrorStatuses.includes(status);
  const unsecuredStatus = status !== STATUS.OK && listed;
  let integrity: Integrity = unsecuredStatus || spi.porRequest === 'reserved' ? 'none' : spi.porIntegrity;
  let ciphered = unsecuredStatus || spi.porRequest === 'reserved' ? false : spi.porCiphered;
  if (unsecuredStatus && (spi.porIntegrity !== 'none' || spi.porCiphered)) {
    trace.push(`PoR unsecured: status ${hex2(status)} PoRs are sent without RC/CC and unciphered (options.unsecuredErrorStatuses)`);
  }
  let keys = ctx.keys;
  if ((integrity !== 'none' || ciphered) && !keys) {
    const rk = resolveKeys(ctx, { command: false, por: true });
    if (rk.problem) {
      trace.push(`PoR unsecured: ${rk.problem}`);
      integrity = 'none';
      ciphered = false;
    } else keys = rk.keys;
  }
  const counter = !isError ? ctx.counter! : opts.errorPorCounter === 'echo' && ctx.counter !== undefined ? ctx.counter : 0n;
  // A 4-octet AES-CMAC in the command is mirrored in the PoR (nothing else says what a card would do).
  const ccLength = integrity === 'cc' && spi.integrity === 'cc' && ctx.lSig === 4 ? 4 : undefined;
  let resp: SecuredResponse;
  try {
    resp = buildResponse(ctx.dialect, { integrity, ciphered, kic: ctx.kic, kid: ctx.kid, ccLength, tar: ctx.tar, counter, status, data }, keys ?? {});
  } catch (e) {
    if (!(e instanceof OtaError)) throw e;
    trace.push(`PoR unsecured: cannot secure it (${e.message})`);
    integrity = 'none';
    ciphered = false;
    resp = buildResponse(ctx.dialect, { integrity, ciphered, kic: ctx.kic, kid: ctx.kid, tar: ctx.tar, counter, status, data }, {});
  }
  return { resp, secured: integrity !== 'none' || ciphered };
}

function porTrace(p: SecuredPor, where: string): string {
  const r = p.resp;
  const integ = r.checksum.type === 'none' ? 'no RC/CC' : r.checksum.type.toUpperCase();
  return `PoR: status ${hex2(r.status!)}, CNTR ${r.counter}, ${integ}${r.ciphered ? ', ciphered' : ''}, ${r.data?.length ?? 0} octets of response data${where}`;
}

function sent(via: SentPor['via'], p: SecuredPor, messages: Uint8Array[]): SentPor {
  return { via, status: p.resp.status!, packet: p.resp.bytes, response: p.resp, secured: p.secured, messages };
}

/**
 * PoR per SPI2 (TS 102 225 cl. 5.2): when to send it, how to secure it,
 * which CNTR, and (SMS-PP) on which bearer:
 *  - SPI2 b6 = 1: SMS-SUBMIT(s); longer than one SM → concatenated with IE 71
 *    (TS 23.040 cl. 9.2.3.24.1, onomondo's layout). Nothing in the ENVELOPE response (the
 *    real Gemalto card of the suma12/asterix log answers 91 xx without data).
 *  - SPI2 b6 = 0: the ENVELOPE response data, which the ME puts in the
 *    SMS-DELIVER-REPORT; when that PoR user data is longer than
 *    options.maxDeliverReportUd, TS 31.115 cl. 7 status 0B:
 *    a PoR with status 0B and no data in the ENVELOPE response, then the
 *    complete PoR (status 00) by SMS-SUBMIT, concatenated when needed.
 */
function makePor(ctx: Ctx, status: number, data: Uint8Array): Partial<ProcessResult> {
  const { spi, card, trace } = ctx;
  const opts = card.options;
  const none: Partial<ProcessResult> = { porSecured: false, pors: [], porSubmit: [] };
  const wanted = spi.porRequest === 'required' || spi.porRequest === 'reserved' || (spi.porRequest === 'on-error' && status !== STATUS.OK);
  if (!wanted) {
    trace.push(`no PoR: SPI2 asks for ${spi.porRequest === 'none' ? 'none' : 'a PoR only on error'}`);
    return none;
  }
  if (status === STATUS.CHECKSUM_FAILED && !opts.porOnAuthFailure) {
    trace.push('no PoR: sender authentication failed (options.porOnAuthFailure = false)');
    return none;
  }
  const full = securePor(ctx, status, data);
  const first = (p: SentPor, por: Uint8Array | undefined): Partial<ProcessResult> =>
    ({ por, porPacket: p.packet, porSecured: p.secured, response: p.response, porVia: p.via });

  if (ctx.dialect.name !== 'sms-pp') {
    trace.push(porTrace(full, ''));
    const p = sent('cat_tp', full, [full.resp.bytes]);
    return { ...first(p, full.resp.bytes), pors: [p], porSubmit: [] };
  }
  const ud = concat(UDH_RESPONSE, full.resp.bytes);
  const split = () => splitPacket(full.resp.bytes, { iei: IEI.RPI, ref: 0 });
  if (spi.porVia === 'submit') {
    const uds = split();
    trace.push(porTrace(full, `, via SMS-SUBMIT${uds.length > 1 ? ` (${ud.length} octets of user data: ${uds.length} concatenated SMS with IE 71)` : ''}`));
    const p = sent('submit', full, uds);
    return { ...first(p, uds.length === 1 ? uds[0] : undefined), pors: [p], porSubmit: uds };
  }
  if (ud.length <= opts.maxDeliverReportUd) {
    trace.push(porTrace(full, ', via SMS-DELIVER-REPORT'));
    const p = sent('deliver-report', full, [ud]);
    return { ...first(p, ud), pors: [p], porSubmit: [] };
  }
  // Status 0B. Only a status-00 PoR carries data, so only it can be too long.
  trace.push(
    `PoR user data of ${ud.length} octets is longer than the ENVELOPE response may carry (options.maxDeliverReportUd ${opts.maxDeliverReportUd}): ` +
      'status 0B in the ENVELOPE response, the complete PoR by SMS-SUBMIT (TS 31.115 cl. 7)',
  );
  const short = securePor(ctx, STATUS.VIA_SMS_SUBMIT, new Uint8Array(0));
  trace.push(porTrace(short, ', via SMS-DELIVER-REPORT'));
  const uds = split();
  trace.push(porTrace(full, `, via SMS-SUBMIT${uds.length > 1 ? ` (${uds.length} concatenated SMS with IE 71)` : ''}`));
  const p0 = sent('deliver-report', short, [concat(UDH_RESPONSE, short.resp.bytes)]);
  const p1 = sent('submit', full, uds);
  return {
    ...first(p0, p0.messages[0]),
    status: STATUS.VIA_SMS_SUBMIT, statusName: statusName(STATUS.VIA_SMS_SUBMIT),
    pors: [p0, p1], porSubmit: uds,
  };
}

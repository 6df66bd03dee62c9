/**
 * The PC/SC terminal options shared by `send pcsc` and `smsc --pcsc`: card
 * family (CLA), the bound on each step, the TERMINAL PROFILE sent once
 * (TS 102 223 cl. 5.2), the ADF selected, and the general result of the
 * TERMINAL RESPONSE to other proactive commands.
 */
import { InputError } from '../util/errors.js';
import { fromHex } from '../util/hex.js';
import { intOption, octet } from '../util/options.js';

export interface PcscTerminalOptions {
  /** 00 (UICC) or A0 (2G SIM); default 00. */
  cla?: string;
  /** Bound on connecting and on each APDU, ms (default 5000). */
  timeout?: string | number;
  /** Hex, or "none" to send no TERMINAL PROFILE (default 03010002). */
  terminalProfile?: string;
  /** SELECT this ADF once (true: the USIM). */
  selectAdf?: string | boolean;
  proactiveResult?: string;
}

export interface PcscTerminal {
  cla: 0x00 | 0xa0;
  timeoutMs: number;
  terminalProfile: Uint8Array | null | undefined;
  selectAdf?: Uint8Array;
  proactiveResult?: number;
}

/** The options checked (exit 2 naming the option) before any reader is touched. */
export async function preparePcsc(o: PcscTerminalOptions): Promise<PcscTerminal> {
  const c = (o.cla ?? '00').trim().toUpperCase();
  if (c !== '00' && c !== 'A0') throw new InputError('must be 00 (UICC) or A0 (2G SIM)', { field: '--cla' });
  const timeoutMs = o.timeout === undefined ? 5000 : intOption(o.timeout, '--timeout', 1, 600_000);
  let terminalProfile: Uint8Array | null | undefined;
  if (o.terminalProfile !== undefined) {
    terminalProfile = /^none$/i.test(o.terminalProfile.trim()) ? null : fromHex(o.terminalProfile, '--terminal-profile');
    if (terminalProfile && (terminalProfile.length === 0 || terminalProfile.length > 255)) throw new InputError('must be 1 to 255 octets, or "none"', { field: '--terminal-profile' });
  }
  let selectAdf: Uint8Array | undefined;
  if (o.selectAdf !== undefined && o.selectAdf !== false) {
    const { USIM_AID } = await import('../transport/pcsc/terminal.js');
    selectAdf = o.selectAdf === true ? USIM_AID : fromHex(o.selectAdf, '--select-adf');
    if (selectAdf.length < 5 || selectAdf.length > 16) throw new InputError('an AID is 5 to 16 octets', { field: '--select-adf' });
  }
  const proactiveResult = o.proactiveResult === undefined ? undefined : octet(o.proactiveResult, '--proactive-result');
  return { cla: c === 'A0' ? 0xa0 : 0x00, timeoutMs, terminalProfile, selectAdf, proactiveResult };
}

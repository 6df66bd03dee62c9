/**
 * What `build sms` needs to make its units (3GPP TS 31.115 cl. 4, TS 102 225
 * cl. 5.1): the option types, and the command packet and its frames without
 * the decoded views. src/api/build.ts re-exports all of it; apart so that a
 * `build sms` printing only hex does not load the views (start-up).
 */
import { buildCommand, type SecuredCommand } from '../secured/command.js';
import { smsDialect } from '../smspp/dialect.js';
import { prepareCommand, type SecurityOpts } from './secured-options.js';
import type { KeyOptions } from './keys.js';
import type { SmsFrameOpts } from './frame.js';
import { withMembers } from '../util/object.js';

type Num = string | number;
type Counter = string | number | bigint;

/** Security options of `build sms` / `build cattp` (the long option names in camelCase). */
export interface SecurityOptions extends KeyOptions {
  spi?: string;
  kic?: string;
  kid?: string;
  tar?: string;
  /** CNTR: a number, decimal or 0x-hex text, exactly 10 hex digits, or "next" (the stored counter, advanced). Default 0. */
  counter?: Counter;
  /** C-APDUs of the secured data. */
  apdu?: string[];
  /** Raw secured data instead of `apdu`. */
  data?: string;
  expanded?: boolean;
  indefinite?: boolean;
  immediateAction?: string;
  errorAction?: string;
  scriptChaining?: string;
  ccLen?: Num;
  paddingByte?: string;
  /** Counter state file for counter "next". */
  state?: string;
}

/** The SMS-DELIVER and ENVELOPE fields of `build sms` (and of the senders that build as it does). */
export interface SmsDeliverOptions {
  oa?: string;
  oaTon?: Num;
  oaNpi?: Num;
  pid?: string;
  dcs?: string;
  scts?: string;
  smsc?: string;
  concatRef?: Num;
  concat16?: boolean;
}

export interface BuildSmsOptions extends SecurityOptions, SmsDeliverOptions {
  format?: 'packet' | 'ud' | 'tpdu' | 'envelope';
  /** Also write what was built as a pcap (GSMTAP) to this file. */
  pcap?: string;
}

/** An option value as the text commander would have given. */
export const str = (v: Num | Counter | undefined): string | undefined => (v === undefined ? undefined : String(v));

/**
 * API options → the option object the CLI's commander would have produced (same defaults).
 * withMembers (util/object.ts), not { ...o, … }: each member after a leading spread costs about
 * a microsecond in Node 20, and these run once per library call.
 */
export function securityOpts(o: SecurityOptions): SecurityOpts {
  return withMembers(o, {
    // A number as 0x-hex: exactly 10 decimal digits would be read as 10 hex digits.
    counter: o.counter === undefined ? '0' : typeof o.counter === 'string' ? o.counter : `0x${o.counter.toString(16)}`,
    apdu: o.apdu ?? [],
    paddingByte: o.paddingByte ?? '00',
    ccLen: str(o.ccLen),
    kvn: str(o.kvn),
  }) as SecurityOpts;
}

export function smsFrameOpts(o: BuildSmsOptions): SmsFrameOpts {
  return withMembers(o, { format: o.format ?? 'packet', concatRef: str(o.concatRef) ?? '0', oaTon: str(o.oaTon), oaNpi: str(o.oaNpi) }) as SmsFrameOpts;
}

/** What the user probably did not mean, said once (the packet is still built). */
export function buildWarnings(spi: Uint8Array, kic: number, kid: number, integrity: string, ciphering: boolean): string[] {
  const notes: string[] = [];
  if (spi[0] & 0xe0) notes.push(`SPI octet 1 has reserved bits set (0x${(spi[0] & 0xe0).toString(16).toUpperCase()})`);
  if (spi[1] & 0xc0) notes.push(`SPI octet 2 has reserved bits set (0x${(spi[1] & 0xc0).toString(16).toUpperCase()})`);
  if ((spi[1] & 3) === 3) notes.push('SPI octet 2: PoR request 11 is reserved');
  // TS 102 225 Annex A: KIc and KID of different key sets are refused by cards (status 06).
  if (ciphering && integrity === 'cc' && kic >> 4 && kid >> 4 && kic >> 4 !== kid >> 4) notes.push(`KIc names KVN ${kic >> 4} but KID KVN ${kid >> 4}: cards refuse mixed key sets (status 06)`);
  return notes;
}

/** `build sms` without the views: the command, its frames, the notes. */
export async function buildSmsUnits(o: BuildSmsOptions): Promise<{ cmd: SecuredCommand; units: Uint8Array[]; warnings: string[] }> {
  const so = securityOpts(o);
  const fo = smsFrameOpts(o);
  const { input, keys } = await prepareCommand(so);
  const cmd = buildCommand(smsDialect, input, keys);
  const warnings = [...buildWarnings(cmd.bytes.subarray(3, 5), input.kic, input.kid, input.spi.integrity, input.spi.ciphering), ...cmd.notes];
  // The bare packet needs no SMS-PP layer code (start-up of the commonest call); anything else is frame.ts's.
  const units = fo.format === 'packet' && !fo.pcap ? [cmd.bytes] : (await import('./frame.js')).frameCommand(cmd.bytes, fo);
  const long = fo.format === 'packet' ? longPacketNote(cmd.bytes.length) : undefined;
  if (long) warnings.push(long);
  return { cmd, units, warnings };
}

/**
 * The note of a bare packet (--format packet) too long for one SMS: 140 octets of
 * user data less the 3 of the command-packet UDH (3GPP TS 31.115 cl. 6.1); undefined when it fits.
 */
export function longPacketNote(length: number): string | undefined {
  return length > 137 ? `the packet is ${length} octets, more than the 137 of one SMS; --format ud, tpdu or envelope concatenates it` : undefined;
}

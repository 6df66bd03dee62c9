/**
 * The SMS-PP layers below the secured packet, for `build sms` (`build por`'s: frame-por.ts)
 * (3GPP TS 31.115 cl. 4, TS 23.040, TS 31.111 cl. 7.1.1.2), and the pcap of
 * what was built (GSMTAP SIM frames that Wireshark's gsm_sim / etsi_cat /
 * gsm_sms dissectors decode).
 */
import { InputError } from '../util/errors.js';
import { fromHex } from '../util/hex.js';
import { buildSmsPp, type BuildSmsOptions } from '../smspp/build.js';
import { makeAddress } from '../smspp/address.js';
import { envelopeRecords } from '../smspp/gsmtap.js';
import { writePcap } from '../pcap/pcap.js';
import { intOption, octet } from '../util/options.js';

export interface SmsFrameOpts {
  format: 'packet' | 'ud' | 'tpdu' | 'envelope';
  oa?: string;
  oaTon?: string;
  oaNpi?: string;
  pid?: string;
  dcs?: string;
  scts?: string;
  smsc?: string;
  concatRef: string;
  concat16?: boolean;
  pcap?: string;
}

/** TP-SCTS option: `now`, an ISO date (e.g. 2026-03-01T12:00:00Z), or 7 octets of raw semi-octets. */
function sctsOption(s: string | undefined): Pick<BuildSmsOptions, 'scts' | 'now'> {
  if (s === undefined) return {};
  if (s === 'now') return { now: true };
  if (/^[0-9A-Fa-f\s]{14,20}$/.test(s) && s.replace(/\s/g, '').length === 14) return { scts: fromHex(s, '--scts') };
  // An ISO date keeps its own local time and zone (TP-SCTS carries both, TS 23.040 9.2.3.11).
  const m = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?(Z|[+-]\d\d:?\d\d)?$/.exec(s.trim());
  if (!m) throw new InputError('give "now", an ISO date (2026-03-01T12:00:00+01:00) or 14 hex digits of TP-SCTS', { field: '--scts' });
  let tzMinutes = 0;
  if (m[7] && m[7] !== 'Z') {
    const sign = m[7][0] === '-' ? -1 : 1;
    const digits = m[7].slice(1).replace(':', '');
    tzMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  }
  if (tzMinutes % 15 !== 0 || Math.abs(tzMinutes) > 79 * 15) throw new InputError('the time zone must be a whole number of quarter hours, at most ±19:45', { field: '--scts' });
  const f = { year: Number(m[1]) % 100, month: Number(m[2]), day: Number(m[3]), hour: Number(m[4]), minute: Number(m[5]), second: Number(m[6] ?? 0), tzQuarters: tzMinutes / 15 };
  if (f.month < 1 || f.month > 12 || f.day < 1 || f.day > 31 || f.hour > 23 || f.minute > 59 || f.second > 59) throw new InputError(`"${s}" is not a valid date and time`, { field: '--scts' });
  return { scts: f };
}

export function smsOptions(o: SmsFrameOpts): BuildSmsOptions {
  const refBits = o.concat16 ? 16 : 8;
  const opts: BuildSmsOptions = {
    ref: intOption(o.concatRef, '--concat-ref', 0, refBits === 16 ? 0xffff : 0xff),
    refBits,
    ...sctsOption(o.scts),
  };
  if (o.oa !== undefined) opts.oa = o.oa;
  if (o.oaTon !== undefined) opts.ton = intOption(o.oaTon, '--oa-ton', 0, 7);
  if (o.oaNpi !== undefined) opts.npi = intOption(o.oaNpi, '--oa-npi', 0, 15);
  if (o.pid !== undefined) opts.pid = octet(o.pid, '--pid');
  if (o.dcs !== undefined) opts.dcs = octet(o.dcs, '--dcs');
  if (o.smsc !== undefined) opts.scAddress = makeAddress(o.smsc, {}, '--smsc');
  return opts;
}

/** Command packet → the requested layer, one entry per SMS (concatenated when longer than 137 octets). */
export function frameCommand(packet: Uint8Array, o: SmsFrameOpts): Uint8Array[] {
  if (o.format === 'packet') {
    if (o.pcap) writeCommandPcap(packet, o);
    return [packet];
  }
  const opts = smsOptions(o);
  const built = buildSmsPp(packet, opts);
  if (o.pcap) writePcap(o.pcap, envelopeRecords(built.tpdus, { address: opts.scAddress as never }));
  return o.format === 'ud' ? built.uds : o.format === 'tpdu' ? built.tpdus : built.envelopes;
}

function writeCommandPcap(packet: Uint8Array, o: SmsFrameOpts): void {
  const opts = smsOptions(o);
  const built = buildSmsPp(packet, opts);
  writePcap(o.pcap!, envelopeRecords(built.tpdus, { address: opts.scAddress as never }));
}

/**
 * The PoR layers below a response packet, for `build por` (3GPP TS 31.115
 * cl. 4, TS 23.040, TS 31.111 cl. 7.1.1.2; CAT_TP data PDUs, TS 102 127), and
 * the pcap of what was built. Apart from src/api/frame.ts so that `build sms`
 * does not load the CAT_TP PDU coding (start-up).
 */
import { InputError } from '../util/errors.js';
import { splitPacket } from '../smspp/concat.js';
import { buildSmsSubmit, buildSmsDeliverReport, smsSubmit, smsDeliverReport } from '../smspp/tpdu.js';
import { buildSendShortMessage, fetchApdu } from '../smspp/proactive.js';
import { makeAddress } from '../smspp/address.js';
import { gsmtapSimRecords, exportedPduRecords, LINKTYPE_WIRESHARK_UPPER_PDU } from '../smspp/gsmtap.js';
import { writePcap } from '../pcap/pcap.js';
import { intOption } from '../util/options.js';
import { porPduFrames, type PduHeaderOpts } from './cattp-options.js';

export interface PorFrameOpts extends PduHeaderOpts {
  format: 'packet' | 'ud' | 'submit' | 'deliver-report' | 'proactive' | 'pdu';
  udpPort?: string;
  da?: string;
  concatRef?: string;
  pcap?: string;
}

/**
 * Response packet → PoR layers: user data `02 71 00 …`; SMS-SUBMIT (PoR via
 * SMS-SUBMIT, SPI2 b6 = 1), or inside a SEND SHORT MESSAGE proactive command;
 * SMS-DELIVER-REPORT (RP-ACK user data, SPI2 b6 = 0).
 */
export function framePor(packet: Uint8Array, dialect: string, o: PorFrameOpts): Uint8Array[] {
  if (o.format === 'packet') return [packet];
  if (o.format === 'pdu') {
    if (dialect !== 'cat_tp') throw new InputError('format pdu (CAT_TP data PDUs) needs --cattp', { field: '--format' });
    return porPduFrames(packet, o);
  }
  if (dialect !== 'sms-pp') throw new InputError(`format ${o.format} exists only for SMS-PP`, { field: '--format' });
  const ref = o.concatRef !== undefined ? intOption(o.concatRef, '--concat-ref', 0, 255) : 0;
  // Long responses are concatenated like commands, with IE 71 (onomondo's reading; no card trace confirms it).
  const uds = splitPacket(packet, { iei: 0x71, ref });
  if (o.format === 'ud') return uds;
  if (o.format === 'deliver-report') {
    if (uds.length > 1) throw new InputError('a PoR longer than one SMS cannot go in the SMS-DELIVER-REPORT (status 0B: send it via SMS-SUBMIT)', { field: '--format' });
    const tpdu = smsDeliverReport.encode(buildSmsDeliverReport({ ud: uds[0] }));
    if (o.pcap) writePcap(o.pcap, exportedPduRecords([tpdu], 'ms-to-sc'), LINKTYPE_WIRESHARK_UPPER_PDU);
    return [tpdu];
  }
  const da = makeAddress(o.da ?? '12345678', {}, '--da');
  const submits = uds.map((ud) => smsSubmit.encode(buildSmsSubmit({ ud, da })));
  if (o.format === 'submit') {
    if (o.pcap) writePcap(o.pcap, gsmtapSimRecords(submits.map((t) => { const d0 = buildSendShortMessage(t); return { command: fetchApdu(d0.length), response: d0 }; })));
    return submits;
  }
  const d0s = submits.map((t) => buildSendShortMessage(t));
  if (o.pcap) writePcap(o.pcap, gsmtapSimRecords(d0s.map((d0) => ({ command: fetchApdu(d0.length), response: d0 }))));
  return d0s;
}

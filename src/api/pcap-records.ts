/**
 * The pcap frames of a parsed input, as Wireshark would see it on the wire:
 * ENVELOPEs and proactive commands go into GSMTAP SIM frames as they are; a
 * bare TPDU, user data or packet is wrapped in the layers it would travel in
 * (commands: SMS-DELIVER in an ENVELOPE, 3GPP TS 31.111 cl. 7.1.1.2; responses:
 * SMS-SUBMIT in a SEND SHORT MESSAGE, TS 31.111 cl. 6.6.9); an
 * SMS-DELIVER-REPORT is an exported PDU (its own link type).
 */
import { InputError } from '../util/errors.js';
import type { Peeled } from '../layers/peel.js';
import { smsPeel } from '../layers/peel.js';
import { LINKTYPE_RAW, type PcapRecord } from '../pcap/pcap.js';
import { envelopeRecords, exportedPduRecords, gsmtapSimRecords, tpduGsmtapRecords, LINKTYPE_WIRESHARK_UPPER_PDU } from '../smspp/gsmtap.js';
import { buildSendShortMessage, fetchApdu } from '../smspp/proactive.js';
import { buildSmsPp } from '../smspp/build.js';
import { splitPacket } from '../smspp/concat.js';
import { buildSmsSubmit, smsSubmit } from '../smspp/tpdu.js';
import { makeAddress } from '../smspp/address.js';

export interface ParsedRecords {
  records: PcapRecord[];
  linktype: number;
}

/** Frames of one parsed SMS-PP input (all its segments). */
export function parsedPcap(p: Peeled): ParsedRecords {
  if (p.dialect !== 'sms-pp') throw new InputError('--pcap of parse writes SMS-PP captures; for CAT_TP use cattp commands', { field: '--pcap' });
  const frames: Array<{ command: Uint8Array; response?: Uint8Array }> = [];
  for (const b of p.inputs) {
    let kind: string;
    try {
      kind = smsPeel(b).kind;
    } catch {
      kind = 'packet';
    }
    if (kind === 'envelope') frames.push({ command: b });
    else if (kind === 'proactive') frames.push({ command: fetchApdu(b.length), response: b });
    else if (kind === 'tpdu') {
      const isReport = (b[0] & 3) === 0 && p.kind === 'response';
      if (isReport) return { records: exportedPduRecords(p.inputs, 'ms-to-sc'), linktype: LINKTYPE_WIRESHARK_UPPER_PDU };
      return { records: tpduGsmtapRecords(b, (b[0] & 3) === 1 ? 'ms-to-sc' : 'sc-to-ms').records, linktype: LINKTYPE_RAW };
    }
  }
  if (frames.length) return { records: gsmtapSimRecords(frames), linktype: LINKTYPE_RAW };
  // user data or a bare packet: wrap the reassembled packet as it would travel
  if (p.kind === 'response') {
    // PoR via SMS-SUBMIT in SEND SHORT MESSAGE; long responses concatenated with IE 71, as build por does.
    const da = makeAddress('12345678', {}, '--da');
    const d0s = splitPacket(p.packet, { iei: 0x71, ref: 0 }).map((ud) => buildSendShortMessage(smsSubmit.encode(buildSmsSubmit({ ud, da }))));
    return { records: gsmtapSimRecords(d0s.map((d0) => ({ command: fetchApdu(d0.length), response: d0 }))), linktype: LINKTYPE_RAW };
  }
  return { records: envelopeRecords(buildSmsPp(p.packet, { ref: 0, refBits: 8 }).tpdus), linktype: LINKTYPE_RAW };
}

/** Frames for a batch file of link type RAW (GSMTAP over IPv4/UDP); other link types cannot share it. */
export function parsedRecords(p: Peeled): PcapRecord[] {
  const r = parsedPcap(p);
  if (r.linktype !== LINKTYPE_RAW) throw new InputError('an SMS-DELIVER-REPORT is written as an exported PDU (link type 252): it cannot go into the batch\'s GSMTAP capture', { field: '--pcap' });
  return r.records;
}

/**
 * --pcap for parse: the input as Wireshark would see it. ENVELOPEs and
 * proactive commands go into GSMTAP SIM frames as they are; a bare TPDU,
 * user data or packet is wrapped in the layers it would travel in
 * (commands: SMS-DELIVER in an ENVELOPE; responses: SMS-SUBMIT in a SEND
 * SHORT MESSAGE); an SMS-DELIVER-REPORT is written as an exported PDU.
 */
import type { Peeled } from '../layers/peel.js';
import { writePcap } from '../pcap/pcap.js';
import { gsmtapSimRecords, tpduGsmtapRecords, exportedPduRecords, LINKTYPE_WIRESHARK_UPPER_PDU } from '../smspp/gsmtap.js';
import { fetchApdu } from '../smspp/proactive.js';
import { frameCommand, framePor } from './frame.js';
import { smsPeel } from '../layers/peel.js';
import { InputError } from '../util/errors.js';

export function writeParsedPcap(path: string, p: Peeled): void {
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
      if (isReport) {
        writePcap(path, exportedPduRecords(p.inputs, 'ms-to-sc'), LINKTYPE_WIRESHARK_UPPER_PDU);
        return;
      }
      const w = tpduGsmtapRecords(b, (b[0] & 3) === 1 ? 'ms-to-sc' : 'sc-to-ms');
      writePcap(path, w.records);
      return;
    }
  }
  if (frames.length) {
    writePcap(path, gsmtapSimRecords(frames));
    return;
  }
  // user data or a bare packet: wrap the reassembled packet as it would travel
  if (p.kind === 'response') framePor(p.packet, 'sms-pp', { format: 'proactive', pcap: path });
  else frameCommand(p.packet, { format: 'envelope', concatRef: '0', pcap: path });
}

/**
 * Sending the secured packets of a remote management script (rfm / ram)
 * through a transport, one packet at a time, each PoR handed back before the
 * next packet goes (an OTA server stops at the first failing packet):
 *
 * - `pcsc`: each packet as ENVELOPE(SMS-PP DOWNLOAD) C-APDUs (3GPP TS 31.111
 *   cl. 7.1.1.2), one per SMS segment, exchanged with the card in a PC/SC
 *   reader as a terminal would (src/transport/pcsc); the PoR comes back in the
 *   ENVELOPE response (SMS-DELIVER-REPORT) or by SEND SHORT MESSAGE.
 * - `smpp`: each packet as SMS user data (UDH included, 3GPP TS 31.115) in
 *   submit_sm PDUs to an SMSC (src/transport/smpp); the PoR comes back in a
 *   deliver_sm, matched to its command by TAR and counter (TS 102 225 cl. 5.2).
 *
 * The counters were reserved when the packets were secured (one per packet,
 * from the counter store): a packet that is sent has used its counter.
 */
import { NetworkError } from '../util/errors.js';
import { toHex } from '../util/hex.js';
import type { SecuredCommand } from '../secured/command.js';
import type { KeyMaterial } from '../secured/keys.js';
import type { ApduExchange, SendPcscResult } from '../transport/pcsc/send.js';
import type { SmppAddress } from '../transport/smpp/mapping.js';

export interface PcscDelivery {
  kind: 'pcsc';
  /** Reader index, exact name or unique part (default the first reader with a card). */
  reader?: string;
  timeoutMs?: number;
  /** 00 UICC or A0 2G SIM (class of GET RESPONSE, ENVELOPE, FETCH, TERMINAL RESPONSE). */
  cla?: 0x00 | 0xa0;
  terminalProfile?: Uint8Array | null;
  selectAdf?: Uint8Array;
  onApdu?: (x: ApduExchange) => void;
}

export interface SmppDelivery {
  kind: 'smpp';
  host: string;
  port: number;
  systemId: string;
  password: string;
  systemType?: string;
  dest: SmppAddress;
  source?: SmppAddress;
  timeoutMs?: number;
  onPdu?: Parameters<typeof import('../transport/smpp/esme.js').sendSmpp>[0]['onPdu'];
}

export type ScriptDelivery = PcscDelivery | SmppDelivery;

/** What came back for one packet. */
export interface PacketSent {
  /** 1-based packet number. */
  packet: number;
  /** The PoR's user data (02 71 00 …, or the segments of a concatenated PoR); none when no PoR came. */
  porUds?: Uint8Array[];
  /** Where the PoR came from: ENVELOPE response (SMS-DELIVER-REPORT), SEND SHORT MESSAGE (SMS-SUBMIT), deliver_sm. */
  via?: 'deliver-report' | 'submit' | 'deliver_sm';
  /** Why there is no PoR (transport notes). */
  notes: string[];
  /** PC/SC: the exchange (reader, ATR, APDUs). */
  pcsc?: SendPcscResult;
}

/**
 * Send `packets` (already secured; `frames[i]` the ENVELOPEs for pcsc or the
 * SMS user data for smpp) one after the other; `judge` sees each packet's
 * outcome and says whether to go on. Transport failures reject with the
 * NetworkError of the transport (exit 4), after `judge` has seen what came.
 */
export async function sendScriptPackets(
  packets: SecuredCommand[], frames: Uint8Array[][], keys: KeyMaterial, via: ScriptDelivery,
  judge: (sent: PacketSent) => Promise<boolean>,
): Promise<void> {
  if (via.kind === 'pcsc') {
    const { sendPcsc } = await import('../transport/pcsc/send.js');
    for (let i = 0; i < packets.length; i++) {
      const ex = await sendPcsc({
        envelopes: frames[i], reader: via.reader, timeoutMs: via.timeoutMs, cla: via.cla,
        terminalProfile: via.terminalProfile, selectAdf: via.selectAdf, onApdu: via.onApdu,
      });
      const sent: PacketSent = { packet: i + 1, notes: [...ex.warnings], pcsc: ex };
      if (ex.submitUds.length) Object.assign(sent, { porUds: ex.submitUds, via: 'submit' });
      else if (ex.deliverReportUd) Object.assign(sent, { porUds: [ex.deliverReportUd], via: 'deliver-report' });
      else sent.notes.push(`no PoR: the card answered ${ex.envelopes.map((e) => e.finalSw.toString(16).toUpperCase().padStart(4, '0')).join(', ')} without response data or SEND SHORT MESSAGE`);
      if (!(await judge(sent))) return;
    }
    return;
  }
  const { sendSmpp } = await import('../transport/smpp/esme.js');
  const { porReader } = await import('./smpp-download.js');
  for (let i = 0; i < packets.length; i++) {
    const cmd = packets[i];
    const r = await sendSmpp({
      host: via.host, port: via.port, systemId: via.systemId, password: via.password, systemType: via.systemType,
      dest: via.dest, source: via.source, timeoutMs: via.timeoutMs, onPdu: via.onPdu,
      messages: [{ uds: frames[i], tar: cmd.tar, counter: cmd.counter }],
      readPor: porReader(cmd, keys),
    });
    const m = r.messages[0];
    if (m.error) throw new NetworkError(`packet ${i + 1}: ${m.error}`, { layer: 'SMPP' });
    const sent: PacketSent = { packet: i + 1, notes: [...m.notes, ...r.other] };
    if (m.por) Object.assign(sent, { porUds: m.por.uds, via: 'deliver_sm' });
    else {
      const seen = r.unmatched.map((u) => `TAR ${toHex(u.identity.tar)} CNTR ${u.identity.counter ?? '?'}`);
      sent.notes.push(`no PoR for TAR ${toHex(cmd.tar)} CNTR ${cmd.counter} within the timeout${seen.length ? `; PoRs for other commands: ${seen.join(', ')}` : ''}${m.interim ? '; only the status 0B PoR arrived' : ''}`);
    }
    if (!(await judge(sent))) return;
  }
}

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
 * - `cattp`: as the OTA server of a CAT_TP session (ETSI TS 102 127, the
 *   SCP80 over CAT_TP case of TS 102 225): listen on UDP, wait for the card's
 *   SYN, push each packet as an SDU once the connection is OPEN; the card's
 *   answer SDU is the PoR; the connection is closed after the last one.
 *
 * The counters were reserved when the packets were secured (one per packet,
 * from the counter store): a packet that is sent has used its counter.
 */
import { NetworkError, type OtaError } from '../util/errors.js';
import { hex4, toHex } from '../util/hex.js';
import type { SecuredCommand } from '../secured/command.js';
import type { KeyMaterial } from '../secured/keys.js';
import type { ApduExchange, SendPcscResult } from '../transport/pcsc/send.js';
import type { SmppAddress } from '../transport/smpp/mapping.js';
import type { Addr, PduLogEntry } from '../cattp/session.js';

export interface PcscDelivery {
  kind: 'pcsc';
  /** Reader index, exact name or unique part (default the first reader with a card). */
  reader?: string;
  timeoutMs?: number;
  /** 00 UICC or A0 2G SIM (class of GET RESPONSE, ENVELOPE, FETCH, TERMINAL RESPONSE). */
  cla?: 0x00 | 0xa0;
  terminalProfile?: Uint8Array | null;
  selectAdf?: Uint8Array;
  /** General result of the TERMINAL RESPONSE to proactive commands other than SEND SHORT MESSAGE. */
  proactiveResult?: number;
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

export interface CattpDelivery {
  kind: 'cattp';
  /** UDP address to listen on (default 127.0.0.1) and port (0: a free one; see onListening). */
  host: string;
  port: number;
  /** Bound on the wait for the card's connection and for each PoR, in ms. */
  timeoutMs: number;
  onListening?: (address: Addr) => void;
  onPdu?: (e: PduLogEntry) => void;
  onTrace?: (line: string) => void;
  signal?: AbortSignal;
}

export type ScriptDelivery = PcscDelivery | SmppDelivery | CattpDelivery;

/** What came back for one packet. */
export interface PacketSent {
  /** 1-based packet number. */
  packet: number;
  /** The PoR's user data (02 71 00 …, or the segments of a concatenated PoR); none when no PoR came. */
  porUds?: Uint8Array[];
  /** Where the PoR came from: ENVELOPE response (SMS-DELIVER-REPORT), SEND SHORT MESSAGE (SMS-SUBMIT), deliver_sm. */
  via?: 'deliver-report' | 'submit' | 'deliver_sm' | 'cattp';
  /** Why there is no PoR (transport notes). */
  notes: string[];
  /** PC/SC: the exchange (reader, ATR, APDUs). */
  pcsc?: SendPcscResult;
  /** CAT_TP: the card's UDP address and the identification of its SYN (hex). */
  cattp?: { remote: Addr; identification: string };
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
  if (via.kind === 'cattp') return sendCattp(packets, via, judge);
  if (via.kind === 'pcsc') {
    const { PcscUicc } = await import('../transport/pcsc/uicc.js');
    // One connection for the script (TERMINAL PROFILE and SELECT ADF once, before the first packet).
    const card = new PcscUicc({
      reader: via.reader, timeoutMs: via.timeoutMs, cla: via.cla,
      terminalProfile: via.terminalProfile, selectAdf: via.selectAdf, proactiveResult: via.proactiveResult, onApdu: via.onApdu,
    });
    try {
      for (let i = 0; i < packets.length; i++) {
        const ex = await card.download(frames[i]);
          const sent: PacketSent = { packet: i + 1, notes: [...ex.warnings], pcsc: ex };
        if (ex.submitUds.length) Object.assign(sent, { porUds: ex.submitUds, via: 'submit' });
        else if (ex.deliverReportUd) Object.assign(sent, { porUds: [ex.deliverReportUd], via: 'deliver-report' });
        else sent.notes.push(`no PoR: the card answered ${ex.envelopes.map((e) => hex4(e.finalSw)).join(', ')} without response data or SEND SHORT MESSAGE`);
        if (!(await judge(sent))) return;
      }
    } finally {
      await card.close();
    }
    return;
  }
  const { sendSmpp } = await import('../transport/smpp/esme.js');
  const { porReader } = await import('./smpp-download.js');
  if (!packets.length) return;
  // One bind for the whole script: packet i+1 is submitted once packet i's PoR was judged.
  // The script's packets share SPI, KIc and KID: the first one's reader reads every PoR.
  let other = 0;
  await sendSmpp({
    host: via.host, port: via.port, systemId: via.systemId, password: via.password, systemType: via.systemType,
    dest: via.dest, source: via.source, timeoutMs: via.timeoutMs, onPdu: via.onPdu,
    messages: packets.map((cmd, i) => ({ uds: frames[i], tar: cmd.tar, counter: cmd.counter })),
    readPor: porReader(packets[0], keys),
    paced: async (i, m, seen) => {
      const cmd = packets[i];
      if (m.error) throw new NetworkError(`packet ${i + 1}: ${m.error}`, { layer: 'SMPP' });
      const sent: PacketSent = { packet: i + 1, notes: [...m.notes, ...seen.other.slice(other)] };
      other = seen.other.length;
      if (m.por) Object.assign(sent, { porUds: m.por.uds, via: 'deliver_sm' });
      else {
        const stray = seen.unmatched.map((u) => `TAR ${toHex(u.identity.tar)} CNTR ${u.identity.counter ?? '?'}`);
        sent.notes.push(`no PoR for TAR ${toHex(cmd.tar)} CNTR ${cmd.counter} within the timeout${stray.length ? `; PoRs for other commands: ${stray.join(', ')}` : ''}${m.interim ? '; only the status 0B PoR arrived' : ''}`);
      }
      return judge(sent);
    },
  });
}

/**
 * The OTA server side of one CAT_TP session carrying the whole script: the
 * first packet once the connection is OPEN, each further one after the PoR
 * of the one before passed `judge`; then the connection is closed (RST 00,
 * TS 102 127 cl. 5.2.4). A command whose SPI asks no PoR (or one on error
 * only) that gets none after the wait ends the session.
 */
async function sendCattp(packets: SecuredCommand[], via: CattpDelivery, judge: (sent: PacketSent) => Promise<boolean>): Promise<void> {
  const { serve } = await import('../cattp/session.js');
  const porRequired = (c: SecuredCommand) => c.spi.porRequest !== 'none' && c.spi.porRequest !== 'on-error';
  let next = 0; // packets pushed
  let judged = 0;
  let judgeError: unknown;
  let sessionError: OtaError | undefined;
  let peer: PacketSent['cattp'];
  let timer: NodeJS.Timeout | undefined;
  const push = (i: number) => {
    next = i + 1;
    return { sdu: packets[i].bytes, expectAnswer: porRequired(packets[i]) };
  };
  const server = await serve({
    port: via.port,
    host: via.host,
    maxSessions: 1,
    responseTimeoutMs: via.timeoutMs,
    signal: via.signal,
    log: via.onPdu,
    trace: via.onTrace,
    onOpen: (info) => {
      clearTimeout(timer);
      peer = { remote: info.remote, identification: toHex(info.identification) };
      return push(0);
    },
    onSdu: async (sdu) => {
      const n = next;
      judged = n;
      let go: boolean;
      try {
        go = await judge({ packet: n, porUds: [sdu], via: 'cattp', notes: [], cattp: peer });
      } catch (e) {
        judgeError = e;
        return undefined;
      }
      // Nothing returned: the connection closes once all is acknowledged.
      return go && n < packets.length ? push(n) : undefined;
    },
    onSessionEnd: (_info, err) => {
      sessionError = err;
    },
  });
  via.onListening?.(server.address);
  timer = setTimeout(() => void server.close(), via.timeoutMs);
  const summary = await server.done;
  clearTimeout(timer);
  if (judgeError) throw judgeError;
  if (!summary.sessions) {
    if (via.signal?.aborted) throw new NetworkError('stopped before a card connected', { layer: 'CAT_TP' });
    throw new NetworkError(`no card opened a CAT_TP connection to UDP ${server.address.address}:${server.address.port} within ${via.timeoutMs} ms`, { layer: 'CAT_TP' });
  }
  if (sessionError) throw new NetworkError(`packet ${Math.max(next, 1)}: ${sessionError.message}`, { layer: 'CAT_TP' });
  // The last packet pushed asked for no PoR and none came: its outcome, without a PoR.
  if (next > judged && next > 0) {
    const c = packets[next - 1];
    await judge({ packet: next, notes: [`no PoR within ${via.timeoutMs} ms (SPI2 asks for ${c.spi.porRequest === 'none' ? 'none' : 'a PoR on error only'})`], cattp: peer });
  }
}

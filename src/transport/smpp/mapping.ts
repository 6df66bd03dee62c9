/**
 * Between SMPP 3.4 PDUs and 3GPP TS 23.040 TPDUs, as an SMSC does it.
 *
 * submit_sm → SMS-DELIVER (TS 23.040 cl. 9.2.2.1): TP-OA from source_addr
 * (TON/NPI from source_addr_ton/npi; SMPP 3.4 cl. 5.2.5/5.2.6 use the TS 23.040
 * codes for the values OTA uses), TP-PID = protocol_id, TP-DCS = data_coding,
 * TP-UDHI = esm_class bit 6 (cl. 5.2.12), TP-RP = esm_class bit 7, TP-SCTS =
 * now, TP-UD = short_message (or the message_payload TLV).
 *
 * Card → ESME, each as a deliver_sm with esm_class 0x40 (UDHI, default
 * message type) and the TP-UD as short_message, so that an OTA server reads
 * the PoR the same way whichever way the card sent it:
 *  - PoR in the SMS-DELIVER-REPORT (the ENVELOPE response data; SPI2 b6 = 0):
 *    source_addr = the submit_sm's destination_addr (the card's MSISDN),
 *    destination_addr = the submit_sm's source_addr, protocol_id/data_coding =
 *    TP-PID/TP-DCS of the report (those of the SMS-DELIVER, TS 31.111 cl. 7.1.1.1).
 *  - SMS-SUBMIT sent by the card (proactive SEND SHORT MESSAGE; SPI2 b6 = 1):
 *    source_addr = the submit_sm's destination_addr, destination_addr = the
 *    SMS-SUBMIT's TP-DA with its TON/NPI, protocol_id/data_coding = its
 *    TP-PID/TP-DCS; each SMS of a concatenated SMS-SUBMIT is its own deliver_sm.
 */
import { InputError } from '../../util/errors.js';
import { makeAddress, type SmsAddress } from '../../smspp/address.js';
import { buildSmsDeliver, decodeTpdu, smsDeliver, type DecodedSmsSubmit, type SmsDeliver } from '../../smspp/tpdu.js';
import { sctsFromDate } from '../../smspp/scts.js';
import { ESM_UDHI, type SmppPdu } from './lib.js';

export interface SmppAddress {
  ton: number;
  npi: number;
  addr: string;
}

/** The user data of a submit_sm/deliver_sm: short_message, or the message_payload TLV (SMPP 3.4 cl. 5.3.2.32). */
export function userDataOf(pdu: SmppPdu): Uint8Array {
  const sm = pdu.short_message as Uint8Array | undefined;
  if (sm && sm.length) return Uint8Array.from(sm);
  const mp = pdu.message_payload as Uint8Array | undefined;
  return mp ? Uint8Array.from(mp) : new Uint8Array(0);
}

/** SMPP address fields → TS 23.040 address. Alphanumeric (TON 5) is kept as text. */
export function smsAddressOf(a: SmppAddress, field: string): SmsAddress {
  if (a.ton > 7) throw new InputError(`TON ${a.ton} has no TS 23.040 code`, { layer: 'SMPP', field: `${field}_ton` });
  if (a.npi > 15) throw new InputError(`NPI ${a.npi} has no TS 23.040 code`, { layer: 'SMPP', field: `${field}_npi` });
  return makeAddress(a.addr.replace(/^\+/, ''), { ton: a.ton, npi: a.npi }, field);
}

/**
 * SMPP data_coding → TP-DCS (SMPP 3.4 cl. 5.2.19): the values OTA uses are the
 * TS 23.038 codes (0x04 8-bit, 0xF0–0xFF message class), except 0x02 "octet
 * unspecified (8-bit binary)", which TS 23.038 codes 0x04.
 */
export function tpDcsOf(dataCoding: number): number {
  return dataCoding === 0x02 ? 0x04 : dataCoding;
}

/** submit_sm → the SMS-DELIVER the SMSC sends to the MS. */
export function deliverFromSubmit(pdu: SmppPdu, now = new Date()): { deliver: SmsDeliver; tpdu: Uint8Array } {
  const esm = pdu.esm_class as number;
  const deliver = buildSmsDeliver({
    ud: userDataOf(pdu),
    udhi: (esm & ESM_UDHI) !== 0,
    rp: (esm & 0x80) !== 0,
    oa: smsAddressOf({ ton: pdu.source_addr_ton as number, npi: pdu.source_addr_npi as number, addr: String(pdu.source_addr ?? '') }, 'source_addr'),
    pid: pdu.protocol_id as number,
    dcs: tpDcsOf((pdu.data_coding as number | null) ?? 0),
    scts: sctsFromDate(now, 0),
    mms: true,
  });
  return { deliver, tpdu: smsDeliver.encode(deliver) };
}

/** Fields of a deliver_sm carrying `ud` (UDHI set when asked). */
export function deliverSmFields(o: { source: SmppAddress; dest: SmppAddress; pid: number; dcs: number; ud: Uint8Array; udhi: boolean }): Record<string, unknown> {
  return {
    source_addr_ton: o.source.ton,
    source_addr_npi: o.source.npi,
    source_addr: o.source.addr,
    dest_addr_ton: o.dest.ton,
    dest_addr_npi: o.dest.npi,
    destination_addr: o.dest.addr,
    esm_class: o.udhi ? ESM_UDHI : 0,
    protocol_id: o.pid,
    data_coding: o.dcs,
    short_message: Buffer.from(o.ud),
  };
}

/** An SMS-SUBMIT TPDU sent by the card → the deliver_sm fields for the ESME (see the header comment). */
export function deliverSmFromSubmitTpdu(tpdu: Uint8Array, card: SmppAddress): { fields: Record<string, unknown>; submit: DecodedSmsSubmit } {
  const d = decodeTpdu(tpdu, 'ms-to-sc');
  if (d.type !== 'SMS-SUBMIT') throw new InputError(`the card sent an ${d.type}, not an SMS-SUBMIT`, { layer: 'SEND SHORT MESSAGE', field: 'TP-MTI' });
  const s = d as DecodedSmsSubmit;
  return {
    submit: s,
    fields: deliverSmFields({ source: card, dest: { ton: s.da.ton, npi: s.da.npi, addr: s.da.digits }, pid: s.pid, dcs: s.dcs, ud: s.ud ?? new Uint8Array(0), udhi: s.udhi }),
  };
}

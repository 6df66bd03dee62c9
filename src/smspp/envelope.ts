/**
 * ENVELOPE (SMS-PP DOWNLOAD), 3GPP TS 31.111 cl. 7.1.1.2 / TS 102 223:
 * C-APDU 80 C2 00 00 Lc (A0 C2 for a 2G SIM, TS 51.014) with the BER-TLV
 * D1 { device identities 82 (83 network → 81 UICC), [address 86 = SC RP-OA],
 * SMS TPDU 8B (SMS-DELIVER) }. Decoding accepts either CR form (02/06/0B).
 */
import { InputError, shiftOffset } from '../util/errors.js';
import { concat, toHex } from '../util/hex.js';
import { addressValue, type DecodedAddress, type SmsAddress } from './address.js';
import { berTlvDecode, BerTlvPieces, type CrFlags, crFor, CTAG, type Ctlv, ctlvDecodeAll } from './ctlv.js';
import { checkByte, hex2, need } from './fields.js';
import { type DecodedTpdu, decodeTpdu } from './tpdu.js';
import { withMembers } from '../util/object.js';

export const ENVELOPE_INS = 0xc2;
export const TAG_SMS_PP_DOWNLOAD = 0xd1;
export const DEVICE = { UICC: 0x81, TERMINAL: 0x82, NETWORK: 0x83 } as const;

export interface DeviceIdentities {
  source: number;
  destination: number;
}

export interface SmsPpDownload {
  /** 0x80 (UICC, default) or 0xA0 (2G SIM). */
  cla?: number;
  p1?: number;
  p2?: number;
  /** Default network (83) → UICC (81). */
  deviceIdentities?: DeviceIdentities;
  /** Service-centre address (RP-OA), optional. */
  address?: SmsAddress;
  /** The complete SMS-DELIVER TPDU. */
  tpdu: Uint8Array;
  /** CR flag on the objects: true (default) → 82/86/8B, false → 02/06/0B; or per object. */
  cr?: CrFlags<'deviceIdentities' | 'address' | 'tpdu'>;
  /** Append an Le octet (not used by TS 31.111; some readers send 00). */
  le?: number;
}

export interface DecodedEnvelope {
  /** APDU header, when the input had one. */
  cla?: number;
  ins?: number;
  p1?: number;
  p2?: number;
  lc?: number;
  le?: number;
  /** BER-TLV tag (D1). */
  tag: number;
  /** BER-TLV length value. */
  berLength: number;
  /** Offset of the BER tag in the input. */
  berOffset: number;
  deviceIdentities: DeviceIdentities & { cr: boolean; offset: number };
  address?: DecodedAddress & { cr: boolean; offset: number };
  tpdu: Uint8Array;
  tpduCr: boolean;
  /** Offset of the TPDU's first octet in the input. */
  tpduOffset: number;
  /** Decoded SMS-DELIVER (unless decoding the TPDU was switched off). */
  sms?: DecodedTpdu;
  /** Every COMPREHENSION-TLV in order (offsets relative to the input). */
  tlvs: Ctlv[];
  warnings: string[];
  hex: string;
  length: number;
}

const LAYER = 'ENVELOPE';

/** The D1 BER-TLV's pieces (device identities, [address,] SMS TPDU) and its length. */
function envelopePieces(v: SmsPpDownload): { pieces: Uint8Array[]; length: number } {
  const di = v.deviceIdentities ?? { source: DEVICE.NETWORK, destination: DEVICE.UICC };
  checkByte(di.source, LAYER, 'Source Device ID');
  checkByte(di.destination, LAYER, 'Destination Device ID');
  const t = new BerTlvPieces(LAYER).add(CTAG.DEVICE_IDENTITIES, Uint8Array.of(di.source, di.destination), crFor(v.cr, 'deviceIdentities'));
  if (v.address) t.add(CTAG.ADDRESS, addressValue.encode(v.address), crFor(v.cr, 'address'));
  return t.add(CTAG.SMS_TPDU, v.tpdu, crFor(v.cr, 'tpdu')).close(TAG_SMS_PP_DOWNLOAD);
}

/** The D1 BER-TLV (APDU data field). */
export function envelopeData(v: SmsPpDownload): Uint8Array {
  return concat(...envelopePieces(v).pieces);
}

export const envelope = {
  encodingLength(v: SmsPpDownload): number {
    return envelope.encode(v).length;
  },
  /** Complete C-APDU: CLA C2 P1 P2 Lc ‖ D1 TLV [‖ Le]. */
  encode(v: SmsPpDownload): Uint8Array {
    const data = envelopePieces(v);
    if (data.length > 255) throw new InputError(`ENVELOPE data of ${data.length} octets exceeds 255`, { layer: LAYER, field: 'Lc' });
    const cla = v.cla ?? 0x80;
    checkByte(cla, LAYER, 'CLA');
    const hdr = Uint8Array.of(cla, ENVELOPE_INS, v.p1 ?? 0, v.p2 ?? 0, data.length);
    return v.le === undefined ? concat(hdr, ...data.pieces) : concat(hdr, ...data.pieces, Uint8Array.of(v.le));
  },
  /**
   * Decode `80 C2 00 00 Lc D1 …` [Le] or the bare `D1 …` data field.
   * Offsets in errors and in the result are relative to `bytes`.
   */
  decode(bytes: Uint8Array, offset = 0, opts: { decodeTpdu?: boolean } = {}): DecodedEnvelope {
    const warnings: string[] = [];
    need(bytes, offset, 1, LAYER, 'CLA');
    let o = offset;
    let end = bytes.length;
    const r: Partial<DecodedEnvelope> = {};
    if (bytes[o] !== TAG_SMS_PP_DOWNLOAD) {
      need(bytes, o, 5, LAYER, 'APDU header');
      if (bytes[o + 1] !== ENVELOPE_INS) {
        throw new InputError(`INS is 0x${hex2(bytes[o + 1])}, not C2 (ENVELOPE); the input starts neither with an ENVELOPE header nor with tag D1`, { layer: LAYER, field: 'INS', offset: o + 1 });
      }
      r.cla = bytes[o];
      r.ins = bytes[o + 1];
      r.p1 = bytes[o + 2];
      r.p2 = bytes[o + 3];
      r.lc = bytes[o + 4];
      if (r.cla !== 0x80 && r.cla !== 0xa0) warnings.push(`CLA 0x${hex2(r.cla)} is neither 80 (UICC) nor A0 (SIM)`);
      const avail = bytes.length - o - 5;
      if (r.lc > avail) throw new InputError(`says ${r.lc} octets, ${avail} present`, { layer: LAYER, field: 'Lc', offset: o + 4 });
      if (avail === r.lc + 1) r.le = bytes[bytes.length - 1];
      else if (avail !== r.lc) throw new InputError(`says ${r.lc} octets, ${avail} follow (only one Le octet may follow the data)`, { layer: LAYER, field: 'Lc', offset: o + 4 });
      o += 5;
      end = o + r.lc;
    }
    need(bytes, o, 1, LAYER, 'BER-TLV tag');
    if (bytes[o] !== TAG_SMS_PP_DOWNLOAD) {
      throw new InputError(`is 0x${hex2(bytes[o])}, expected D1 (SMS-PP download)`, { layer: LAYER, field: 'BER-TLV tag', offset: o });
    }
    const ber = berTlvDecode(bytes, o, end, LAYER);
    const tlvs = ctlvDecodeAll(bytes, ber.valueOffset, end, LAYER);
    const find = (tag: number) => {
      let first: Ctlv | undefined;
      let n = 0;
      for (const t of tlvs) {
        if (t.tag !== tag) continue;
        if (!n++) first = t;
      }
      if (n > 1) warnings.push(`tag ${hex2(tag)} appears ${n} times; the first is used`);
      return first;
    };
    const di = find(CTAG.DEVICE_IDENTITIES);
    if (!di) throw new InputError('missing (mandatory COMPREHENSION-TLV 82/02)', { layer: LAYER, field: 'Device identities', offset: ber.valueOffset });
    if (di.value.length !== 2) throw new InputError(`must be 2 octets, has ${di.value.length}`, { layer: LAYER, field: 'Device identities', offset: di.offset + 1 });
    if (di.value[0] !== DEVICE.NETWORK || di.value[1] !== DEVICE.UICC) {
      warnings.push(`device identities ${toHex(di.value)} are not 83 81 (network → UICC)`);
    }
    const tp = find(CTAG.SMS_TPDU);
    if (!tp) throw new InputError('missing (mandatory COMPREHENSION-TLV 8B/0B)', { layer: LAYER, field: 'SMS TPDU', offset: ber.valueOffset });
    const ad = find(CTAG.ADDRESS);
    // The tags 02 / 06 / 0B in order must be exactly 02, [06,] 0B.
    const want = ad ? [2, 6, 0x0b] : [2, 0x0b];
    let k = 0;
    let inOrder = true;
    for (const t of tlvs) {
      if (t.tag !== 2 && t.tag !== 6 && t.tag !== 0x0b) continue;
      if (want[k++] !== t.tag) inOrder = false;
    }
    if (!inOrder || k !== want.length) warnings.push('objects are not in the order device identities, address, SMS TPDU');
    for (const t of tlvs) if (t.tag !== 2 && t.tag !== 6 && t.tag !== 0x0b) warnings.push(`unexpected object tag ${toHex(t.rawTag)}`);
    let address: DecodedEnvelope['address'];
    if (ad) {
      const a = shiftOffset(ad.valueOffset, LAYER, () => addressValue.decode(ad.value, `${LAYER} Address`));
      address = withMembers(a, { cr: ad.cr, offset: ad.offset });
      warnings.push(...a.warnings.map((w) => `Address: ${w}`));
    }
    let sms: DecodedTpdu | undefined;
    if (opts.decodeTpdu ?? true) {
      sms = shiftOffset(tp.valueOffset, undefined, () => decodeTpdu(tp.value, 'sc-to-ms'));
      if (sms.type !== 'SMS-DELIVER') warnings.push(`SMS TPDU is ${sms.type}, expected SMS-DELIVER`);
    }
    // r's own members first, then these (what { ...r, tag, ... } gives, without copying r).
    const e = r as DecodedEnvelope;
    e.tag = bytes[o];
    e.berLength = ber.lengthValue;
    e.berOffset = o;
    e.deviceIdentities = { source: di.value[0], destination: di.value[1], cr: di.cr, offset: di.offset };
    e.address = address;
    e.tpdu = tp.value;
    e.tpduCr = tp.cr;
    e.tpduOffset = tp.valueOffset;
    e.sms = sms;
    e.tlvs = tlvs;
    e.warnings = warnings;
    e.hex = toHex(bytes.subarray(offset));
    e.length = bytes.length - offset;
    return e;
  },
};

/** ENVELOPE (SMS-PP DOWNLOAD) C-APDU around an SMS-DELIVER TPDU. */
export function buildEnvelope(tpdu: Uint8Array, opts: Omit<SmsPpDownload, 'tpdu'> = {}): Uint8Array {
  return envelope.encode(withMembers(opts, { tpdu }));
}

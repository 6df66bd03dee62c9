/**
 * Proactive command BER-TLV D0 (TS 102 223 cl. 6.6), as returned by FETCH,
 * with the objects of SEND SHORT MESSAGE (type 13, cl. 6.6.9): command details
 * 81, device identities 82 (81 UICC → 83 network), [alpha identifier 85],
 * [address 86 = RP-DA of the SC], SMS TPDU 8B (an SMS-SUBMIT carrying the PoR
 * when SPI2 b6 = 1). Also the FETCH and TERMINAL RESPONSE APDUs of that flow.
 */
import { InputError, shiftOffset } from '../util/errors.js';
import { concat, toHex } from '../util/hex.js';
import { addressValue, type DecodedAddress, type SmsAddress } from './address.js';
import { berTlvDecode, BerTlvPieces, type CrFlags, crFor, CTAG, type Ctlv, ctlvDecodeAll, ctlvEncode } from './ctlv.js';
import { checkByte, hex2, need } from './fields.js';
import { type DecodedTpdu, decodeTpdu } from './tpdu.js';
import { DEVICE, type DeviceIdentities } from './envelope.js';

export const TAG_PROACTIVE = 0xd0;
export const TYPE_SEND_SHORT_MESSAGE = 0x13;

export const COMMAND_TYPE_NAMES: Record<number, string> = {
  0x01: 'REFRESH',
  0x05: 'SET UP EVENT LIST',
  0x10: 'SET UP CALL',
  0x11: 'SEND SS',
  0x12: 'SEND USSD',
  0x13: 'SEND SHORT MESSAGE',
  0x20: 'PLAY TONE',
  0x21: 'DISPLAY TEXT',
  0x23: 'GET INPUT',
  0x24: 'SELECT ITEM',
  0x25: 'SET UP MENU',
  0x26: 'PROVIDE LOCAL INFORMATION',
  0x40: 'OPEN CHANNEL',
  0x41: 'CLOSE CHANNEL',
  0x42: 'RECEIVE DATA',
  0x43: 'SEND DATA',
};

export interface CommandDetails {
  number: number;
  type: number;
  qualifier: number;
}

export interface ProactiveCommand {
  commandDetails: CommandDetails;
  /** Default UICC (81) → network (83). */
  deviceIdentities?: DeviceIdentities;
  /** Raw alpha identifier (EF-ADN coding); `new Uint8Array(0)` gives the empty 85 00 object. */
  alphaId?: Uint8Array;
  address?: SmsAddress;
  tpdu?: Uint8Array;
  /** CR flag on the objects (default true: 81/82/85/86/8B); per object e.g. { alphaId: false } for 05 00 as in the Gemalto trace. */
  cr?: CrFlags<ProactiveObject>;
}

export type ProactiveObject = 'commandDetails' | 'deviceIdentities' | 'alphaId' | 'address' | 'tpdu';

export interface DecodedProactiveCommand {
  tag: number;
  berLength: number;
  commandDetails: CommandDetails & { offset: number };
  deviceIdentities: DeviceIdentities & { offset: number };
  alphaId?: Uint8Array;
  address?: DecodedAddress;
  tpdu?: Uint8Array;
  tpduOffset?: number;
  /** The SMS-SUBMIT (ms-to-sc) for SEND SHORT MESSAGE. */
  sms?: DecodedTpdu;
  /** Status word when the input was FETCH response data + SW. */
  sw?: number;
  /** CR flag of each object as received. */
  cr: Partial<Record<ProactiveObject, boolean>>;
  tlvs: Ctlv[];
  warnings: string[];
  hex: string;
}

const LAYER = 'proactive command';

export const proactiveCommand = {
  encodingLength(v: ProactiveCommand): number {
    return proactiveCommand.encode(v).length;
  },
  encode(v: ProactiveCommand): Uint8Array {
    const cr = (k: ProactiveObject) => crFor(v.cr, k);
    const cd = v.commandDetails;
    checkByte(cd.number, LAYER, 'Command Number');
    checkByte(cd.type, LAYER, 'Command Type');
    checkByte(cd.qualifier, LAYER, 'Command Qualifier');
    const di = v.deviceIdentities ?? { source: DEVICE.UICC, destination: DEVICE.NETWORK };
    // Each object checked as it is added, in this order (which error a bad input gets).
    const t = new BerTlvPieces(LAYER)
      .add(CTAG.COMMAND_DETAILS, Uint8Array.of(cd.number, cd.type, cd.qualifier), cr('commandDetails'))
      .add(CTAG.DEVICE_IDENTITIES, Uint8Array.of(di.source, di.destination), cr('deviceIdentities'));
    if (v.alphaId) t.add(CTAG.ALPHA_ID, v.alphaId, cr('alphaId'));
    if (v.address) t.add(CTAG.ADDRESS, addressValue.encode(v.address), cr('address'));
    if (v.tpdu) t.add(CTAG.SMS_TPDU, v.tpdu, cr('tpdu'));
    else if (cd.type === TYPE_SEND_SHORT_MESSAGE) throw new InputError('SEND SHORT MESSAGE needs an SMS TPDU', { layer: LAYER, field: 'SMS TPDU' });
    return concat(...t.close(TAG_PROACTIVE).pieces);
  },
  /** Decode D0 …, optionally followed by the 2-octet status word of the FETCH response. */
  decode(bytes: Uint8Array, offset = 0, opts: { decodeTpdu?: boolean } = {}): DecodedProactiveCommand {
    const warnings: string[] = [];
    need(bytes, offset, 2, LAYER, 'BER-TLV tag');
    if (bytes[offset] !== TAG_PROACTIVE) throw new InputError(`is 0x${hex2(bytes[offset])}, expected D0 (proactive command)`, { layer: LAYER, field: 'BER-TLV tag', offset });
    // The TLV may be followed by SW1 SW2 (FETCH response as captured).
    let end = bytes.length;
    let sw: number | undefined;
    const lenOctet = bytes[offset + 1];
    const hdr = lenOctet === 0x81 ? 3 : 2;
    const declared = lenOctet === 0x81 ? (bytes[offset + 2] ?? 0) : lenOctet;
    if (lenOctet < 0x80 || lenOctet === 0x81) {
      if (offset + hdr + declared + 2 === bytes.length) {
        end = bytes.length - 2;
        sw = (bytes[end] << 8) | bytes[end + 1];
      }
    }
    const ber = berTlvDecode(bytes, offset, end, LAYER);
    const tlvs = ctlvDecodeAll(bytes, ber.valueOffset, end, LAYER);
    const find = (tag: number) => tlvs.find((t) => t.tag === tag);
    const cdT = find(CTAG.COMMAND_DETAILS);
    if (!cdT) throw new InputError('missing (mandatory COMPREHENSION-TLV 81/01)', { layer: LAYER, field: 'Command details', offset: ber.valueOffset });
    if (cdT.value.length !== 3) throw new InputError(`must be 3 octets, has ${cdT.value.length}`, { layer: LAYER, field: 'Command details', offset: cdT.offset + 1 });
    const diT = find(CTAG.DEVICE_IDENTITIES);
    if (!diT) throw new InputError('missing (mandatory COMPREHENSION-TLV 82/02)', { layer: LAYER, field: 'Device identities', offset: ber.valueOffset });
    if (diT.value.length !== 2) throw new InputError(`must be 2 octets, has ${diT.value.length}`, { layer: LAYER, field: 'Device identities', offset: diT.offset + 1 });
    const commandDetails = { number: cdT.value[0], type: cdT.value[1], qualifier: cdT.value[2], offset: cdT.offset };
    const tpT = find(CTAG.SMS_TPDU);
    const isSendSm = commandDetails.type === TYPE_SEND_SHORT_MESSAGE;
    if (isSendSm && !tpT) throw new InputError('missing (mandatory for SEND SHORT MESSAGE)', { layer: LAYER, field: 'SMS TPDU', offset: ber.valueOffset });
    if (isSendSm && (diT.value[0] !== DEVICE.UICC || diT.value[1] !== DEVICE.NETWORK)) {
      warnings.push(`device identities ${toHex(diT.value)} are not 81 83 (UICC → network)`);
    }
    const adT = find(CTAG.ADDRESS);
    let address: DecodedAddress | undefined;
    if (adT) {
      address = shiftOffset(adT.valueOffset, LAYER, () => addressValue.decode(adT.value, `${LAYER} Address`));
      warnings.push(...address.warnings.map((w) => `Address: ${w}`));
    }
    let sms: DecodedTpdu | undefined;
    if (tpT && (opts.decodeTpdu ?? true)) {
      sms = shiftOffset(tpT.valueOffset, undefined, () => decodeTpdu(tpT.value, 'ms-to-sc'));
      if (isSendSm && sms.type !== 'SMS-SUBMIT') warnings.push(`SMS TPDU is ${sms.type}, expected SMS-SUBMIT`);
    }
    return {
      tag: TAG_PROACTIVE,
      berLength: ber.lengthValue,
      commandDetails,
      deviceIdentities: { source: diT.value[0], destination: diT.value[1], offset: diT.offset },
      alphaId: find(CTAG.ALPHA_ID)?.value,
      address,
      tpdu: tpT?.value,
      tpduOffset: tpT?.valueOffset,
      sms,
      sw,
      cr: {
        commandDetails: cdT.cr,
        deviceIdentities: diT.cr,
        ...(find(CTAG.ALPHA_ID) ? { alphaId: find(CTAG.ALPHA_ID)!.cr } : {}),
        ...(adT ? { address: adT.cr } : {}),
        ...(tpT ? { tpdu: tpT.cr } : {}),
      },
      tlvs,
      warnings,
      hex: toHex(bytes.subarray(offset)),
    };
  },
};

/** SEND SHORT MESSAGE proactive command (D0 TLV) carrying `tpdu`. */
export function buildSendShortMessage(
  tpdu: Uint8Array,
  opts: { number?: number; qualifier?: number; alphaId?: Uint8Array; address?: SmsAddress; cr?: CrFlags<ProactiveObject> } = {},
): Uint8Array {
  return proactiveCommand.encode({
    commandDetails: { number: opts.number ?? 1, type: TYPE_SEND_SHORT_MESSAGE, qualifier: opts.qualifier ?? 0 },
    alphaId: opts.alphaId,
    address: opts.address,
    tpdu,
    cr: opts.cr,
  });
}

/** FETCH C-APDU (80 12 00 00 Le), TS 102 221 cl. 10.1. */
export function fetchApdu(le: number, cla = 0x80): Uint8Array {
  checkByte(le, 'FETCH', 'Le');
  return Uint8Array.of(cla, 0x12, 0x00, 0x00, le);
}

/** TERMINAL RESPONSE C-APDU: 81 command details ‖ 82 02 82 81 ‖ 83 result (TS 102 223 cl. 6.8). */
export function terminalResponseApdu(cd: CommandDetails, result = 0x00, cla = 0x80): Uint8Array {
  const data = concat(
    ctlvEncode(CTAG.COMMAND_DETAILS, Uint8Array.of(cd.number, cd.type, cd.qualifier)),
    ctlvEncode(CTAG.DEVICE_IDENTITIES, Uint8Array.of(DEVICE.TERMINAL, DEVICE.UICC)),
    ctlvEncode(CTAG.RESULT, Uint8Array.of(result)),
  );
  return concat(Uint8Array.of(cla, 0x14, 0x00, 0x00, data.length), data);
}

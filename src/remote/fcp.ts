/**
 * What a SELECT answers: the UICC FCP template (TS 102 221 cl. 11.1.1.3,
 * tag 62) and the SIM's response parameters (TS 51.011 cl. 9.2.1).
 */
import { hex2, toHex } from '../util/hex.js';
import { readTlvs } from './tlv.js';

export interface FileInfo {
  fid?: string;
  type?: 'MF' | 'DF' | 'EF' | 'ADF';
  structure?: 'transparent' | 'linear-fixed' | 'cyclic' | 'BER-TLV';
  /** EF: file size; records: record length × count. */
  size?: number;
  recordLength?: number;
  records?: number;
  dfName?: string;
  lifeCycle?: string;
  /** Every TLV as hex, for what is not interpreted. */
  tlvs?: Record<string, string>;
}

const LCSI: Record<number, string> = { 0x01: 'creation', 0x03: 'initialisation', 0x05: 'operational (activated)', 0x04: 'operational (deactivated)', 0x0c: 'termination' };

export function decodeFcp(b: Uint8Array): FileInfo {
  const info: FileInfo = { tlvs: {} };
  if (b[0] !== 0x62) return info;
  const outer = readTlvs(b, 0, b.length, 'FCP')[0];
  for (const t of readTlvs(outer.value, 0, outer.value.length, 'FCP')) {
    const v = t.value;
    info.tlvs![hex2(t.tag)] = toHex(v);
    if (t.tag === 0x83) info.fid = toHex(v);
    else if (t.tag === 0x84) info.dfName = toHex(v);
    else if (t.tag === 0x80) info.size = v.reduce((a, x) => a * 256 + x, 0);
    else if (t.tag === 0x8a) info.lifeCycle = LCSI[v[0]] ?? hex2(v[0]);
    else if (t.tag === 0x82) {
      // TS 102 221 Table 11.5: file descriptor byte.
      const d = v[0];
      if ((d & 0x38) === 0x38) info.type = 'DF';
      else {
        info.type = 'EF';
        info.structure = ({ 1: 'transparent', 2: 'linear-fixed', 6: 'cyclic', 0x39: 'BER-TLV' } as Record<number, FileInfo['structure']>)[d & 0x07];
        if (v.length >= 5) {
          info.recordLength = (v[2] << 8) | v[3];
          info.records = v[4];
        }
      }
    }
  }
  if (info.fid === '3F00') info.type = 'MF';
  else if (info.dfName) info.type = 'ADF';
  return info;
}

/** SIM GET RESPONSE after SELECT (TS 51.011 cl. 9.2.1): octets 3–4 size/free memory, 5–6 FID, 7 type, 14 structure, 15 record length. */
export function decodeSimResponse(b: Uint8Array): FileInfo {
  if (b.length < 7) return { tlvs: {} };
  const type = ({ 1: 'MF', 2: 'DF', 4: 'EF' } as Record<number, FileInfo['type']>)[b[6]];
  const info: FileInfo = { fid: toHex(b.subarray(4, 6)), type, size: (b[2] << 8) | b[3] };
  if (type === 'EF' && b.length >= 15) {
    info.structure = ({ 0: 'transparent', 1: 'linear-fixed', 3: 'cyclic' } as Record<number, FileInfo['structure']>)[b[13]];
    if (info.structure !== 'transparent') {
      info.recordLength = b[14];
      info.records = b[14] ? Math.floor(info.size! / b[14]) : undefined;
    }
  }
  return info;
}

/**
 * GET STATUS response data (GlobalPlatform Card Specification cl. 11.4.3):
 * registry entries in the TLV form (P2 b2 = 1: one `E3` template per entry,
 * Table 11-36) or the older fixed layout (P2 b2 = 0: AID length ‖ AID ‖ life
 * cycle ‖ privileges, plus modules for P1 = 10).
 */
import { InputError } from '../../util/errors.js';
import { hex2, toHex } from '../../util/hex.js';
import { readTlvs } from '../tlv.js';

export interface RegistryEntry {
  aid: string;
  lifeCycle: number;
  lifeCycleName: string;
  privileges: string;
  /** Executable load file of an application (C4). */
  loadFile?: string;
  /** Executable modules of a load file (84, or the legacy module list). */
  modules?: string[];
  /** Associated security domain (CC). */
  securityDomain?: string;
  version?: string;
}

const LAYER = 'GET STATUS response';

/** Life cycle names (GP Card Specification cl. 5.1, 5.3). */
export function lifeCycleName(lc: number, p1: number): string {
  if (p1 === 0x80) return ({ 0x01: 'OP_READY', 0x07: 'INITIALIZED', 0x0f: 'SECURED', 0x7f: 'CARD_LOCKED', 0xff: 'TERMINATED' } as Record<number, string>)[lc] ?? 'proprietary';
  if (p1 === 0x20 || p1 === 0x10) return lc === 0x01 ? 'LOADED' : 'proprietary';
  if (lc === 0x03) return 'INSTALLED';
  if (lc === 0x07) return 'SELECTABLE';
  if ((lc & 0x83) === 0x83) return 'LOCKED';
  if ((lc & 0x07) === 0x07) return 'application-specific (SELECTABLE + personalised)';
  return 'proprietary';
}

/** Decode the entries; `p1` is the subset asked (80 ISD, 40 apps/SDs, 20 load files, 10 load files and modules). */
export function decodeRegistry(data: Uint8Array, p1: number): RegistryEntry[] {
  if (!data.length) return [];
  if (data[0] === 0xe3) {
    return readTlvs(data, 0, data.length, LAYER).map((t) => {
      if (t.tag !== 0xe3) throw new InputError(`tag ${hex2(t.tag)} where an E3 registry entry was expected`, { layer: LAYER, offset: t.offset });
      const e: RegistryEntry = { aid: '', lifeCycle: 0, lifeCycleName: '', privileges: '' };
      for (const x of readTlvs(t.value, 0, t.value.length, LAYER)) {
        const v = toHex(x.value);
        if (x.tag === 0x4f) e.aid = v;
        else if (x.tag === 0x9f70) e.lifeCycle = x.value[0] ?? 0;
        else if (x.tag === 0xc5) e.privileges = v;
        else if (x.tag === 0xc4) e.loadFile = v;
        else if (x.tag === 0x84) (e.modules ??= []).push(v);
        else if (x.tag === 0xcc) e.securityDomain = v;
        else if (x.tag === 0xce) e.version = v;
      }
      e.lifeCycleName = lifeCycleName(e.lifeCycle, p1);
      return e;
    });
  }
  const out: RegistryEntry[] = [];
  let p = 0;
  while (p < data.length) {
    const n = data[p];
    if (p + 1 + n + 2 > data.length) throw new InputError(`entry of AID length ${n} runs past the ${data.length} octets`, { layer: LAYER, offset: p });
    const aid = data.subarray(p + 1, p + 1 + n);
    const lc = data[p + 1 + n];
    const e: RegistryEntry = { aid: toHex(aid), lifeCycle: lc, lifeCycleName: lifeCycleName(lc, p1), privileges: hex2(data[p + 2 + n]) };
    p += 3 + n;
    if (p1 === 0x10) {
      const count = data[p++] ?? 0;
      e.modules = [];
      for (let i = 0; i < count; i++) {
        const m = data[p];
        if (p + 1 + m > data.length) throw new InputError('module AID runs past the data', { layer: LAYER, offset: p });
        e.modules.push(toHex(data.subarray(p + 1, p + 1 + m)));
        p += 1 + m;
      }
    }
    out.push(e);
  }
  return out;
}

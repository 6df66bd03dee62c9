/**
 * The simulated card's answers from its content: an RFM file system
 * (SELECT, READ/UPDATE BINARY/RECORD, GET RESPONSE; class A0 answered as a
 * SIM per TS 51.011, class 00 as a UICC per TS 102 221) and a GlobalPlatform
 * security domain (INSTALL, LOAD, DELETE, GET STATUS, PUT KEY; GP Card
 * Specification cl. 11). One session per script (TS 102 226 cl. 5: each
 * command session starts at the MF); changes are returned for storing.
 */
import { createHash } from 'node:crypto';
import { concat, fromHex, hex2, toHex } from '../util/hex.js';
import { encodeTlv, readTlvs } from '../remote/tlv.js';
import { parseCApdu } from '../remote/apdu.js';
import { familyOf, kcv, unwrapKey, type KeyFamily } from '../remote/gp/keys.js';
import type { KeySet } from '../keys/keyset.js';
import type { Card, CardApp } from './card.js';
import type { CardFile, Registry } from './content.js';
import { OtaError } from '../util/errors.js';

export interface Answer {
  sw: number;
  data: Uint8Array;
  reason: string;
}

export interface ContentChanges {
  files?: Map<string, CardFile>;
  registry?: Registry;
  keysets?: KeySet[];
}

export interface CardSession {
  answer(apdu: Uint8Array): Answer | undefined;
  changes(): ContentChanges;
}

const none = new Uint8Array(0);
const ans = (sw: number, reason: string, data: Uint8Array = none): Answer => ({ sw, data, reason });

/** Session for the application's handler; `kvn` is the key set that secured the command (for PUT KEY's KIK). */
export function openSession(card: Card, app: CardApp, kvn: number): CardSession | undefined {
  if (app.handler === 'files') return filesSession(card);
  if (app.handler === 'gp') return gpSession(card, kvn);
  return undefined;
}

function parse(apdu: Uint8Array) {
  try {
    return parseCApdu(apdu, 'C-APDU');
  } catch (e) {
    if (e instanceof OtaError) return undefined;
    throw e;
  }
}

// ------------------------------------------------------------------ files

function filesSession(card: Card): CardSession {
  const files = new Map(card.files);
  let changed = false;
  let df = ['3F00'];
  let ef: CardFile | undefined;
  let recordPtr = 0;
  let pending: Uint8Array | undefined;
  const dirs = new Set<string>();
  for (const p of files.keys()) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  const isDf = (p: string[]) => dirs.has(p.join('/'));

  function fcp(path: string[], f: CardFile | undefined): Uint8Array {
    const fid = fromHex(path[path.length - 1]);
    if (!f) return encodeTlv(0x62, concat(encodeTlv(0x82, Uint8Array.of(0x78, 0x21)), encodeTlv(0x83, fid), encodeTlv(0x8a, Uint8Array.of(5))));
    // TS 102 221 Table 11.5: 41 transparent, 42 linear fixed, 46 cyclic (shareable, working EF).
    const size = f.structure === 'transparent' ? f.data.length : f.records.length * f.records[0].length;
    const desc = f.structure === 'transparent' ? Uint8Array.of(0x41, 0x21) : Uint8Array.of(f.structure === 'cyclic' ? 0x46 : 0x42, 0x21, 0, f.records[0].length, f.records.length);
    return encodeTlv(0x62, concat(encodeTlv(0x82, desc), encodeTlv(0x83, fid), encodeTlv(0x8a, Uint8Array.of(5)), encodeTlv(0x80, Uint8Array.of(size >> 8, size & 0xff))));
  }
  /** TS 51.011 cl. 9.2.1 response parameters (DF: 22 octets, EF: 15). */
  function simResponse(path: string[], f: CardFile | undefined): Uint8Array {
    const fid = fromHex(path[path.length - 1]);
    if (!f) {
      const b = new Uint8Array(22);
      b.set(fid, 4);
      b[6] = path.length === 1 ? 0x01 : 0x02;
      b[12] = 9;
      return b;
    }
    const size = f.structure === 'transparent' ? f.data.length : f.records.length * f.records[0].length;
    return Uint8Array.of(0, 0, size >> 8, size & 0xff, fid[0], fid[1], 0x04, 0, 0xff, 0xff, 0xff, 0x01, 0x02,
      f.structure === 'transparent' ? 0 : f.structure === 'cyclic' ? 3 : 1, f.structure === 'transparent' ? 0 : f.records[0].length);
  }

  function resolve(p1: number, data: Uint8Array): string[] | undefined {
    const fids: string[] = [];
    for (let i = 0; i + 1 < data.length; i += 2) fids.push(toHex(data.subarray(i, i + 2)));
    if (data.length % 2 || !fids.length) return undefined;
    const exists = (p: string[]) => isDf(p) || files.has(p.join('/'));
    if (p1 === 0x08) return ['3F00', ...fids];
    if (p1 === 0x09) return [...df, ...fids];
    if (fids.length !== 1) return undefined;
    const f = fids[0];
    if (f === '3F00') return ['3F00'];
    // TS 102 221 cl. 8.4.1 / TS 51.011 cl. 6.5: a child of the current DF, the current DF's parent or a sibling DF.
    for (const cand of [[...df, f], df.slice(0, -1).concat(f), df[df.length - 1] === f ? df : []]) if (cand.length && exists(cand)) return cand;
    return [...df, f];
  }

  return {
    changes: () => (changed ? { files } : {}),
    answer(apdu) {
      const a = parse(apdu);
      if (!a) return undefined;
      const sim = a.cla === 0xa0;
      const notFound = sim ? 0x9404 : 0x6a82;
      const noEf = sim ? 0x9400 : 0x6986;
      const wrongType = sim ? 0x9408 : 0x6981;
      const range = sim ? 0x9402 : 0x6b00;
      switch (a.ins) {
        case 0xa4: {
          pending = undefined;
          const data = a.data ?? none;
          if (!sim && a.p1 === 0x04) return ans(0x6a82, 'SELECT by DF name: no ADF in this simulator');
          const p = resolve(sim ? 0 : a.p1, data);
          if (!p) return ans(sim ? 0x9404 : 0x6a86, 'SELECT: unsupported P1 or data');
          const key = p.join('/');
          const f = files.get(key);
          if (!f && !isDf(p) && key !== '3F00') return ans(notFound, `SELECT ${key}: no such file`);
          if (f) {
            ef = f;
            df = p.slice(0, -1);
            recordPtr = 0;
          } else {
            df = p;
            ef = undefined;
          }
          if (sim) {
            pending = simResponse(p, f);
            return ans(0x9f00 | pending.length, `SELECT ${key} (response parameters: GET RESPONSE)`);
          }
          if ((a.p2 & 0x0c) === 0x0c) return ans(0x9000, `SELECT ${key}`);
          const r = fcp(p, f);
          if (a.le !== undefined && a.case === 4) return ans(0x9000, `SELECT ${key} with FCP`, r);
          pending = r;
          return ans(0x6100 | r.length, `SELECT ${key} (FCP: GET RESPONSE)`);
        }
        case 0xc0: {
          if (!pending) return ans(sim ? 0x9400 : 0x6985, 'GET RESPONSE: nothing to fetch');
          const le = a.le === undefined || a.le === 256 ? pending.length : a.le;
          const d = pending.subarray(0, le);
          pending = undefined;
          return ans(0x9000, 'GET RESPONSE', d);
        }
        case 0xb0:
        case 0xd6: {
          pending = undefined;
          if (!ef) return ans(noEf, 'no EF selected');
          if (ef.structure !== 'transparent') return ans(wrongType, `${ef.path} is a record EF`);
          if (a.p1 & 0x80) return ans(sim ? 0x6b00 : 0x6a86, 'SFI addressing is not simulated');
          const off = (a.p1 << 8) | a.p2;
          if (off > ef.data.length) return ans(range, `offset ${off} beyond the ${ef.data.length}-octet EF`);
          if (a.ins === 0xb0) {
            const want = a.le === undefined || a.le === 256 ? Math.min(256, ef.data.length - off) : a.le;
            if (off + want > ef.data.length) return ans(sim ? 0x6700 : 0x6282, 'READ BINARY past the end', sim ? none : ef.data.slice(off));
            return ans(0x9000, `READ BINARY ${ef.path} at ${off}`, ef.data.slice(off, off + want));
          }
          const d = a.data ?? none;
          if (off + d.length > ef.data.length) return ans(range, `UPDATE BINARY of ${d.length} octets at ${off} runs past the ${ef.data.length}-octet EF`);
          const nd = ef.data.slice();
          nd.set(d, off);
          ef = { ...ef, data: nd };
          files.set(ef.path, ef);
          changed = true;
          return ans(0x9000, `UPDATE BINARY ${ef.path} at ${off}`);
        }
        case 0xb2:
        case 0xdc: {
          pending = undefined;
          if (!ef) return ans(noEf, 'no EF selected');
          if (ef.structure === 'transparent') return ans(wrongType, `${ef.path} is transparent`);
          const n = ef.records.length;
          let rec: number;
          if (a.p2 === 0x04) rec = a.p1 === 0 ? recordPtr : a.p1;
          else if (a.p2 === 0x02) rec = recordPtr >= n ? (ef.structure === 'cyclic' ? 1 : 0) : recordPtr + 1;
          else if (a.p2 === 0x03) rec = recordPtr <= 1 ? (ef.structure === 'cyclic' ? n : 0) : recordPtr - 1;
          else return ans(sim ? 0x6b00 : 0x6a86, `record mode P2 ${hex2(a.p2)} is not simulated`);
          if (rec < 1 || rec > n) return ans(sim ? 0x9402 : 0x6a83, `record ${rec} not found (${n} records)`);
          recordPtr = rec;
          if (a.ins === 0xb2) return ans(0x9000, `READ RECORD ${rec} of ${ef.path}`, ef.records[rec - 1].slice(0, a.le === undefined || a.le === 256 ? undefined : a.le));
          const d = a.data ?? none;
          if (d.length !== ef.records[0].length) return ans(0x6700, `record length is ${ef.records[0].length}, got ${d.length}`);
          const recs = ef.records.slice();
          recs[rec - 1] = d.slice();
          ef = { ...ef, records: recs };
          files.set(ef.path, ef);
          changed = true;
          return ans(0x9000, `UPDATE RECORD ${rec} of ${ef.path}`);
        }
        default:
          return undefined;
      }
    },
  };
}

// ------------------------------------------------------------------ GlobalPlatform

/** The ISD's AID as GET STATUS P1 80 reports it (GP Card Specification's default ISD AID). */
export const ISD_AID = 'A000000151000000';

function lvs(d: Uint8Array, count: number): Uint8Array[] | undefined {
  const out: Uint8Array[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p >= d.length || p + 1 + d[p] > d.length) return undefined;
    out.push(d.slice(p + 1, p + 1 + d[p]));
    p += 1 + d[p];
  }
  return out;
}

/**
 * Package AID and applet AIDs from a Load File: DAP blocks (E2, GP cl.
 * 11.6.2.3) then the Load File Data Block (C4 ‖ components; JCVM spec ch. 6).
 */
function readLoadFile(block: Uint8Array): { pkg: string; applets: string[]; value: Uint8Array; daps: string[] } | undefined {
  try {
    const t = readTlvs(block, 0, block.length, 'Load File Data Block');
    if (!t.length || t[t.length - 1].tag !== 0xc4 || t.slice(0, -1).some((x) => x.tag !== 0xe2)) return undefined;
    const daps = t.slice(0, -1).map((x) => {
      const sd = readTlvs(x.value, 0, x.value.length, 'DAP block').find((y) => y.tag === 0x4f);
      return sd ? toHex(sd.value) : '?';
    });
    const c = t[t.length - 1].value;
    let p = 0;
    let pkg: string | undefined;
    const applets: string[] = [];
    while (p + 3 <= c.length) {
      const tag = c[p];
      const size = (c[p + 1] << 8) | c[p + 2];
      const body = c.subarray(p + 3, p + 3 + size);
      if (body.length !== size) return undefined;
      if (tag === 1 && body.length > 10) pkg = toHex(body.subarray(10, 10 + body[9]));
      if (tag === 3) {
        let q = 1;
        for (let i = 0; i < body[0] && q < body.length; i++) {
          applets.push(toHex(body.subarray(q + 1, q + 1 + body[q])));
          q += 1 + body[q] + 2;
        }
      }
      p += 3 + size;
    }
    if (p !== c.length || !pkg) return undefined;
    return { pkg, applets, value: c, daps };
  } catch (e) {
    if (e instanceof OtaError) return undefined;
    throw e;
  }
}

/**
 * The install parameters' TLVs as a card checks them: C9 first, then EF
 * (system specific) and EA (UICC system specific, TS 102 226 cl.
 * 8.2.1.3.2.2: 80 UICC toolkit, 81 UICC access, 82 UICC administrative
 * access, each at most once and each consumed exactly). Undefined when fine.
 */
export function checkInstallParams(params: Uint8Array): string | undefined {
  let top;
  try {
    top = readTlvs(params, 0, params.length, 'install parameters');
  } catch (e) {
    if (e instanceof OtaError) return `install parameters are not TLVs: ${e.detail}`;
    throw e;
  }
  if (top[0]?.tag !== 0xc9) return 'install parameters lack C9 (GP Table 11-49)';
  const ea = top.filter((t) => t.tag === 0xea);
  if (ea.length > 1) return 'more than one EA (UICC System Specific Parameters)';
  if (!ea.length) return undefined;
  let sub;
  try {
    sub = readTlvs(ea[0].value, 0, ea[0].value.length, 'EA');
  } catch (e) {
    if (e instanceof OtaError) return `EA (UICC System Specific Parameters) is not TLVs: ${e.detail}`;
    throw e;
  }
  const seen = new Set<number>();
  for (const t of sub) {
    if (![0x80, 0x81, 0x82].includes(t.tag)) return `EA holds tag ${hex2(t.tag)} (TS 102 226 cl. 8.2.1.3.2.2 defines 80, 81, 82)`;
    if (seen.has(t.tag)) return `EA holds tag ${hex2(t.tag)} twice`;
    seen.add(t.tag);
    const bad = t.tag === 0x80 ? checkUiccToolkit(t.value) : checkUiccAccess(t.value);
    if (bad) return `EA/${hex2(t.tag)} ${t.tag === 0x80 ? 'UICC toolkit' : t.tag === 0x81 ? 'UICC access' : 'UICC administrative access'} parameters: ${bad}`;
  }
  return undefined;
}

/** TS 102 226 cl. 8.2.1.3.2.2.1: priority, timers, menu text length, menu entries, channels, MSL, TARs, services. */
function checkUiccToolkit(v: Uint8Array): string | undefined {
  if (v.length < 4) return `${v.length} octets: too short for priority, timers, text length and menu count`;
  let p = 4 + 2 * v[3];
  if (p + 1 > v.length) return `${v[3]} menu entries run past the ${v.length} octets`;
  p += 1; // maximum number of channels
  if (p >= v.length || p + 1 + v[p] > v.length) return 'the MSL field runs past the end';
  p += 1 + v[p];
  if (p >= v.length || p + 1 + v[p] > v.length) return 'the TAR field runs past the end';
  if (v[p] % 3) return `TAR field of ${v[p]} octets is not a multiple of 3`;
  p += 1 + v[p];
  if (p + 1 !== v.length) return p >= v.length ? 'the maximum number of services is missing' : `${v.length - p - 1} octets after the maximum number of services`;
  return undefined;
}

/** TS 102 226 cl. 8.2.1.3.2.3.1 / 8.2.1.3.2.4.1: (AID length, AID, access domain length, domain, DAP length, DAP) per file system. */
function checkUiccAccess(v: Uint8Array): string | undefined {
  if (!v.length) return 'empty';
  let p = 0;
  while (p < v.length) {
    const aidLen = v[p];
    if (aidLen !== 0 && (aidLen < 5 || aidLen > 16)) return `file system AID of ${aidLen} octets at offset ${p}`;
    p += 1 + aidLen;
    if (p >= v.length || v[p] === 0 || p + 1 + v[p] > v.length) return `access domain missing or running past the end at offset ${p}`;
    p += 1 + v[p];
    if (p >= v.length || p + 1 + v[p] > v.length) return `access domain DAP length missing or running past the end at offset ${p}`;
    p += 1 + v[p];
  }
  return undefined;
}

const KEY_ALGS: Record<'kic' | 'kid' | 'kik', Record<string, string>> = {
  kic: { des16: '3des-2key-cbc', des24: '3des-3key-cbc', aes: 'aes-cbc' },
  kid: { des16: '3des-2key-cbc-mac', des24: '3des-3key-cbc-mac', aes: 'aes-cmac' },
  kik: { des16: '3des-2key-cbc', des24: '3des-3key-cbc', aes: 'aes-cbc' },
};

function gpSession(card: Card, kvn: number): CardSession {
  let reg: Registry = structuredClone(card.registry);
  let keysets: KeySet[] | undefined;
  let regChanged = false;
  let pending: Uint8Array | undefined;
  const out = (a: ReturnType<typeof parseCApdu>, data: Uint8Array, reason: string): Answer => {
    // Case 4 with Le (expanded format): the data now; compact (T=0, no Le): 61 xx and a GET RESPONSE.
    if (a.case === 4 || a.case === 2) return ans(0x9000, reason, data);
    pending = data;
    return ans(0x6100 | Math.min(data.length, 255), `${reason} (${data.length} octets: GET RESPONSE)`);
  };
  return {
    changes: () => ({ ...(regChanged ? { registry: reg } : {}), ...(keysets ? { keysets } : {}) }),
    answer(apdu) {
      const a = parse(apdu);
      if (!a) return undefined;
      const d = a.data ?? none;
      if (a.ins === 0xc0) {
        if (!pending) return ans(0x6985, 'GET RESPONSE: nothing to fetch');
        const r = pending;
        pending = undefined;
        return ans(0x9000, 'GET RESPONSE', r);
      }
      if ((a.cla & 0x80) === 0) return undefined;
      pending = undefined;
      switch (a.ins) {
        case 0xe6: {
          if (a.p1 === 0x02) {
            const f = lvs(d, 5);
            if (!f || f[0].length < 5) return ans(0x6a80, 'INSTALL [for load]: malformed data');
            const aid = toHex(f[0]);
            if (reg.loadFiles.some((x) => x.aid === aid)) return ans(0x6a80, `INSTALL [for load]: load file ${aid} already present`);
            // GP cl. C.2: SHA-1 (20 octets); later GP versions also SHA-256 (32).
            if (f[2].length && f[2].length !== 20 && f[2].length !== 32) return ans(0x6a80, `INSTALL [for load]: a hash of ${f[2].length} octets is neither SHA-1 (20) nor SHA-256 (32)`);
            reg.loading = { aid, nextBlock: 0, data: '', ...(f[2].length ? { hash: toHex(f[2]) } : {}) };
            regChanged = true;
            return ans(0x9000, `INSTALL [for load] ${aid}`);
          }
          if (a.p1 & 0x04) {
            const f = lvs(d, 6);
            if (!f) return ans(0x6a80, 'INSTALL [for install]: malformed data');
            const [elf, mod, inst, priv, params] = f.map(toHex);
            const lf = reg.loadFiles.find((x) => x.aid === elf);
            if (!lf) return ans(0x6a88, `INSTALL [for install]: no load file ${elf}`);
            if (!lf.modules.includes(mod)) return ans(0x6a88, `INSTALL [for install]: load file ${elf} has no module ${mod}`);
            if (reg.instances.some((x) => x.aid === inst)) return ans(0x6a80, `INSTALL [for install]: instance ${inst} exists`);
            if (!params.startsWith('C9')) return ans(0x6a80, 'INSTALL [for install]: install parameters lack C9 (GP Table 11-49)');
            const bad = checkInstallParams(f[4]);
            if (bad) return ans(0x6a80, `INSTALL [for install]: ${bad}`);
            reg.instances.push({ aid: inst, loadFile: elf, module: mod, privileges: priv || '00', lifeCycle: a.p1 & 0x08 ? '07' : '03', installParams: params });
            regChanged = true;
            return ans(0x9000, `INSTALL [for install${a.p1 & 0x08 ? ' and make selectable' : ''}] ${inst}`);
          }
          return ans(0x6a86, `INSTALL P1 ${hex2(a.p1)} is not simulated`);
        }
        case 0xe8: {
          const l = reg.loading;
          if (!l) return ans(0x6985, 'LOAD without INSTALL [for load]');
          if (a.p2 !== (l.nextBlock & 0xff)) return ans(0x6a86, `LOAD block ${a.p2}, expected ${l.nextBlock}`);
          l.data += toHex(d);
          l.nextBlock++;
          regChanged = true;
          if (!(a.p1 & 0x80)) return ans(0x9000, `LOAD block ${a.p2}`);
          const lf = readLoadFile(fromHex(l.data));
          reg.loading = undefined;
          if (!lf) return ans(0x6a80, 'LOAD: the Load File is not [E2 DAP blocks] ‖ C4 ‖ CAP components');
          if (lf.pkg !== l.aid) return ans(0x6a80, `LOAD: package AID ${lf.pkg} is not the load file AID ${l.aid}`);
          if (lf.daps.length && !l.hash) return ans(0x6985, 'LOAD: DAP blocks but no Load File Data Block hash in INSTALL [for load] (GP cl. C.2)');
          if (l.hash) {
            const got = createHash(l.hash.length === 40 ? 'sha1' : 'sha256').update(lf.value).digest('hex').toUpperCase();
            if (got !== l.hash) return ans(0x6985, `LOAD: the Load File Data Block hash ${got} is not the one of INSTALL [for load] ${l.hash}: load file discarded`);
          }
          reg.loadFiles.push({ aid: l.aid, modules: lf.applets });
          const checks = [l.hash ? `${l.hash.length === 40 ? 'SHA-1' : 'SHA-256'} hash verified` : '', lf.daps.length ? `DAP block(s) for ${lf.daps.join(', ')} not verified (the simulator holds no DAP key)` : ''].filter(Boolean);
          return ans(0x9000, `LOAD block ${a.p2} (last): load file ${l.aid} with ${lf.applets.length} module(s)${checks.length ? `; ${checks.join('; ')}` : ''}`);
        }
        case 0xe4: {
          const t = d[0] === 0x4f && d.length === 2 + d[1] ? toHex(d.subarray(2)) : undefined;
          if (!t) return ans(0x6a80, 'DELETE: data is not 4F ‖ AID');
          const i = reg.instances.findIndex((x) => x.aid === t);
          if (i >= 0) {
            reg.instances.splice(i, 1);
            regChanged = true;
            return ans(0x9000, `DELETE instance ${t}`);
          }
          const j = reg.loadFiles.findIndex((x) => x.aid === t);
          if (j < 0) return ans(0x6a88, `DELETE: ${t} not found`);
          const deps = reg.instances.filter((x) => x.loadFile === t);
          if (deps.length && !(a.p2 & 0x80)) return ans(0x6985, `DELETE: load file ${t} has instances (P2 80 deletes them too)`);
          reg.instances = reg.instances.filter((x) => x.loadFile !== t);
          reg.loadFiles.splice(j, 1);
          regChanged = true;
          return ans(0x9000, `DELETE load file ${t}${deps.length ? ` and ${deps.length} instance(s)` : ''}`);
        }
        case 0xf2: {
          if (![0x80, 0x40, 0x20, 0x10].includes(a.p1)) return ans(0x6a86, `GET STATUS P1 ${hex2(a.p1)} is not simulated`);
          const crit = d[0] === 0x4f ? toHex(d.subarray(2, 2 + d[1])) : '';
          const tlv = (a.p2 & 0x02) !== 0;
          type E = { aid: string; lc: number; priv: string; elf?: string; modules?: string[] };
          let es: E[] = a.p1 === 0x80 ? [{ aid: ISD_AID, lc: 0x0f, priv: '9E' }]
            : a.p1 === 0x40 ? reg.instances.map((x) => ({ aid: x.aid, lc: parseInt(x.lifeCycle, 16), priv: x.privileges, elf: x.loadFile }))
              : reg.loadFiles.map((x) => ({ aid: x.aid, lc: 1, priv: '00', modules: a.p1 === 0x10 ? x.modules : undefined }));
          if (crit) es = es.filter((e) => e.aid.startsWith(crit));
          if (!es.length) return ans(0x6a88, 'GET STATUS: no matching entry');
          const body = concat(...es.map((e) => {
            const aid = fromHex(e.aid);
            const priv = fromHex(e.priv);
            if (tlv) {
              return encodeTlv(0xe3, concat(encodeTlv(0x4f, aid), encodeTlv(0x9f70, Uint8Array.of(e.lc)), encodeTlv(0xc5, priv),
                ...(e.elf ? [encodeTlv(0xc4, fromHex(e.elf))] : []), ...(e.modules ?? []).map((m) => encodeTlv(0x84, fromHex(m)))));
            }
            const mods = e.modules ? concat(Uint8Array.of(e.modules.length), ...e.modules.map((m) => concat(Uint8Array.of(m.length / 2), fromHex(m)))) : none;
            return concat(Uint8Array.of(aid.length), aid, Uint8Array.of(e.lc, priv[0] ?? 0), mods);
          }));
          return out(a, body, `GET STATUS P1 ${hex2(a.p1)}: ${es.length} entr${es.length === 1 ? 'y' : 'ies'}`);
        }
        case 0xd8:
          return putKey(a, d);
        default:
          return undefined;
      }
    },
  };

  /** PUT KEY (GP cl. 11.8): unwrap with the KIK of the securing key set, check each KCV, then add or replace the key set. */
  function putKey(a: ReturnType<typeof parseCApdu>, d: Uint8Array): Answer {
    const sets = keysets ?? card.keysets;
    const kik = sets.find((s) => s.kvn === kvn)?.kik;
    if (!kik) return ans(0x6985, `PUT KEY: no KIK in key set KVN ${kvn} (the one securing the command)`);
    const kikFamily: KeyFamily = familyOf(kik.algorithm);
    if (d.length < 1) return ans(0x6700, 'PUT KEY: no data');
    const newKvn = d[0];
    let p = 1;
    let id = a.p2 & 0x7f;
    const got: { id: number; family: KeyFamily; key: Uint8Array }[] = [];
    while (p < d.length) {
      const type = d[p];
      const len = d[p + 1];
      if (type !== 0x80 && type !== 0x88) return ans(0x6a80, `PUT KEY: key type ${hex2(type)} is not simulated (80 DES, 88 AES)`);
      if (p + 2 + len + 1 > d.length) return ans(0x6700, 'PUT KEY: key data field runs past the data');
      let wrapped = d.subarray(p + 2, p + 2 + len);
      let keyLen = len;
      if (type === 0x88) {
        keyLen = wrapped[0];
        wrapped = wrapped.subarray(1);
      }
      p += 2 + len;
      const kl = d[p];
      const check = d.subarray(p + 1, p + 1 + kl);
      p += 1 + kl;
      const family: KeyFamily = type === 0x88 ? 'aes' : 'des';
      let key: Uint8Array;
      try {
        key = unwrapKey(kikFamily, kik.key, wrapped).subarray(0, keyLen);
      } catch (e) {
        if (e instanceof OtaError) return ans(0x6a80, `PUT KEY: cannot unwrap key ${id}: ${e.detail}`);
        throw e;
      }
      if (kl && toHex(kcv(family, key)) !== toHex(check)) return ans(0x6a80, `PUT KEY: key ${id} fails its key check value`);
      got.push({ id, family, key });
      id++;
      if (!(a.p2 & 0x80)) break;
    }
    if (p !== d.length) return ans(0x6a80, 'PUT KEY: data left over after the key data fields');
    if (got.some((k) => k.id < 1 || k.id > 3)) return ans(0x6a88, 'PUT KEY: key identifiers 1 (KIc), 2 (KID), 3 (KIK) only');
    const old = a.p1;
    let next = sets.map((s) => ({ ...s }));
    let target: KeySet;
    if (old === 0) {
      if (next.some((s) => s.kvn === newKvn)) return ans(0x6a80, `PUT KEY: key set KVN ${newKvn} exists (P1 names the set to replace)`);
      target = { kvn: newKvn };
      next.push(target);
    } else {
      const cur = next.find((s) => s.kvn === old);
      if (!cur) return ans(0x6a88, `PUT KEY: no key set KVN ${old} to replace`);
      if (newKvn !== old && next.some((s) => s.kvn === newKvn)) return ans(0x6a80, `PUT KEY: key set KVN ${newKvn} exists`);
      target = cur;
      target.kvn = newKvn;
    }
    for (const k of got) {
      const role = (['kic', 'kid', 'kik'] as const)[k.id - 1];
      const variant = k.family === 'aes' ? 'aes' : k.key.length === 24 ? 'des24' : 'des16';
      target[role] = { algorithm: KEY_ALGS[role][variant], key: k.key.slice() };
    }
    next = next.sort((x, y) => x.kvn - y.kvn);
    keysets = next;
    const resp = concat(Uint8Array.of(newKvn), ...got.map((k) => kcv(k.family, k.key)));
    return ans(0x9000, `PUT KEY: key set KVN ${newKvn} ${old ? `replaces KVN ${old}` : 'added'}, key id ${got.map((k) => k.id).join(', ')}, KCVs checked`, a.case === 4 ? resp : none);
  }
}

/**
 * What the simulated card holds beyond keys and TARs: a small file system
 * for RFM (`files`) and the GlobalPlatform registry for RAM (`registry`),
 * both in CARD.json and rewritten there (under the card file's lock) when a
 * script changes them.
 *
 *   "files": {                                 EFs by path from the MF; DFs are implied
 *     "3F00/2FE2": { "data": "98…" },          transparent EF
 *     "3F00/7F10/6F3A": { "records": ["…"] },  linear fixed EF (records of equal length)
 *     "3F00/7F10/6F3C": { "records": ["…"], "cyclic": true } }
 *   "registry": {                              GlobalPlatform registry (GP Card Specification cl. 5)
 *     "loadFiles": [ { "aid": "A0…", "modules": ["A0…"] } ],
 *     "instances": [ { "aid": "A0…", "loadFile": "A0…", "module": "A0…",
 *                      "privileges": "00", "lifeCycle": "07", "installParams": "C900" } ],
 *     "loading": { "aid": "A0…", "nextBlock": 3, "data": "C4…" } }   a LOAD sequence in progress
 */
import { InputError } from '../util/errors.js';
import { fromHex, toHex } from '../util/hex.js';
import { parsePath } from '../remote/rfm.js';

export interface CardFile {
  /** Normalised path, e.g. 3F00/7F20/6F07. */
  path: string;
  structure: 'transparent' | 'linear-fixed' | 'cyclic';
  data: Uint8Array;
  records: Uint8Array[];
}

export interface LoadFileEntry {
  aid: string;
  modules: string[];
}

export interface InstanceEntry {
  aid: string;
  loadFile: string;
  module: string;
  privileges: string;
  lifeCycle: string;
  installParams?: string;
}

export interface Registry {
  loadFiles: LoadFileEntry[];
  instances: InstanceEntry[];
  /** A LOAD sequence in progress; hash: the Load File Data Block hash given by INSTALL [for load]. */
  loading?: { aid: string; nextBlock: number; data: string; hash?: string };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const comment = (k: string) => k === 'comment' || k.startsWith('_') || k.startsWith('//');

export function validateFiles(raw: unknown, fail: (field: string, msg: string) => never): Map<string, CardFile> {
  const out = new Map<string, CardFile>();
  if (raw === undefined) return out;
  if (!isObj(raw)) fail('files', 'must be an object {"3F00/…": {"data": "hex"} | {"records": ["hex", …]}}');
  for (const [k, v] of Object.entries(raw as Obj)) {
    if (comment(k)) continue;
    const f = `files["${k}"]`;
    let fids: Uint8Array[];
    try {
      fids = parsePath(k);
    } catch (e) {
      fail(f, (e as InputError).detail);
    }
    if (toHex(fids![0]) !== '3F00' || fids!.length < 2) fail(f, 'an EF path starts at the MF: 3F00/…/EF');
    const path = fids!.map(toHex).join('/');
    if (!isObj(v)) fail(f, 'must be an object with "data" or "records"');
    const o = v as Obj;
    for (const key of Object.keys(o)) if (!['data', 'records', 'cyclic', 'description'].includes(key) && !comment(key)) fail(`${f}.${key}`, 'unknown field (known: data, records, cyclic, description)');
    const hex = (x: unknown, ff: string) => {
      if (typeof x !== 'string') fail(ff, 'must be a hex string');
      try {
        return fromHex(x as string, ff);
      } catch (e) {
        return fail(ff, (e as InputError).detail);
      }
    };
    if ((o.data === undefined) === (o.records === undefined)) fail(f, 'give exactly one of "data" (transparent EF) or "records" (record EF)');
    if (o.data !== undefined) {
      out.set(path, { path, structure: 'transparent', data: hex(o.data, `${f}.data`), records: [] });
      continue;
    }
    if (!Array.isArray(o.records) || !o.records.length) fail(`${f}.records`, 'must be a non-empty list of hex records');
    const recs = (o.records as unknown[]).map((r, i) => hex(r, `${f}.records[${i}]`));
    if (recs.some((r) => r.length !== recs[0].length || r.length === 0 || r.length > 255)) fail(`${f}.records`, 'records must all have the same length, 1 … 255 octets');
    out.set(path, { path, structure: o.cyclic === true ? 'cyclic' : 'linear-fixed', data: new Uint8Array(0), records: recs });
  }
  // A path cannot be both an EF and a DF.
  for (const p of out.keys()) for (const q of out.keys()) if (q.startsWith(p + '/')) fail(`files["${p}"]`, `is an EF but ${q} lies below it`);
  return out;
}

export function filesJson(files: Map<string, CardFile>): Obj {
  const o: Obj = {};
  for (const f of files.values()) o[f.path] = f.structure === 'transparent' ? { data: toHex(f.data) } : { records: f.records.map(toHex), ...(f.structure === 'cyclic' ? { cyclic: true } : {}) };
  return o;
}

export function validateRegistry(raw: unknown, fail: (field: string, msg: string) => never): Registry {
  const reg: Registry = { loadFiles: [], instances: [] };
  if (raw === undefined) return reg;
  if (!isObj(raw)) fail('registry', 'must be an object {loadFiles, instances, loading}');
  const o = raw as Obj;
  for (const k of Object.keys(o)) if (!['loadFiles', 'instances', 'loading'].includes(k) && !comment(k)) fail(`registry.${k}`, 'unknown field (known: loadFiles, instances, loading)');
  const aid = (v: unknown, f: string) => {
    if (typeof v !== 'string' || !/^([0-9A-Fa-f]{2}){5,16}$/.test(v)) fail(f, 'must be an AID of 5 … 16 octets in hex');
    return (v as string).toUpperCase();
  };
  const list = (v: unknown, f: string) => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) fail(f, 'must be a list');
    return v as unknown[];
  };
  reg.loadFiles = list(o.loadFiles, 'registry.loadFiles').map((e, i) => {
    const f = `registry.loadFiles[${i}]`;
    if (!isObj(e)) fail(f, 'must be an object {aid, modules}');
    return { aid: aid(e.aid, `${f}.aid`), modules: list(e.modules, `${f}.modules`).map((m, j) => aid(m, `${f}.modules[${j}]`)) };
  });
  reg.instances = list(o.instances, 'registry.instances').map((e, i) => {
    const f = `registry.instances[${i}]`;
    if (!isObj(e)) fail(f, 'must be an object {aid, loadFile, module, privileges, lifeCycle}');
    const hx = (v: unknown, ff: string, def: string) => {
      if (v === undefined) return def;
      if (typeof v !== 'string' || !/^([0-9A-Fa-f]{2})*$/.test(v)) fail(ff, 'must be hex');
      return (v as string).toUpperCase();
    };
    return {
      aid: aid(e.aid, `${f}.aid`), loadFile: aid(e.loadFile, `${f}.loadFile`), module: aid(e.module, `${f}.module`),
      privileges: hx(e.privileges, `${f}.privileges`, '00'), lifeCycle: hx(e.lifeCycle, `${f}.lifeCycle`, '07'),
      ...(e.installParams !== undefined ? { installParams: hx(e.installParams, `${f}.installParams`, '') } : {}),
    };
  });
  if (o.loading !== undefined) {
    const l = o.loading;
    if (!isObj(l) || !Number.isInteger(l.nextBlock) || typeof l.data !== 'string') fail('registry.loading', 'must be {aid, nextBlock, data}');
    const ll = l as Obj;
    if (ll.hash !== undefined && (typeof ll.hash !== 'string' || !/^([0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$/.test(ll.hash))) fail('registry.loading.hash', 'must be a SHA-1 or SHA-256 hash in hex');
    reg.loading = { aid: aid(ll.aid, 'registry.loading.aid'), nextBlock: ll.nextBlock as number, data: (ll.data as string).toUpperCase(), ...(ll.hash !== undefined ? { hash: (ll.hash as string).toUpperCase() } : {}) };
  }
  return reg;
}

export function registryJson(r: Registry): Obj {
  return { loadFiles: r.loadFiles, instances: r.instances, ...(r.loading ? { loading: r.loading } : {}) };
}

/** Copy of the raw CARD.json with the changed files, registry and key sets written in (other content kept as written). */
export function withContent(raw: unknown, ch: { files?: Map<string, CardFile>; registry?: Registry; keysets?: { kvn: number; kic?: { algorithm: string; key: Uint8Array }; kid?: { algorithm: string; key: Uint8Array }; kik?: { algorithm: string; key: Uint8Array } }[] }): unknown {
  const top = { ...(raw as Obj) };
  if (ch.files) top.files = filesJson(ch.files);
  if (ch.registry) top.registry = registryJson(ch.registry);
  if (ch.keysets) {
    const old = Array.isArray(top.keysets) ? (top.keysets as Obj[]) : [];
    top.keysets = ch.keysets.map((s) => {
      const prev = old.find((o) => o && o.kvn === s.kvn);
      const o: Obj = { kvn: s.kvn };
      if (prev && typeof prev.description === 'string') o.description = prev.description;
      for (const role of ['kic', 'kid', 'kik'] as const) {
        const k = s[role];
        if (k) o[role] = { algorithm: k.algorithm, key: toHex(k.key) };
      }
      return o;
    });
  }
  return top;
}

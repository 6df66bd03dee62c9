/**
 * Java Card CAP files: a ZIP archive holding one file per component
 * (`<package path>/javacard/Header.cap` …). Read with a minimal ZIP walk
 * (end-of-central-directory record, central directory, local headers;
 * stored or deflated entries through node's zlib, CRC-32 checked), so no
 * extra dependency is needed.
 *
 * Components are loaded in the order the Java Card Virtual Machine
 * Specification (chapter 6, "The CAP File Format", install order) mandates:
 * Header, Directory, Import, Applet, Class, Method, StaticField, Export,
 * ConstantPool, ReferenceLocation, then Descriptor (optional); Debug never.
 */
import { inflateRawSync } from 'node:zlib';
import { InputError } from '../../util/errors.js';
import { concat, toHex } from '../../util/hex.js';
import { crc32 } from '../../crypto/crc.js';
import { encodeTlv } from '../tlv.js';

/** Component tags (JCVM spec, Table "CAP file component tags"). */
export const COMPONENT_TAG = {
  Header: 1, Directory: 2, Applet: 3, Import: 4, ConstantPool: 5, Class: 6, Method: 7,
  StaticField: 8, RefLocation: 9, Export: 10, Descriptor: 11, Debug: 12,
} as const;
export type ComponentName = keyof typeof COMPONENT_TAG;

/** Install (load) order; `mandatory` components must be present. */
export const LOAD_ORDER: { name: ComponentName; mandatory: boolean }[] = [
  { name: 'Header', mandatory: true },
  { name: 'Directory', mandatory: true },
  { name: 'Import', mandatory: true },
  { name: 'Applet', mandatory: false },
  { name: 'Class', mandatory: true },
  { name: 'Method', mandatory: true },
  { name: 'StaticField', mandatory: true },
  { name: 'Export', mandatory: false },
  { name: 'ConstantPool', mandatory: true },
  { name: 'RefLocation', mandatory: true },
  { name: 'Descriptor', mandatory: false },
];

export interface CapFile {
  /** Package AID, from the Header component (package_info). */
  packageAid: Uint8Array;
  /** Package version major.minor. */
  version: string;
  /** Applet AIDs (class AIDs) from the Applet component, in order. */
  appletAids: Uint8Array[];
  /** Components in load order (each: tag ‖ u2 size ‖ info). */
  components: { name: ComponentName; bytes: Uint8Array }[];
  /** Names of ZIP entries not loaded (Debug, manifest, …). */
  skipped: string[];
  /** The Load File Data Block: `C4` ‖ BER length ‖ components (GlobalPlatform Card Specification cl. 11.6.2.3). */
  loadFileDataBlock: Uint8Array;
}

const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000;

export interface ZipEntry {
  name: string;
  data: Uint8Array;
}

/** Entries of a ZIP archive (PKWARE APPNOTE: EOCD, central directory, local headers). */
export function readZip(zip: Uint8Array, what = 'CAP file'): ZipEntry[] {
  const fail = (msg: string, offset?: number): never => {
    throw new InputError(msg, { layer: what, field: 'ZIP', offset });
  };
  if (zip.length < 22 || zip[0] !== 0x50 || zip[1] !== 0x4b) fail('not a ZIP archive (a CAP file is a ZIP: no "PK" signature)', 0);
  let eocd = -1;
  for (let p = zip.length - 22; p >= Math.max(0, zip.length - 22 - 0xffff); p--) {
    if (u32(zip, p) === 0x06054b50) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) fail('no end-of-central-directory record (truncated ZIP?)');
  const count = u16(zip, eocd + 10);
  const cdSize = u32(zip, eocd + 12);
  let p = u32(zip, eocd + 16);
  if (count === 0xffff || p === 0xffffffff) fail('ZIP64 archives are not supported', eocd);
  if (p + cdSize > eocd) fail('central directory lies outside the archive', eocd + 16);
  const out: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (p + 46 > zip.length || u32(zip, p) !== 0x02014b50) fail(`central directory entry ${i + 1} is damaged`, p);
    const flags = u16(zip, p + 8);
    const method = u16(zip, p + 10);
    const crc = u32(zip, p + 16);
    const csize = u32(zip, p + 20);
    const usize = u32(zip, p + 24);
    const nlen = u16(zip, p + 28);
    const elen = u16(zip, p + 30);
    const clen = u16(zip, p + 32);
    const local = u32(zip, p + 42);
    const name = Buffer.from(zip.subarray(p + 46, p + 46 + nlen)).toString('utf8');
    p += 46 + nlen + elen + clen;
    if (name.endsWith('/')) continue;
    if (flags & 1) fail(`${name}: encrypted entries are not supported`);
    if (local + 30 > zip.length || u32(zip, local) !== 0x04034b50) fail(`${name}: local header missing`, local);
    const start = local + 30 + u16(zip, local + 26) + u16(zip, local + 28);
    if (start + csize > zip.length) fail(`${name}: data runs past the end of the archive`, start);
    const raw = zip.subarray(start, start + csize);
    let data: Uint8Array;
    if (method === 0) data = raw;
    else if (method === 8) {
      try {
        data = new Uint8Array(inflateRawSync(raw));
      } catch (e) {
        fail(`${name}: deflate data is corrupt (${(e as Error).message})`, start);
      }
    } else fail(`${name}: compression method ${method} is not supported (stored or deflate only)`);
    if (data!.length !== usize) fail(`${name}: ${data!.length} octets after inflating, the directory says ${usize}`);
    const c = crc32(data!);
    const got = ((c[0] << 24) | (c[1] << 16) | (c[2] << 8) | c[3]) >>> 0;
    if (got !== crc) fail(`${name}: CRC-32 mismatch (archive damaged)`);
    out.push({ name, data: data! });
  }
  return out;
}

/** Check an AID's length (ISO/IEC 7816-5: RID of 5 octets + PIX of up to 11). */
export function checkAid(aid: Uint8Array, field: string): Uint8Array {
  if (aid.length < 5 || aid.length > 16) throw new InputError(`an AID is 5 … 16 octets (ISO/IEC 7816-5), got ${aid.length}`, { field });
  return aid;
}

/** Read a CAP file (ZIP bytes). Bad input: not a ZIP, a mandatory component missing or damaged. */
export function readCap(zip: Uint8Array, what = 'CAP file'): CapFile {
  const entries = readZip(zip, what);
  const byName = new Map<string, ZipEntry>();
  const skipped: string[] = [];
  for (const e of entries) {
    const m = /(?:^|\/)javacard\/([A-Za-z]+)\.cap$/.exec(e.name);
    if (!m || !(m[1] in COMPONENT_TAG) || m[1] === 'Debug') {
      skipped.push(e.name);
      continue;
    }
    if (byName.has(m[1])) throw new InputError(`component ${m[1]} appears twice (${byName.get(m[1])!.name}, ${e.name})`, { layer: what, field: m[1] });
    byName.set(m[1], e);
  }
  const components: CapFile['components'] = [];
  for (const { name, mandatory } of LOAD_ORDER) {
    const e = byName.get(name);
    if (!e) {
      if (mandatory) throw new InputError(`mandatory component ${name} (javacard/${name}.cap) is missing`, { layer: what, field: name });
      continue;
    }
    const b = e.data;
    if (b.length < 3 || b[0] !== COMPONENT_TAG[name]) {
      throw new InputError(`${e.name}: first octet ${b.length ? toHex(b.subarray(0, 1)) : '(none)'} is not the ${name} component tag ${COMPONENT_TAG[name]}`, { layer: what, field: name, offset: 0 });
    }
    const size = (b[1] << 8) | b[2];
    if (size !== b.length - 3) throw new InputError(`${e.name}: size field says ${size} octets, ${b.length - 3} present`, { layer: what, field: `${name} size`, offset: 1 });
    components.push({ name, bytes: b });
  }
  // Header (JCVM spec, header_component): tag, size, magic DECAFFED, minor, major, flags, package_info {minor, major, AID_length, AID}.
  const h = components[0].bytes;
  if (h.length < 13 || toHex(h.subarray(3, 7)) !== 'DECAFFED') throw new InputError('Header component lacks the magic DECAFFED', { layer: what, field: 'Header', offset: 3 });
  const aidLen = h[12];
  if (h.length < 13 + aidLen) throw new InputError(`package AID length ${aidLen} runs past the Header component`, { layer: what, field: 'Header AID_length', offset: 12 });
  const packageAid = checkAid(h.slice(13, 13 + aidLen), `${what} package AID`);
  const version = `${h[11]}.${h[10]}`;
  const appletAids: Uint8Array[] = [];
  const ap = components.find((c) => c.name === 'Applet');
  if (ap) {
    // applet_component: tag, size, count, { AID_length, AID, install_method_offset u2 } × count.
    const b = ap.bytes;
    let p = 4;
    for (let i = 0; i < b[3]; i++) {
      const n = b[p];
      if (p + 1 + n + 2 > b.length) throw new InputError(`applet ${i + 1} runs past the Applet component`, { layer: what, field: 'Applet', offset: p });
      appletAids.push(b.slice(p + 1, p + 1 + n));
      p += 1 + n + 2;
    }
  }
  const all = concat(...components.map((c) => c.bytes));
  if (all.length > 0xffff) throw new InputError(`${all.length} octets of components: more than this tool's 65535-octet Load File Data Block limit`, { layer: what });
  return { packageAid, version, appletAids, components, skipped, loadFileDataBlock: encodeTlv(0xc4, all) };
}

/**
 * A small CAP file assembled from known component bytes (Java Card VM
 * specification chapter 6 layouts), zipped here with a ZIP writer that
 * follows PKWARE's APPNOTE (local headers, central directory, EOCD), entries
 * deflated by node's zlib (or stored). Checked independently with `unzip -l`
 * where the tests need it.
 */
import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../../src/crypto/crc.js';

const h = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const comp = (tag: number, info: Uint8Array) => Uint8Array.from([tag, info.length >> 8, info.length & 0xff, ...info]);

export const PACKAGE_AID = 'D07002CA44900101';
export const APPLET_AID = 'D07002CA4490010101';

/** Components by name: tag ‖ u2 size ‖ info. Header: magic DECAFFED, CAP 2.1, flags 04 (applets), package 1.0, AID. */
export function components(): Record<string, Uint8Array> {
  const aid = h(PACKAGE_AID);
  const applet = h(APPLET_AID);
  return {
    Header: comp(1, Uint8Array.from([...h('DECAFFED'), 0x01, 0x02, 0x04, 0x00, 0x01, aid.length, ...aid])),
    Directory: comp(2, new Uint8Array(31).fill(0x11)),
    Applet: comp(3, Uint8Array.from([1, applet.length, ...applet, 0x00, 0x10])),
    Import: comp(4, h('01 00 01 07 A0000000620001')),
    ConstantPool: comp(5, new Uint8Array(40).fill(0x55)),
    Class: comp(6, new Uint8Array(30).fill(0x66)),
    Method: comp(7, new Uint8Array(300).map((_, i) => i & 0xff)),
    StaticField: comp(8, new Uint8Array(10).fill(0x88)),
    RefLocation: comp(9, new Uint8Array(20).fill(0x99)),
    Export: comp(10, new Uint8Array(0)),
    Descriptor: comp(11, new Uint8Array(25).fill(0xbb)),
    Debug: comp(12, new Uint8Array(50).fill(0xcc)),
  };
}

/** JCVM spec load order (what the Load File Data Block must hold, Debug never). */
export const ORDER = ['Header', 'Directory', 'Import', 'Applet', 'Class', 'Method', 'StaticField', 'Export', 'ConstantPool', 'RefLocation', 'Descriptor'];

const le16 = (n: number) => [n & 0xff, (n >> 8) & 0xff];
const le32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];

export function zip(entries: { name: string; data: Uint8Array }[], deflate = true): Uint8Array {
  const local: number[] = [];
  const central: number[] = [];
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const c = crc32(e.data);
    const crc = ((c[0] << 24) | (c[1] << 16) | (c[2] << 8) | c[3]) >>> 0;
    const body = deflate ? new Uint8Array(deflateRawSync(e.data)) : e.data;
    const method = deflate ? 8 : 0;
    const off = local.length;
    local.push(...le32(0x04034b50), ...le16(20), ...le16(0), ...le16(method), ...le16(0), ...le16(0), ...le32(crc), ...le32(body.length), ...le32(e.data.length), ...le16(name.length), ...le16(0), ...name, ...body);
    central.push(...le32(0x02014b50), ...le16(20), ...le16(20), ...le16(0), ...le16(method), ...le16(0), ...le16(0), ...le32(crc), ...le32(body.length), ...le32(e.data.length), ...le16(name.length), ...le16(0), ...le16(0), ...le16(0), ...le16(0), ...le32(0), ...le32(off), ...name);
  }
  const eocd = [...le32(0x06054b50), ...le16(0), ...le16(0), ...le16(entries.length), ...le16(entries.length), ...le32(central.length), ...le32(local.length), ...le16(0)];
  return Uint8Array.from([...local, ...central, ...eocd]);
}

/** The CAP: components in a scrambled ZIP order (the reader must reorder), plus a manifest and Debug. */
export function capFile(opts: { drop?: string[]; deflate?: boolean } = {}): Uint8Array {
  const c = components();
  const names = ['Method', 'Debug', 'Header', 'ConstantPool', 'Applet', 'Directory', 'Export', 'Class', 'Import', 'RefLocation', 'StaticField', 'Descriptor'];
  const entries: { name: string; data: Uint8Array }[] = [{ name: 'META-INF/MANIFEST.MF', data: Uint8Array.from(Buffer.from('Manifest-Version: 1.0\n')) }];
  for (const n of names) if (!opts.drop?.includes(n)) entries.push({ name: `com/example/hello/javacard/${n}.cap`, data: c[n] });
  return zip(entries, opts.deflate ?? true);
}

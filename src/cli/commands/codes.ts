/** spi / kic / kid / tar / status: encode and decode the header codes. */
import { InputError } from '../../util/errors.js';
import { fromHex, toHex } from '../../util/hex.js';
import { spiCodec, spiJson, spiTree, type Spi } from '../../secured/spi.js';
import { decodeKic, decodeKidCc, decodeKidRc, encodeKic, encodeKid, keyIdJson, kicTree, kidTree, algText } from '../../secured/kic.js';
import { tarList, tarName, parseTar } from '../../secured/tar.js';
import { statusName, statusTable } from '../../secured/status.js';
import { isCipherAlg, isIntegrityAlg } from '../../secured/keys.js';
import { octet, intOption } from '../input.js';
import { printJson, printTree, writeOut, type OutputOptions } from '../output.js';
import type { CipherAlg, CcAlg, RcAlg } from '../../crypto/index.js';
import { tagged } from '../../util/json-format.js';

type Out = OutputOptions;

export async function spiDecode(hex: string, o: Out): Promise<void> {
  const b = fromHex(hex, 'SPI');
  if (b.length !== 2) throw new InputError(`must be 2 octets, got ${b.length}`, { field: 'SPI' });
  const s = spiCodec.decode(b);
  if (o.json) return printJson(tagged('spi', spiJson(s)));
  await printTree([spiTree(s)], o);
}

interface SpiEncodeOpts extends Out {
  rc?: boolean; cc?: boolean; ds?: boolean; cipher?: boolean; counter: string; por: string;
  porRc?: boolean; porCc?: boolean; porDs?: boolean; porCipher?: boolean; porVia: string;
}

function oneOf(flags: Record<string, boolean | undefined>, what: string): string {
  const set = Object.entries(flags).filter(([, v]) => v).map(([k]) => k);
  if (set.length > 1) throw new InputError(`choose one of ${Object.keys(flags).map((k) => '--' + k).join(', ')}`, { field: what });
  return set[0] ?? 'none';
}

export async function spiEncode(o: SpiEncodeOpts): Promise<void> {
  const integrity = oneOf({ rc: o.rc, cc: o.cc, ds: o.ds }, 'SPI RC/CC/DS');
  const por = oneOf({ 'por-rc': o.porRc, 'por-cc': o.porCc, 'por-ds': o.porDs }, 'SPI PoR RC/CC/DS').replace('por-', '');
  const s = {
    integrity, ciphering: !!o.cipher, counter: o.counter, porRequest: o.por, porIntegrity: por,
    porCiphered: !!o.porCipher, porVia: o.porVia,
  } as Spi;
  const b = spiCodec.encode(s);
  if (o.json) return printJson(tagged('spi', spiJson(s)));
  writeOut(toHex(b));
}

export async function kicDecode(hex: string, o: Out): Promise<void> {
  const k = octet(hex, 'KIc');
  if (o.json) return printJson(tagged('kic', keyIdJson(decodeKic(k))));
  await printTree([kicTree(k)], o);
}

export async function kidDecode(hex: string, o: Out & { rc?: boolean }): Promise<void> {
  const k = octet(hex, 'KID');
  if (o.json) return printJson(tagged('kid', { ...keyIdJson(o.rc ? decodeKidRc(k) : decodeKidCc(k)), reading: o.rc ? 'rc' : 'cc' }));
  await printTree([kidTree(k, o.rc ? 'rc' : 'cc')], o);
}

export async function kicEncode(o: Out & { alg: string; kvn: string }): Promise<void> {
  if (!isCipherAlg(o.alg)) throw new InputError(`"${o.alg}" is not a cipher`, { field: '--alg' });
  const v = encodeKic(intOption(o.kvn, '--kvn', 0, 15), o.alg as CipherAlg);
  if (o.json) return printJson(tagged('kic', keyIdJson(decodeKic(v))));
  writeOut(toHex(Uint8Array.of(v)));
}

export async function kidEncode(o: Out & { alg: string; kvn: string }): Promise<void> {
  if (!isIntegrityAlg(o.alg)) throw new InputError(`"${o.alg}" is not a CC/RC algorithm`, { field: '--alg' });
  const v = encodeKid(intOption(o.kvn, '--kvn', 0, 15), o.alg as CcAlg | RcAlg);
  const rc = o.alg === 'crc16' || o.alg === 'crc32';
  if (o.json) return printJson(tagged('kid', { ...keyIdJson(rc ? decodeKidRc(v) : decodeKidCc(v)), reading: rc ? 'rc' : 'cc' }));
  writeOut(toHex(Uint8Array.of(v)));
}

export async function tarInfo(hex: string | undefined, o: Out): Promise<void> {
  if (hex === undefined) {
    const l = tarList();
    if (o.json) return printJson(l);
    writeOut(l.map((r) => `${r.from === r.to ? r.from + '       ' : r.from + '-' + r.to}  ${r.name}`).join('\n'));
    return;
  }
  const t = parseTar(hex);
  const name = tarName(t) ?? null;
  if (o.json) return printJson(tagged('tar', { tar: toHex(t), name }));
  writeOut(`${toHex(t)}  ${name ?? 'not in TS 101 220 Annex D (issuer-specific?)'}`);
}

export async function statusInfo(hex: string | undefined, o: Out): Promise<void> {
  if (hex === undefined) {
    const l = statusTable();
    if (o.json) return printJson(l);
    writeOut(l.map((r) => `${r.code}  ${r.name}`).join('\n') + '\n0D-BF  reserved for future use\nC0-FE  proprietary\nFF  reserved for future use');
    return;
  }
  const c = octet(hex, 'status');
  if (o.json) return printJson(tagged('status', { code: toHex(Uint8Array.of(c)), name: statusName(c) }));
  writeOut(`${toHex(Uint8Array.of(c))}  ${statusName(c)}`);
}

export { algText, fromHex };

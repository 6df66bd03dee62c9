/**
 * The header codes (`spi`, `kic`, `kid`, `tar`, `status` commands): each
 * function returns exactly the object the command prints with --json.
 */
import { InputError } from '../util/errors.js';
import { toHex } from '../util/hex.js';
import { bytesOf, intOption, octet, type HexLike } from '../util/options.js';
import { spiCodec, spiJson, type Spi } from '../secured/spi.js';
import { decodeKic, decodeKidCc, decodeKidRc, encodeKic, encodeKid, keyIdJson } from '../secured/kic.js';
import { tarList, tarName, parseTar } from '../secured/tar.js';
import { statusName, statusTable } from '../secured/status.js';
import { isCipherAlg, isIntegrityAlg } from '../secured/keys.js';
import type { CipherAlg, CcAlg, RcAlg } from '../crypto/index.js';
import { tagged } from '../util/json-format.js';

/** `spi decode --json` / `spi encode --json` (TS 102 225 cl. 5.1.1). */
export interface SpiJson {
  format: string;
  hex: string;
  integrity: 'none' | 'rc' | 'cc' | 'ds';
  ciphering: boolean;
  counter: 'none' | 'available' | 'higher' | 'one-higher';
  porRequest: 'none' | 'required' | 'on-error' | 'reserved';
  porIntegrity: 'none' | 'rc' | 'cc' | 'ds';
  porCiphered: boolean;
  porVia: 'deliver-report' | 'submit';
  [key: string]: unknown;
}

/** Options of `spi encode`, camelCase. */
export interface SpiEncodeOptions {
  rc?: boolean;
  cc?: boolean;
  ds?: boolean;
  cipher?: boolean;
  counter?: 'none' | 'available' | 'higher' | 'one-higher';
  por?: 'none' | 'required' | 'on-error';
  porRc?: boolean;
  porCc?: boolean;
  porDs?: boolean;
  porCipher?: boolean;
  porVia?: 'deliver-report' | 'submit';
}

function oneOf(flags: Record<string, boolean | undefined>, what: string): string {
  const set = Object.entries(flags).filter(([, v]) => v).map(([k]) => k);
  if (set.length > 1) throw new InputError(`choose one of ${Object.keys(flags).map((k) => '--' + k).join(', ')}`, { field: what });
  return set[0] ?? 'none';
}

export const spi = {
  /** The two SPI octets, every bit named. */
  decode(input: HexLike): SpiJson {
    const b = bytesOf(input, 'SPI');
    if (b.length !== 2) throw new InputError(`must be 2 octets, got ${b.length}`, { field: 'SPI' });
    return tagged('spi', spiJson(spiCodec.decode(b))) as SpiJson;
  },
  /** An SPI from named options; `hex` holds the 2 octets. */
  encode(o: SpiEncodeOptions = {}): SpiJson {
    const integrity = oneOf({ rc: o.rc, cc: o.cc, ds: o.ds }, 'SPI RC/CC/DS');
    const por = oneOf({ 'por-rc': o.porRc, 'por-cc': o.porCc, 'por-ds': o.porDs }, 'SPI PoR RC/CC/DS').replace('por-', '');
    const s = {
      integrity, ciphering: !!o.cipher, counter: o.counter ?? 'none', porRequest: o.por ?? 'none', porIntegrity: por,
      porCiphered: !!o.porCipher, porVia: o.porVia ?? 'deliver-report',
    } as Spi;
    spiCodec.encode(s);
    return tagged('spi', spiJson(s)) as SpiJson;
  },
};

/** `kic decode --json` / `kid decode --json` (TS 102 225 cl. 5.1.2, 5.1.3). */
export interface KeyIdJson {
  format: string;
  hex: string;
  kvn: number;
  algorithm: string | null;
  reading?: 'cc' | 'rc';
  [key: string]: unknown;
}

export const kic = {
  decode(input: HexLike | number): KeyIdJson {
    const k = typeof input === 'number' ? octet(input, 'KIc') : octet(typeof input === 'string' ? input : toHex(input), 'KIc');
    return tagged('kic', keyIdJson(decodeKic(k))) as KeyIdJson;
  },
  encode(o: { alg: string; kvn?: string | number }): KeyIdJson {
    if (!isCipherAlg(o.alg)) throw new InputError(`"${o.alg}" is not a cipher`, { field: '--alg' });
    const v = encodeKic(intOption(o.kvn ?? '1', '--kvn', 0, 15), o.alg as CipherAlg);
    return tagged('kic', keyIdJson(decodeKic(v))) as KeyIdJson;
  },
};

export const kid = {
  /** CC reading unless `rc` (the RC reading of the same octet). */
  decode(input: HexLike | number, o: { rc?: boolean } = {}): KeyIdJson {
    const k = typeof input === 'number' ? octet(input, 'KID') : octet(typeof input === 'string' ? input : toHex(input), 'KID');
    return tagged('kid', { ...keyIdJson(o.rc ? decodeKidRc(k) : decodeKidCc(k)), reading: o.rc ? 'rc' : 'cc' }) as KeyIdJson;
  },
  encode(o: { alg: string; kvn?: string | number }): KeyIdJson {
    if (!isIntegrityAlg(o.alg)) throw new InputError(`"${o.alg}" is not a CC/RC algorithm`, { field: '--alg' });
    const v = encodeKid(intOption(o.kvn ?? '1', '--kvn', 0, 15), o.alg as CcAlg | RcAlg);
    const rc = o.alg === 'crc16' || o.alg === 'crc32';
    return tagged('kid', { ...keyIdJson(rc ? decodeKidRc(v) : decodeKidCc(v)), reading: rc ? 'rc' : 'cc' }) as KeyIdJson;
  },
};

export const tar = {
  /** `tar HEX --json`: the TAR and its TS 101 220 Annex D name (null if not listed). */
  describe(input: HexLike): { format: string; tar: string; name: string | null } {
    const t = parseTar(typeof input === 'string' ? input : toHex(input));
    return tagged('tar', { tar: toHex(t), name: tarName(t) ?? null });
  },
  /** `tar --json`: the known TAR ranges. */
  list(): Array<{ from: string; to: string; name: string }> {
    return tarList();
  },
};

export const status = {
  /** `status HEX --json`: a response status code (TS 102 225 Table 5). */
  describe(input: HexLike | number): { format: string; code: string; name: string } {
    const c = typeof input === 'number' ? octet(input, 'status') : octet(typeof input === 'string' ? input : toHex(input), 'status');
    return tagged('status', { code: toHex(Uint8Array.of(c)), name: statusName(c) });
  },
  /** `status --json`: the table. */
  list(): Array<{ code: string; name: string }> {
    return statusTable();
  },
};

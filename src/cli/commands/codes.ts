/** spi / kic / kid / tar / status: options in, src/api/codes.ts, tree/JSON/hex out. */
import { spiCodec, spiTree } from '../../secured/spi.js';
import { kicTree, kidTree } from '../../secured/kic.js';
import { fromHex } from '../../util/hex.js';
import { octet } from '../input.js';
import { printJson, printTree, writeOut, type OutputOptions } from '../output.js';
import { spi, kic, kid, tar, status, type SpiEncodeOptions } from '../../api/codes.js';

type Out = OutputOptions;

export async function spiDecode(hex: string, o: Out): Promise<void> {
  const j = spi.decode(hex);
  if (o.json) return printJson(j);
  await printTree([spiTree(spiCodec.decode(fromHex(j.hex, 'SPI')))], o);
}

export async function spiEncode(o: Out & SpiEncodeOptions): Promise<void> {
  const j = spi.encode(o);
  if (o.json) return printJson(j);
  writeOut(j.hex);
}

export async function kicDecode(hex: string, o: Out): Promise<void> {
  const j = kic.decode(hex);
  if (o.json) return printJson(j);
  await printTree([kicTree(octet(hex, 'KIc'))], o);
}

export async function kidDecode(hex: string, o: Out & { rc?: boolean }): Promise<void> {
  const j = kid.decode(hex, o);
  if (o.json) return printJson(j);
  await printTree([kidTree(octet(hex, 'KID'), o.rc ? 'rc' : 'cc')], o);
}

export async function kicEncode(o: Out & { alg: string; kvn: string }): Promise<void> {
  const j = kic.encode(o);
  if (o.json) return printJson(j);
  writeOut(j.hex);
}

export async function kidEncode(o: Out & { alg: string; kvn: string }): Promise<void> {
  const j = kid.encode(o);
  if (o.json) return printJson(j);
  writeOut(j.hex);
}

export async function tarInfo(hex: string | undefined, o: Out): Promise<void> {
  if (hex === undefined) {
    const l = tar.list();
    if (o.json) return printJson(l);
    writeOut(l.map((r) => `${r.from === r.to ? r.from + '       ' : r.from + '-' + r.to}  ${r.name}`).join('\n'));
    return;
  }
  const t = tar.describe(hex);
  if (o.json) return printJson(t);
  writeOut(`${t.tar}  ${t.name ?? 'not in TS 101 220 Annex D (issuer-specific?)'}`);
}

export async function statusInfo(hex: string | undefined, o: Out): Promise<void> {
  if (hex === undefined) {
    const l = status.list();
    if (o.json) return printJson(l);
    writeOut(l.map((r) => `${r.code}  ${r.name}`).join('\n') + '\n0D-BF  reserved for future use\nC0-FE  proprietary\nFF  reserved for future use');
    return;
  }
  const s = status.describe(hex);
  if (o.json) return printJson(s);
  writeOut(`${s.code}  ${s.name}`);
}

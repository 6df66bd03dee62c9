/**
 * Remote management scripts as secured packets (what `rfm` / `ram` build):
 * security options resolved as `build sms` / `build cattp` resolve them, the
 * command script split into packets that fit the bearer (TS 102 226 cl. 5),
 * each secured (TS 102 225 cl. 5.1) and framed; and the PoR read as `parse`
 * reads it.
 */
import { InputError } from '../util/errors.js';
import type { SecuredCommand } from '../secured/command.js';
import type { Dialect } from '../secured/dialect.js';
import type { KeyMaterial } from '../secured/keys.js';
import { spiHex } from '../secured/spi.js';
import { hex2 } from '../util/hex.js';
import { smsDialect } from '../smspp/dialect.js';
import { cattpDialect } from '../cattp/dialect.js';
import type { CommandScriptOptions } from '../remote/index.js';
import { buildScriptPackets, makeSizer, planPackets, type Bearer, type PacketPlan, type Sizer } from '../remote/packets.js';
import type { RemoteScript } from '../remote/script.js';
import { fromHex } from '../util/hex.js';
import { counterBlock, prepareCommand, type SecurityOpts } from './secured-options.js';
import type { SmsFrameOpts } from './frame.js';
import type { PduHeaderOpts } from './cattp-options.js';
import type { ParseOpts, PacketResult } from './packet.js';

export interface AdapterOpts extends SecurityOpts, PduHeaderOpts, Omit<SmsFrameOpts, 'format' | 'concatRef'> {
  concatRef?: string;
  format?: string;
  bearer: Bearer;
}

export interface ScriptBuild {
  dialect: Dialect;
  plans: PacketPlan[];
  /** Secured packets (empty for a dry run), one per plan. */
  packets: SecuredCommand[];
  /** The bearer layer requested (--format), per packet. */
  frames: Uint8Array[][];
  spi: string;
  kic: number;
  kid: number;
  keys: KeyMaterial;
  tar: Uint8Array;
}

/**
 * Resolve the security options like `build sms`, plan the packets with the
 * bearer's size limit (`makeScript` gets the sizer, e.g. to pick the LOAD
 * block size), then — unless `dryRun` — reserve one counter per packet and
 * secure and frame each. Nothing is reserved or secured when any input is bad.
 */
export async function secureScript(
  o: AdapterOpts, defaultTar: string, extra: Uint8Array[], dryRun: boolean,
  makeScript: (fit: { sizer: Sizer; script: CommandScriptOptions }) => RemoteScript,
): Promise<ScriptBuild & { script: RemoteScript }> {
  const dialect = o.bearer.kind === 'cattp' ? cattpDialect : smsDialect;
  const fixed = o.counter === 'next' ? '0' : o.counter;
  const prep = await prepareCommand({ ...o, tar: o.tar ?? defaultTar, apdu: [], data: '', counter: fixed });
  const { spi, kic, kid, tar, ccLength, paddingByte } = prep.input;
  const base = { spi, kic, kid, tar, ccLength, paddingByte };
  const opt = (v: string | undefined, f: string) => (v === undefined ? undefined : fromHex(v, f));
  const scriptOpts: CommandScriptOptions = {
    format: o.expanded ? 'expanded' : 'compact',
    indefinite: o.indefinite,
    immediateAction: opt(o.immediateAction, '--immediate-action'),
    errorAction: opt(o.errorAction, '--error-action'),
    scriptChaining: opt(o.scriptChaining, '--script-chaining'),
  };
  const sizer = makeSizer(dialect, base, prep.keys, o.bearer);
  const script = makeScript({ sizer, script: scriptOpts });
  const plans = planPackets(script, extra, scriptOpts, sizer, o.bearer);
  const out = { dialect, plans, script, spi: spiHex(spi), kic, kid, keys: prep.keys, tar, packets: [] as SecuredCommand[], frames: [] as Uint8Array[][] };
  if (dryRun) return out;
  const first = await counterBlock(o, kic, kid, tar, prep.input.counter, plans.length);
  out.packets = buildScriptPackets(dialect, base, prep.keys, plans, first);
  // --allow-weak-key: the packets say which key degrades to single DES; the script's notes carry it once.
  for (const n of new Set(out.packets.flatMap((c) => c.notes ?? []))) if (!script.notes.includes(n)) script.notes.push(n);
  if (o.bearer.kind === 'sms') {
    const { frameCommand } = await import('./frame.js');
    const format = (o.format ?? 'packet') as SmsFrameOpts['format'];
    out.frames = out.packets.map((c) => frameCommand(c.bytes, { ...o, format, concatRef: o.concatRef ?? '0', pcap: undefined }));
  } else {
    const { sduPdus } = await import('./cattp-options.js');
    let seq = o.seq !== undefined ? Number(o.seq) : 1;
    out.frames = out.packets.map((c) => {
      if ((o.format ?? 'pdu') === 'packet') return [c.bytes];
      const pdus = sduPdus(c.bytes, { ...o, seq: String(seq & 0xffff) }, 'server');
      seq += pdus.length;
      return pdus;
    });
  }
  return out;
}

/** Read a PoR (any layer `parse` recognises) with the command's SPI/KIc/KID and the sender's keys. */
export async function readPor(bytes: Uint8Array | Uint8Array[], b: { spi: string; kic: number; kid: number }, keyOpts: ParseOpts): Promise<PacketResult> {
  const { peel } = await import('../layers/peel.js');
  const { parsePacket } = await import('./packet.js');
  // Several inputs: the user data of the segments of a concatenated SMS-SUBMIT.
  const p = peel(Array.isArray(bytes) ? bytes : [bytes], 'auto');
  if (p.kind === 'command') throw new InputError('this is a command packet, not a PoR (response packet)', { field: '--por' });
  return parsePacket(p, { ...keyOpts, spi: b.spi, kic: hex2(b.kic), kid: hex2(b.kid), request: undefined }, 'response');
}

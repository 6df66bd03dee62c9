/**
 * `cattp build <type>` as a function: one CAT_TP PDU (ETSI TS 102 127 cl. 5)
 * from named header fields, with deliberate overrides (flags, header length,
 * checksum) for negative tests. Returns the object `cattp build --json`
 * prints, plus `units` (the PDU octets) and `warnings` (none).
 */
import { formatTag } from '../util/json-format.js';
import { toHex } from '../util/hex.js';
import { encodePdu } from '../cattp/pdu.js';
import { pduFromOptions, pduPcap, showable, type CattpBuildOpts } from './cattp-options.js';

type Num = string | number;

/** The long options of `cattp build` in camelCase; numbers may be given as numbers. */
export type CattpPduOptions = { [K in keyof Omit<CattpBuildOpts, 'show'>]?: CattpBuildOpts[K] extends string | undefined ? string | Num : CattpBuildOpts[K] };

export interface CattpPduResult {
  format: string;
  /** The PDU, hex. */
  hex: string;
  /** The PDU octets (one unit). */
  units: Uint8Array[];
  /** Always empty (the command prints no notes). */
  warnings: string[];
  /** The decoded PDU (keys of `cattp build --json`). */
  [key: string]: unknown;
}

/** The PDU `cattp build TYPE` makes (type: syn, syn-ack, ack, data, eack, rst, nul). */
export function buildCattpPdu(type: string, options: CattpPduOptions = {}): CattpPduResult {
  const o = Object.fromEntries(Object.entries(options).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v])) as CattpBuildOpts;
  const { pdu, overrides } = pduFromOptions(type, o);
  const bytes = encodePdu(pdu, overrides);
  if (o.pcap) pduPcap(o.pcap, [bytes], o.udpPort);
  const v = showable(bytes);
  return { format: formatTag('cattp-pdu'), ...(v.json as object), hex: toHex(bytes), units: [bytes], warnings: [] as string[] };
}

/**
 * Administration session triggering parameters (GlobalPlatform Card
 * Specification Amendment B, "Remote Application Management over HTTP"): the
 * `81` TLV sent as the secured data of an SCP80 command packet (ETSI TS 102 225)
 * to the Security Domain, asking it to open a PSK-TLS/HTTPS session.
 *
 *   81 Administration session triggering parameters
 *     83 Security Domain administration session parameters
 *       84 Connection parameters (OPEN CHANNEL COMPREHENSION-TLVs, ETSI TS 102 223 cl. 6.6.27)
 *       85 Security parameters: Lid, PSK identity, 02, KVN, KID
 *       A5 extended security parameters (opaque)
 *       86 Retry policy: retry counter (2 octets), retry waiting delay (Timer value TLV, TS 102 223 cl. 8.38)
 *       89 HTTP POST parameters: 8A administration host, 8B agent ID, 8C administration URI
 *     B3 DNS resolution parameters (Amendment B v1.2): D6 server FQDN, FA DNS server connection parameters
 *
 * Omitted parts fall back to the values stored in the Security Domain.
 * Unsettled codings (the retry delay timer value, A5, the optional octet after
 * KVN/KID, the failure part of 86) are carried as raw octets.
 */
import { InputError } from '../util/errors.js';
import { concat, hex2, toHex } from '../util/hex.js';
import { type TreeNode, node } from '../render/tree.js';
import { encodeTlv, readTlv, tagHex, type Tlv } from '../remote/tlv.js';

export const PUSH_LAYER = 'SCP81 push';

export const PUSH_TAG = {
  TRIGGER: 0x81,
  SD_SESSION: 0x83,
  CONNECTION: 0x84,
  SECURITY: 0x85,
  EXTENDED_SECURITY: 0xa5,
  RETRY: 0x86,
  HTTP_POST: 0x89,
  ADMIN_HOST: 0x8a,
  AGENT_ID: 0x8b,
  ADMIN_URI: 0x8c,
  DNS: 0xb3,
  DNS_FQDN: 0xd6,
  DNS_SERVER: 0xfa,
} as const;

/** OPEN CHANNEL COMPREHENSION-TLV tags (ETSI TS 102 223 cl. 9.3), CR bit cleared. */
const CTLV: Record<number, string> = {
  0x05: 'Alpha identifier',
  0x35: 'Bearer description',
  0x39: 'Buffer size',
  0x47: 'Network access name',
  0x3e: 'Other address (data destination address)',
  0x0d: 'Text string',
  0x3c: 'UICC/terminal interface transport level',
  0x24: 'Duration',
  0x25: 'Timer value',
};

const TRANSPORT: Record<number, string> = {
  1: 'UDP, UICC in client mode, remote connection',
  2: 'TCP, UICC in client mode, remote connection',
  3: 'TCP, UICC in server mode',
  4: 'UDP, UICC in client mode, local connection',
  5: 'TCP, UICC in client mode, local connection',
  6: 'direct communication channel',
};

export interface ConnectionParams {
  /** Bearer description value (TS 102 223 cl. 8.52), e.g. 03 = default bearer. */
  bearer?: Uint8Array;
  bufferSize?: number;
  /** Network access name as text ("internet"), coded as DNS-style labels (TS 23.003). */
  apn?: string;
  /** Transport level: protocol type (02 = TCP client remote) and port. */
  transport?: { protocol: number; port: number };
  /** Data destination address: IPv4 or IPv6 text. */
  destination?: string;
}

export interface SecurityParams {
  /** PSK identity octets (usually text such as an ICCID). */
  identity: Uint8Array;
  /** Key version number of the SCP81 key set (40–4F by convention). */
  kvn: number;
  /** Key identifier of the TLS PSK inside the key set (01). */
  kid: number;
  /** Octets after KVN/KID (meaning not settled). */
  extra?: Uint8Array;
}

export interface RetryPolicy {
  counter: number;
  /** The three octets of the Timer value (TS 102 223 cl. 8.38); coded as given. */
  delay?: Uint8Array;
  /** Octets after the timer TLV ("report failure" data, opaque). */
  extra?: Uint8Array;
}

export interface HttpPostParams {
  host?: string;
  agentId?: string;
  uri?: string;
}

/** What a push carries; every part optional (the card falls back to its stored values). */
export interface PushParams {
  /** Raw 84 contents instead of `connection`. */
  connectionRaw?: Uint8Array;
  connection?: ConnectionParams;
  security?: SecurityParams;
  extendedSecurity?: Uint8Array;
  retry?: RetryPolicy;
  http?: HttpPostParams;
  dns?: { fqdn?: string; server?: Uint8Array };
}

const ascii = (s: string) => Uint8Array.from(Buffer.from(s, 'utf8'));
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const where = (field: string, offset?: number) => ({ layer: PUSH_LAYER, field, offset });

function ipBytes(ip: string): { type: number; bytes: Uint8Array } {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4) {
    const b = v4.slice(1).map(Number);
    if (b.every((x) => x <= 255)) return { type: 0x21, bytes: Uint8Array.from(b) };
  }
  if (ip.includes(':')) {
    const halves = ip.split('::');
    if (halves.length <= 2) {
      const part = (s: string) => (s ? s.split(':') : []);
      const head = part(halves[0]);
      const tail = halves.length === 2 ? part(halves[1]) : [];
      const fill = 8 - head.length - tail.length;
      if ((halves.length === 2 ? fill >= 1 : fill === 0) && [...head, ...tail].every((g) => /^[0-9a-f]{1,4}$/i.test(g))) {
        const groups = [...head, ...Array(halves.length === 2 ? fill : 0).fill('0'), ...tail].map((g) => parseInt(g, 16));
        const out = new Uint8Array(16);
        groups.forEach((g, i) => ((out[2 * i] = g >> 8), (out[2 * i + 1] = g & 0xff)));
        return { type: 0x57, bytes: out };
      }
    }
  }
  throw new InputError(`"${ip}" is not an IPv4 or IPv6 address`, where('data destination address'));
}

function ipText(type: number, b: Uint8Array): string | undefined {
  if (type === 0x21 && b.length === 4) return Array.from(b).join('.');
  if (type === 0x57 && b.length === 16) {
    const g: string[] = [];
    for (let i = 0; i < 16; i += 2) g.push(((b[i] << 8) | b[i + 1]).toString(16));
    return g.join(':');
  }
  return undefined;
}

/** APN as DNS-style labels (3GPP TS 23.003 cl. 9.1), as OPEN CHANNEL carries it. */
function apnBytes(apn: string): Uint8Array {
  const parts = apn.split('.').map((l) => {
    if (!l || l.length > 63) throw new InputError(`label "${l}" must be 1 to 63 characters`, where('network access name'));
    return concat(Uint8Array.of(l.length), ascii(l));
  });
  return concat(...parts);
}

function apnText(b: Uint8Array): string | undefined {
  const out: string[] = [];
  for (let p = 0; p < b.length; ) {
    const n = b[p];
    if (n === 0 || p + 1 + n > b.length) return undefined;
    out.push(text(b.subarray(p + 1, p + 1 + n)));
    p += 1 + n;
  }
  return out.join('.');
}

/** The OPEN CHANNEL TLVs of tag 84, in the order TS 102 223 cl. 6.6.27 lists them (CR bit set). */
export function encodeConnection(c: ConnectionParams): Uint8Array {
  const parts: Uint8Array[] = [];
  if (c.bearer) parts.push(encodeTlv(0xb5, c.bearer));
  if (c.bufferSize !== undefined) {
    if (!Number.isInteger(c.bufferSize) || c.bufferSize < 0 || c.bufferSize > 0xffff) throw new InputError('must be 0 to 65535', where('buffer size'));
    parts.push(encodeTlv(0xb9, Uint8Array.of(c.bufferSize >> 8, c.bufferSize & 0xff)));
  }
  if (c.apn !== undefined) parts.push(encodeTlv(0xc7, apnBytes(c.apn)));
  if (c.transport) {
    const { protocol, port } = c.transport;
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new InputError('port must be 0 to 65535', where('transport level'));
    parts.push(encodeTlv(0xbc, Uint8Array.of(protocol, port >> 8, port & 0xff)));
  }
  if (c.destination !== undefined) {
    const ip = ipBytes(c.destination);
    parts.push(encodeTlv(0xbe, concat(Uint8Array.of(ip.type), ip.bytes)));
  }
  return concat(...parts);
}

function octetOf(n: number, field: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 255) throw new InputError(`must be one octet (0 to 255), got ${n}`, where(field));
  return n;
}

/** Encode the `81` trigger TLV: the secured data of the push command packet. */
export function buildPush(p: PushParams): Uint8Array {
  const sd: Uint8Array[] = [];
  if (p.connectionRaw && p.connection) throw new InputError('give the connection parameters raw or by field, not both', where('connection parameters'));
  if (p.connectionRaw) sd.push(encodeTlv(PUSH_TAG.CONNECTION, p.connectionRaw));
  else if (p.connection) sd.push(encodeTlv(PUSH_TAG.CONNECTION, encodeConnection(p.connection)));
  if (p.security) {
    const s = p.security;
    if (s.identity.length > 255) throw new InputError('PSK identity longer than 255 octets', where('PSK identity'));
    sd.push(encodeTlv(PUSH_TAG.SECURITY, concat(
      Uint8Array.of(s.identity.length), s.identity,
      Uint8Array.of(2, octetOf(s.kvn, 'KVN'), octetOf(s.kid, 'KID')), s.extra ?? new Uint8Array(0),
    )));
  }
  if (p.extendedSecurity) sd.push(encodeTlv(PUSH_TAG.EXTENDED_SECURITY, p.extendedSecurity));
  if (p.retry) {
    const r = p.retry;
    if (!Number.isInteger(r.counter) || r.counter < 0 || r.counter > 0xffff) throw new InputError('must be 0 to 65535', where('retry counter'));
    if (r.delay && r.delay.length !== 3) throw new InputError(`the timer value is 3 octets (hh mm ss), got ${r.delay.length}`, where('retry waiting delay'));
    sd.push(encodeTlv(PUSH_TAG.RETRY, concat(
      Uint8Array.of(r.counter >> 8, r.counter & 0xff),
      r.delay ? encodeTlv(0x25, r.delay) : new Uint8Array(0), r.extra ?? new Uint8Array(0),
    )));
  }
  if (p.http) {
    const h: Uint8Array[] = [];
    if (p.http.host !== undefined) h.push(encodeTlv(PUSH_TAG.ADMIN_HOST, ascii(p.http.host)));
    if (p.http.agentId !== undefined) h.push(encodeTlv(PUSH_TAG.AGENT_ID, ascii(p.http.agentId)));
    if (p.http.uri !== undefined) h.push(encodeTlv(PUSH_TAG.ADMIN_URI, ascii(p.http.uri)));
    sd.push(encodeTlv(PUSH_TAG.HTTP_POST, concat(...h)));
  }
  const top: Uint8Array[] = [];
  if (sd.length) top.push(encodeTlv(PUSH_TAG.SD_SESSION, concat(...sd)));
  if (p.dns) {
    const d: Uint8Array[] = [];
    if (p.dns.fqdn !== undefined) d.push(encodeTlv(PUSH_TAG.DNS_FQDN, ascii(p.dns.fqdn)));
    if (p.dns.server) d.push(encodeTlv(PUSH_TAG.DNS_SERVER, p.dns.server));
    top.push(encodeTlv(PUSH_TAG.DNS, concat(...d)));
  }
  return encodeTlv(PUSH_TAG.TRIGGER, concat(...top));
}

// ------------------------------------------------------------------ decoding

/** A decoded push: the parameters plus every TLV located in the input. */
export interface DecodedPush extends PushParams {
  /** Tree of the TLVs with offsets (for display). */
  tree: TreeNode;
  /** Unknown or unexpected TLVs: noted, not fatal. */
  notes: string[];
}

function tlvsIn(b: Uint8Array, start: number, end: number, field: string): Tlv[] {
  const out: Tlv[] = [];
  for (let p = start; p < end; ) {
    const t = readTlv(b, p, end, PUSH_LAYER);
    if (t.length < 0) throw new InputError('indefinite length is not allowed here', where(field, t.lengthOffset));
    out.push(t);
    p = t.end;
  }
  return out;
}

const at = (t: Tlv) => `at byte ${t.offset}`;

/**
 * Whether `data` is one complete `81` TLV whose contents are `83`/`B3` TLVs
 * (or empty): how `parse` tells a push from a remote command script.
 */
export function looksLikePush(data: Uint8Array): boolean {
  if (data[0] !== PUSH_TAG.TRIGGER) return false;
  try {
    const t = readTlv(data, 0, data.length, PUSH_LAYER);
    if (t.end !== data.length) return false;
    return tlvsIn(data, t.valueOffset, t.end, 'trigger').every((x) => x.tag === PUSH_TAG.SD_SESSION || x.tag === PUSH_TAG.DNS);
  } catch {
    return false;
  }
}

function connectionNodes(b: Uint8Array, t: Tlv, out: ConnectionParams, notes: string[]): TreeNode[] {
  const nodes: TreeNode[] = [];
  for (const x of tlvsIn(b, t.valueOffset, t.end, 'connection parameters')) {
    const tag = x.tag & 0x7f;
    const cr = x.tag & 0x80 ? ', CR' : '';
    const name = `${CTLV[tag] ?? 'Unknown COMPREHENSION-TLV'} (${tagHex(x.tag)}${cr})`;
    const v = x.value;
    let value = toHex(v);
    switch (tag) {
      case 0x35:
        out.bearer = v;
        value = v[0] === 0x03 ? `${toHex(v)} (default bearer for requested transport layer)` : v[0] === 0x02 ? `${toHex(v)} (GPRS / packet service)` : toHex(v);
        break;
      case 0x39:
        if (v.length === 2) {
          out.bufferSize = (v[0] << 8) | v[1];
          value = `${out.bufferSize} octets`;
        }
        break;
      case 0x47: {
        const a = apnText(v);
        if (a !== undefined) {
          out.apn = a;
          value = `"${a}"`;
        }
        break;
      }
      case 0x3c:
        if (v.length === 3) {
          out.transport = { protocol: v[0], port: (v[1] << 8) | v[2] };
          value = `${TRANSPORT[v[0]] ?? `protocol ${hex2(v[0])}`}, port ${out.transport.port}`;
        }
        break;
      case 0x3e: {
        const ip = v.length ? ipText(v[0], v.subarray(1)) : undefined;
        if (ip) {
          out.destination = ip;
          value = `${v[0] === 0x21 ? 'IPv4' : 'IPv6'} ${ip}`;
        }
        break;
      }
      case 0x0d:
        value = v.length ? `DCS ${hex2(v[0])}, ${v.length - 1} octets` : 'empty';
        break;
      default:
        if (!CTLV[tag]) notes.push(`connection parameters: unknown COMPREHENSION-TLV ${tagHex(x.tag)} at byte ${x.offset}`);
    }
    nodes.push(node(name, value, undefined, { hex: toHex(v), note: at(x) }));
  }
  return nodes;
}

/** Decode the `81` trigger TLV (the whole input must be that TLV). */
export function parsePush(data: Uint8Array): DecodedPush {
  if (!data.length) throw new InputError('empty: expected the 81 triggering parameters TLV', where('tag', 0));
  if (data[0] !== PUSH_TAG.TRIGGER) throw new InputError(`tag ${hex2(data[0])} is not 81 (administration session triggering parameters)`, where('tag', 0));
  const top = readTlv(data, 0, data.length, PUSH_LAYER);
  if (top.end !== data.length) throw new InputError(`${data.length - top.end} octets after the 81 TLV`, where('trailing data', top.end));
  const out: DecodedPush = { tree: node('x'), notes: [] };
  const notes = out.notes;
  const topNodes: TreeNode[] = [];
  for (const t of tlvsIn(data, top.valueOffset, top.end, 'triggering parameters')) {
    if (t.tag === PUSH_TAG.SD_SESSION) {
      const kids: TreeNode[] = [];
      for (const s of tlvsIn(data, t.valueOffset, t.end, 'SD administration session parameters')) {
        const v = s.value;
        switch (s.tag) {
          case PUSH_TAG.CONNECTION: {
            out.connection = {};
            out.connectionRaw = v;
            kids.push(node('Connection parameters (84)', `${v.length} octets`, connectionNodes(data, s, out.connection, notes), { note: at(s) }));
            break;
          }
          case PUSH_TAG.SECURITY: {
            const lid = v[0];
            if (v.length < 1 || 1 + lid + 3 > v.length) {
              throw new InputError(`needs Lid, ${lid ?? 0} identity octets, 02, KVN, KID: ${v.length} octets present`, where('security parameters (85)', s.valueOffset));
            }
            const identity = v.subarray(1, 1 + lid);
            const rest = v.subarray(1 + lid);
            if (rest[0] !== 2) throw new InputError(`key identification length must be 02 (KVN, KID), got ${hex2(rest[0])}`, where('security parameters (85)', s.valueOffset + 1 + lid));
            out.security = { identity, kvn: rest[1], kid: rest[2] };
            const extra = rest.subarray(3);
            if (extra.length) out.security.extra = extra;
            const printable = /^[\x20-\x7e]*$/.test(text(identity));
            kids.push(node('Security parameters (85)', undefined, [
              node('PSK identity', printable ? `"${text(identity)}" (${lid} octets)` : `${lid} octets`, undefined, { hex: toHex(identity) }),
              node('Key version number (KVN)', hex2(rest[1]), undefined, { hex: hex2(rest[1]), note: rest[1] >= 0x40 && rest[1] <= 0x4f ? 'SCP81 key set range 40-4F' : undefined }),
              node('Key identifier (KID)', hex2(rest[2]), undefined, { hex: hex2(rest[2]), note: rest[2] === 1 ? 'TLS PSK' : undefined }),
              ...(extra.length ? [node('Further octets', `${extra.length} octets (meaning not settled)`, undefined, { hex: toHex(extra), status: 'warn' })] : []),
            ], { note: at(s) }));
            break;
          }
          case PUSH_TAG.EXTENDED_SECURITY:
            out.extendedSecurity = v;
            kids.push(node('Extended security parameters (A5)', `${v.length} octets (opaque)`, undefined, { hex: toHex(v), note: at(s) }));
            break;
          case PUSH_TAG.RETRY: {
            if (v.length < 2) throw new InputError(`the retry counter is 2 octets, ${v.length} present`, where('retry policy (86)', s.valueOffset));
            const retry: RetryPolicy = { counter: (v[0] << 8) | v[1] };
            const rk: TreeNode[] = [node('Retry counter', String(retry.counter), undefined, { hex: toHex(v.subarray(0, 2)) })];
            let p = 2;
            if (v.length > 2 && (v[2] & 0x7f) === 0x25) {
              const timer = readTlv(v, 2, v.length, PUSH_LAYER);
              retry.delay = timer.value;
              rk.push(node(`Retry waiting delay, Timer value (${hex2(v[2])})`, toHex(timer.value), undefined, {
                hex: toHex(timer.value), note: 'hh mm ss; binary or BCD coding is not settled, shown raw',
              }));
              p = timer.end;
            }
            if (p < v.length) {
              retry.extra = v.subarray(p);
              rk.push(node('Further octets', `${v.length - p} octets (failure reporting, opaque)`, undefined, { hex: toHex(retry.extra) }));
            }
            out.retry = retry;
            kids.push(node('Retry policy parameters (86)', undefined, rk, { note: at(s) }));
            break;
          }
          case PUSH_TAG.HTTP_POST: {
            const h: HttpPostParams = {};
            const hk: TreeNode[] = [];
            for (const x of tlvsIn(data, s.valueOffset, s.end, 'HTTP POST parameters')) {
              const str = text(x.value);
              if (x.tag === PUSH_TAG.ADMIN_HOST) (h.host = str), hk.push(node('Administration host (8A)', `"${str}"`, undefined, { hex: toHex(x.value), note: 'HTTP Host header' }));
              else if (x.tag === PUSH_TAG.AGENT_ID) (h.agentId = str), hk.push(node('Agent ID (8B)', `"${str}"`, undefined, { hex: toHex(x.value), note: 'X-Admin-From header' }));
              else if (x.tag === PUSH_TAG.ADMIN_URI) (h.uri = str), hk.push(node('Administration URI (8C)', `"${str}"`, undefined, { hex: toHex(x.value), note: 'request-URI of the first POST' }));
              else {
                notes.push(`HTTP POST parameters: unknown TLV ${tagHex(x.tag)} at byte ${x.offset}`);
                hk.push(node(`Unknown TLV (${tagHex(x.tag)})`, `${x.value.length} octets`, undefined, { hex: toHex(x.value), status: 'warn' }));
              }
            }
            out.http = h;
            kids.push(node('HTTP POST parameters (89)', undefined, hk, { note: at(s) }));
            break;
          }
          default:
            notes.push(`SD administration session parameters: unknown TLV ${tagHex(s.tag)} at byte ${s.offset}`);
            kids.push(node(`Unknown TLV (${tagHex(s.tag)})`, `${v.length} octets`, undefined, { hex: toHex(v), status: 'warn' }));
        }
      }
      topNodes.push(node('Security Domain administration session parameters (83)', undefined, kids, { note: at(t) }));
    } else if (t.tag === PUSH_TAG.DNS) {
      const dns: { fqdn?: string; server?: Uint8Array } = {};
      const dk: TreeNode[] = [];
      for (const x of tlvsIn(data, t.valueOffset, t.end, 'DNS resolution parameters')) {
        if (x.tag === PUSH_TAG.DNS_FQDN) (dns.fqdn = text(x.value)), dk.push(node('Remote administration server FQDN (D6)', `"${dns.fqdn}"`, undefined, { hex: toHex(x.value) }));
        else if (x.tag === PUSH_TAG.DNS_SERVER) (dns.server = x.value), dk.push(node('DNS server connection parameters (FA)', `${x.value.length} octets`, undefined, { hex: toHex(x.value) }));
        else dk.push(node(`Unknown TLV (${tagHex(x.tag)})`, `${x.value.length} octets`, undefined, { hex: toHex(x.value), status: 'warn' }));
      }
      out.dns = dns;
      topNodes.push(node('DNS resolution parameters (B3)', undefined, dk, { note: at(t) }));
    } else {
      notes.push(`triggering parameters: unknown TLV ${tagHex(t.tag)} at byte ${t.offset}`);
      topNodes.push(node(`Unknown TLV (${tagHex(t.tag)})`, `${t.value.length} octets`, undefined, { hex: toHex(t.value), status: 'warn' }));
    }
  }
  out.tree = node('Administration session triggering parameters (81)', topNodes.length ? 'GlobalPlatform Amendment B (SCP81 push)' : 'empty: the Security Domain uses its stored parameters', topNodes);
  return out;
}

/** JSON of a decoded push (keys are a contract: add, never rename). */
export function pushJson(p: DecodedPush): Record<string, unknown> {
  const o: Record<string, unknown> = { scriptFormat: 'scp81-push' };
  if (p.connection) {
    const c: Record<string, unknown> = { hex: p.connectionRaw ? toHex(p.connectionRaw) : undefined };
    if (p.connection.bearer) c.bearer = toHex(p.connection.bearer);
    if (p.connection.bufferSize !== undefined) c.bufferSize = p.connection.bufferSize;
    if (p.connection.apn !== undefined) c.apn = p.connection.apn;
    if (p.connection.transport) c.transport = { protocol: hex2(p.connection.transport.protocol), name: TRANSPORT[p.connection.transport.protocol] ?? null, port: p.connection.transport.port };
    if (p.connection.destination !== undefined) c.destination = p.connection.destination;
    o.connection = c;
  }
  if (p.security) {
    const s = p.security;
    o.security = { identity: text(s.identity), identityHex: toHex(s.identity), kvn: hex2(s.kvn), kid: hex2(s.kid), ...(s.extra ? { extra: toHex(s.extra) } : {}) };
  }
  if (p.extendedSecurity) o.extendedSecurity = toHex(p.extendedSecurity);
  if (p.retry) o.retry = { counter: p.retry.counter, ...(p.retry.delay ? { delay: toHex(p.retry.delay) } : {}), ...(p.retry.extra ? { extra: toHex(p.retry.extra) } : {}) };
  if (p.http) o.http = { ...p.http };
  if (p.dns) o.dns = { ...(p.dns.fqdn !== undefined ? { fqdn: p.dns.fqdn } : {}), ...(p.dns.server ? { server: toHex(p.dns.server) } : {}) };
  o.notes = p.notes;
  return o;
}

/** Parse a port/host pair "host:port" into connection parameters for a TCP client-remote channel. */
export function tcpConnection(host: string, port: number, extra: Partial<ConnectionParams> = {}): ConnectionParams {
  return { bearer: Uint8Array.of(3), bufferSize: 1500, ...extra, transport: { protocol: 2, port }, destination: host };
}


/**
 * HTTP/1.1 messages of the SCP81 admin protocol (GlobalPlatform Amendment B,
 * RFC 2616 framing): the admin agent's POSTs and the admin server's answers,
 * with the X-Admin-* headers, the GP / ETSI (TS 102 226 Annex B) content types,
 * Content-Length or chunked bodies, and the expanded remote APDU strings
 * (TS 102 226 cl. 5.2) inside.
 *
 * `readHttpMessage` is incremental (returns undefined while a message is
 * incomplete) so the same code frames a live TLS stream and a captured file.
 */
import { InputError, OtaError } from '../util/errors.js';
import { concat, toHex } from '../util/hex.js';
import { ByteQueue } from '../util/byte-queue.js';
import { type TreeNode, node } from '../render/tree.js';
import {
  type ExpandedResponse, type ExpandedScript, commandScriptJson, commandScriptTree, expandedResponse, expandedScript,
  responseJson, responseTree,
} from '../remote/index.js';

export const HTTP_LAYER = 'HTTP';
export const ADMIN_LAYER = 'SCP81 admin protocol';

export const ADMIN_PROTOCOL = 'globalplatform-remote-admin/1.0';

export const CONTENT_TYPE = {
  GP_COMMAND: 'application/vnd.globalplatform.card-content-mgt;version=1.0',
  GP_RESPONSE: 'application/vnd.globalplatform.card-content-mgt-response;version=1.0',
  ETSI_COMMAND: 'application/vnd.etsi.scp.command-data;version=1.0',
  ETSI_RESPONSE: 'application/vnd.etsi.scp.response-data;version=1.0',
} as const;

/** X-Admin-Script-Status values a UICC admin agent may send (GP Amendment B). */
export const SCRIPT_STATUS = ['ok', 'unknown-application', 'not-a-security-domain', 'security-error'] as const;
export type ScriptStatus = (typeof SCRIPT_STATUS)[number];

export type Profile = 'gp' | 'etsi';

export interface HttpMessageBase {
  version: string;
  /** Header lines in order, names as sent. */
  headers: [string, string][];
  body: Uint8Array;
  /** Body framing: chunked, content-length, or none. */
  framing: 'chunked' | 'content-length' | 'none';
  /** Chunk sizes as received (chunked framing). */
  chunks?: number[];
  /** Offset of the body's first octet in the input (after the header block). */
  bodyOffset: number;
}
export interface HttpRequest extends HttpMessageBase {
  kind: 'request';
  method: string;
  uri: string;
}
export interface HttpResponse extends HttpMessageBase {
  kind: 'response';
  status: number;
  reason: string;
}
export type HttpMessage = HttpRequest | HttpResponse;

/** First value of a header, case-insensitive name. */
export function header(m: { headers: [string, string][] }, name: string): string | undefined {
  const n = name.toLowerCase();
  return m.headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

const HEAD_LIMIT = 16 * 1024;
const BODY_LIMIT = 16 * 1024 * 1024;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** First CRLF CRLF at or after `from` that ends before `end`. */
function indexOfCrlfCrlf(b: Uint8Array, from: number, end = b.length): number {
  for (let i = from; i + 3 < end; i++) if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  return -1;
}
/** First CRLF at or after `from` that ends before `end`. */
function indexOfCrlf(b: Uint8Array, from: number, end = b.length): number {
  for (let i = from; i + 1 < end; i++) if (b[i] === 13 && b[i + 1] === 10) return i;
  return -1;
}
/** Longest chunk-size line (chunk extensions included), CRLF excluded. */
const CHUNK_LINE_LIMIT = 1024;
const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
const bad = (msg: string, field: string, offset: number) => new InputError(msg, { layer: HTTP_LAYER, field, offset });

/**
 * Where an incomplete read stopped, so that the next read (with more octets
 * after the same start) resumes there instead of scanning from the start
 * again: the header block is searched and parsed once, each chunk-size line
 * once. Positions are offsets in the buffer given to readHttpMessage.
 */
interface ReadState {
  /** No CRLF CRLF starts before this offset. */
  scan: number;
  head?: { msg: HttpMessage; te?: string; cl?: string };
  chunked?: {
    /** Start of the next chunk-size line (or of the trailer). */
    p: number;
    /** No CRLF starts before this offset of the line being looked for. */
    scan: number;
    /** Chunk being received: data start and size. */
    want?: { at: number; n: number };
    /** Trailer section reached: the next header line starts here. */
    trailer?: number;
    parts: [number, number][];
    sizes: number[];
    total: number;
  };
}

/**
 * Read one HTTP/1.1 message starting at `start`. Returns undefined when more
 * octets are needed; throws InputError (field, byte offset) when malformed.
 * `isResponseToHead`: a response to a request without body (204/304 have none anyway).
 */
export function readHttpMessage(b: Uint8Array, start = 0): { message: HttpMessage; end: number } | undefined {
  return readResumable(b, start, { scan: start });
}

function readResumable(b: Uint8Array, start: number, st: ReadState): { message: HttpMessage; end: number } | undefined {
  if (!st.head) {
    // The header block may have up to HEAD_LIMIT octets before its CRLF CRLF: the limit is the
    // same whether the octets come at once or in pieces.
    const headEnd = indexOfCrlfCrlf(b, Math.max(start, st.scan), Math.min(b.length, start + HEAD_LIMIT + 4));
    if (headEnd < 0) {
      if (b.length - start >= HEAD_LIMIT + 4) throw bad(`no end of the header block (CRLF CRLF) in the first ${HEAD_LIMIT} octets`, 'header block', start);
      st.scan = Math.max(start, b.length - 3);
      return undefined;
    }
    st.head = parseHead(b, start, headEnd);
  }
  const { msg, te, cl } = st.head;
  let p = msg.bodyOffset;
  const noBody = msg.kind === 'response' && (msg.status === 204 || msg.status === 304 || (msg.status >= 100 && msg.status < 200));
  if (te !== undefined) {
    const c = (st.chunked ??= { p, scan: p, parts: [], sizes: [], total: 0 });
    for (;;) {
      if (c.trailer !== undefined) {
        // Trailer section: header lines until an empty line.
        const t = indexOfCrlf(b, Math.max(c.trailer, c.scan));
        if (t < 0) {
          c.scan = Math.max(c.trailer, b.length - 1);
          return undefined;
        }
        if (t === c.trailer) {
          p = t + 2;
          break;
        }
        c.trailer = c.scan = t + 2;
        continue;
      }
      if (c.want) {
        const { at, n } = c.want;
        if (b.length < at + n + 2) return undefined;
        if (b[at + n] !== 13 || b[at + n + 1] !== 10) throw bad(`chunk of ${n} octets not followed by CRLF`, 'chunk data', at + n);
        c.parts.push([at, at + n]);
        c.p = c.scan = at + n + 2;
        c.want = undefined;
        continue;
      }
      const e = indexOfCrlf(b, Math.max(c.p, c.scan), Math.min(b.length, c.p + CHUNK_LINE_LIMIT + 2));
      if (e < 0) {
        if (b.length - c.p >= CHUNK_LINE_LIMIT + 2) throw bad(`chunk-size line without CRLF in its first ${CHUNK_LINE_LIMIT} octets`, 'chunk size', c.p);
        c.scan = Math.max(c.p, b.length - 1);
        return undefined;
      }
      const sizeLine = latin1(b.subarray(c.p, e));
      const m = /^([0-9A-Fa-f]{1,8})(;.*)?$/.exec(sizeLine.trim());
      if (!m) throw bad(`chunk size ${JSON.stringify(sizeLine.slice(0, 20))} is not hex`, 'chunk size', c.p);
      const n = parseInt(m[1], 16);
      c.sizes.push(n);
      if (n === 0) {
        c.trailer = c.scan = e + 2;
        continue;
      }
      c.total += n;
      if (c.total > BODY_LIMIT) throw bad(`body larger than ${BODY_LIMIT} octets`, 'chunk size', c.p);
      c.want = { at: e + 2, n };
    }
    msg.body = concat(...c.parts.map(([x, y]) => b.subarray(x, y)));
    msg.framing = 'chunked';
    msg.chunks = c.sizes;
  } else if (cl !== undefined) {
    const n = Number(cl);
    if (b.length < p + n) return undefined;
    msg.body = b.slice(p, p + n);
    msg.framing = 'content-length';
    p += n;
  } else if (msg.kind === 'response' && !noBody) {
    // A response without length runs to the end of the connection: this toolkit requires framing.
    if (b.length > p) throw bad('response body without Content-Length or Transfer-Encoding: chunked', 'Content-Length', p);
  }
  return { message: msg, end: p };
}

/** Start line and header fields of a message whose header block ends (CRLF CRLF) at `headEnd`. */
function parseHead(b: Uint8Array, start: number, headEnd: number): { msg: HttpMessage; te?: string; cl?: string } {
  const lines = latin1(b.subarray(start, headEnd)).split('\r\n');
  let off = start;
  const startLine = lines[0];
  let msg: HttpMessage;
  const base = { headers: [] as [string, string][], body: new Uint8Array(0), framing: 'none' as HttpMessage['framing'], bodyOffset: headEnd + 4 };
  const resp = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(startLine);
  const req = /^([A-Z]+) (\S+) HTTP\/(\d\.\d)$/.exec(startLine);
  if (resp) msg = { kind: 'response', version: resp[1], status: Number(resp[2]), reason: resp[3] ?? '', ...base };
  else if (req) msg = { kind: 'request', method: req[1], uri: req[2], version: req[3], ...base };
  else throw bad(`not an HTTP/1.x request or status line: ${JSON.stringify(startLine.slice(0, 60))}`, 'start line', start);
  if (msg.version !== '1.1' && msg.version !== '1.0') throw bad(`HTTP version ${msg.version} (1.1 expected)`, 'start line', start);
  off += startLine.length + 2;
  for (const line of lines.slice(1)) {
    const c = line.indexOf(':');
    if (c <= 0 || !TOKEN.test(line.slice(0, c))) throw bad(`malformed header line ${JSON.stringify(line.slice(0, 60))}`, 'header', off);
    msg.headers.push([line.slice(0, c), line.slice(c + 1).trim()]);
    off += line.length + 2;
  }
  const te = header(msg, 'transfer-encoding');
  const cl = header(msg, 'content-length');
  if (te !== undefined) {
    if (te.toLowerCase() !== 'chunked') throw bad(`Transfer-Encoding "${te}" not supported (chunked only)`, 'Transfer-Encoding', start);
    if (cl !== undefined) throw bad('both Transfer-Encoding and Content-Length (RFC 7230 cl. 3.3.3: refused)', 'Content-Length', start);
  } else if (cl !== undefined) {
    if (!/^\d+$/.test(cl)) throw bad(`Content-Length "${cl}" is not a number`, 'Content-Length', start);
    const n = Number(cl);
    if (n > BODY_LIMIT) throw bad(`Content-Length ${n} larger than ${BODY_LIMIT}`, 'Content-Length', start);
  }
  return { msg, te, cl };
}

/**
 * HTTP messages from a byte stream (one TLS connection), in arrival order.
 * Segments of any size cost time linear in their length: octets go to a
 * ByteQueue and an incomplete message is resumed where the last read stopped,
 * never parsed again from its start. Error offsets count from the start of
 * the message being read.
 */
export class HttpStreamReader {
  private q = new ByteQueue();
  private st: ReadState = { scan: 0 };

  /** Octets received and not yet returned as a message. */
  get pending(): number {
    return this.q.length;
  }

  push(d: Uint8Array): void {
    this.q.push(d);
  }

  /** The next complete message and its octets (a copy), or undefined until more octets arrive. */
  next(): { message: HttpMessage; raw: Uint8Array } | undefined {
    const b = this.q.view();
    const r = readResumable(b, 0, this.st);
    if (!r) return undefined;
    const raw = b.slice(0, r.end);
    this.q.consume(r.end);
    this.st = { scan: 0 };
    return { message: r.message, raw };
  }
}

export interface EncodeOptions {
  /** Chunked body (one chunk) instead of Content-Length. */
  chunked?: boolean;
}

const enc = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));

/** Encode a request or response; framing headers are added from the body unless already present. */
export function encodeHttpMessage(m: { kind: 'request'; method: string; uri: string } | { kind: 'response'; status: number; reason: string }, headers: [string, string][], body: Uint8Array, o: EncodeOptions = {}): Uint8Array {
  const start = m.kind === 'request' ? `${m.method} ${m.uri} HTTP/1.1` : `HTTP/1.1 ${m.status} ${m.reason}`;
  const h = [...headers];
  const has = (n: string) => h.some(([k]) => k.toLowerCase() === n);
  const bodyAllowed = !(m.kind === 'response' && (m.status === 204 || m.status === 304));
  let framed = body;
  if (bodyAllowed && !has('content-length') && !has('transfer-encoding')) {
    if (o.chunked) {
      h.push(['Transfer-Encoding', 'chunked']);
      framed = body.length ? concat(enc(`${body.length.toString(16).toUpperCase()}\r\n`), body, enc('\r\n0\r\n\r\n')) : enc('0\r\n\r\n');
    } else if (body.length || m.kind === 'response') h.push(['Content-Length', String(body.length)]);
  }
  return concat(enc(`${start}\r\n${h.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`), framed);
}

// ------------------------------------------------------------------ admin messages

export interface AgentPostInput {
  uri: string;
  host?: string;
  agentId?: string;
  /** Absent on the first POST. */
  scriptStatus?: ScriptStatus;
  resume?: boolean;
  /** Response string (Response Scripting template); empty on the first POST. */
  body?: Uint8Array;
  profile?: Profile;
  chunked?: boolean;
}

/** The admin agent's POST (GP Amendment B; first POST without body). */
export function buildAgentPost(p: AgentPostInput): Uint8Array {
  const h: [string, string][] = [];
  if (p.host !== undefined) h.push(['Host', p.host]);
  h.push(['X-Admin-Protocol', ADMIN_PROTOCOL]);
  if (p.agentId !== undefined) h.push(['X-Admin-From', p.agentId]);
  const body = p.body ?? new Uint8Array(0);
  if (body.length) h.push(['Content-Type', p.profile === 'etsi' ? CONTENT_TYPE.ETSI_RESPONSE : CONTENT_TYPE.GP_RESPONSE]);
  if (p.scriptStatus) h.push(['X-Admin-Script-Status', p.scriptStatus]);
  if (p.resume) h.push(['X-Admin-Resume', 'true']);
  return encodeHttpMessage({ kind: 'request', method: 'POST', uri: p.uri }, h, body, { chunked: p.chunked && body.length > 0 });
}

export interface ServerAnswerInput {
  /** Command string (Command Scripting template): 200 with it; absent: 204. */
  script?: Uint8Array;
  nextUri?: string;
  targetedApplication?: string;
  profile?: Profile;
  chunked?: boolean;
  /** Add `Connection: close` (after a 204). */
  close?: boolean;
}

/** The admin server's answer: 200 + script + X-Admin-Next-URI, or 204 No Content. */
export function buildServerAnswer(a: ServerAnswerInput): Uint8Array {
  const h: [string, string][] = [['X-Admin-Protocol', ADMIN_PROTOCOL]];
  if (a.nextUri !== undefined) h.push(['X-Admin-Next-URI', a.nextUri]);
  if (a.targetedApplication !== undefined) h.push(['X-Admin-Targeted-Application', a.targetedApplication]);
  if (a.close) h.push(['Connection', 'close']);
  if (a.script) {
    h.push(['Content-Type', a.profile === 'etsi' ? CONTENT_TYPE.ETSI_COMMAND : CONTENT_TYPE.GP_COMMAND]);
    return encodeHttpMessage({ kind: 'response', status: 200, reason: 'OK' }, h, a.script, { chunked: a.chunked });
  }
  return encodeHttpMessage({ kind: 'response', status: 204, reason: 'No Content' }, h, new Uint8Array(0));
}

/** `//aid/RID/PIX` of X-Admin-Targeted-Application (RID = first 5 octets). */
export function targetedApplication(aid: Uint8Array): string {
  if (aid.length < 5 || aid.length > 16) throw new InputError(`an AID is 5 to 16 octets, got ${aid.length}`, { layer: ADMIN_LAYER, field: 'X-Admin-Targeted-Application' });
  return `//aid/${toHex(aid.subarray(0, 5))}/${toHex(aid.subarray(5))}`;
}

/** A parsed admin protocol message with the X-Admin fields named and the body decoded. */
export interface AdminMessage {
  http: HttpMessage;
  role: 'agent-post' | 'server-answer';
  protocol?: string;
  from?: string;
  host?: string;
  nextUri?: string;
  scriptStatus?: ScriptStatus;
  resume?: boolean;
  targetedApplication?: string;
  contentType?: string;
  profile?: Profile;
  /** Server answer 200: the command string. */
  script?: ExpandedScript;
  /** Agent POST with status ok: the response string. */
  response?: ExpandedResponse;
  /** Not fatal, shown with the message. */
  notes: string[];
}

function mediaType(ct: string): { type: string; params: string } {
  const i = ct.indexOf(';');
  return { type: (i < 0 ? ct : ct.slice(0, i)).trim().toLowerCase(), params: i < 0 ? '' : ct.slice(i + 1).trim() };
}

const COMMAND_TYPES: Record<string, Profile> = {
  'application/vnd.globalplatform.card-content-mgt': 'gp',
  'application/vnd.etsi.scp.command-data': 'etsi',
};
const RESPONSE_TYPES: Record<string, Profile> = {
  'application/vnd.globalplatform.card-content-mgt-response': 'gp',
  'application/vnd.etsi.scp.response-data': 'etsi',
};

/** Decode the body with offsets in the whole input. */
function bodyError(e: unknown, m: HttpMessage, what: string): never {
  if (e instanceof OtaError) {
    const off = m.framing === 'chunked' ? undefined : e.where.offset !== undefined ? m.bodyOffset + e.where.offset : undefined;
    throw new InputError(`${what} is not a valid BER-TLV template: ${e.message}${m.framing === 'chunked' && e.where.offset !== undefined ? ` (byte ${e.where.offset} of the de-chunked body)` : ''}`, {
      layer: ADMIN_LAYER, field: 'body', offset: off,
    });
  }
  throw e;
}

/**
 * Check one HTTP message against the admin protocol and decode its body.
 * Bad input (InputError): a method other than POST, no X-Admin-Protocol, an
 * unknown X-Admin-Script-Status, a Content-Type that does not fit, a body that
 * is not a valid scripting template.
 */
export function checkAdminMessage(m: HttpMessage): AdminMessage {
  const out: AdminMessage = { http: m, role: m.kind === 'request' ? 'agent-post' : 'server-answer', notes: [] };
  const w = (field: string) => ({ layer: ADMIN_LAYER, field });
  out.protocol = header(m, 'x-admin-protocol');
  if (out.protocol === undefined) throw new InputError('header missing (globalplatform-remote-admin/1.0 expected)', w('X-Admin-Protocol'));
  if (!/^globalplatform-remote-admin\/\d/.test(out.protocol)) throw new InputError(`"${out.protocol}" is not globalplatform-remote-admin/…`, w('X-Admin-Protocol'));
  if (out.protocol !== ADMIN_PROTOCOL) out.notes.push(`X-Admin-Protocol ${out.protocol} (UICC agents send ${ADMIN_PROTOCOL})`);
  const ct = header(m, 'content-type');
  if (ct !== undefined) out.contentType = ct;
  const targeted = header(m, 'x-admin-targeted-application');
  if (targeted !== undefined) out.targetedApplication = targeted;
  if (m.kind === 'request') {
    if (m.method !== 'POST') throw new InputError(`method ${m.method}: the admin agent only POSTs`, w('method'));
    out.host = header(m, 'host');
    out.from = header(m, 'x-admin-from');
    if (out.from === undefined) out.notes.push('no X-Admin-From (the agent ID)');
    const st = header(m, 'x-admin-script-status');
    if (st !== undefined) {
      if (!(SCRIPT_STATUS as readonly string[]).includes(st)) throw new InputError(`unknown value "${st}" (${SCRIPT_STATUS.join(', ')})`, w('X-Admin-Script-Status'));
      out.scriptStatus = st as ScriptStatus;
    }
    const resume = header(m, 'x-admin-resume');
    if (resume !== undefined) out.resume = resume.toLowerCase() === 'true';
    if (m.body.length) {
      if (ct === undefined) throw new InputError('missing on a POST with a body (a response string needs card-content-mgt-response)', w('Content-Type'));
      const mt = mediaType(ct);
      const profile = RESPONSE_TYPES[mt.type];
      if (!profile) throw new InputError(`"${ct}" is not a response-string type (${CONTENT_TYPE.GP_RESPONSE} or ${CONTENT_TYPE.ETSI_RESPONSE})`, w('Content-Type'));
      out.profile = profile;
      if (out.scriptStatus === undefined) out.notes.push('a body without X-Admin-Script-Status');
      if (out.scriptStatus && out.scriptStatus !== 'ok') out.notes.push(`body ignored: X-Admin-Script-Status ${out.scriptStatus}`);
      else {
        try {
          out.response = expandedResponse.decode(m.body);
        } catch (e) {
          bodyError(e, m, 'the response string');
        }
      }
    } else if (out.scriptStatus === 'ok') out.notes.push('X-Admin-Script-Status ok without a response string');
  } else {
    const next = header(m, 'x-admin-next-uri');
    if (next !== undefined) out.nextUri = next;
    if (m.status === 200) {
      if (!m.body.length) throw new InputError('200 without a command string (204 ends the session)', w('body'));
      if (ct === undefined) throw new InputError('missing on a 200 answer (card-content-mgt expected)', w('Content-Type'));
      const mt = mediaType(ct);
      const profile = COMMAND_TYPES[mt.type];
      if (!profile) throw new InputError(`"${ct}" is not a command-string type (${CONTENT_TYPE.GP_COMMAND} or ${CONTENT_TYPE.ETSI_COMMAND})`, w('Content-Type'));
      out.profile = profile;
      if (next === undefined) out.notes.push('no X-Admin-Next-URI: the script runs but its result is never reported and the session ends');
      try {
        out.script = expandedScript.decode(m.body);
      } catch (e) {
        bodyError(e, m, 'the command string');
      }
    } else if (m.status === 204) {
      if (next !== undefined) out.notes.push('204 with X-Admin-Next-URI: the session continues there');
    } else out.notes.push(`HTTP status ${m.status}: not defined for the admin agent (200 or 204 expected)`);
  }
  return out;
}

/** Parse one complete captured message (all input must be used). */
export function parseAdminMessage(b: Uint8Array): AdminMessage {
  const all = parseAdminMessages(b);
  if (all.length !== 1) throw new InputError(`${all.length} messages in the input, one expected (use parseAdminMessages)`, { layer: HTTP_LAYER });
  return all[0];
}

/** Parse every message of a captured stream (requests and answers in sequence). */
export function parseAdminMessages(b: Uint8Array): AdminMessage[] {
  const out: AdminMessage[] = [];
  let p = 0;
  while (p < b.length) {
    // Blank lines between messages are tolerated (RFC 7230 cl. 3.5).
    if (b[p] === 13 || b[p] === 10) {
      p++;
      continue;
    }
    const r = readHttpMessage(b, p);
    if (!r) throw new InputError('message incomplete: input ends before the end of its header block or body', { layer: HTTP_LAYER, field: 'message', offset: p });
    out.push(checkAdminMessage(r.message));
    p = r.end;
  }
  if (!out.length) throw new InputError('empty input: expected an HTTP message', { layer: HTTP_LAYER });
  return out;
}

// ------------------------------------------------------------------ views

export function adminMessageTree(a: AdminMessage): TreeNode {
  const m = a.http;
  const title = m.kind === 'request' ? `${m.method} ${m.uri} HTTP/${m.version}` : `HTTP/${m.version} ${m.status} ${m.reason}`;
  const hdrs = m.headers.map(([k, v]) => node(k, v));
  const kids: TreeNode[] = [node('Headers', `${m.headers.length}`, hdrs)];
  const fields: TreeNode[] = [];
  if (a.protocol) fields.push(node('Protocol', a.protocol));
  if (a.from !== undefined) fields.push(node('Agent ID (X-Admin-From)', a.from));
  if (a.host !== undefined) fields.push(node('Administration host (Host)', a.host));
  if (a.scriptStatus) fields.push(node('Script status', a.scriptStatus, undefined, { status: a.scriptStatus === 'ok' ? 'ok' : 'fail' }));
  if (a.resume !== undefined) fields.push(node('Resume', String(a.resume)));
  if (a.nextUri !== undefined) fields.push(node('Next URI', a.nextUri));
  if (a.targetedApplication !== undefined) fields.push(node('Targeted application', a.targetedApplication));
  if (a.profile) fields.push(node('Profile', a.profile === 'gp' ? 'GlobalPlatform RAM (Amendment B)' : 'ETSI RFM/RAM over HTTPS (TS 102 226)'));
  if (m.kind === 'response') {
    fields.push(node('Meaning', m.status === 200 ? 'command string follows; POST its result to the next URI' : m.status === 204 ? (a.nextUri ? 'no script; continue at the next URI' : 'no more work: session ends') : 'unexpected status'));
  } else if (!a.scriptStatus && !m.body.length) fields.push(node('Meaning', 'first POST of a session (asks for the first script)'));
  kids.push(node('Admin protocol', undefined, fields));
  const bodyNote = m.framing === 'chunked' ? `chunked (${(m.chunks ?? []).map((n) => n.toString(16).toUpperCase()).join(', ')})` : m.framing;
  const bodyKids: TreeNode[] = [];
  if (a.script) bodyKids.push(commandScriptTree(a.script));
  if (a.response) bodyKids.push(responseTree(a.response));
  kids.push(node('Body', `${m.body.length} octets, ${bodyNote}`, bodyKids, m.body.length && !bodyKids.length ? { hex: toHex(m.body) } : {}));
  for (const n of a.notes) kids.push(node('Note', n, undefined, { status: 'warn' }));
  return node(m.kind === 'request' ? 'HTTP request (admin agent → server)' : 'HTTP response (admin server → agent)', title, kids);
}

export function adminMessageJson(a: AdminMessage): Record<string, unknown> {
  const m = a.http;
  const o: Record<string, unknown> = { role: a.role, kind: m.kind };
  if (m.kind === 'request') Object.assign(o, { method: m.method, uri: m.uri });
  else Object.assign(o, { status: m.status, reason: m.reason });
  o.version = m.version;
  o.headers = m.headers.map(([name, value]) => ({ name, value }));
  for (const k of ['protocol', 'from', 'host', 'scriptStatus', 'resume', 'nextUri', 'targetedApplication', 'contentType', 'profile'] as const) {
    if (a[k] !== undefined) o[k] = a[k];
  }
  o.framing = m.framing;
  if (m.chunks) o.chunks = m.chunks;
  o.body = toHex(m.body);
  if (a.script) o.script = commandScriptJson(a.script);
  if (a.response) o.response = responseJson(a.response);
  o.notes = a.notes;
  return o;
}

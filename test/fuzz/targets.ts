/**
 * The parsers under fuzz, each with valid seed inputs. New parsers (HTTP,
 * SMPP, …) join with registerTarget() when they land.
 */
import { mkdtempSync, writeFileSync, mkdirSync, copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex } from '../../src/util/hex.js';
import type { FuzzTarget } from './engine.js';
import { parseCommand } from '../../src/secured/command.js';
import { parseResponse } from '../../src/secured/response.js';
import { commandJson, commandTree, responseJson, responseTree } from '../../src/secured/view.js';
import type { KeyMaterial } from '../../src/secured/keys.js';
import { smsDialect } from '../../src/smspp/dialect.js';
import { cattpDialect } from '../../src/cattp/dialect.js';
import { udh } from '../../src/smspp/udh.js';
import { decodeTpdu } from '../../src/smspp/tpdu.js';
import { tpduToJson, tpduToTree, envelopeToJson, envelopeToTree, proactiveToJson, proactiveToTree } from '../../src/smspp/render.js';
import { envelope } from '../../src/smspp/envelope.js';
import { proactiveCommand } from '../../src/smspp/proactive.js';
import { peelSmsPp } from '../../src/smspp/build.js';
import { decodePdu, pduJson, pduTree } from '../../src/cattp/pdu.js';
import { peelCattpPdus } from '../../src/cattp/peel.js';
import { decodeCommandScript, decodeResponse, commandScriptJson, commandScriptTree, responseJson as remoteResponseJson, responseTree as remoteResponseTree } from '../../src/remote/index.js';
import { readCapture, decodeFrame, CaptureParser, type CaptureFrame } from '../../src/pcap/read.js';
import { pcapBytes, ipv4Udp } from '../../src/pcap/pcap.js';
import { validateKeyset } from '../../src/keys/keyset.js';
import { parseCardText, exampleCard } from '../../src/card/card.js';
import { processPacket } from '../../src/card/simulator.js';
import { runFile } from '../../src/vectors/runner.js';
import { InputError, OtaError } from '../../src/util/errors.js';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { HttpStreamReader, adminMessageJson, adminMessageTree, buildAgentPost, buildServerAnswer, parseAdminMessages, readHttpMessage } from '../../src/https/http.js';
import { buildPush, parsePush, pushJson, tcpConnection } from '../../src/https/push.js';
import { SmppConnection, type Malformed, type PduLog } from '../../src/transport/smpp/session.js';
import { pduTree as smppPduTree } from '../../src/transport/smpp/tree.js';
import { deliverFromSubmit } from '../../src/transport/smpp/mapping.js';
import { loadSmpp, type SmppPdu } from '../../src/transport/smpp/lib.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The package root, from dist/test/fuzz or test/fuzz. */
export const ROOT = join(here, here.includes(`${'dist'}`) ? '../../..' : '../..');

/** Every hex string in the golden vectors' expected results: real packets, TPDUs, ENVELOPEs, PDUs. */
let vectorHexCache: Uint8Array[] | undefined;
export function vectorHex(): Uint8Array[] {
  if (vectorHexCache) return vectorHexCache;
  const out: Uint8Array[] = [];
  const dir = join(ROOT, 'vectors');
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json') || f === 'schema.json') continue;
    const walk = (v: unknown, key: string) => {
      if (typeof v === 'string' && /hex/i.test(key) && /^([0-9A-Fa-f]{2})+$/.test(v) && v.length >= 4) out.push(fromHex(v));
      else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
    };
    walk(JSON.parse(readFileSync(join(dir, f), 'utf8')), '');
  }
  return (vectorHexCache = out);
}

const KEYSET = JSON.parse(readFileSync(join(ROOT, 'vectors/keysets/test.json'), 'utf8')) as { keysets: { kvn: number; kic: { key: string }; kid: { key: string } }[] };
const keysFor = (kvn: number): KeyMaterial => {
  const k = KEYSET.keysets.find((x) => x.kvn === kvn)!;
  return { kicKey: fromHex(k.kic.key), kidKey: fromHex(k.kid.key) };
};
const KEYS: KeyMaterial[] = [{}, keysFor(1), keysFor(2)];

const enc = new TextEncoder();
const dec = new TextDecoder();
const h = (s: string) => fromHex(s.replace(/\s+/g, ''));

/** Seeds from the digest's verified examples (cat-tp.md §6) and the vectors. */
const CATTP_PDUS = [
  '80000021040000010000123400000004 5E37 0400080 00A988812010000407682F5'.replace(/ /g, ''),
  'C00000170001040000005678123400 04C736 0400080000'.replace(/ /g, ''),
  '40000012000104000017123556780004 8125 011B0D00000000B00010000000000000A0A40000027F20'.replace(/ /g, ''),
  '48000012040000010000123656780004 4B3A'.replace(/ /g, ''),
  '60000016040000010000123656780004 863C 56795680'.replace(/ /g, ''),
  '10000013040000010000123700000000 D9B4 00'.replace(/ /g, ''),
].filter((s) => s.length % 2 === 0).map(h);

function pcapSeeds(): Uint8Array[] {
  const recs = [...CATTP_PDUS, ...vectorHex().slice(0, 6)].map((p, i) => ({ tsMs: 1000 + i, data: ipv4Udp('10.0.0.1', '10.0.0.2', 1000, 2000, p, i) }));
  const pcap = pcapBytes(recs);
  return [pcap, pcapng(recs.map((r) => r.data))];
}

/** A minimal pcapng: SHB, one IDB (LINKTYPE_RAW), one EPB per packet. */
function pcapng(packets: Uint8Array[]): Uint8Array {
  const blocks: number[] = [];
  const block = (type: number, body: number[]) => {
    const len = 12 + body.length;
    const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
    blocks.push(...u32(type), ...u32(len), ...body, ...u32(len));
  };
  const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
  const u16 = (v: number) => [v & 0xff, v >>> 8];
  block(0x0a0d0d0a, [...u32(0x1a2b3c4d), ...u16(1), ...u16(0), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  block(1, [...u16(101), ...u16(0), ...u32(65535)]);
  for (const p of packets) {
    const pad = (4 - (p.length % 4)) % 4;
    block(6, [...u32(0), ...u32(0), ...u32(1000), ...u32(p.length), ...u32(p.length), ...p, ...new Array(pad).fill(0)]);
  }
  return Uint8Array.from(blocks);
}

function jsonText(v: unknown): Uint8Array {
  return enc.encode(JSON.stringify(v, null, 1));
}

/** Text formats are parsed as UTF-8; invalid UTF-8 becomes U+FFFD as with readFileSync(…, 'utf8'). */
const text = (b: Uint8Array) => dec.decode(b);

let vectorDir: string | undefined;
function vectorWorkDir(): string {
  if (vectorDir) return vectorDir;
  vectorDir = mkdtempSync(join(tmpdir(), 'uicc-ota-fuzz-'));
  mkdirSync(join(vectorDir, 'keysets'));
  copyFileSync(join(ROOT, 'vectors/keysets/test.json'), join(vectorDir, 'keysets/test.json'));
  return vectorDir;
}

function card(): unknown {
  return exampleCard();
}

export const TARGETS: FuzzTarget[] = [];
export function registerTarget(t: FuzzTarget): void {
  if (TARGETS.some((x) => x.name === t.name)) throw new Error(`fuzz target ${t.name} registered twice`);
  TARGETS.push(t);
}

registerTarget({
  name: 'command',
  seeds: () => vectorHex(),
  run(b) {
    for (const d of [smsDialect, cattpDialect]) {
      for (const k of KEYS) {
        try {
          const c = parseCommand(d, b, k);
          commandTree(c);
          commandJson(c);
        } catch (e) {
          if (!(e instanceof InputError) || k === KEYS[2]) throw e;
        }
      }
    }
  },
});

registerTarget({
  name: 'por',
  seeds: () => vectorHex(),
  run(b) {
    for (const d of [smsDialect, cattpDialect]) {
      for (const k of KEYS) {
        try {
          const r = parseResponse(d, b, k);
          responseTree(r);
          responseJson(r);
        } catch (e) {
          if (!(e instanceof InputError) || k === KEYS[2]) throw e;
        }
      }
    }
  },
});

registerTarget({ name: 'udh', seeds: () => [h('027000'), h('0A70000500030A0201'), h('0C7000060400010A0201'), ...vectorHex()], run: (b) => udh.decode(b) });

registerTarget({
  name: 'tpdu',
  seeds: () => vectorHex(),
  run(b) {
    for (const dir of ['sc-to-ms', 'ms-to-sc'] as const) {
      try {
        const t = decodeTpdu(b, dir);
        tpduToTree(t);
        tpduToJson(t);
      } catch (e) {
        if (dir === 'ms-to-sc') throw e;
      }
    }
  },
});

registerTarget({
  name: 'envelope',
  seeds: () => vectorHex(),
  run(b) {
    const e = envelope.decode(b);
    envelopeToTree(e);
    envelopeToJson(e);
  },
});

registerTarget({
  name: 'proactive',
  seeds: () => vectorHex().filter((x) => x[0] === 0xd0).concat(vectorHex().slice(0, 10)),
  run(b) {
    const p = proactiveCommand.decode(b);
    proactiveToTree(p);
    proactiveToJson(p);
  },
});

registerTarget({ name: 'sms-peel', seeds: () => vectorHex(), run: (b) => peelSmsPp(b) });

registerTarget({
  name: 'cattp-pdu',
  seeds: () => [...CATTP_PDUS, ...vectorHex().filter((x) => x.length >= 18)],
  run(b) {
    const d = decodePdu(b);
    pduTree(d);
    pduJson(d);
    // Several PDUs as one exchange (reassembly of SEG'd SDUs); split at an input-chosen point.
    const cut = b.length > 36 ? 18 + (b[3] % (b.length - 35)) : b.length;
    peelCattpPdus([b.subarray(0, cut), b.subarray(cut)].filter((x) => x.length));
  },
});

registerTarget({
  name: 'cattp-peel',
  seeds: () => [...CATTP_PDUS, ...vectorHex().filter((x) => x.length >= 18)],
  run(b) {
    peelCattpPdus([b]);
  },
});

registerTarget({
  name: 'remote-compact',
  seeds: () => [h('00A40004023F0000B0000010'), h('A0A40000027F20A0C0000016'), h('01 9000'), h('02 6A82 0102'), ...vectorHex()],
  run(b) {
    const s = decodeCommandScript(b, 'compact');
    commandScriptTree(s);
    commandScriptJson(s);
    const r = decodeResponse(b[0] === 0xab || b[0] === 0xaf ? b.subarray(1) : b);
    remoteResponseTree(r);
    remoteResponseJson(r);
  },
});

registerTarget({
  name: 'remote-expanded',
  seeds: () => [
    h('AA 0E 22 07 00A40004023F00 22 05 00B0000010'),
    h('AE 80 22 07 00A40004023F00 00 00'),
    h('AB 07 80 01 01 23 02 9000'),
    h('AF 80 80 01 01 23 02 9000 00 00'),
  ],
  run(b) {
    try {
      const s = decodeCommandScript(b, 'expanded');
      commandScriptTree(s);
      commandScriptJson(s);
    } finally {
      const r = decodeResponse(b);
      remoteResponseTree(r);
      remoteResponseJson(r);
    }
  },
});

registerTarget({
  name: 'pcap',
  seeds: pcapSeeds,
  maxLength: 1 << 20,
  run(b) {
    const c = readCapture(b, 'fuzz');
    for (const f of c.frames.slice(0, 64)) decodeFrame(f);
  },
});

registerTarget({
  name: 'keyset',
  json: true,
  seeds: () => [readFileSync(join(ROOT, 'vectors/keysets/test.json'))],
  run(b) {
    let raw: unknown;
    try {
      raw = JSON.parse(text(b));
    } catch {
      return;
    }
    validateKeyset(raw, 'fuzz.json');
  },
});

registerTarget({
  name: 'card',
  json: true,
  seeds: () => [jsonText(card())],
  run(b) {
    const { card: c } = parseCardText(text(b), 'CARD.json');
    // A valid card also processes a packet: its keys and options drive the simulator.
    for (const p of vectorHex().slice(0, 3)) {
      try {
        processPacket(c, p, smsDialect);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
      }
    }
  },
});

registerTarget({
  name: 'vectors',
  json: true,
  seeds: () => readdirSync(join(ROOT, 'vectors')).filter((f) => f.endsWith('.json') && f !== 'schema.json').map((f) => {
    // One case per seed keeps each run short.
    const doc = JSON.parse(readFileSync(join(ROOT, 'vectors', f), 'utf8'));
    doc.cases = doc.cases.slice(0, 2);
    return jsonText(doc);
  }),
  maxLength: 1 << 16,
  run(b) {
    const dir = vectorWorkDir();
    const p = join(dir, 'case.json');
    writeFileSync(p, b);
    for (const r of runFile(p)) {
      for (const pr of r.problems ?? []) {
        if (/internal error/.test(pr.message)) throw new Error(`vector runner: ${pr.message}`);
        if (/[\r\n]/.test(pr.message)) throw new Error(`vector runner: multi-line message: ${JSON.stringify(pr.message)}`);
      }
    }
  },
});

// ------------------------------------------------------------ network parsers

/** Admin protocol messages as the agent and the server send them (SCP81, GP Amendment B cl. 3.3–3.5). */
function adminSeeds(): Uint8Array[] {
  const script = h('AA 0E 22 07 00A40004023F00 22 05 00B0000010');
  const out: Uint8Array[] = [];
  for (const profile of ['gp', 'etsi'] as const) {
    for (const chunked of [false, true]) {
      out.push(buildAgentPost({ uri: '/server/admin', host: 'ota.example', agentId: '//se-id/iccid/8988211000000467285', profile, chunked }));
      out.push(buildAgentPost({ uri: '/server/admin/next', host: 'ota.example', agentId: '//se-id/iccid/8988211000000467285', scriptStatus: 'ok', body: h('AB 07 80 01 01 23 02 9000'), profile, chunked }));
      out.push(buildServerAnswer({ script, nextUri: '/server/admin/next', targetedApplication: '//aid/A000000151/000000', profile, chunked }));
      out.push(buildServerAnswer({ profile, chunked, close: true }));
    }
  }
  // A whole conversation as one stream.
  out.push(Uint8Array.from(Buffer.concat(out.slice(0, 4))));
  return out;
}

registerTarget({
  name: 'http-admin',
  seeds: adminSeeds,
  run(b) {
    for (const m of parseAdminMessages(b)) {
      adminMessageTree(m);
      adminMessageJson(m);
    }
  },
});

registerTarget({
  name: 'http-stream',
  seeds: adminSeeds,
  run(b) {
    // The same octets read whole and fed in input-chosen segments must give the same messages.
    const whole: string[] = [];
    let wholeErr: string | undefined;
    try {
      for (let p = 0; p < b.length; ) {
        const r = readHttpMessage(b, p);
        if (!r) break;
        whole.push(toHexStr(b.subarray(p, r.end)));
        p = r.end;
      }
    } catch (e) {
      if (!(e instanceof OtaError)) throw e;
      wholeErr = e.detail;
    }
    const reader = new HttpStreamReader();
    const streamed: string[] = [];
    let streamErr: string | undefined;
    let unframed = false;
    try {
      for (let p = 0, k = 0; p < b.length; k++) {
        const n = 1 + ((b[k % b.length] ^ k) % 97);
        reader.push(b.subarray(p, p + n));
        p += n;
        for (let r = reader.next(); r; r = reader.next()) {
          streamed.push(toHexStr(r.raw));
          // A response without Content-Length or chunking runs to the end of the connection:
          // a stream returns it at the end of its header block, a whole buffer sees what follows.
          const m = r.message;
          if (m.kind === 'response' && m.framing === 'none' && !(m.status === 204 || m.status === 304 || (m.status >= 100 && m.status < 200))) unframed = true;
        }
      }
    } catch (e) {
      if (!(e instanceof OtaError)) throw e;
      streamErr = e.detail;
    }
    if (!unframed && (streamed.join() !== whole.join() || streamErr !== wholeErr)) {
      throw new Error(`stream reader and whole-buffer reader disagree: ${streamed.length} vs ${whole.length} messages, ${streamErr} vs ${wholeErr}`);
    }
  },
});

const toHexStr = (b: Uint8Array) => Buffer.from(b).toString('hex');

registerTarget({
  name: 'scp81-push',
  seeds: () => [
    buildPush({ connection: tcpConnection('10.0.0.1', 443, { apn: 'internet', bufferSize: 1400 }), security: { identity: enc.encode('8988211000000467285'), kvn: 0x40, kid: 1 }, retry: { counter: 3, delay: h('010005') }, http: { host: 'ota.example', agentId: '//se-id/iccid/8988211000000467285', uri: '/server/admin' } }),
    buildPush({ connection: tcpConnection('2001:db8::1', 8443) }),
    buildPush({ http: { uri: '/a' } }),
  ],
  run(b) {
    pushJson(parsePush(b));
  },
});

/** A socket that only carries data events and collects what is written back. */
class FakeSocket extends EventEmitter {
  written = 0;
  write(d: Uint8Array): boolean {
    this.written += d.length;
    return true;
  }
  end(): void {
    this.emit('close');
  }
  destroy(): void {
    this.emit('close');
  }
}

function smppSeeds(): Uint8Array[] {
  const lib = loadSmpp();
  const pdu = (command: string, fields: Record<string, unknown>) => Uint8Array.from(new lib.PDU(command, { sequence_number: 7, ...fields }).toBuffer());
  const ud = h('027000 0028 1506 191515 B00010 0000000000 01 00 00A40004023F00');
  return [
    pdu('bind_transceiver', { system_id: 'ota', password: 'secret', system_type: '', interface_version: 0x34 }),
    pdu('submit_sm', { source_addr_ton: 1, source_addr_npi: 1, source_addr: '1234', dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '5678', esm_class: 0x40, protocol_id: 0x7f, data_coding: 0xf6, registered_delivery: 1, short_message: Buffer.from(ud) }),
    pdu('submit_sm', { source_addr: '1234', destination_addr: '5678', esm_class: 0x40, protocol_id: 0x7f, data_coding: 0x02, message_payload: Buffer.from(ud) }),
    pdu('deliver_sm', { source_addr: '5678', destination_addr: '1234', esm_class: 0x40, protocol_id: 0x7f, data_coding: 0xf6, short_message: Buffer.from(ud) }),
    pdu('enquire_link', {}),
    pdu('submit_sm_resp', { message_id: 'abc' }),
    pdu('generic_nack', { command_status: 3 }),
    pdu('unbind', {}),
  ];
}

registerTarget({
  name: 'smpp-pdu',
  seeds: () => {
    const s = smppSeeds();
    return [...s, Uint8Array.from(Buffer.concat(s))];
  },
  run(b) {
    const sock = new FakeSocket();
    const conn = new SmppConnection(sock as unknown as Socket);
    conn.on('log', (l: PduLog) => smppPduTree(l.pdu, l.direction));
    conn.on('malformed', (m: Malformed) => conn.nack(m.sequence, m.status));
    conn.on('pdu', (p: SmppPdu) => {
      if (p.command === 'submit_sm') {
        try {
          deliverFromSubmit(p, new Date(0));
        } catch (e) {
          if (!(e instanceof OtaError)) throw e;
        }
      }
    });
    // Segments of input-chosen sizes, as TCP may deliver them.
    for (let p = 0, k = 0; p < b.length; k++) {
      const n = 1 + ((b[k % b.length] * 31 + k) % 251);
      sock.emit('data', Buffer.from(b.subarray(p, p + n)));
      p += n;
    }
  },
});

registerTarget({
  name: 'pcap-stream',
  seeds: pcapSeeds,
  maxLength: 1 << 20,
  run(b) {
    // `parse --read` streams a capture: fed in input-chosen segments it must give the frames
    // (or the error) that the whole file gives.
    const key = (f: CaptureFrame) => `${f.number}/${f.offset}/${f.linktype}/${f.origLength}/${f.time}/${toHexStr(f.data)}`;
    const outcome = (feed: (p: CaptureParser, on: (f: CaptureFrame) => void) => void) => {
      const frames: string[] = [];
      const p = new CaptureParser('fuzz');
      try {
        feed(p, (f) => void frames.push(key(f)));
        return { frames, error: undefined as string | undefined };
      } catch (e) {
        if (!(e instanceof OtaError)) throw e;
        return { frames, error: e.detail };
      }
    };
    const whole = outcome((p, on) => {
      p.push(b, on);
      p.end(on);
    });
    const parts = outcome((p, on) => {
      for (let at = 0, k = 0; at < b.length; k++) {
        const n = 1 + ((b[(k * 7) % b.length] + k) % 300);
        p.push(b.subarray(at, at + n), on);
        at += n;
      }
      p.end(on);
    });
    if (whole.error !== parts.error || whole.frames.join() !== parts.frames.join()) {
      throw new Error(`segmented and whole capture reading disagree: ${parts.frames.length} vs ${whole.frames.length} frames, ${parts.error} vs ${whole.error}`);
    }
  },
});

export function targetNamed(name: string): FuzzTarget | undefined {
  return TARGETS.find((t) => t.name === name);
}

/**
 * Remote APDU formats (ETSI TS 102 226 cl. 5). Expected values are either
 * quoted from /work/shared/spec/remote-apdu.md (section numbers given; the
 * traces there come from real cards: sysmoISIM-SJA2/SJA5, an eUICC, a Gemalto
 * card) or hand-computed BER-TLV encodings explained next to them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../src/util/errors.js';
import { fromHex, toHex } from '../src/util/hex.js';
import type { TreeNode } from '../src/render/tree.js';
import {
  type CommandScript, type RemoteResponse,
  commandScriptJson, commandScriptTree, decodeCommandScript, decodeResponse, encodeCApdu, encodeCommandScript,
  encodeResponse, expandedResponse, expandedScript, insName, parseCApdu, responseJson, responseTree, swName, tlv,
} from '../src/remote/index.js';

const h = (s: string) => fromHex(s);
const EXP = 'remote APDU (expanded)';
const CMP = 'remote APDU (compact)';

/** Assert that fn throws an InputError located at layer/field/offset. */
function throwsAt(fn: () => unknown, layer: string | undefined, field: string | RegExp, offset: number | undefined, msg?: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    assert.equal(e.where.layer, layer);
    if (field instanceof RegExp) assert.match(e.where.field ?? '', field);
    else assert.equal(e.where.field, field);
    assert.equal(e.where.offset, offset);
    if (msg) assert.match(e.message, msg);
    return true;
  });
}

function findNode(t: TreeNode, pred: (n: TreeNode) => boolean): TreeNode | undefined {
  if (pred(t)) return t;
  for (const c of t.children ?? []) {
    const r = findNode(c, pred);
    if (r) return r;
  }
  return undefined;
}

function compactOf(s: CommandScript) {
  assert.equal(s.format, 'compact');
  return s as Extract<CommandScript, { format: 'compact' }>;
}
function expandedOf(s: CommandScript) {
  assert.equal(s.format, 'expanded');
  return s as Extract<CommandScript, { format: 'expanded' }>;
}
function expandedResp(r: RemoteResponse) {
  assert.equal(r.format, 'expanded');
  return r as Extract<RemoteResponse, { format: 'expanded' }>;
}

// ------------------------------------------------------------------ 5.1

// remote-apdu.md §5.1 (real sysmoISIM-SJA2, TAR B00010):
//   secured data : A0 A4 00 00 02 7F 20   A0 C0 00 00 16
//   PoR data     : 02 | 90 00 | 00 00 FF FF 7F 20 02 00 00 00 00 00 09 B1 06 35 04 00 83 8A 83 8A
const S51_SCRIPT = 'A0A40000027F20A0C0000016';
const S51_POR = '02' + '9000' + '0000FFFF7F2002000000000009B106350400838A838A';

test('5.1 compact script: SIM SELECT DF.GSM + GET RESPONSE split into two C-APDUs', () => {
  const s = compactOf(decodeCommandScript(h(S51_SCRIPT)));
  assert.equal(s.apdus.length, 2);
  const [sel, gr] = s.apdus;
  // A0 A4 00 00 | Lc 02 | 7F 20  (case 3: SELECT carries a file id)
  assert.equal(toHex(sel.raw), 'A0A40000027F20');
  assert.deepEqual([sel.cla, sel.ins, sel.p1, sel.p2, sel.case, sel.offset], [0xa0, 0xa4, 0, 0, 3, 0]);
  assert.equal(toHex(sel.data!), '7F20');
  assert.equal(sel.le, undefined);
  // A0 C0 00 00 | Le 16 = 22 octets (case 2), starting at octet 7
  assert.equal(toHex(gr.raw), 'A0C0000016');
  assert.deepEqual([gr.ins, gr.case, gr.le, gr.offset], [0xc0, 2, 22, 7]);
  assert.equal(gr.data, undefined);

  const j = commandScriptJson(s) as { scriptFormat: string; apdus: string[] };
  assert.equal(j.scriptFormat, 'compact');
  assert.deepEqual(j.apdus, ['A0A40000027F20', 'A0C0000016']);

  const t = commandScriptTree(s);
  assert.equal(t.children?.length, 2);
  assert.match(t.children![0].value!, /SELECT/);
  assert.match(t.children![1].value!, /GET RESPONSE/);
  assert.ok(findNode(t.children![0], (n) => n.name === 'Lc' && n.hex === '02'));
  assert.ok(findNode(t.children![1], (n) => n.name === 'Le' && n.hex === '16'));
});

test('5.1 compact response: 2 executed, SW 9000, 22 octets of DF.GSM select data', () => {
  const r = decodeResponse(h(S51_POR));
  assert.equal(r.format, 'compact');
  const j = responseJson(r) as Record<string, unknown>;
  assert.equal(j.scriptFormat, 'compact');
  assert.equal(j.executed, 2);
  assert.equal(j.sw, '9000');
  assert.equal(j.data, '0000FFFF7F2002000000000009B106350400838A838A');
  // The 22 octets match the Le 16 (hex) of the GET RESPONSE in the script.
  assert.equal((r as { data: Uint8Array }).data.length, 0x16);
  const t = responseTree(r);
  const sw = findNode(t, (n) => n.name.startsWith('SW1 SW2'))!;
  assert.equal(sw.value, '9000 (normal ending)');
  assert.equal(sw.status, 'ok');
  // extra: round trip
  assert.equal(toHex(encodeResponse(r)), S51_POR);
});

test('5.1 compact encoding is the plain concatenation', () => {
  // remote-apdu.md §2: "The secured data is simply the concatenation of C-APDUs".
  const out = encodeCommandScript([h('A0A40000027F20'), h('A0C0000016')], { format: 'compact' });
  assert.equal(toHex(out), S51_SCRIPT);
});

// ------------------------------------------------------------------ 5.2

// remote-apdu.md §5.2 (real SJA5, TAR B00011):
//   secured data : 00 A4 00 04 02 3F 00
//   PoR data     : 01 | 61 32   (send 00 C0 00 00 32 as a second command to get the FCP)
test('5.2 compact: UICC SELECT MF, PoR 01 6132 with no data', () => {
  const s = compactOf(decodeCommandScript(h('00A40004023F00'), 'compact'));
  assert.equal(s.apdus.length, 1);
  assert.deepEqual([s.apdus[0].ins, s.apdus[0].p2, s.apdus[0].case], [0xa4, 0x04, 3]);
  assert.equal(toHex(s.apdus[0].data!), '3F00');

  const r = decodeResponse(h('016132'));
  assert.deepEqual(responseJson(r), { scriptFormat: 'compact', executed: 1, sw: '6132', swMeaning: swName(0x6132), data: '' });
  // 0x32 = 50 response octets waiting for a GET RESPONSE
  assert.match(swName(0x6132)!, /^50 response octets available/);
  assert.equal(findNode(responseTree(r), (n) => n.name.startsWith('SW1 SW2'))!.status, 'ok');

  // The digest's suggested follow-up: SELECT then GET RESPONSE 00 C0 00 00 32.
  const two = encodeCommandScript([h('00A40004023F00'), h('00C0000032')], { format: 'compact' });
  assert.equal(toHex(two), '00A40004023F00' + '00C0000032');
  const back = compactOf(decodeCommandScript(two));
  assert.deepEqual(back.apdus.map((a) => [a.case, a.le]), [[3, undefined], [2, 0x32]]);
});

// remote-apdu.md §2/§3 (real Gemalto trace, TAR C00000):
//   script 80CA00E000 00C0000000, response 01 9000 E012C00401018210C00402018210C00403018210
test('2/3 compact: Gemalto GET DATA + GET RESPONSE with P3 00 (Le = 256)', () => {
  const s = compactOf(decodeCommandScript(h('80CA00E000' + '00C0000000')));
  assert.deepEqual(s.apdus.map((a) => [toHex(a.raw), a.case, a.le, insName(a)]), [
    ['80CA00E000', 2, 256, 'GET DATA'],
    ['00C0000000', 2, 256, 'GET RESPONSE'],
  ]);
  const r = decodeResponse(h('019000E012C00401018210C00402018210C00403018210'));
  const j = responseJson(r) as Record<string, unknown>;
  // count 01 although two commands were sent: reported, not validated (§3)
  assert.equal(j.executed, 1);
  assert.equal(j.sw, '9000');
  assert.equal(j.data, 'E012C00401018210C00402018210C00403018210');
});

// ------------------------------------------------------------------ 5.3

// remote-apdu.md §5.3 (real eUICC, AES, TAR B00000); same bytes in secured-packet.md §12.5:
//   secured data : AA 0A 22 08 80 F2 80 00 02 4F 00 00
//   PoR data     : AB 07 | 80 01 01 | 23 02 6D 00   1 command executed, R-APDU = SW 6D00
const S53_SCRIPT = 'AA0A220880F28000024F0000';
const S53_POR = 'AB0780010123026D00';

test('5.3 expanded script: GET STATUS of the ISD in AA/22', () => {
  const s = expandedOf(decodeCommandScript(h(S53_SCRIPT)));
  assert.equal(s.indefinite, false);
  assert.equal(s.apdus.length, 1);
  const a = s.apdus[0];
  // 80 F2 80 00 | Lc 02 | 4F 00 | Le 00 → case 4, Ne 256; the value starts at octet 4
  assert.deepEqual([a.cla, a.ins, a.p1, a.p2, a.case, a.le, a.offset], [0x80, 0xf2, 0x80, 0x00, 4, 256, 4]);
  assert.equal(toHex(a.data!), '4F00');
  assert.equal(insName(a), 'GET STATUS');
  const j = commandScriptJson(s) as Record<string, unknown>;
  assert.equal(j.scriptFormat, 'expanded');
  assert.equal(j.indefinite, false);
  assert.deepEqual(j.apdus, ['80F28000024F0000']);
  const t = commandScriptTree(s);
  assert.match(t.value!, /^AA/);
  assert.match(t.children![0].value!, /GET STATUS/);
  assert.ok(findNode(t, (n) => n.name === 'Le' && n.hex === '00'));

  // Encoding the same raw APDU reproduces the real card's bytes.
  assert.equal(toHex(encodeCommandScript([h('80F28000024F0000')], { format: 'expanded' })), S53_SCRIPT);
  // In compact form case 4 loses its Le (§2 table: "Lc data (no Le)").
  assert.equal(toHex(encodeCommandScript([h('80F28000024F0000')], { format: 'compact' })), '80F28000024F00');
});

test('5.3 expanded response: 1 executed, R-APDU SW 6D00', () => {
  const r = expandedResp(decodeResponse(h(S53_POR)));
  assert.equal(r.indefinite, false);
  assert.equal(r.executed, 1);
  assert.equal(r.rapdus.length, 1);
  assert.equal(r.rapdus[0].sw, 0x6d00);
  assert.equal(r.rapdus[0].data.length, 0);
  const j = responseJson(r) as Record<string, unknown>;
  assert.equal(j.scriptFormat, 'expanded');
  assert.equal(j.executed, 1);
  assert.deepEqual(j.rapdus, [{ data: '', sw: '6D00' }]);
  assert.equal(j.badFormat, undefined);
  const t = responseTree(r);
  const sw = findNode(t, (n) => n.name === 'SW1 SW2')!;
  assert.match(sw.value!, /^6D00 \(instruction code not supported/);
  assert.equal(sw.status, 'fail');
  assert.ok(findNode(t, (n) => n.name === 'Number of executed C-APDUs (80)' && n.value === '1'));
  // extra: round trip
  assert.equal(toHex(encodeResponse(r)), S53_POR);
});

// ------------------------------------------------------------------ 4.1

// remote-apdu.md §4.1: indefinite STORE DATA `AE 80 | 22 05 80 E2 90 00 00 | 00 00`
// (definite: `AA 07 22 05 80E2900000`).
test('4.1 STORE DATA in definite and indefinite templates', () => {
  const raw = h('80E2900000');
  assert.equal(toHex(encodeCommandScript([raw], { format: 'expanded', indefinite: true })), 'AE80220580E29000000000');
  assert.equal(toHex(encodeCommandScript([raw], { format: 'expanded' })), 'AA07220580E2900000');
  const i = expandedOf(decodeCommandScript(h('AE80220580E29000000000')));
  assert.equal(i.indefinite, true);
  assert.equal(toHex(i.apdus[0].raw), '80E2900000');
  assert.equal(insName(i.apdus[0]), 'STORE DATA');
  const d = expandedOf(decodeCommandScript(h('AA07220580E2900000')));
  assert.equal(d.indefinite, false);
  assert.equal(toHex(d.apdus[0].raw), '80E2900000');
});

// ------------------------------------------------------------------ 5.4

// remote-apdu.md §5.4 (constructed): SELECT MF and READ BINARY of 10 octets
//   22 07 00 A4 00 04 02 3F 00
//   22 05 00 B0 00 00 0A
//   AA 10 22 07 00A40004023F00 22 05 00B000000A           (definite, 0x10 = 16 octets of content)
//   AE 80 22 07 00A40004023F00 22 05 00B000000A 00 00      (indefinite)
test('5.4 building an expanded script, definite and indefinite', () => {
  const apdus = [h('00A40004023F00'), h('00B000000A')];
  assert.equal(toHex(tlv.encodeTlv(0x22, apdus[0])), '220700A40004023F00');
  assert.equal(toHex(tlv.encodeTlv(0x22, apdus[1])), '220500B000000A');
  const def = encodeCommandScript(apdus, { format: 'expanded' });
  assert.equal(toHex(def), 'AA10' + '220700A40004023F00' + '220500B000000A');
  const ind = encodeCommandScript(apdus, { format: 'expanded', indefinite: true });
  assert.equal(toHex(ind), 'AE80' + '220700A40004023F00' + '220500B000000A' + '0000');

  for (const bytes of [def, ind]) {
    const s = expandedOf(decodeCommandScript(bytes, 'auto'));
    assert.deepEqual(s.apdus.map((a) => [insName(a), a.case]), [['SELECT', 3], ['READ BINARY', 2]]);
    assert.equal(s.apdus[1].le, 10);
  }
  // Compact form of the same two commands (§2: plain concatenation) splits back.
  const c = compactOf(decodeCommandScript(encodeCommandScript(apdus, { format: 'compact' })));
  assert.equal(toHex(encodeCommandScript(apdus, { format: 'compact' })), '00A40004023F00' + '00B000000A');
  assert.deepEqual(c.apdus.map((a) => [insName(a), a.case, a.le]), [['SELECT', 3, undefined], ['READ BINARY', 2, 10]]);
});

test('expanded actions and script chaining are kept as opaque TLVs', () => {
  // Hand-computed: 83 01 01 (3) + 81 01 02 (3) + 82 02 AB CD (4) + 22 05 00B000000A (7) = 17 = 0x11
  const out = encodeCommandScript([h('00B000000A')], {
    format: 'expanded', scriptChaining: h('01'), immediateAction: h('02'), errorAction: h('ABCD'),
  });
  assert.equal(toHex(out), 'AA11' + '830101' + '810102' + '8202ABCD' + '220500B000000A');
  const s = expandedOf(decodeCommandScript(out));
  const j = commandScriptJson(s) as Record<string, unknown>;
  assert.equal(j.scriptChaining, '01');
  assert.equal(j.immediateAction, '02');
  assert.equal(j.errorAction, 'ABCD');
  assert.deepEqual((j.elements as { tag: string }[]).map((e) => e.tag), ['83', '81', '82', '22']);
  const t = commandScriptTree(s);
  assert.deepEqual(t.children!.map((c) => c.name), ['Script Chaining (83)', 'Immediate Action (81)', 'Error Action (82)', 'C-APDU 1 (22)']);
  // Actions make no sense in the compact format.
  throwsAt(() => encodeCommandScript([h('00B000000A')], { format: 'compact', immediateAction: h('01') }), CMP, 'immediateAction', undefined);
});

// ------------------------------------------------------------------ long lengths (hand-computed)

test('81 length form: UPDATE BINARY with 200 data octets', () => {
  // C-APDU 00 D6 00 00 C8 + 200 × 5A = 205 octets = 0xCD ≥ 0x80 → "22 81 CD".
  // Template content = 3 + 205 = 208 = 0xD0 → "AA 81 D0". Total 3 + 208 = 211.
  const data = new Uint8Array(200).fill(0x5a);
  const raw = h('00D60000C8' + '5A'.repeat(200));
  const expected = 'AA81D0' + '2281CD' + '00D60000C8' + '5A'.repeat(200);
  const out = encodeCommandScript([raw], { format: 'expanded' });
  assert.equal(out.length, 211);
  assert.equal(toHex(out), expected);
  const s = expandedOf(decodeCommandScript(h(expected)));
  assert.equal(s.apdus[0].case, 3);
  assert.deepEqual(s.apdus[0].data, data);
  assert.equal(s.apdus[0].offset, 6); // AA 81 D0 22 81 CD → value at octet 6
  // Indefinite: "AE 80" + same inner TLV + "00 00" (2 + 208 + 2 = 212 octets).
  const ind = encodeCommandScript([raw], { format: 'expanded', indefinite: true });
  assert.equal(toHex(ind), 'AE80' + '2281CD' + '00D60000C8' + '5A'.repeat(200) + '0000');
  // The same via encodeCApdu from fields.
  assert.equal(toHex(encodeCApdu({ cla: 0, ins: 0xd6, p1: 0, p2: 0, data })), '00D60000C8' + '5A'.repeat(200));
});

test('82 length form: extended-length STORE DATA with 300 data octets', () => {
  // C-APDU 80 E2 90 00 | 00 01 2C (extended Lc = 300) | 300 octets → 307 = 0x0133 → "22 82 01 33".
  // Template content = 4 + 307 = 311 = 0x0137 → "AA 82 01 37". Total 4 + 311 = 315.
  const body = '11'.repeat(300);
  const raw = h('80E29000' + '00012C' + body);
  const expected = 'AA820137' + '22820133' + '80E29000' + '00012C' + body;
  const out = encodeCommandScript([raw], { format: 'expanded' });
  assert.equal(out.length, 315);
  assert.equal(toHex(out), expected);
  const a = expandedOf(decodeCommandScript(h(expected))).apdus[0];
  assert.deepEqual([a.case, a.extended, a.data!.length], [3, true, 300]);
  assert.equal(toHex(encodeCApdu({ cla: 0x80, ins: 0xe2, p1: 0x90, p2: 0, data: a.data })), '80E29000' + '00012C' + body);
  // A T=0 TPDU has a one-octet P3: no compact coding for this.
  throwsAt(() => encodeCommandScript([raw], { format: 'compact' }), CMP, 'C-APDU 1', undefined, /extended/);
});

test('tlv helpers: lengths, two-octet tags', () => {
  // Shortest BER forms: < 0x80 one octet; 0x80–0xFF "81 xx"; up to 0xFFFF "82 xx xx".
  assert.equal(toHex(tlv.encodeLength(0x7f)), '7F');
  assert.equal(toHex(tlv.encodeLength(0x80)), '8180');
  assert.equal(toHex(tlv.encodeLength(0xff)), '81FF');
  assert.equal(toHex(tlv.encodeLength(0x100)), '820100');
  assert.equal(toHex(tlv.encodeLength(0xffff)), '82FFFF');
  assert.throws(() => tlv.encodeLength(0x10000), InputError);
  // 5F 20 (low 5 bits of 5F are 11111 → a second tag octet follows), length 03, "ABC".
  const t = tlv.readTlv(h('5F2003414243'), 0, 6, 'test');
  assert.deepEqual([t.tag, t.lengthOffset, t.valueOffset, t.end, toHex(t.value)], [0x5f20, 2, 3, 6, '414243']);
  assert.equal(toHex(tlv.encodeTlv(0x5f20, h('414243'))), '5F2003414243');
  // Non-minimal "81 03" is valid BER and accepted when reading.
  assert.deepEqual(tlv.readTlv(h('22810301 0203'), 0, 6, 'test').value, h('010203'));
  // Three-octet tag (9F 81 01) is not supported.
  throwsAt(() => tlv.readTlv(h('9F810100'), 0, 4, 'test'), 'test', 'tag', 0);
});

// ------------------------------------------------------------------ responses (hand-built)

test('expanded responses: several R-APDUs, indefinite form, bad format', () => {
  // 80 01 02 (3) + 23 04 3F00 9000 (6) + 23 02 6A82 (4) = 13 = 0x0D
  const r = expandedResp(decodeResponse(h('AB0D' + '800102' + '23043F009000' + '23026A82')));
  assert.equal(r.executed, 2);
  assert.deepEqual(responseJson(r), {
    scriptFormat: 'expanded', indefinite: false, executed: 2,
    rapdus: [{ data: '3F00', sw: '9000' }, { data: '', sw: '6A82' }],
    elements: [
      { tag: '80', name: 'Number of executed C-APDUs TLV', offset: 2, value: '02' },
      { tag: '23', name: 'R-APDU TLV', offset: 5, value: '3F009000' },
      { tag: '23', name: 'R-APDU TLV', offset: 11, value: '6A82' },
    ],
  });
  const t = responseTree(r);
  assert.match(findNode(t, (n) => n.name === 'R-APDU 2 (23)')!.value!, /6A82 \(file or application not found\)/);

  // Indefinite: AF 80 | 23 02 90 00 | 00 00, no 80 TLV (pySim-exp: table 5.10a has none)
  const i = expandedResp(decodeResponse(h('AF8023029000' + '0000')));
  assert.equal(i.indefinite, true);
  assert.equal(i.executed, undefined);
  assert.deepEqual(i.rapdus.map((x) => x.sw), [0x9000]);
  assert.equal('executed' in (responseJson(i) as object), false);
  assert.equal(toHex(encodeResponse({ format: 'expanded', indefinite: true, rapdus: [{ data: new Uint8Array(0), sw: 0x9000 }] })), 'AF80230290000000');

  // 80 01 01 (3) + 90 01 01 (3) = 6 → bad format 01 = unknown tag
  const b = decodeResponse(h('AB06' + '800101' + '900101'));
  const bj = responseJson(b) as Record<string, unknown>;
  assert.equal(bj.badFormat, '01');
  assert.equal(bj.badFormatMeaning, 'unknown tag');
  assert.equal(findNode(responseTree(b), (n) => n.name === 'Bad format (90)')!.status, 'fail');
});

// ------------------------------------------------------------------ names

test('INS names depend on CLA/P1 where the INS is shared', () => {
  assert.equal(insName({ cla: 0x80, ins: 0xf2, p1: 0x80, p2: 0x00 }), 'GET STATUS'); // GP, P1 80 = ISD
  assert.equal(insName({ cla: 0x80, ins: 0xf2, p1: 0x00, p2: 0x00 }), 'STATUS'); // TS 102 221 STATUS
  assert.equal(insName({ cla: 0xa0, ins: 0xf2, p1: 0x00, p2: 0x00 }), 'STATUS'); // SIM
  assert.equal(insName({ cla: 0x80, ins: 0xe4, p1: 0x00, p2: 0x00 }), 'DELETE');
  assert.equal(insName({ cla: 0x00, ins: 0xe4, p1: 0x00, p2: 0x00 }), 'DELETE FILE');
  assert.equal(insName({ cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x01 }), 'VERIFY PIN');
  for (const [ins, n] of [[0xd6, 'UPDATE BINARY'], [0xb2, 'READ RECORD'], [0xdc, 'UPDATE RECORD'], [0xe6, 'INSTALL'],
    [0xe8, 'LOAD'], [0xd8, 'PUT KEY'], [0xf0, 'SET STATUS']] as const) {
    assert.equal(insName({ cla: 0x80, ins, p1: 0, p2: 0 }), n);
  }
  assert.equal(swName(0x6c10), 'wrong Le: 16 octets available');
  assert.equal(swName(0x6e00), 'class not supported');
  assert.equal(swName(0x6982), 'security status not satisfied');
  assert.equal(swName(0x6985), 'conditions of use not satisfied');
});

// ------------------------------------------------------------------ compact case detection

test('compact: unknown INS resolved only when one reading of P3 splits the script', () => {
  // INS 7E is not in the table. "00 7E 00 00 02 AB CD": as Le the 2 trailing
  // octets would be a truncated header, so P3 must be Lc.
  const a = compactOf(decodeCommandScript(h('007E000002ABCD'))).apdus;
  assert.deepEqual(a.map((x) => [x.case, x.inferred, toHex(x.data!)]), [[3, true, 'ABCD']]);
  assert.equal(findNode(commandScriptTree({ format: 'compact', apdus: a }), (n) => n.name === 'Lc')!.status, 'warn');

  // "00 7E 00 00 02 | 00 A4 00 00 00": as Lc the rest (00 00 00) is a truncated
  // header, so P3 is Le and a case-1 SELECT follows.
  const b = compactOf(decodeCommandScript(h('007E000002' + '00A4000000'))).apdus;
  assert.deepEqual(b.map((x) => [toHex(x.raw), x.case, x.le]), [['007E000002', 2, 2], ['00A4000000', 1, undefined]]);

  // "00 7E 00 00 05 00 A4 00 00 00": Le 5 + SELECT, or Lc 5 with data 00A4000000 — both work.
  throwsAt(() => decodeCommandScript(h('007E000005' + '00A4000000')), CMP, 'C-APDU 1 P3', 4, /ambiguous/);
  // The caller can settle it.
  const asOut = compactOf(decodeCommandScript(h('007E000005' + '00A4000000'), 'compact', { direction: (x) => (x.ins === 0x7e ? 'out' : undefined) }));
  assert.equal(asOut.apdus.length, 2);
  const asIn = compactOf(decodeCommandScript(h('007E000005' + '00A4000000'), 'compact', { direction: (x) => (x.ins === 0x7e ? 'in' : undefined) }));
  assert.deepEqual(asIn.apdus.map((x) => toHex(x.data!)), ['00A4000000']);
});

// ------------------------------------------------------------------ errors

test('compact errors: truncated data and headers', () => {
  // Lc 02 at octet 4 but only "3F" follows.
  throwsAt(() => decodeCommandScript(h('00A40004023F')), CMP, 'C-APDU 1 Lc', 4, /says 2 data octets, 1 present/);
  // §5.1 script with the last octet of the GET RESPONSE missing: second header at octet 7 has 4 octets.
  throwsAt(() => decodeCommandScript(h('A0A40000027F20A0C00000')), CMP, 'C-APDU 2', 7, /needs 5 octets.*4 present/);
  throwsAt(() => decodeResponse(new Uint8Array(0)), CMP, 'number of executed commands', 0);
  throwsAt(() => decodeResponse(h('0161')), CMP, 'SW1 SW2', 1, /1 present/);
  throwsAt(() => encodeCommandScript([h('00A400')], { format: 'compact' }), CMP, 'C-APDU 1', 0, /at least 4/);
  // 00 A4 00 04 03 3F 00: Lc 03 but 2 data octets → neither 8 nor 9 octets
  throwsAt(() => encodeCommandScript([h('00A40004033F00')], { format: 'expanded' }), EXP, 'C-APDU 1 Lc', 4);
});

test('expanded errors carry layer, field and offset', () => {
  // §5.3 with the template length raised to 0B: 11 claimed, 10 present (length octet at 1).
  throwsAt(() => decodeCommandScript(h('AA0B220880F28000024F0000')), EXP, 'Command Scripting template (AA) length', 1, /says 11 octets, 10 present/);
  // Length form 84 (5-octet length) is not supported.
  throwsAt(() => decodeCommandScript(h('AA840000000A220880F28000024F0000')), EXP, 'Command Scripting template (AA) length', 1, /bad length form 84/);
  // Inner C-APDU TLV length 09 at octet 3, but the template holds only 8 more octets.
  throwsAt(() => decodeCommandScript(h('AA0A220980F28000024F0000')), EXP, 'C-APDU TLV (22) length', 3, /says 9 octets, 8 present/);
  // 81 form with its octet missing: AA 02 22 81 — the 81 at octet 3 needs one more octet inside the template.
  throwsAt(() => decodeCommandScript(h('AA022281')), EXP, 'C-APDU TLV (22) length', 3, /needs 1 more octet/);
  // Wrong template tag (pycrate's AC) when the expanded format is requested.
  throwsAt(() => decodeCommandScript(h('AC80220580E29000000000'), 'expanded'), EXP, 'Command Scripting template tag', 0, /AC\/AD/);
  // AA with the indefinite length form, AE with a definite one.
  throwsAt(() => decodeCommandScript(h('AA80220580E29000000000')), EXP, 'Command Scripting template (AA) length', 1, /needs tag AE/);
  throwsAt(() => decodeCommandScript(h('AE07220580E2900000')), EXP, 'Command Scripting template (AE) length', 1, /must be 80/);
  // Indefinite template without end-of-contents: input ends at octet 9.
  throwsAt(() => decodeCommandScript(h('AE80220580E2900000')), EXP, 'end-of-contents', 9, /00 00/);
  // Inner TLV with indefinite length (80 at octet 3).
  throwsAt(() => decodeCommandScript(h('AE802280' + '0000')), EXP, 'C-APDU TLV (22) length', 3, /definite/);
  // Trailing octet FF at offset 9 after a complete definite template.
  throwsAt(() => decodeCommandScript(h('AA07220580E2900000FF')), EXP, 'trailing data', 9);
  // C-APDU TLV of 3 octets (value at octet 4): shorter than CLA INS P1 P2.
  throwsAt(() => decodeCommandScript(h('AA05220300A400')), EXP, 'C-APDU 1', 4, /at least 4 octets/);
  // 22 07 00 A4 00 04 03 3F 00: Lc 03 (octet 4 + 4 = 8) but 2 data octets.
  throwsAt(() => decodeCommandScript(h('AA09220700A40004033F00')), EXP, 'C-APDU 1 Lc', 8, /must be 8 or 9 octets, got 7/);
  // Second C-APDU broken: AA 0C | 22 05 00B000000A | 22 03 00B000 → its value at octet 11.
  throwsAt(() => decodeCommandScript(h('AA0C220500B000000A220300B000')), EXP, 'C-APDU 2', 11);
});

test('expanded response errors', () => {
  // R-APDU value of 1 octet (value at octet 4): no room for SW1 SW2.
  throwsAt(() => decodeResponse(h('AB03230190')), EXP, 'R-APDU 1', 4, /SW1 SW2/);
  // 80 TLV with empty value: AB 06 | 80 00 | 23 02 90 00 → value offset 4.
  throwsAt(() => decodeResponse(h('AB06800023029000')), EXP, 'Number of executed C-APDUs TLV (80) value', 4);
  // R-APDU TLV length 05 at octet 3 runs past the template (3 present).
  throwsAt(() => decodeResponse(h('AB052305039000')), EXP, 'R-APDU TLV (23) length', 3, /says 5 octets, 3 present/);
  // Wrong tag when the expanded decoder is asked directly.
  throwsAt(() => expandedResponse.decode(h('AA0780010123026D00')), EXP, 'Response Scripting template tag', 0);
  throwsAt(() => expandedScript.decode(h('AB0780010123026D00')), EXP, 'Command Scripting template tag', 0);
  // Indefinite response missing its end-of-contents (after 23 02 90 00 at octet 6).
  throwsAt(() => decodeResponse(h('AF8023029000')), EXP, 'end-of-contents', 6);
});

test('parseCApdu covers the ISO cases by length', () => {
  assert.equal(parseCApdu(h('00A40000'), 'x').case, 1);
  assert.deepEqual([parseCApdu(h('00B0000000'), 'x').case, parseCApdu(h('00B0000000'), 'x').le], [2, 256]);
  // extended case 2: 00 B0 00 00 | 00 01 00 → Ne 256 (extended)
  const e2 = parseCApdu(h('00B00000000100'), 'x');
  assert.deepEqual([e2.case, e2.le, e2.extended], [2, 256, true]);
  // extended case 4: 80 E2 90 00 | 00 00 02 | AB CD | 00 00 → Ne 65536
  const e4 = parseCApdu(h('80E29000000002ABCD0000'), 'x');
  assert.deepEqual([e4.case, e4.le, toHex(e4.data!)], [4, 65536, 'ABCD']);
  throwsAt(() => parseCApdu(h('00B000000001'), 'x'), 'x', 'C-APDU Lc', 4);
});

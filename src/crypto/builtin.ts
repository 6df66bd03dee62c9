/**
 * The built-in block ciphers: DES and triple DES (FIPS 46-3, EDE as in
 * ANSI X9.52 / NIST SP 800-67) and AES-128/192/256 (FIPS 197), in plain
 * TypeScript. Their reason to exist is start-up: a command that ciphers one
 * packet runs them instead of loading node:crypto (OpenSSL's bindings and the
 * stream modules they pull in cost about as much as the rest of such a
 * command). backend.ts's `auto` runs the first blocks of a process here and
 * the rest on OpenSSL, but for DES/3DES operations of a few blocks, quicker
 * here than a call into OpenSSL (engine.ts); `--crypto builtin` runs
 * everything here. Tables are computed on first use (AES's S-box from
 * GF(2^8) inverses and the affine map, DES's round tables from its S-boxes
 * and P), not typed in.
 * The tests run the golden vectors and openssl-computed values through it as
 * through the other backends.
 */
import type { BlockEngine, BlockKind } from './backend.js';

// ---------------------------------------------------------------- DES (FIPS 46-3)

/** A 1-based bit-position table applied to a 64-bit value held as [hi, lo] 32-bit words (PC-1). */
function permute64(hi: number, lo: number, table: readonly number[]): [number, number] {
  let oh = 0;
  let ol = 0;
  for (let i = 0; i < table.length; i++) {
    const p = table[i] - 1;
    const bit = p < 32 ? (hi >>> (31 - p)) & 1 : (lo >>> (63 - p)) & 1;
    if (i < 32) oh |= bit << (31 - i);
    else ol |= bit << (63 - i);
  }
  return [oh >>> 0, ol >>> 0];
}

const P = [16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25];
const PC1 = [57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36, 63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4];
const PC2 = [14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, 41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32];
const SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];
/** S1..S8, each 4 rows of 16 (row = outer bits b1 b6, column = b2..b5). */
const S = [
  [14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8, 4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13],
  [15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5, 0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9],
  [10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1, 13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12],
  [7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9, 10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14],
  [2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6, 4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3],
  [12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8, 9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13],
  [4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6, 1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12],
  [13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2, 7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11],
];

/**
 * SP[j][v]: S-box j on the 6-bit group v, placed at its 4 output bits and run
 * through P (a round is then 8 lookups). Filled on first use: S-box j's output
 * bit b (1-based 4j + b) lands where P takes it from. Eight named tables, not
 * a list, so that a round reads them without indexing a list first.
 */
const SP0 = new Int32Array(64);
const SP1 = new Int32Array(64);
const SP2 = new Int32Array(64);
const SP3 = new Int32Array(64);
const SP4 = new Int32Array(64);
const SP5 = new Int32Array(64);
const SP6 = new Int32Array(64);
const SP7 = new Int32Array(64);
let spReady = false;
function spTables(): void {
  if (spReady) return;
  const dest = new Uint8Array(33);
  for (let i = 0; i < 32; i++) dest[P[i]] = i + 1;
  [SP0, SP1, SP2, SP3, SP4, SP5, SP6, SP7].forEach((t, j) => {
    const box = S[j];
    // P's image of each 4-bit output of S-box j, then one lookup per entry.
    const img = new Uint32Array(16);
    for (let b = 0; b < 4; b++) {
      const bit = (1 << (32 - dest[4 * j + b + 1])) >>> 0;
      const m = 8 >>> b;
      for (let x = m; x < 16; x = (x + 1) | m) img[x] |= bit;
    }
    for (let v = 0; v < 64; v++) t[v] = img[box[(((v >>> 4) & 2) | (v & 1)) * 16 + ((v >>> 1) & 0xf)]];
  });
  spReady = true;
}

/** Four octets, big-endian, as a 32-bit word (signed: only bit operations use it), and back. */
const word = (b: Uint8Array, i: number): number => (b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3];
function putWord(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 24;
  b[i + 1] = v >>> 16;
  b[i + 2] = v >>> 8;
  b[i + 3] = v;
}

/** The 16 round keys of one DES key: 8 six-bit groups each (K1..K16, FIPS 46-3 key schedule). */
function desRoundKeys(key: Uint8Array, at: number): Uint8Array {
  const hi = word(key, at) >>> 0;
  const lo = word(key, at + 4) >>> 0;
  // PC-1 gives 56 bits: C = the first 28, D = the last 28.
  const [h, l] = permute64(hi, lo, PC1);
  let c = h >>> 4;
  let d = (((h & 0xf) << 24) | (l >>> 8)) >>> 0;
  const out = new Uint8Array(16 * 8);
  for (let r = 0; r < 16; r++) {
    const s = SHIFTS[r];
    c = ((c << s) | (c >>> (28 - s))) & 0xfffffff;
    d = ((d << s) | (d >>> (28 - s))) & 0xfffffff;
    // PC-2 over C || D (bits 1..56).
    for (let g = 0; g < 8; g++) {
      let v = 0;
      for (let b = 0; b < 6; b++) {
        const p = PC2[g * 6 + b];
        const bit = p <= 28 ? (c >>> (28 - p)) & 1 : (d >>> (56 - p)) & 1;
        v = (v << 1) | bit;
      }
      out[r * 8 + g] = v;
    }
  }
  return out;
}

/** The block being ciphered, as two 32-bit halves (the DES functions below work on it in place). */
let L = 0;
let R = 0;

/** IP, as five delta swaps between the halves (the same bit moves as the table, in a few word operations). */
function ip(): void {
  let l = L;
  let r = R;
  let t = ((l >>> 4) ^ r) & 0x0f0f0f0f;
  r ^= t;
  l ^= t << 4;
  t = ((l >>> 16) ^ r) & 0x0000ffff;
  r ^= t;
  l ^= t << 16;
  t = ((r >>> 2) ^ l) & 0x33333333;
  l ^= t;
  r ^= t << 2;
  t = ((r >>> 8) ^ l) & 0x00ff00ff;
  l ^= t;
  r ^= t << 8;
  t = ((l >>> 1) ^ r) & 0x55555555;
  r ^= t;
  l ^= t << 1;
  L = l;
  R = r;
}

/** FP, IP's inverse (FIPS 46-3): IP's swaps in reverse order. */
function fp(): void {
  let l = L;
  let r = R;
  let t = ((l >>> 1) ^ r) & 0x55555555;
  r ^= t;
  l ^= t << 1;
  t = ((r >>> 8) ^ l) & 0x00ff00ff;
  l ^= t;
  r ^= t << 8;
  t = ((r >>> 2) ^ l) & 0x33333333;
  l ^= t;
  r ^= t << 2;
  t = ((l >>> 16) ^ r) & 0x0000ffff;
  r ^= t;
  l ^= t << 16;
  t = ((l >>> 4) ^ r) & 0x0f0f0f0f;
  r ^= t;
  l ^= t << 4;
  L = l;
  R = r;
}

/**
 * The 16 rounds of one DES with round keys `k` (in reverse order to decrypt),
 * between IP and FP, the halves swapped after the last round as FP expects.
 * The eight S-box groups of a round are written out: a one-shot command then
 * runs few enough bytecodes that V8 does not stop to optimise this (a pause
 * of several milliseconds, longer than the ciphering).
 */
function rounds(k: Uint8Array, decrypt: boolean): void {
  let l = L;
  let r = R;
  for (let i = 0; i < 16; i++) {
    const q = (decrypt ? 15 - i : i) * 8;
    // E: group g is bits 4g .. 4g+5 of R (1-based, cyclic: bit 0 is bit 32), i.e. rotl(R, 4g - 1) >>> 26.
    const f =
      SP0[(((r >>> 1) | (r << 31)) >>> 26) ^ k[q]] |
      SP1[(((r << 3) | (r >>> 29)) >>> 26) ^ k[q + 1]] |
      SP2[(((r << 7) | (r >>> 25)) >>> 26) ^ k[q + 2]] |
      SP3[(((r << 11) | (r >>> 21)) >>> 26) ^ k[q + 3]] |
      SP4[(((r << 15) | (r >>> 17)) >>> 26) ^ k[q + 4]] |
      SP5[(((r << 19) | (r >>> 13)) >>> 26) ^ k[q + 5]] |
      SP6[(((r << 23) | (r >>> 9)) >>> 26) ^ k[q + 6]] |
      SP7[(((r << 27) | (r >>> 5)) >>> 26) ^ k[q + 7]];
    const t = l ^ f;
    l = r;
    r = t;
  }
  L = r;
  R = l;
}

/** A DES or 3DES key (8, 16 = K1 K2 K1, 24 octets) as its three round-key sets (single DES: K1 alone). */
interface DesKeys {
  k1: Uint8Array;
  k2: Uint8Array;
  k3: Uint8Array;
  single: boolean;
}

/**
 * Round keys of the last few keys, compared octet by octet with a copy (a
 * packet's KIc and KID keys alternate; the caller may reuse its key buffer).
 */
const keyCache: { key: Uint8Array; ks: DesKeys }[] = [];
function desKeys(key: Uint8Array): DesKeys {
  for (let i = 0; i < keyCache.length; i++) {
    const e = keyCache[i];
    const c = e.key;
    if (c.length !== key.length) continue;
    let same = true;
    for (let j = 0; j < c.length; j++) if (c[j] !== key[j]) same = false;
    if (same) return e.ks;
  }
  spTables();
  const k1 = desRoundKeys(key, 0);
  const ks: DesKeys = key.length === 8 ? { k1, k2: k1, k3: k1, single: true } : { k1, k2: desRoundKeys(key, 8), k3: key.length === 24 ? desRoundKeys(key, 16) : k1, single: false };
  if (keyCache.length >= 8) keyCache.pop();
  keyCache.unshift({ key: Uint8Array.from(key), ks });
  return ks;
}

/**
 * DES, or 3DES EDE: E(K3, D(K2, E(K1, x))); decryption D(K1, E(K2, D(K3, y))),
 * on the block in L, R. FP and IP between the three DES cancel (FP is IP
 * inverted), so a 3DES block is IP, 48 rounds, FP.
 */
function tdes(ks: DesKeys, decrypt: boolean): void {
  ip();
  if (ks.single) rounds(ks.k1, decrypt);
  else if (!decrypt) {
    rounds(ks.k1, false);
    rounds(ks.k2, true);
    rounds(ks.k3, false);
  } else {
    rounds(ks.k3, true);
    rounds(ks.k2, false);
    rounds(ks.k1, true);
  }
  fp();
}

/**
 * DES / 3DES over whole blocks, IV zero for CBC, into a fresh array (the
 * chaining on the two halves); `last`: CBC encryption keeping the last block only.
 */
function desRun(key: Uint8Array, data: Uint8Array, cbc: boolean, decrypt: boolean, last = false): Uint8Array {
  const ks = desKeys(key);
  if (last) {
    if (data.length === 0) return new Uint8Array(0); // as the other backends: no block, no last block
    let l = 0;
    let r = 0;
    for (let at = 0; at < data.length; at += 8) {
      L = word(data, at) ^ l;
      R = word(data, at + 4) ^ r;
      tdes(ks, false);
      l = L;
      r = R;
    }
    const mac = new Uint8Array(8);
    putWord(mac, 0, l);
    putWord(mac, 4, r);
    return mac;
  }
  const out = new Uint8Array(data.length);
  let pl = 0; // the chaining block: the previous ciphertext (zero IV)
  let pr = 0;
  for (let at = 0; at < data.length; at += 8) {
    const cl = word(data, at);
    const cr = word(data, at + 4);
    if (decrypt) {
      L = cl;
      R = cr;
      tdes(ks, true);
      if (cbc) {
        L ^= pl;
        R ^= pr;
        pl = cl;
        pr = cr;
      }
    } else {
      L = cbc ? cl ^ pl : cl;
      R = cbc ? cr ^ pr : cr;
      tdes(ks, false);
      pl = L;
      pr = R;
    }
    putWord(out, at, L);
    putWord(out, at + 4, R);
  }
  return out;
}

// ---------------------------------------------------------------- AES (FIPS 197)

const SBOX = new Uint8Array(256);
const INV_SBOX = new Uint8Array(256);
/** The S-boxes, made on first use (a DES-only run never needs them). */
function aesTables(): void {
  if (SBOX[0]) return; // S(0) = 0x63
  // Multiplicative inverses in GF(2^8) (x^8 + x^4 + x^3 + x + 1) through powers of the generator 3 (cl. 5.1.1).
  const exp = new Uint8Array(256);
  const log = new Uint8Array(256);
  for (let i = 0, x = 1; i < 255; i++) {
    exp[i] = x;
    log[x] = i;
    x ^= (x << 1) ^ (x & 0x80 ? 0x11b : 0);
    x &= 0xff;
  }
  for (let a = 0; a < 256; a++) {
    const inv = a === 0 ? 0 : exp[(255 - log[a]) % 255];
    // Affine map: b ^ rotl(b,1) ^ rotl(b,2) ^ rotl(b,3) ^ rotl(b,4) ^ 0x63.
    let s = inv;
    for (let r = 1; r <= 4; r++) s ^= ((inv << r) | (inv >>> (8 - r))) & 0xff;
    s ^= 0x63;
    SBOX[a] = s;
    INV_SBOX[s] = a;
  }
}

const xtime = (x: number): number => ((x << 1) ^ (x & 0x80 ? 0x1b : 0)) & 0xff;
function gmul(a: number, b: number): number {
  let p = 0;
  for (; b; b >>>= 1, a = xtime(a)) if (b & 1) p ^= a;
  return p;
}

/** The expanded key (cl. 5.2): 4 (Nr + 1) words as 16 (Nr + 1) octets. */
function aesKeys(key: Uint8Array): Uint8Array {
  aesTables();
  const nk = key.length / 4;
  const nr = nk + 6;
  const w = new Uint8Array(16 * (nr + 1));
  w.set(key);
  let rcon = 1;
  for (let i = nk; i < 4 * (nr + 1); i++) {
    let t0 = w[4 * i - 4];
    let t1 = w[4 * i - 3];
    let t2 = w[4 * i - 2];
    let t3 = w[4 * i - 1];
    if (i % nk === 0) {
      // RotWord, SubWord, Rcon.
      const t = t0;
      t0 = SBOX[t1] ^ rcon;
      t1 = SBOX[t2];
      t2 = SBOX[t3];
      t3 = SBOX[t];
      rcon = xtime(rcon);
    } else if (nk > 6 && i % nk === 4) {
      t0 = SBOX[t0];
      t1 = SBOX[t1];
      t2 = SBOX[t2];
      t3 = SBOX[t3];
    }
    const j = 4 * (i - nk);
    w[4 * i] = w[j] ^ t0;
    w[4 * i + 1] = w[j + 1] ^ t1;
    w[4 * i + 2] = w[j + 2] ^ t2;
    w[4 * i + 3] = w[j + 3] ^ t3;
  }
  return w;
}

/** One AES block in place (the state in column order, as the octets come: cl. 3.4). */
function aesBlock(w: Uint8Array, b: Uint8Array, at: number, decrypt: boolean): void {
  const nr = w.length / 16 - 1;
  const s = b.subarray(at, at + 16);
  const t = new Uint8Array(16);
  const addRoundKey = (r: number) => {
    for (let i = 0; i < 16; i++) s[i] ^= w[16 * r + i];
  };
  if (!decrypt) {
    addRoundKey(0);
    for (let r = 1; r <= nr; r++) {
      // SubBytes and ShiftRows (row i moves left by i columns).
      for (let c = 0; c < 4; c++) for (let i = 0; i < 4; i++) t[4 * c + i] = SBOX[s[4 * ((c + i) & 3) + i]];
      if (r < nr) {
        // MixColumns.
        for (let c = 0; c < 4; c++) {
          const a0 = t[4 * c];
          const a1 = t[4 * c + 1];
          const a2 = t[4 * c + 2];
          const a3 = t[4 * c + 3];
          const all = a0 ^ a1 ^ a2 ^ a3;
          s[4 * c] = a0 ^ all ^ xtime(a0 ^ a1);
          s[4 * c + 1] = a1 ^ all ^ xtime(a1 ^ a2);
          s[4 * c + 2] = a2 ^ all ^ xtime(a2 ^ a3);
          s[4 * c + 3] = a3 ^ all ^ xtime(a3 ^ a0);
        }
      } else s.set(t);
      addRoundKey(r);
    }
    return;
  }
  addRoundKey(nr);
  for (let r = nr - 1; r >= 0; r--) {
    // InvShiftRows (row i moves right by i columns) and InvSubBytes.
    for (let c = 0; c < 4; c++) for (let i = 0; i < 4; i++) t[4 * ((c + i) & 3) + i] = INV_SBOX[s[4 * c + i]];
    s.set(t);
    addRoundKey(r);
    if (r > 0) {
      // InvMixColumns.
      for (let c = 0; c < 4; c++) {
        const a0 = s[4 * c];
        const a1 = s[4 * c + 1];
        const a2 = s[4 * c + 2];
        const a3 = s[4 * c + 3];
        s[4 * c] = gmul(a0, 14) ^ gmul(a1, 11) ^ gmul(a2, 13) ^ gmul(a3, 9);
        s[4 * c + 1] = gmul(a0, 9) ^ gmul(a1, 14) ^ gmul(a2, 11) ^ gmul(a3, 13);
        s[4 * c + 2] = gmul(a0, 13) ^ gmul(a1, 9) ^ gmul(a2, 14) ^ gmul(a3, 11);
        s[4 * c + 3] = gmul(a0, 11) ^ gmul(a1, 13) ^ gmul(a2, 9) ^ gmul(a3, 14);
      }
    }
  }
}

// ---------------------------------------------------------------- modes (zero IV, whole blocks)

type Block = (b: Uint8Array, at: number, decrypt: boolean) => void;

function cipherOf(kind: BlockKind, key: Uint8Array): { block: Block; size: number } {
  if (kind === 'aes') {
    const w = aesKeys(key);
    return { block: (b, at, d) => aesBlock(w, b, at, d), size: 16 };
  }
  const ks = desKeys(key);
  const block: Block = (b, at, d) => {
    L = word(b, at);
    R = word(b, at + 4);
    tdes(ks, d);
    putWord(b, at, L);
    putWord(b, at + 4, R);
  };
  return { block, size: 8 };
}

function run(kind: BlockKind, key: Uint8Array, data: Uint8Array, cbc: boolean, decrypt: boolean): Uint8Array {
  if (kind === 'des') return desRun(key, data, cbc, decrypt);
  const { block, size } = cipherOf(kind, key);
  const out = Uint8Array.from(data);
  if (!cbc) {
    for (let at = 0; at < out.length; at += size) block(out, at, decrypt);
    return out;
  }
  if (!decrypt) {
    for (let at = 0; at < out.length; at += size) {
      if (at) for (let i = 0; i < size; i++) out[at + i] ^= out[at - size + i];
      block(out, at, false);
    }
    return out;
  }
  for (let at = out.length - size; at >= 0; at -= size) {
    block(out, at, true);
    if (at) for (let i = 0; i < size; i++) out[at + i] ^= data[at - size + i];
  }
  return out;
}

export const builtinEngine: BlockEngine = {
  cbcEncrypt: (kind, key, data) => run(kind, key, data, true, false),
  cbcDecrypt: (kind, key, data) => run(kind, key, data, true, true),
  ecbEncrypt: (kind, key, data) => run(kind, key, data, false, false),
  ecbDecrypt: (kind, key, data) => run(kind, key, data, false, true),
  cbcLast: (kind, key, data) => (kind === 'des' ? desRun(key, data, true, false, true) : run(kind, key, data, true, false).slice(data.length - 16)),
  ecbEncryptor: (kind, key) => {
    const { block, size } = cipherOf(kind, Uint8Array.from(key));
    return (data) => {
      const out = Uint8Array.from(data);
      for (let at = 0; at < out.length; at += size) block(out, at, false);
      return out;
    };
  },
  ecbDecryptor: (kind, key) => {
    const { block, size } = cipherOf(kind, Uint8Array.from(key));
    return (data) => {
      const out = Uint8Array.from(data);
      for (let at = 0; at < out.length; at += size) block(out, at, true);
      return out;
    };
  },
};

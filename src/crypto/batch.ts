/**
 * Zero-IV CBC encryption and CBC-MAC / AES-CMAC over the many packets of a
 * batch under one key, in a few native calls instead of one or two per packet.
 *
 * CBC (TS 102 225 cl. 5.1.2, IV zero) is sequential inside a packet but
 * independent across packets: C[i] = E(P[i] ^ C[i-1]) with C[-1] = 0. So for
 * block position i, block i of every packet still that long is XORed with that
 * packet's C[i-1] into one buffer, and one ECB call of a long-lived cipher
 * object (one key schedule per batch and key) encrypts them all. A packet of
 * b blocks takes part in the first b calls; a batch costs as many native calls
 * as its longest packet has blocks.
 *
 * The checksums are the same chaining keeping the last block: DES/3DES CBC-MAC
 * (cl. 5.1.3.1: ISO/IEC 9797-1 MAC algorithm 1, padding method 1: zeros to a
 * whole block, an empty message is one zero block) and AES-CMAC (NIST SP
 * 800-38B cl. 6.2: the last block XORed with subkey K1 when complete, else
 * padded 80 00.. and XORed with K2).
 *
 * Runs are given as parallel arrays (offset and length of each packet's
 * octets in one buffer), so that a batch allocates a few buffers per call,
 * none per packet. Key lengths are checked by the caller (checkKey()).
 */
import { InputError } from '../util/errors.js';
import type { BlockKind } from './backend.js';
import { cmacSubkeys } from './cmac.js';
import { engine } from './engine.js';

/** Scratch arrays that grow to the largest batch seen. */
class Scratch {
  gather = new Uint8Array(0);
  chain = new Uint8Array(0);
  /** The same memory as 32-bit words (XOR and copy four octets at a time when the runs allow). */
  gather32 = new Int32Array(0);
  chain32 = new Int32Array(0);
  order = new Int32Array(0);
  blocks = new Int32Array(0);
  fit(n: number, B: number): void {
    if (this.order.length < n) {
      const m = Math.max(n, this.order.length * 2, 64);
      this.order = new Int32Array(m);
      this.blocks = new Int32Array(m);
      this.gather32 = new Int32Array(m * 4);
      this.chain32 = new Int32Array(m * 4);
      this.gather = new Uint8Array(this.gather32.buffer);
      this.chain = new Uint8Array(this.chain32.buffer);
    }
    this.chain.fill(0, 0, n * B);
  }
}

/** `buf` as 32-bit words when it and every run start are 4-aligned (word k = octets 4k..4k+3), else undefined. */
function words(buf: Uint8Array, off: Int32Array, n: number): Int32Array | undefined {
  if (buf.byteOffset & 3) return undefined;
  for (let k = 0; k < n; k++) if (off[k] & 3) return undefined;
  return new Int32Array(buf.buffer, buf.byteOffset, buf.byteLength >> 2);
}

/**
 * Order the n runs by block count, longest first (the packets still running
 * at block position i are then a prefix); returns the longest block count.
 */
function sortRuns(s: Scratch, n: number): number {
  const { order, blocks } = s;
  let max = 0;
  let sorted = true;
  for (let k = 0; k < n; k++) {
    order[k] = k;
    const b = blocks[k];
    if (k && b > blocks[k - 1]) sorted = false;
    if (b > max) max = b;
  }
  if (!sorted) order.subarray(0, n).sort((a, b) => blocks[b] - blocks[a] || a - b);
  return max;
}

export type MacPadding = 'zero' | 'cmac';

/** Zero-IV CBC under one key for many packets. */
export class CbcBatch {
  readonly block: 8 | 16;
  private readonly ecb: (data: Uint8Array) => Uint8Array;
  private readonly s = new Scratch();
  private readonly k1?: Uint8Array;
  private readonly k2?: Uint8Array;

  /** The long-lived ECB decipher, made on the first decrypt(). */
  private ecbDec?: (data: Uint8Array) => Uint8Array;
  private readonly kind: BlockKind;
  private readonly key: Uint8Array;

  /** `mac`: the checksum padding (zero for DES CBC-MAC, cmac for AES-CMAC); absent for encryption only. */
  constructor(kind: BlockKind, key: Uint8Array, mac?: MacPadding) {
    this.block = kind === 'aes' ? 16 : 8;
    this.kind = kind;
    this.key = key;
    this.ecb = engine().ecbEncryptor(kind, key);
    if (mac === 'cmac') [this.k1, this.k2] = cmacSubkeys(key);
  }

  /**
   * Encrypt in place, CBC with IV zero, each run buf[off[k] .. off[k]+len[k])
   * for k < n; every length a whole number of blocks (the caller pads).
   */
  encrypt(buf: Uint8Array, off: Int32Array, len: Int32Array, n: number): void {
    const B = this.block;
    const s = this.s;
    s.fit(n, B);
    for (let k = 0; k < n; k++) {
      if (len[k] % B !== 0) throw new InputError(`${len[k]} octets is not a multiple of the ${B}-octet block`, { layer: B === 8 ? 'DES-CBC' : 'AES-CBC', field: 'input' });
      s.blocks[k] = len[k] / B;
    }
    const max = sortRuns(s, n);
    const { order, blocks, gather: G, chain } = s;
    const buf32 = words(buf, off, n);
    if (buf32) {
      // Aligned runs (commandBatchBuilder lays them out so): a word at a time.
      const W = B >> 2;
      const { gather32: G32, chain32: C32 } = s;
      let m = n;
      for (let i = 0; i < max; i++) {
        while (m > 0 && blocks[order[m - 1]] <= i) m--;
        const at = i * W;
        for (let j = 0, g = 0; j < m; j++, g += W) {
          const src = (off[order[j]] >> 2) + at;
          for (let t = 0; t < W; t++) G32[g + t] = buf32[src + t] ^ C32[g + t];
        }
        chain.set(this.ecb(G.subarray(0, m * B)));
        for (let j = 0, g = 0; j < m; j++, g += W) {
          const dst = (off[order[j]] >> 2) + at;
          for (let t = 0; t < W; t++) buf32[dst + t] = C32[g + t];
        }
      }
      return;
    }
    let m = n; // runs still going at block position i
    for (let i = 0; i < max; i++) {
      while (m > 0 && blocks[order[m - 1]] <= i) m--;
      const at = i * B;
      for (let j = 0, g = 0; j < m; j++, g += B) {
        const src = off[order[j]] + at;
        for (let t = 0; t < B; t++) G[g + t] = buf[src + t] ^ chain[g + t];
      }
      const c = this.ecb(G.subarray(0, m * B));
      for (let j = 0, g = 0; j < m; j++, g += B) {
        const dst = off[order[j]] + at;
        for (let t = 0; t < B; t++) buf[dst + t] = chain[g + t] = c[g + t];
      }
    }
  }

  /**
   * Decrypt, CBC with IV zero, the runs ct[off[k] .. off[k]+len[k]) for k < n
   * (each a whole number of blocks, every offset a multiple of the block from
   * the start of `ct`, the runs inside ct[0 .. total)). CBC decryption needs no
   * chaining before the block cipher: P[i] = D(C[i]) ^ C[i-1], C[-1] = 0, so
   * ct[0 .. total) is ECB-decrypted in ONE native call of a long-lived decipher
   * object, then each block XORed with its run's previous ciphertext block.
   * Returns the plaintext at the same offsets (octets outside the runs are
   * meaningless). Undefined when the backend has no long-lived decipher.
   */
  decrypt(ct: Uint8Array, total: number, off: Int32Array, len: Int32Array, n: number): Uint8Array | undefined {
    const B = this.block;
    if (total % B !== 0) throw new InputError(`${total} octets is not a multiple of the ${B}-octet block`, { layer: B === 8 ? 'DES-CBC' : 'AES-CBC', field: 'input' });
    if (!this.ecbDec) {
      const e = engine();
      if (!e.ecbDecryptor) return undefined;
      this.ecbDec = e.ecbDecryptor(this.kind, this.key);
    }
    const pt = new Uint8Array(total);
    if (total) pt.set(this.ecbDec(ct.subarray(0, total)));
    for (let k = 0; k < n; k++) {
      const o = off[k];
      if (o % B !== 0 || len[k] % B !== 0) throw new InputError(`run ${k} is not block-aligned`, { layer: B === 8 ? 'DES-CBC' : 'AES-CBC', field: 'input' });
      for (let i = o + B, end = o + len[k]; i < end; i++) pt[i] ^= ct[i - B];
    }
    return pt;
  }

  /**
   * The checksum of each run buf[off[k] .. off[k]+len[k]) (any length, padded
   * as the constructor's `mac` says): its leftmost `outLen` octets are written
   * at out[outOff[k]].
   */
  mac(buf: Uint8Array, off: Int32Array, len: Int32Array, n: number, out: Uint8Array, outOff: Int32Array, outLen: number): void {
    const B = this.block;
    const s = this.s;
    const cmac = this.k1 !== undefined;
    s.fit(n, B);
    for (let k = 0; k < n; k++) s.blocks[k] = len[k] === 0 ? 1 : Math.ceil(len[k] / B);
    const max = sortRuns(s, n);
    const { order, blocks, gather: G, chain, gather32: G32, chain32: C32 } = s;
    const buf32 = words(buf, off, n);
    const W = B >> 2;
    let m = n;
    for (let i = 0; i < max; i++) {
      while (m > 0 && blocks[order[m - 1]] <= i) m--;
      const at = i * B;
      for (let j = 0, g = 0; j < m; j++, g += B) {
        const k = order[j];
        const src = off[k] + at;
        const rest = len[k] - at; // message octets from this block on
        if (rest > B || (rest === B && !cmac)) {
          if (buf32) {
            // Aligned runs: a word at a time.
            for (let t = 0, s4 = src >> 2, g4 = g >> 2; t < W; t++) G32[g4 + t] = buf32[s4 + t] ^ C32[g4 + t];
          } else {
            for (let t = 0; t < B; t++) G[g + t] = buf[src + t] ^ chain[g + t];
          }
          continue;
        }
        // The last block: padded, and for CMAC XORed with K1 (complete) or K2.
        const have = rest > 0 ? rest : 0;
        for (let t = 0; t < have; t++) G[g + t] = buf[src + t] ^ chain[g + t];
        for (let t = have; t < B; t++) G[g + t] = chain[g + t];
        if (cmac) {
          const sub = have === B ? this.k1! : this.k2!;
          if (have < B) G[g + have] ^= 0x80;
          for (let t = 0; t < B; t++) G[g + t] ^= sub[t];
        }
      }
      chain.set(this.ecb(G.subarray(0, m * B)));
    }
    // A run's last chaining value is its tag; shorter runs kept theirs once they stopped.
    for (let j = 0; j < n; j++) {
      const dst = outOff[order[j]];
      for (let t = 0, g = j * B; t < outLen; t++) out[dst + t] = chain[g + t];
    }
  }
}

/**
 * Command packets (TS 102 225 cl. 5.1) for the many packets of a batch: the
 * header, algorithms and keys are checked once (commandAlgorithms, shared with
 * buildCommand), and the checksums and ciphering of a whole group of packets
 * run through the batched zero-IV CBC of src/crypto/batch.ts (one native call
 * per block position instead of one or two per packet). The octets are those
 * buildCommand gives for the same data and counter.
 *
 *   [CPI] CPL CHL SPI(2) KIc KID TAR(3) | CNTR(5) PCNTR RC/CC/DS data padding
 *   RC/CC/DS input: [CPI] CPL CHL SPI KIc KID TAR CNTR PCNTR data padding (cl. 5.1.3)
 *   ciphered: CNTR … padding (cl. 5.1.2)
 */
import { InputError } from '../util/errors.js';
import { batchChecksummer, batchEncryptor, blockSize, computeRc, type CbcBatch, type CcAlg, type RcAlg } from '../crypto/index.js';
import { CNTR_MAX } from './common.js';
import type { Dialect } from './dialect.js';
import type { KeyMaterial } from './keys.js';
import { commandAlgorithms, type CommandInput } from './command.js';

/** What one call built: packet k is out[off[k] .. off[k]+len[k]), or error[k] when it could not be built. */
export interface BuiltPackets {
  out: Uint8Array;
  off: Int32Array;
  len: Int32Array;
  /** Per packet: undefined, or why it was not built (then len[k] is 0). */
  error: (InputError | undefined)[];
  /**
   * With `keepPlain`: the packets before ciphering (`out` itself when nothing
   * is ciphered); packet k's CNTR, PCNTR, RC/CC/DS, data and padding in clear
   * start at plain[pAt[k]].
   */
  plain?: Uint8Array;
  pAt?: Int32Array;
}

/**
 * Build many packets: packet k has the secured data din[doff[k] .. +dlen[k])
 * and the counter ctr[k] (an integer, at most 2^40-1). The arrays of the
 * result are reused by the next call: read (or copy) them first.
 */
export type CommandBatchBuilder = (din: Uint8Array, doff: Int32Array, dlen: Int32Array, ctr: Float64Array, n: number) => BuiltPackets;

function grow(a: Uint8Array, n: number): Uint8Array {
  return a.length >= n ? a : new Uint8Array(Math.max(n, a.length * 2));
}
function growI(a: Int32Array, n: number): Int32Array {
  return a.length >= n ? a : new Int32Array(Math.max(n, a.length * 2));
}

/** `keepPlain`: the result also gives the packets in clear (BuiltPackets.plain), for a caller that shows them (build sms --each --json). */
export function commandBatchBuilder(dialect: Dialect, p: Omit<CommandInput, 'data' | 'counter'>, keys: KeyMaterial, keepPlain = false): CommandBatchBuilder {
  const { spiBytes, integ, L, chl, alg } = commandAlgorithms(p, keys);
  const B = alg ? blockSize(alg) : 1;
  const cipher: CbcBatch | undefined = alg ? batchEncryptor(alg, keys.kicKey!) : undefined;
  const mac: CbcBatch | undefined = integ.type === 'cc' ? batchChecksummer(integ.algorithm as CcAlg, keys.kidKey!) : undefined;
  const rc = integ.type === 'rc' ? (integ.algorithm as RcAlg) : undefined;
  const padByte = p.paddingByte ?? 0;
  const cpi = dialect.cpi;
  const hdr = Uint8Array.of(chl, spiBytes[0], spiBytes[1], p.kic, p.kid, p.tar[0], p.tar[1], p.tar[2]);
  // CPL codings by value (SMS: 2 octets; CAT_TP: BER), made once each.
  const cplCache: Uint8Array[] = [];
  const res: BuiltPackets = { out: new Uint8Array(0), off: new Int32Array(0), len: new Int32Array(0), error: [] };
  let mIn: Uint8Array = new Uint8Array(0); // checksum inputs
  let mOff: Int32Array = new Int32Array(0);
  let mLen: Int32Array = new Int32Array(0);
  let sigOff: Int32Array = new Int32Array(0);
  let cOff: Int32Array = new Int32Array(0);
  let cLen: Int32Array = new Int32Array(0);
  let ok: Int32Array = new Int32Array(0); // indices of the packets built

  return (din, doff, dlen, ctr, n) => {
    res.off = growI(res.off, n);
    res.len = growI(res.len, n);
    mOff = growI(mOff, n);
    mLen = growI(mLen, n);
    sigOff = growI(sigOff, n);
    cOff = growI(cOff, n);
    cLen = growI(cLen, n);
    ok = growI(ok, n);
    res.error.length = n;
    // Sizes first (and the per-packet refusals), then every octet in place.
    let total = 0;
    let mTotal = 0;
    let good = 0;
    for (let k = 0; k < n; k++) {
      res.error[k] = undefined;
      const d = dlen[k];
      const pcntr = alg ? (B - ((6 + L + d) % B)) % B : 0;
      const cpl = 1 + chl + d + pcntr;
      let cplBytes = cplCache[cpl];
      if (!cplBytes) {
        try {
          cplBytes = dialect.encodeLength(cpl, 'CPL');
        } catch (e) {
          res.error[k] = e as InputError;
          res.len[k] = 0;
          continue;
        }
        if (cpl < 4096) cplCache[cpl] = cplBytes;
      }
      const c = ctr[k];
      if (!(c >= 0 && c <= Number(CNTR_MAX))) {
        res.error[k] = new InputError(`${c} does not fit 5 octets (0 … 2^40−1)`, { field: 'CNTR' });
        res.len[k] = 0;
        continue;
      }
      const h = (cpi === null ? 0 : 1) + cplBytes.length;
      const size = h + 14 + L + d + pcntr;
      // The ciphered part and the checksum input start 4-aligned (CbcBatch then works on words).
      const start = ((total + h + 8 + 3) & ~3) - h - 8;
      res.off[k] = start;
      res.len[k] = size;
      total = start + size;
      mTotal = (mTotal + 3) & ~3;
      mOff[good] = mTotal;
      mLen[good] = size - L;
      if (integ.type !== 'none') mTotal += size - L;
      sigOff[good] = res.off[k] + h + 14;
      cOff[good] = res.off[k] + h + 8;
      cLen[good] = 6 + L + d + pcntr;
      ok[good++] = k;
    }
    const out = (res.out = grow(res.out, total));
    if (integ.type !== 'none') mIn = grow(mIn, mTotal);
    for (let g = 0; g < good; g++) {
      const k = ok[g];
      const d = dlen[k];
      const o0 = res.off[k];
      const size = res.len[k];
      const pcntr = size - (cOff[g] - o0) - 6 - L - d;
      const cplBytes = cplCache[1 + chl + d + pcntr] ?? dialect.encodeLength(1 + chl + d + pcntr, 'CPL');
      let o = o0;
      if (cpi !== null) out[o++] = cpi;
      for (let i = 0; i < cplBytes.length; i++) out[o++] = cplBytes[i];
      for (let i = 0; i < 8; i++) out[o++] = hdr[i];
      // CNTR: 5 octets, big-endian (an integer below 2^40 is exact in a double)
      let v = ctr[k];
      for (let i = 4; i >= 0; i--) {
        out[o + i] = v % 256;
        v = Math.floor(v / 256);
      }
      o += 5;
      out[o++] = pcntr;
      const sig = o;
      o += L;
      for (let i = 0, s = doff[k]; i < d; i++) out[o++] = din[s + i];
      for (let i = 0; i < pcntr; i++) out[o++] = padByte;
      if (integ.type !== 'none') {
        // Checksum input: the packet without the RC/CC/DS field.
        let m = mOff[g];
        for (let i = o0; i < sig; i++) mIn[m++] = out[i];
        for (let i = sig + L; i < o; i++) mIn[m++] = out[i];
      }
    }
    if (mac) mac.mac(mIn, mOff, mLen, good, out, sigOff, L);
    else if (rc) {
      for (let g = 0; g < good; g++) out.set(computeRc(rc, mIn.subarray(mOff[g], mOff[g] + mLen[g])), sigOff[g]);
    }
    if (keepPlain) {
      const pAt = (res.pAt = growI(res.pAt ?? new Int32Array(0), n));
      for (let g = 0; g < good; g++) pAt[ok[g]] = cOff[g];
      if (cipher) {
        const plain = (res.plain = grow(res.plain ?? new Uint8Array(0), total));
        plain.set(out.subarray(0, total));
      } else res.plain = out;
    }
    if (cipher) cipher.encrypt(out, cOff, cLen, good);
    return res;
  };
}

/**
 * Whether secured data of a given length can be built at all, for SeqRule 'hex'
 * (a line that cannot takes no counter): the limit is the builder's own, found
 * once, on first need, by building dummy data of growing length (success grows no
 * more likely with length: padding and SMS segments only grow), not a copy of it.
 */
import { FITS_ALWAYS } from './line.js';

/** `tryBuild(data)` throws when data like this cannot be built (it is given zeros). */
export function fitsBy(tryBuild: (data: Uint8Array) => void): (octets: number) => boolean {
  let max = -1;
  const builds = (n: number): boolean => {
    try {
      tryBuild(new Uint8Array(n));
      return true;
    } catch {
      return false;
    }
  };
  return (octets) => {
    if (octets <= FITS_ALWAYS) return true;
    if (max < 0) {
      let lo = FITS_ALWAYS; // builds
      let hi = 1 << 17; // does not: more than any 2-octet length allows
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (builds(mid)) lo = mid;
        else hi = mid;
      }
      max = lo;
    }
    return octets <= max;
  };
}

/** The error `tryBuild(data)` throws (for data that fitsBy said cannot be built). */
export function buildFailure(tryBuild: (data: Uint8Array) => void, data: Uint8Array): unknown {
  try {
    tryBuild(data);
  } catch (e) {
    return e;
  }
  return new Error(`${data.length} octets of data build after all`);
}

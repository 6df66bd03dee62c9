/**
 * The outcome of a PoR's response status (TS 102 225 cl. 5.2, Table 5) for a
 * lab script: by default any status but 00 means the card did not carry out
 * the command (a failed check, exit 1), except 0B and 0C, which announce the
 * response data by another bearer; `--expect-status XX[,YY]` names the
 * statuses a negative test expects instead (then exactly those pass).
 */
import { InputError } from '../util/errors.js';
import { hex2 } from '../util/hex.js';
import { statusName } from './status.js';

/** "02" / "02,0A" / ["02","0a"] / [2, 10] → status codes; InputError naming `field` otherwise. */
export function parseExpectStatus(v: string | readonly (string | number)[] | undefined, field = '--expect-status'): number[] | undefined {
  if (v === undefined) return undefined;
  const parts = typeof v === 'string' ? v.split(',') : v;
  if (!parts.length) throw new InputError('needs at least one status code (2 hex digits)', { field });
  return parts.map((p, i) => {
    if (typeof p === 'number') {
      if (!Number.isInteger(p) || p < 0 || p > 255) throw new InputError(`status ${i + 1}: ${p} is not one octet`, { field });
      return p;
    }
    const t = p.trim();
    if (!/^[0-9A-Fa-f]{2}$/.test(t)) throw new InputError(`status ${i + 1}: "${t}" is not 2 hex digits`, { field });
    return parseInt(t, 16);
  });
}

/**
 * Why this PoR status is a failure, or undefined when it is the expected
 * outcome. `status` undefined means no PoR status was seen (no PoR came, or it
 * could not be read): a failure only when statuses were expected.
 */
export function statusFailure(status: number | undefined, expect?: readonly number[]): string | undefined {
  if (expect === undefined) {
    // 0B / 0C (TS 31.115 cl. 7): the command was carried out, its response data follows by SMS-SUBMIT / USSD.
    if (status === undefined || status === 0 || status === 0x0b || status === 0x0c) return undefined;
    return `PoR status ${hex2(status)} (${statusName(status)})`;
  }
  const want = expect.map(hex2).join(',');
  if (status === undefined) return `no PoR status seen (expected ${want})`;
  if (expect.includes(status)) return undefined;
  return `PoR status ${hex2(status)} (${statusName(status)}), expected ${want}`;
}

/**
 * The outcome of a PoR status for `parse`: `statusOk` / `expectedStatus` for
 * the JSON object and the refusal line (undefined when the status is expected).
 * `status` undefined: no status could be read (ciphered PoR without its key).
 */
export function statusOutcome(status: number | undefined, o: { expectStatus?: string | readonly (string | number)[] }, isResponse: boolean): { json: Record<string, unknown>; refusal?: string } {
  const expect = parseExpectStatus(o.expectStatus);
  const why = statusFailure(status, expect);
  const expectedStatus = expect ? expect.map(hex2) : null;
  // A command packet has no status: only a demand for one (--expect-status) makes that an outcome.
  if (!isResponse && !expect) return { json: {} };
  const refusal = why === undefined ? undefined : statusFailureLine(status, why);
  return { json: { statusOk: status === undefined && !expect ? null : why === undefined, expectedStatus }, refusal };
}

/**
 * The one line (after "uicc-ota: ") for a status that fails a send: "card
 * refused: PoR status 02 (CNTR low)" when the card did not carry out the
 * command, "unexpected PoR status: ..." when --expect-status named another
 * outcome than the card's.
 */
export function statusFailureLine(status: number | undefined, failure: string): string {
  return `${status !== undefined && status !== 0 ? 'card refused' : 'unexpected PoR status'}: ${failure}`;
}

/**
 * withMembers (src/util/object.ts) is `{ ...base, ...members }`: the same
 * members in the same order, and an own "__proto__" key of `base` (as
 * JSON.parse makes) copied as data, not made the result's prototype.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withMembers } from '../src/util/object.js';

describe('withMembers', () => {
  it('gives the members and the key order of the spread', () => {
    const base = { a: 1, b: 2, c: 3 };
    const r = withMembers(base, { b: 20, d: 4 });
    assert.deepEqual(Object.keys(r), Object.keys({ ...base, ...{ b: 20, d: 4 } }));
    assert.deepEqual(r, { a: 1, b: 20, c: 3, d: 4 });
    assert.deepEqual(base, { a: 1, b: 2, c: 3 }, 'base untouched');
  });
  it('keeps an own __proto__ key of parsed JSON as data', () => {
    const base = JSON.parse('{"tar":"B00010","__proto__":{"kicKey":"00"}}') as Record<string, unknown>;
    const r = withMembers(base, { kvn: '1' }) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(r), Object.prototype);
    assert.equal(r.kicKey, undefined);
    assert.deepEqual(Object.keys(r), ['tar', '__proto__', 'kvn']);
  });
});

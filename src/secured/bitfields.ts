/**
 * Declarative one-octet bit-field tables on top of buffer-layout's
 * BitStructure: one declaration gives decode, encode, and the Wireshark-style
 * bit lines of the tree (every field named, with its mask).
 */
import { hex2 } from '../util/hex.js';
import * as BL from '@solana/buffer-layout';
import { InputError } from '../util/errors.js';
import { bitLine, node, type TreeNode } from '../render/tree.js';

export interface FieldDecl {
  /** Property name in the decoded object and the JSON (camelCase). */
  key: string;
  /** Human label, as in the spec ("Counter management"). */
  label: string;
  bits: number;
  /** Enumerated meanings, indexed by raw value; absent → plain number / boolean. */
  values?: readonly string[];
  /** Long text for each value, for the tree. */
  texts?: readonly string[];
  /** A 1-bit flag decoded as boolean. */
  bool?: boolean;
  /** Reserved bits: reported when set, never an error. */
  reserved?: boolean;
}

export type Decoded = Record<string, string | number | boolean>;

export class OctetFields {
  readonly layout: BL.BitStructure;
  constructor(readonly name: string, readonly decls: readonly FieldDecl[]) {
    // Fields are declared from b1 (LSB) upwards, as buffer-layout assigns them.
    this.layout = BL.bits(BL.u8(), false, name);
    let used = 0;
    for (const d of decls) {
      if (d.bool) this.layout.addBoolean(d.key);
      else this.layout.addField(d.bits, d.key);
      used += d.bits;
    }
    if (used !== 8) throw new Error(`${name}: fields cover ${used} bits, not 8`);
  }

  mask(key: string): number {
    const f = this.layout.fieldFor(key);
    if (!f) throw new Error(`${this.name}: no field ${key}`);
    return f.wordMask;
  }

  raw(octet: number): Record<string, number | boolean> {
    return this.layout.decode(Uint8Array.of(octet)) as Record<string, number | boolean>;
  }

  decode(octet: number): Decoded {
    const raw = this.raw(octet);
    const out: Decoded = {};
    for (const d of this.decls) {
      const v = raw[d.key];
      out[d.key] = d.values ? d.values[v as number] : v;
    }
    return out;
  }

  /** Encode from names (or raw numbers); missing fields are 0. */
  encode(v: Partial<Decoded>): number {
    const raw: Record<string, number | boolean> = {};
    for (const d of this.decls) {
      let x = v[d.key];
      if (x === undefined) x = d.bool ? false : 0;
      if (typeof x === 'string') {
        const i = d.values ? d.values.indexOf(x) : -1;
        if (i < 0) throw new InputError(`unknown value "${x}" (one of: ${(d.values ?? []).join(', ')})`, { field: `${this.name} ${d.label}` });
        x = i;
      }
      if (typeof x === 'number' && (x < 0 || x >= 1 << d.bits)) {
        throw new InputError(`value ${x} does not fit ${d.bits} bit(s)`, { field: `${this.name} ${d.label}` });
      }
      raw[d.key] = x;
    }
    const b = new Uint8Array(1);
    this.layout.encode(raw, b, 0);
    return b[0];
  }

  /** Bit lines, MSB field first as Wireshark prints them. */
  bitLines(octet: number): string[] {
    const raw = this.raw(octet);
    return [...this.decls].reverse().map((d) => {
      const v = raw[d.key];
      const n = typeof v === 'boolean' ? (v ? 1 : 0) : v;
      let text: string;
      if (d.texts) text = d.texts[n];
      else if (d.values) text = d.values[n];
      else if (typeof v === 'boolean') text = v ? 'yes' : 'no';
      else text = String(n);
      if (d.reserved && n !== 0) text += ' (reserved bits set!)';
      return bitLine(octet, this.mask(d.key), `${d.label}: ${text}`);
    });
  }

  /** Reserved fields that are non-zero, for warnings. */
  reservedSet(octet: number): string[] {
    const raw = this.raw(octet);
    return this.decls.filter((d) => d.reserved && raw[d.key]).map((d) => d.label);
  }

  tree(label: string, octet: number, value: string, extra: Partial<TreeNode> = {}): TreeNode {
    return node(label, value, undefined, { hex: hex2(octet), bits: this.bitLines(octet), ...extra });
  }
}

// One hex helper for the whole project; re-exported for this layer's users.
export { hex2 };

/**
 * Declarative one-octet bit-field tables on top of buffer-layout's
 * BitStructure: one declaration gives decode, encode, and the Wireshark-style
 * bit lines of the tree (every field named, with its mask). The layout is
 * compiled to shifts and masks when the module loads; decoding and encoding a
 * packet's octets are then a few integer operations.
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

/** One field compiled to plain integer operations. */
interface Compiled {
  decl: FieldDecl;
  key: string;
  shift: number;
  /** Mask in the octet (already shifted), as in the bit lines. */
  mask: number;
  /** Largest raw value, (1 << bits) - 1. */
  max: number;
}

export class OctetFields {
  /** The declaration, as buffer-layout sees it; used at load time only. */
  readonly layout: BL.BitStructure;
  private readonly fields: readonly Compiled[];
  private readonly byKey: ReadonlyMap<string, Compiled>;
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
    // Compile each field to shift and mask once, from buffer-layout's own layout, so
    // that no packet goes through buffer-layout's generic decode/encode.
    this.fields = decls.map((d) => {
      const f = this.layout.fieldFor(d.key);
      if (!f) throw new Error(`${name}: no field ${d.key}`);
      return { decl: d, key: d.key, shift: f.start, mask: f.wordMask, max: f.valueMask };
    });
    this.byKey = new Map(this.fields.map((f) => [f.key, f]));
  }

  mask(key: string): number {
    const f = this.byKey.get(key);
    if (!f) throw new Error(`${this.name}: no field ${key}`);
    return f.mask;
  }

  raw(octet: number): Record<string, number | boolean> {
    const out: Record<string, number | boolean> = {};
    for (const f of this.fields) {
      const v = (octet & f.mask) >>> f.shift;
      out[f.key] = f.decl.bool ? v !== 0 : v;
    }
    return out;
  }

  decode(octet: number): Decoded {
    return this.decodeInto(octet, {});
  }

  /** decode() into an existing object (several octets into one record, no intermediate objects). */
  decodeInto(octet: number, out: Decoded): Decoded {
    for (const f of this.fields) {
      const v = (octet & f.mask) >>> f.shift;
      const d = f.decl;
      out[f.key] = d.values ? d.values[v] : d.bool ? v !== 0 : v;
    }
    return out;
  }

  /** Encode from names (or raw numbers); missing fields are 0. */
  encode(v: Partial<Decoded>): number {
    let octet = 0;
    for (const f of this.fields) {
      const d = f.decl;
      let x = v[f.key];
      if (x === undefined) continue;
      if (typeof x === 'string') {
        const i = d.values ? d.values.indexOf(x) : -1;
        if (i < 0) throw new InputError(`unknown value "${x}" (one of: ${(d.values ?? []).join(', ')})`, { field: `${this.name} ${d.label}` });
        x = i;
      }
      if (typeof x === 'number' && (!Number.isInteger(x) || x < 0 || x > f.max)) {
        throw new InputError(`value ${x} does not fit ${d.bits} bit(s)`, { field: `${this.name} ${d.label}` });
      }
      // buffer-layout's BitField.encode takes any truthy value of a Boolean field as 1.
      const n = typeof x === 'boolean' ? (x ? 1 : 0) : d.bool ? (x ? 1 : 0) : x;
      octet |= (n << f.shift) & f.mask;
    }
    return octet;
  }

  /** Bit lines by octet value, built on first use (shared: callers must not modify them). */
  private readonly lineCache: (readonly string[] | undefined)[] = new Array(256);

  /** Bit lines, MSB field first as Wireshark prints them (the same array for the same octet). */
  bitLines(octet: number): string[] {
    const o = octet & 0xff;
    return (this.lineCache[o] ??= this.buildBitLines(o)) as string[];
  }

  private buildBitLines(octet: number): string[] {
    const raw = this.raw(octet);
    return [...this.fields].reverse().map(({ decl: d, mask }) => {
      const v = raw[d.key];
      const n = typeof v === 'boolean' ? (v ? 1 : 0) : v;
      let text: string;
      if (d.texts) text = d.texts[n];
      else if (d.values) text = d.values[n];
      else if (typeof v === 'boolean') text = v ? 'yes' : 'no';
      else text = String(n);
      if (d.reserved && n !== 0) text += ' (reserved bits set!)';
      return bitLine(octet, mask, `${d.label}: ${text}`);
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

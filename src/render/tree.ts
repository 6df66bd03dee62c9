/**
 * The decoded structure of every layer is a tree of named fields, like
 * Wireshark's packet details or scapy's show(). Codecs build TreeNodes; the
 * renderers in this folder print them (text) — JSON output is built separately
 * from each layer's typed result, because its keys are a documented contract.
 */
export type Status = 'ok' | 'fail' | 'warn' | 'info';

export interface TreeNode {
  /** Field or layer name, preferably the specification's (SPI, KIc, TP-PID...). */
  name: string;
  /** Decoded value for humans, e.g. "0x1621" or "B00010 (RFM UICC)". */
  value?: string;
  /** Raw octets of the field, upper-case hex, when useful. */
  hex?: string;
  /** Bit-field view, e.g. "...1 0... = counter mode" lines under a field. */
  bits?: string[];
  /** Verification state: ok (green), fail (red), warn (yellow), info (dim). */
  status?: Status;
  /** Free-text remark, e.g. "not checked: no KID key". */
  note?: string;
  children?: TreeNode[];
}

export function node(name: string, value?: string, children?: TreeNode[], extra: Partial<TreeNode> = {}): TreeNode {
  const n: TreeNode = { name, ...extra };
  if (value !== undefined) n.value = value;
  if (children && children.length) n.children = children;
  return n;
}

/**
 * Wireshark-style bit line: `..01 0... = Counter: 10 (higher)` for one field of
 * an octet (or two octets when width is 16).
 */
export function bitLine(value: number, mask: number, label: string, width = 8): string {
  let s = '';
  for (let bit = width - 1; bit >= 0; bit--) {
    const m = 1 << bit;
    s += mask & m ? (value & m ? '1' : '0') : '.';
    if (bit % 4 === 0 && bit !== 0) s += ' ';
  }
  return `${s} = ${label}`;
}

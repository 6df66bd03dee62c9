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

export function node(name: string, value?: string, children?: TreeNode[], extra?: Partial<TreeNode>): TreeNode {
  // Every node gets the same members in the same order (absent ones undefined): one object
  // shape, so the renderer's reads of them stay monomorphic (tens of nodes per packet).
  const n: TreeNode = { name, value: undefined, hex: undefined, bits: undefined, status: undefined, note: undefined, children: undefined };
  if (extra) {
    if (extra.name !== undefined) n.name = extra.name;
    if (extra.value !== undefined) n.value = extra.value;
    if (extra.hex !== undefined) n.hex = extra.hex;
    if (extra.bits !== undefined) n.bits = extra.bits;
    if (extra.status !== undefined) n.status = extra.status;
    if (extra.note !== undefined) n.note = extra.note;
    if (extra.children !== undefined) n.children = extra.children;
  }
  if (value !== undefined) n.value = value;
  if (children && children.length) n.children = children;
  return n;
}

const OCTETS: string[] = [];
/** "n octets", the strings for small n made once (they label a dozen lines of every packet). */
export function octets(n: number): string {
  return n >= 0 && n < 1024 && n === (n | 0) ? (OCTETS[n] ??= `${n} octets`) : `${n} octets`;
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

/** The text renderer's lines of a shared subtree, by depth and bit-line setting: as text, and as UTF-8 octets. */
export interface RenderMemo {
  text: string[];
  bytes: Uint8Array[];
}

/**
 * Where a shared subtree (see treeMemo) keeps its RenderMemo: on the node
 * itself, not enumerable (copies and JSON leave it out), so the renderer
 * finds it with a property read rather than a lookup in a WeakMap per node.
 */
const MEMO: unique symbol = Symbol('uicc-ota.render-memo');
type Memoised = TreeNode & { [MEMO]?: RenderMemo };

/** The memo of a subtree shared by every packet with the same few octets (never changed once built); undefined for others. */
export function renderMemo(n: TreeNode): RenderMemo | undefined {
  return (n as Memoised)[MEMO];
}

/** True for a subtree from a treeMemo (the text renderer keeps its lines). */
export function isShared(n: TreeNode): boolean {
  return renderMemo(n) !== undefined;
}

function freezeTree(n: TreeNode): void {
  if (Object.isFrozen(n)) return;
  Object.freeze(n);
  if (n.bits) Object.freeze(n.bits);
  if (n.children) {
    Object.freeze(n.children);
    for (const c of n.children) freezeTree(c);
  }
}

/**
 * A memo of subtrees that depend only on a small key (an SPI, a KIc, an
 * address, a TP-PID...): built once, frozen and shared by every packet that
 * carries the same octets. At most `limit` keys are kept; others are built
 * each time.
 */
export function treeMemo<K>(limit = 256): (key: K, build: () => TreeNode) => TreeNode {
  const memo = new Map<K, TreeNode>();
  return (key, build) => {
    let n = memo.get(key);
    if (n === undefined) {
      n = build();
      if (memo.size < limit) memo.set(key, shareTree(n));
    }
    return n;
  };
}

/**
 * Freeze a subtree and mark it shared (see treeMemo), for memos that decide
 * per entry what they keep: its root gets the memo (the nodes inside are
 * printed with it). A root no longer extensible (frozen or sealed by someone
 * else) stays unshared, printed each time; one shared already keeps its memo.
 */
export function shareTree(n: TreeNode): TreeNode {
  if (Object.isExtensible(n)) Object.defineProperty(n, MEMO, { value: { text: [], bytes: [] } satisfies RenderMemo });
  freezeTree(n);
  return n;
}

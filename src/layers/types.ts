/** The shape of a peeled input (src/layers/peel-core.ts), shared with the CAT_TP peeler (src/cattp/peel.ts). */
import type { TreeNode } from '../render/tree.js';

export interface Layer {
  name: string;
  tree: TreeNode;
  json: Record<string, unknown>;
  /** JSON.stringify(json) when the layer can write it without building `json` (undefined: stringify `json`). */
  readonly jsonText?: string;
}

export interface Peeled {
  layers: Layer[];
  /** The secured packet: SMS-PP from CPL, CAT_TP from CPI/RPI. */
  packet: Uint8Array;
  dialect: 'sms-pp' | 'cat_tp';
  kind?: 'command' | 'response';
  /** Offset of `packet` in the (first) input, for error messages. */
  offset: number;
  failures: string[];
  /** Original inputs, for --pcap. */
  inputs: Uint8Array[];
  /** What the outermost layer was, for --pcap. */
  outer: string;
  /** Layer names for JSON `layers` when one framing layer holds several (ENVELOPE / SMS-DELIVER / user data). */
  layerNames?: string[];
}


/** The closing lines under a parsed packet's tree: the verification verdict and the PoR outcome (TS 102 225 Table 5). */
import type { TreeNode } from './tree.js';

/** A closing verdict line under a tree. */
export async function verdictNode(failures: string[], notes: string[], checksumType?: string): Promise<TreeNode> {
  if (failures.length) return { name: 'Verification', value: 'FAILED', status: 'fail', note: failures.join('; ') };
  const unchecked = notes.filter((n) => /not (checked|shown|deciphered)/.test(n));
  if (unchecked.length) return { name: 'Verification', value: 'incomplete', status: 'warn', note: unchecked.join('; ') };
  // Same verdict as JSON `verified: null`: a packet without RC/CC/DS has nothing to verify.
  if (checksumType === 'none') return { name: 'Verification', value: 'nothing to verify', status: 'info', note: 'no RC/CC/DS in the packet; lengths and structure are consistent' };
  return { name: 'Verification', value: 'passed', status: 'ok' };
}

/** Tree lines for PoR outcomes that fail the command (a card refusal, an unexpected status). */
export function outcomeNodes(refusals: string[]): TreeNode[] {
  return refusals.map((x) => ({ name: 'Outcome', value: x.replace(/^(card refused|unexpected outcome): /, ''), status: 'fail' as const, note: x.startsWith('card refused') ? 'the card did not carry out the command' : undefined }));
}

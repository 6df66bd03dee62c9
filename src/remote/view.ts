/** Decoding the application message inside a secured packet (remote APDUs, TS 102 226) for trees and JSON. */
import type { TreeNode } from '../render/tree.js';
import { node, shareTree } from '../render/tree.js';
import { toHex } from '../util/hex.js';
import { OtaError } from '../util/errors.js';
import * as remote from './index.js';
import { looksLikePush, parsePush, pushJson } from '../https/push.js';

export interface ScriptView {
  apdus: string[] | null;
  json: unknown;
  tree?: TreeNode;
  /** A malformed expanded-format structure: bad input (exit 2), reported after the tree. */
  error?: OtaError;
}

const EXPANDED_FIRST = new Set([0xaa, 0xae, 0xab, 0xaf]);

/** Which views a caller prints: text mode needs no JSON, JSON mode no tree (both by default). */
export interface ViewWant {
  tree?: boolean;
  json?: boolean;
}

/**
 * Trees of scripts and responses decoded cleanly before, by format and octets
 * (a campaign sends the same script to many cards and gets the same answers):
 * for tree-only views of up to MEMO_MAX octets, at most MEMO_KEYS of each.
 */
const MEMO_MAX = 128;
const MEMO_KEYS = 256;
const scriptTrees = new Map<string, TreeNode>();
const responseTrees = new Map<string, TreeNode>();

/**
 * The secured data read as a remote command script; a decoding problem is shown, not thrown.
 * With `want.tree` false no tree is built; with `want.json` false `json` is null and `apdus` stays null.
 */
export function scriptView(data: Uint8Array, format: 'compact' | 'expanded' | 'auto' = 'auto', want: ViewWant = {}): ScriptView {
  if (!data.length) return { apdus: [], json: null };
  if (want.json !== false || want.tree === false || data.length > MEMO_MAX) return scriptViewOf(data, format, want);
  const key = `${format}|${toHex(data)}`;
  const tree = scriptTrees.get(key);
  if (tree) return { apdus: null, json: null, tree };
  const v = scriptViewOf(data, format, want);
  // Only a clean decode (no error, no push) is kept.
  if (v.tree && !v.error && v.json === null && v.apdus === null && scriptTrees.size < MEMO_KEYS) scriptTrees.set(key, shareTree(v.tree));
  return v;
}

function scriptViewOf(data: Uint8Array, format: 'compact' | 'expanded' | 'auto', want: ViewWant): ScriptView {
  // SCP81 push (GP Amendment B triggering parameters, one complete 81 TLV): shown decoded, not as remote APDUs.
  if (format !== 'expanded' && looksLikePush(data)) {
    try {
      const p = parsePush(data);
      return { apdus: null, json: pushJson(p), tree: p.tree };
    } catch (e) {
      if (!(e instanceof OtaError)) throw e;
      return { apdus: null, json: { scriptFormat: 'scp81-push', error: e.message }, tree: node('SCP81 push', 'not decodable', undefined, { status: 'fail', note: e.message, hex: toHex(data) }), error: e };
    }
  }
  try {
    const s = remote.decodeCommandScript(data, format);
    const json = want.json === false ? null : (remote.commandScriptJson(s) as { apdus?: string[] });
    return { apdus: json?.apdus ?? null, json, tree: want.tree === false ? undefined : remote.commandScriptTree(s) };
  } catch (e) {
    if (!(e instanceof OtaError)) throw e;
    // Secured data may be any application message: only a script the user said is expanded
    // (--expanded) is bad input when broken; otherwise it is shown undecoded with a warning.
    const expanded = format === 'expanded';
    return {
      apdus: null,
      json: { error: e.message },
      tree: node('Remote APDUs', 'not decodable as a remote command script', undefined, { status: expanded ? 'fail' : 'warn', note: e.message, hex: toHex(data) }),
      error: expanded ? e : undefined,
    };
  }
}

/**
 * Only the bad-input verdict of scriptView (no tree, no JSON): a broken SCP81
 * push, or a broken script the user said is expanded. Anything else is shown
 * undecoded, never an error, so it is not even decoded here.
 */
export function scriptError(data: Uint8Array, format: 'compact' | 'expanded' | 'auto' = 'auto'): OtaError | undefined {
  if (!data.length) return undefined;
  if (format !== 'expanded' && looksLikePush(data)) return scriptView(data, format).error;
  if (format !== 'expanded') return undefined;
  try {
    remote.decodeCommandScript(data, format);
    return undefined;
  } catch (e) {
    if (!(e instanceof OtaError)) throw e;
    return e;
  }
}

export interface ResponseView {
  json: unknown;
  tree?: TreeNode;
  error?: OtaError;
}

export function responseView(data: Uint8Array, want: ViewWant = {}): ResponseView {
  if (!data.length) return { json: null };
  if (want.json !== false || want.tree === false || data.length > MEMO_MAX) return responseViewOf(data, want);
  const key = toHex(data);
  const tree = responseTrees.get(key);
  if (tree) return { json: null, tree };
  const v = responseViewOf(data, want);
  if (v.tree && !v.error && v.json === null && responseTrees.size < MEMO_KEYS) responseTrees.set(key, shareTree(v.tree));
  return v;
}

function responseViewOf(data: Uint8Array, want: ViewWant): ResponseView {
  try {
    const r = remote.decodeResponse(data);
    return { json: want.json === false ? null : remote.responseJson(r), tree: want.tree === false ? undefined : remote.responseTree(r) };
  } catch (e) {
    if (!(e instanceof OtaError)) throw e;
    const expanded = EXPANDED_FIRST.has(data[0]);
    return {
      json: { error: e.message },
      tree: node('Remote response', 'not decodable', undefined, { status: expanded ? 'fail' : 'warn', note: e.message }),
      error: expanded ? e : undefined,
    };
  }
}

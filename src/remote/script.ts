/**
 * A remote management script: the C-APDUs an RFM or RAM command sends
 * (TS 102 226 cl. 8), each with a title for --dry-run trees and, for the
 * commands whose answer matters, what its response data is (so a PoR's
 * response data can be decoded against what was asked).
 */
import { encodeCApdu, type CApdu } from './apdu.js';

/** What the response data of a command is, for decoding the PoR against what was asked. */
export type AnswerKind =
  | 'ef-binary'    // READ BINARY: the EF's octets
  | 'ef-record'    // READ RECORD: one record
  | 'fcp'          // SELECT with FCP (UICC, TS 102 221 cl. 11.1.1.3) or its GET RESPONSE
  | 'sim-response' // SIM SELECT's GET RESPONSE (TS 51.011 cl. 9.2.1)
  | 'gp-status'    // GET STATUS: registry entries (GlobalPlatform Card Specification cl. 11.4)
  | 'none';

export interface ScriptStep {
  /** The C-APDU in ISO 7816-4 form (a case-4 command keeps its Le; the compact coding drops it). */
  apdu: Uint8Array;
  /** Human title, e.g. "SELECT 7F20". */
  title: string;
  answer: AnswerKind;
  /** Only in the compact format (a GET RESPONSE fetching a case-4 answer). */
  compactOnly?: boolean;
  /** The LOAD block number, for LOAD commands. */
  block?: number;
}

export interface RemoteScript {
  /** rfm or ram, and the operation (read, update, select, load, install, delete, status, put-key). */
  kind: 'rfm' | 'ram';
  operation: string;
  steps: ScriptStep[];
  /** Facts worth showing before anything is secured (e.g. CAP components, block size). */
  notes: string[];
}

export function step(a: CApdu, title: string, answer: AnswerKind = 'none', extra: Partial<ScriptStep> = {}): ScriptStep {
  return { apdu: encodeCApdu(a), title, answer, ...extra };
}

/** The steps sent in `format` (compact-only GET RESPONSEs dropped from the expanded format). */
export function stepsFor(s: RemoteScript, format: 'compact' | 'expanded'): ScriptStep[] {
  return format === 'compact' ? s.steps : s.steps.filter((x) => !x.compactOnly);
}

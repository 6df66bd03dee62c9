/**
 * Error classes and the documented exit codes (see man/uicc-ota.1, EXIT STATUS).
 * Every error a user can provoke is one of these; the CLI prints `message` as a
 * single line on stderr and exits with `exitCode` (never a stack trace).
 */
export const EXIT = {
  OK: 0,
  /** A verification result: checksum, RC/CC, vector mismatch, CAT_TP checksum. */
  VERIFY: 1,
  /** Bad input or usage: malformed hex, wrong length, unknown code, bad option. */
  USAGE: 2,
  /** File or state error: unreadable/unwritable key file, card file, lock timeout. */
  IO: 3,
  /** Network/session error: CAT_TP peer lost, retransmission limit reached. */
  NETWORK: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface ErrorWhere {
  /** Protocol layer, e.g. "command packet", "SMS-DELIVER", "ENVELOPE", "CAT_TP". */
  layer?: string;
  /** Field name as in the specification, e.g. "CPL", "TP-UDL", "KIc". */
  field?: string;
  /** Byte offset of the field in the input the user gave (0-based). */
  offset?: number;
}

/** Longest hex run quoted whole in a message; longer ones keep their first and last octets and say the length. */
const HEX_RUN_MAX = 64;

/**
 * One line, of bounded length, no terminal control: line breaks (from text quoted out of a file)
 * become spaces, other C0/C1 controls from the input are shown escaped, and a long run of hex
 * digits (20,000 segments on stdin) is elided to its first and last octets and its length.
 */
export function oneLine(message: string): string {
  let m = message.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ');
  m = m.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  m = m.replace(new RegExp(`[0-9A-Fa-f]{${HEX_RUN_MAX + 1},}`, 'g'), (run) => {
    const octets = Math.floor(run.length / 2);
    return `${run.slice(0, 16)}…${run.slice(-16)} (${octets} octets)`;
  });
  if (m.length > 1000) m = `${m.slice(0, 800)} … ${m.slice(-120)} (${m.length} characters)`;
  return m;
}

function locate(message: string, where: ErrorWhere): string {
  const parts: string[] = [];
  if (where.layer) parts.push(where.layer);
  if (where.field) parts.push(where.field);
  let prefix = parts.join(' ');
  if (where.offset !== undefined) prefix += `${prefix ? ' ' : ''}at byte ${where.offset}`;
  return prefix ? `${prefix}: ${message}` : message;
}

export class OtaError extends Error {
  readonly exitCode: ExitCode;
  readonly where: ErrorWhere;
  readonly detail: string;
  /** Protocol layer of the error, when known (also in `where`). */
  readonly layer?: string;
  /** Field name as in the specification, when known. */
  readonly field?: string;
  /** Byte offset in the input, when known. */
  readonly offset?: number;
  constructor(message: string, exitCode: ExitCode, where: ErrorWhere = {}) {
    super(oneLine(locate(message, where)));
    this.layer = where.layer;
    this.field = where.field;
    this.offset = where.offset;
    this.name = 'OtaError';
    this.exitCode = exitCode;
    this.where = where;
    this.detail = message;
  }
}

/** Malformed or inconsistent input (exit 2). */
export class InputError extends OtaError {
  constructor(message: string, where: ErrorWhere = {}) {
    super(message, EXIT.USAGE, where);
    this.name = 'InputError';
  }
}

/** A check that was performed and failed (exit 1). */
export class VerifyError extends OtaError {
  constructor(message: string, where: ErrorWhere = {}) {
    super(message, EXIT.VERIFY, where);
    this.name = 'VerifyError';
  }
}

/** File/state problems (exit 3): unreadable/unwritable files, lock timeout, missing optional package. */
export class StateError extends OtaError {
  constructor(message: string, where: ErrorWhere = {}) {
    super(message, EXIT.IO, where);
    this.name = 'StateError';
  }
}

/** @deprecated The former name of {@link StateError} (the same class). */
export const IoError = StateError;
/** @deprecated The former name of {@link StateError}. */
export type IoError = StateError;

/** Network/session problems (exit 4). */
export class NetworkError extends OtaError {
  constructor(message: string, where: ErrorWhere = {}) {
    super(message, EXIT.NETWORK, where);
    this.name = 'NetworkError';
  }
}

/**
 * Re-throw an InputError with its offset shifted by `base`, so that codecs can
 * report offsets relative to their own input while the user sees offsets in
 * the whole input (e.g. the TPDU inside an ENVELOPE).
 */
export function shiftOffset<T>(base: number, layer: string | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof OtaError && base !== 0) {
      const w = { ...e.where };
      if (w.offset !== undefined) w.offset += base;
      if (!w.layer && layer) w.layer = layer;
      const Cls = e.constructor as new (m: string, w: ErrorWhere) => OtaError;
      throw new Cls(e.detail, w);
    }
    throw e;
  }
}

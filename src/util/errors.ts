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

/**
 * One line, no terminal control: line breaks and other C0/C1 controls that
 * come from the input (a JSON parser quoting the bad text, a key name from a
 * file) are shown escaped, so an error is always one clean stderr line.
 */
export function oneLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
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
  constructor(message: string, exitCode: ExitCode, where: ErrorWhere = {}) {
    super(oneLine(locate(message, where)));
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

/** File/state problems (exit 3). */
export class IoError extends OtaError {
  constructor(message: string, where: ErrorWhere = {}) {
    super(message, EXIT.IO, where);
    this.name = 'IoError';
  }
}

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

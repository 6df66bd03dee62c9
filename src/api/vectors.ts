/** `vectors verify` and `vectors record` as functions. */
import { join, resolve } from 'node:path';
import { formatTag } from '../util/json-format.js';
import { recordVector, verifyReport, type GivenFn, type Recorded, type RecordOpts, type VectorsReport } from '../vectors/record.js';
import { runCase } from '../vectors/runner.js';

/**
 * Run golden vectors: a file or folder path (or several), or a parsed vector
 * file object (keyset paths in it are read relative to `options.dir`, default
 * the current folder). Returns the object `vectors verify --json` prints.
 */
export function verifyVectors(pathOrObject?: string | string[] | { cases: Record<string, unknown>[] }, options: { filter?: string; dir?: string } = {}): VectorsReport {
  if (pathOrObject === undefined || typeof pathOrObject === 'string' || Array.isArray(pathOrObject)) {
    const paths = pathOrObject === undefined ? [] : Array.isArray(pathOrObject) ? pathOrObject : [pathOrObject];
    return verifyReport(paths, options);
  }
  const file = join(resolve(options.dir ?? '.'), '(object)');
  const filter = options.filter === undefined ? undefined : new RegExp(options.filter);
  const cases = pathOrObject.cases.filter((c) => !filter || filter.test(String(c.id)) || filter.test(String(c.kind))).map((c) => ({ ...runCase(c, file), file: '(object)' }));
  const passed = cases.filter((c) => c.status === 'pass').length;
  return { format: 'uicc-ota-vectors-report/1', passed, failed: cases.length - passed, errors: cases.filter((c) => c.status === 'error').length, files: ['(object)'], cases };
}

/**
 * Options of `vectors record` (camelCase): `out`, `id`, `kind`, `dialect`,
 * `description`, `provenance`, `force`, `storeKeys`, and the options of the
 * build command of the kind under their names (`build sms|por|cattp`, `cattp
 * build` with its TYPE as `type`).
 */
export interface RecordVectorsOptions extends Omit<RecordOpts, 'counter' | 'apdu' | 'paddingByte' | 'rapdu'> {
  /** CNTR (default 0). */
  counter?: string | number | bigint;
  apdu?: string[];
  /** Cipher padding octet (default 00). */
  paddingByte?: string;
  rapdu?: string[];
  /** Write inline keys into the vector file (test keys only). */
  storeKeys?: boolean;
}

/** The object `vectors record --json` prints (the suite's format, then what was recorded), plus `warnings` (what the command says on stderr). */
export interface VectorsRecordResult extends Recorded {
  format: string;
}

/**
 * `vectors record`: build, check that the case would verify, and add (or
 * replace, with `force`) it in the vector file `out`, atomically. An option
 * counts as given when it has a value (`given` overrides: the CLI passes
 * what the command line named). Bad input throws InputError, an unusable
 * vector file IoError.
 */
export async function recordVectors(options: RecordVectorsOptions, given?: GivenFn): Promise<VectorsRecordResult> {
  // What the user gave, before the defaults the command's options have (an option given for another kind is refused).
  const byValue: GivenFn = (k) => {
    const v = (options as unknown as Record<string, unknown>)[k];
    return v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0);
  };
  const c = options.counter;
  const o = {
    ...options,
    // A number as 0x-hex: exactly 10 decimal digits would be read as 10 hex digits.
    counter: c === undefined ? '0' : typeof c === 'string' ? c : `0x${c.toString(16)}`,
    apdu: options.apdu ?? [],
    paddingByte: options.paddingByte ?? '00',
    rapdu: options.rapdu ?? [],
  } as RecordOpts;
  const r = await recordVector(o, given ?? byValue);
  return { format: formatTag('vectors-record'), id: r.id, replaced: r.replaced, out: r.out, hex: r.hex, case: r.case, warnings: r.warnings };
}

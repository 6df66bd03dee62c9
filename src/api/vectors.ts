/** `vectors verify` as a function. */
import { join, resolve } from 'node:path';
import { verifyReport, type VectorsReport } from '../vectors/record.js';
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

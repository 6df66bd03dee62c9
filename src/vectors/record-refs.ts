/**
 * What `vectors record` writes that depends on where the file goes: the `$schema`
 * reference and whether key material may be stored.
 */
import { dirname, join, relative, resolve, sep } from 'node:path';
import { packageRoot } from './runner.js';

/** The vector schema's `$id` (vectors/schema.json): valid wherever the file is. */
export const VECTOR_SCHEMA_ID = 'urn:uicc-ota:vectors:1';

/**
 * `$schema` for a new vector file: relative to the file when it lies inside the package tree
 * (e.g. the repository's vectors/), else the schema's `$id` — never a path that depends on where
 * uicc-ota happens to be installed (../../usr/lib/node_modules/…).
 */
export function vectorSchemaRef(outFile: string): string {
  const root = packageRoot();
  const out = resolve(outFile);
  if (!(out + sep).startsWith(root + sep)) return VECTOR_SCHEMA_ID;
  return relative(dirname(out), join(root, 'vectors', 'schema.json')).split('\\').join('/') || 'schema.json';
}

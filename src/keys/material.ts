/**
 * The one reader of key material (KIc/KID keys, the SCP81 PSK, PUT KEY's new
 * keys and KIK): every command and API function that takes a key reads it here.
 *
 *   HEX        the key itself (spaces allowed)
 *   @FILE      a file holding the hex (a trailing line break is fine)
 *   env:NAME   the environment variable NAME, holding the hex or an @FILE
 *   bytes      a Uint8Array, taken as it is (library callers)
 *
 * Keys never appear in messages: an error names the field and what is wrong.
 */
import { readFileSync } from 'node:fs';
import { InputError, IoError } from '../util/errors.js';
import { fromHex } from '../util/hex.js';

/** A key as a caller gives it: hex, `@file`, `env:NAME` or bytes. */
export type KeySource = string | Uint8Array;

/** Read one key (see the file header for the forms). `field` names the option or variable in errors. */
export function readKeyMaterial(v: KeySource, field: string): Uint8Array {
  if (typeof v !== 'string') return v;
  let text = v;
  let where = field;
  if (text.startsWith('env:')) {
    const name = text.slice(4);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new InputError(`"env:${name}" is not an environment variable name`, { field });
    const e = process.env[name];
    if (e === undefined || e === '') throw new InputError(`environment variable ${name} is not set`, { field });
    text = e;
    where = `${field} (env:${name})`;
  }
  if (text.startsWith('@')) {
    const path = text.slice(1);
    if (!path) throw new InputError('"@" needs a file name (@FILE)', { field: where });
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new IoError(`cannot read key file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { field: where });
    }
  }
  const t = text.trim();
  if (!t) throw new InputError('is empty', { field: where });
  try {
    return fromHex(t, where);
  } catch {
    // Don't echo key material: only say what is wrong.
    throw new InputError('is not valid hex (give HEX, @FILE or env:NAME)', { field: where });
  }
}

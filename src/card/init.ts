/**
 * `card init`: a documented example CARD.json (src/card/card.ts exampleCard),
 * written to a new file without ever replacing an existing one (unless
 * `force`, then replaced atomically) and never left half written.
 */
import { closeSync, fsyncSync, linkSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { IoError } from '../util/errors.js';
import { writeFileAtomic } from '../keys/state.js';
import { exampleCard } from './card.js';

export interface CardInitOptions {
  /** File to write (default CARD.json); "-" writes nothing and returns the text only. */
  out?: string;
  /** Replace an existing file. */
  force?: boolean;
}

export interface CardInitResult {
  /** The file written, or null for "-". */
  path: string | null;
  /** The CARD.json text. */
  text: string;
  /** The parsed example card. */
  card: Record<string, unknown>;
}

/** Write `text` to a new file: temp file + hard link, so an existing file is never replaced and never half written. */
function writeNewFile(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(tmp, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new IoError('exists; give --force to replace it', { field: path });
    throw new IoError(`cannot write: ${code ?? (e as Error).message}`, { field: path });
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      /* not created */
    }
  }
}

/** The example card as `card init` writes it (throws IoError when the file exists and `force` is not given). */
export function cardInit(o: CardInitOptions = {}): CardInitResult {
  const card = exampleCard();
  const text = JSON.stringify(card, null, 2) + '\n';
  const path = o.out ?? 'CARD.json';
  if (path === '-') return { path: null, text, card };
  if (o.force) writeFileAtomic(path, text);
  else writeNewFile(path, text);
  return { path, text, card };
}

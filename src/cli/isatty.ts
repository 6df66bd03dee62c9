/**
 * isatty(fd) with node:tty loaded only when it can matter (it loads net and
 * stream: start-up of a command that prints a few lines to a pipe or a file).
 * A terminal is a character device, so anything else (a pipe, a file, a
 * socket) is answered from fstat(2) alone; a character device may still be
 * /dev/null, which node:tty tells apart.
 */
import { fstatSync } from 'node:fs';
import { createRequire } from 'node:module';

let tty: typeof import('node:tty') | undefined;

export function isatty(fd: number): boolean {
  try {
    if (!fstatSync(fd).isCharacterDevice()) return false;
  } catch {
    return false; // closed or invalid descriptor: not a terminal (as tty.isatty says)
  }
  tty ??= createRequire(import.meta.url)('node:tty') as typeof import('node:tty');
  return tty.isatty(fd);
}

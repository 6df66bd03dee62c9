/**
 * isatty(fd) with node:tty loaded only when asked (it loads net and stream:
 * start-up of a command that prints a few lines to a pipe).
 */
import { createRequire } from 'node:module';

let tty: typeof import('node:tty') | undefined;

export function isatty(fd: number): boolean {
  tty ??= createRequire(import.meta.url)('node:tty') as typeof import('node:tty');
  return tty.isatty(fd);
}

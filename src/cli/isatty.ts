/**
 * isatty(fd) with node:tty loaded only when it can matter (it loads net and
 * stream: start-up of a command that prints a few lines to a pipe or a file).
 * A terminal is a character device, so anything else (a pipe, a file, a
 * socket) is answered from fstat(2) alone; a character device may still be
 * /dev/null (`cmd > /dev/null` in a script that wants only the exit status),
 * which its device number tells apart; any other one is asked of node:tty.
 */
import { fstatSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';

let tty: typeof import('node:tty') | undefined;

/** The device number of /dev/null, null where there is none (read once). */
let devNull: number | null | undefined;

function isDevNull(rdev: number): boolean {
  if (devNull === undefined) {
    try {
      const st = statSync('/dev/null');
      devNull = st.isCharacterDevice() ? st.rdev : null;
    } catch {
      devNull = null;
    }
  }
  return devNull !== null && rdev === devNull;
}

export function isatty(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    if (!st.isCharacterDevice() || isDevNull(st.rdev)) return false;
  } catch {
    return false; // closed or invalid descriptor: not a terminal (as tty.isatty says)
  }
  tty ??= createRequire(import.meta.url)('node:tty') as typeof import('node:tty');
  return tty.isatty(fd);
}

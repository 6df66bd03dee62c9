/**
 * Chunks of a file descriptor (stdin by default) as they arrive, for the
 * batch engine: each read returns what is there (so a line typed or appended
 * behind `tail -f` is answered at once), one 64 KiB buffer at a time.
 *
 * process.stdin is not used: opening it as a stream puts a pipe into
 * non-blocking mode for every other reader. A descriptor that a parent left
 * non-blocking answers EAGAIN when it is empty: that is "nothing yet", so the
 * read is retried after a short pause instead of failing.
 */
import { read } from 'node:fs';
import { IoError } from '../util/errors.js';

const SIZE = 1 << 16;

function readOnce(fd: number, buf: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buf, 0, buf.length, null, (err, n) => (err ? reject(err) : resolve(n)));
  });
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * `size`: bytes per read; `ioError`: what an OS error becomes (default: an IoError
 * about standard input); `atEnd`: asked at end of file whether to read on (a file
 * still being written, followed), default no.
 */
export async function* fdChunks(fd = 0, size = SIZE, ioError: (e: Error) => Error = (e) => new IoError(`cannot read standard input: ${e.message}`), atEnd?: () => Promise<boolean>): AsyncGenerator<Buffer> {
  let wait = 1;
  for (;;) {
    const buf = Buffer.allocUnsafe(size);
    let n: number;
    try {
      n = await readOnce(fd, buf);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
        await pause(wait);
        wait = Math.min(wait * 2, 50);
        continue;
      }
      if (code === 'EOF') return;
      throw ioError(e as Error);
    }
    wait = 1;
    if (n === 0) {
      if (atEnd && (await atEnd())) continue;
      return;
    }
    yield n === size ? buf : buf.subarray(0, n);
  }
}

/**
 * Chunks of a regular file read to its end, the next read already under way
 * while the caller works on the last chunk: the reading thread and the
 * caller overlap (for `parse --read`, the wait per 256 KiB chunk otherwise
 * adds to the run's wall time). Only for a file that has an end: a read left
 * waiting on a pipe or terminal would hold the caller at its end.
 */
export async function* fileChunks(fd: number, size = SIZE, ioError: (e: Error) => Error = (e) => e): AsyncGenerator<Buffer> {
  // Settled into a value, never a rejected promise left unawaited while the caller works.
  const next = (): Promise<Buffer | Error> => {
    const buf = Buffer.allocUnsafe(size);
    return readOnce(fd, buf).then(
      (n) => (n === size ? buf : buf.subarray(0, n)),
      (e: Error) => e,
    );
  };
  let pending = next();
  try {
    for (;;) {
      const got = await pending;
      if (got instanceof Error) {
        if ((got as NodeJS.ErrnoException).code === 'EOF') return; // as fdChunks: the end on Windows
        throw ioError(got);
      }
      if (got.length === 0) return;
      pending = next();
      yield got;
    }
  } finally {
    // No read left in flight on a descriptor the caller is about to close.
    await pending;
  }
}

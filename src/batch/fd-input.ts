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

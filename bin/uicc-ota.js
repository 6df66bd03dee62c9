#!/usr/bin/env node
'use strict';
// Entry point of the `uicc-ota` command (CommonJS: bin/package.json). The CLI
// itself is src/cli/main.ts, bundled by `npm run build`; see load.js.
//
// process.stdout is only made when first used: a one-shot command prints with
// write(2) (src/cli/output.ts writeOut, while this getter is still in place)
// and never builds the stream (for a pipe: net, stream and their kin, a good
// part of a start-up). Once made, a closed pipe (EPIPE) ends the run quietly;
// any other write error (a full disk) ends it with one line and exit 3, as
// writeOut does: the stream is gone, and a batch would otherwise wait for a
// 'drain' that never comes (worker threads keep the process alive).
function onStdoutError(e) {
  // The reader is gone: exit with what was known so far (a batch sets the worst line's code as it goes).
  if (e.code === 'EPIPE') process.exit(Number(process.exitCode ?? 0) || 0);
  const m = /^([A-Z0-9_]+): (.*?)(?:, write)?$/.exec(String(e.message));
  process.stderr.write(`uicc-ota: cannot write standard output: ${m ? `${m[2]} (${m[1]})` : e.message}\n`);
  process.exit(3);
}
const stdout = Object.getOwnPropertyDescriptor(process, 'stdout');
if (stdout && stdout.get && stdout.configurable) {
  const lazy = function uiccOtaLazyStdout() {
    const s = stdout.get.call(process);
    Object.defineProperty(process, 'stdout', { value: s, enumerable: stdout.enumerable, configurable: true, writable: true });
    s.on('error', onStdoutError);
    return s;
  };
  lazy[Symbol.for('uicc-ota.lazy-stdout')] = true;
  Object.defineProperty(process, 'stdout', { get: lazy, enumerable: stdout.enumerable, configurable: true });
} else {
  process.stdout.on('error', onStdoutError);
}
require('./load.js')
  .load()
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
    // Nothing keeps the event loop alive (a one-shot command): leave now. Otherwise node would first run
    // V8's pending idle-time tasks, typically a scavenge of a few milliseconds right before exiting. Only on
    // Linux, where writes to stdout and stderr (terminal, file or pipe) are synchronous, so none is pending.
    if (process.platform === 'linux' && process.getActiveResourcesInfo().length === 0) {
      const out = Object.getOwnPropertyDescriptor(process, 'stdout');
      if (!out || !('value' in out) || !out.value.writableLength) process.exit(code);
    }
  });

#!/usr/bin/env node
'use strict';
// Entry point of the `uicc-ota` command (CommonJS: bin/package.json). The CLI
// itself is src/cli/main.ts, bundled by `npm run build`; see load.js.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
});
require('./load.js')
  .load()
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });

#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (built by `npm install` via prepare).
import { main } from '../dist/src/cli/main.js';

process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
});
main(process.argv).then((code) => {
  process.exitCode = code;
});

#!/usr/bin/env node
// Entry point: the CLI bundled into dist/bundle/ (built by `npm install` via prepare; one bundle loads far faster than many ES modules).
import { main } from '../dist/bundle/main.js';

process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
});
main(process.argv).then((code) => {
  process.exitCode = code;
});

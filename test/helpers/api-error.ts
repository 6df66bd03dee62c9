/**
 * The library's bad-input contract: what an API call throws is the typed error
 * whose message is the line the command prints (after "uicc-ota: ") and whose
 * exitCode is the command's exit code.
 */
import assert from 'node:assert/strict';
import { OtaError } from '../../src/util/errors.js';
import type { RunResult } from './cli.js';

/** What `fn` threw (or returned as a rejected promise); undefined when it did not throw. */
export async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** Checks that `err` is a `Cls` carrying the CLI run's stderr line and exit code; returns it typed. */
export function assertCliError(err: unknown, cli: RunResult, Cls: abstract new (...a: never[]) => OtaError, label: string): OtaError {
  assert.ok(err instanceof Cls, `${label}: ${err}`);
  assert.equal(cli.stderr, `uicc-ota: ${err.message}\n`, label);
  assert.equal(cli.code, err.exitCode, label);
  return err;
}

/**
 * Thrown by a batch's `context` hook for a group whose context could not be
 * made (a counter store locked too long, counters exhausted): each work line of
 * the group is answered with `error`'s line (its exit code), and the batch goes
 * on with the next group. Anything else a hook throws ends the run. A module of
 * its own: the hooks' modules throw it without loading the engine.
 */
export class GroupError extends Error {
  constructor(readonly error: unknown) {
    super(error instanceof Error ? error.message : String(error));
    this.name = 'GroupError';
  }
}

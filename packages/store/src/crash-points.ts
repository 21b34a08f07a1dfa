/**
 * Named points where the crash harness kills the process (issues 8 and 15), to show that a
 * write, a migration or a restore is all there or not there at all whatever the moment it
 * dies. Nothing happens unless the process was started with
 * ALCOVE_CRASH_AT=<point>[:<n>[:SIGINT|SIGTERM]]: SIGKILL the n-th time the point is reached
 * (the first by default), or send that signal instead, as Ctrl+C would arrive just then.
 * The harness and the tests alone set it.
 */

/** Points inside a request's write: the harness reaches them by saving and signing notes. */
export const WRITE_CRASH_POINTS = [
  /** A note's entry and passages are written; its audit event is not. */
  'note.after-entry',
  /** A note and its audit event are written; the transaction has not committed. */
  'note.before-commit',
  /** A note has committed; the answer has not been sent. */
  'note.after-commit',
  /** An audit event is written; the chain's head does not yet point at it. */
  'audit.before-head',
  /** A signature and its audit events are written; the transaction has not committed. */
  'sign.before-commit',
  /** A signature has committed; the answer has not been sent. */
  'sign.after-commit',
  /** Several requests' transactions are in one batch (group commit); it has not committed. */
  'group.before-commit',
  /** A batch has committed; none of its members has been answered. */
  'group.after-commit',
] as const;

/**
 * Points inside migrations (`alcove init`, `serve`, `migrate`, and a restore's own): n counts
 * across every migration the process runs.
 */
export const MIGRATION_CRASH_POINTS = [
  /** A statement of a migration has run; the migration has more to do, or its record to write. */
  'migration.statement',
  /** A migration and its record are written; its transaction has not committed. */
  'migration.before-commit',
  /** A migration has committed; the next has not begun. */
  'migration.after-commit',
] as const;

/** Points inside `alcove restore` (after its migrations, which have points of their own). */
export const RESTORE_CRASH_POINTS = [
  /** One part of the backup's rows has been inserted; more are to come. */
  'restore.rows',
  /** Every row is in and verified; the restore's one transaction has not committed. */
  'restore.before-commit',
] as const;

/** Points around the files a command writes beside the database. */
export const FILE_CRASH_POINTS = [
  /** `alcove init` has written the new key file; the practice that uses it has not committed. */
  'init.after-key-file',
  /** `alcove backup` has written and synced its `.partial` file; it is not yet renamed. */
  'backup.before-rename',
] as const;

export const CRASH_POINTS = [
  ...WRITE_CRASH_POINTS,
  ...MIGRATION_CRASH_POINTS,
  ...RESTORE_CRASH_POINTS,
  ...FILE_CRASH_POINTS,
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

const armed = (() => {
  const value = process.env.ALCOVE_CRASH_AT?.trim();
  if (!value) return undefined;
  const [name, count, signal] = value.split(':');
  return {
    name,
    after: Math.max(1, Number(count ?? '1') || 1),
    signal: signal === 'SIGINT' || signal === 'SIGTERM' ? signal : 'SIGKILL',
  };
})();
let passes = 0;

export function crashPoint(point: CrashPoint): void {
  if (armed === undefined || armed.name !== point) return;
  passes += 1;
  if (passes === armed.after || (passes > armed.after && armed.signal === 'SIGKILL'))
    process.kill(process.pid, armed.signal);
}

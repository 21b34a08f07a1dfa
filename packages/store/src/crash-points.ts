/**
 * Named points inside a write where the crash harness kills the process (issue 8), to show
 * that a write is all there or not there at all whatever the moment it dies. Nothing happens
 * unless the process was started with ALCOVE_CRASH_AT=<point>[:<n>] (die the n-th time the
 * point is reached; the first by default); the harness alone sets it.
 */
export const CRASH_POINTS = [
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
export type CrashPoint = (typeof CRASH_POINTS)[number];

const armed = (() => {
  const value = process.env.ALCOVE_CRASH_AT?.trim();
  if (!value) return undefined;
  const [name, count] = value.split(':');
  return { name, after: Math.max(1, Number(count ?? '1') || 1) };
})();
let passes = 0;

export function crashPoint(point: CrashPoint): void {
  if (armed === undefined || armed.name !== point) return;
  passes += 1;
  if (passes >= armed.after) process.kill(process.pid, 'SIGKILL');
}

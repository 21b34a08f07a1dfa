/**
 * "Now", injectable. Every instant Alcove stamps and every "today" it works out comes from
 * a clock handed to it (the server's `AppOptions.now`, a context's `clock`), so a test can
 * put a whole server in August: `ALCOVE_TEST_NOW` (read by the `alcove` command only, see
 * `cli/src/clock.ts`) starts a spawned server's clock at that instant.
 */
export type Clock = () => Date;

/** The computer's own clock. */
export const systemClock: Clock = () => new Date();

/**
 * A clock that reads `start` at the moment it is made and runs on from there at the speed
 * of `real`, so timeouts and sign-in codes still work in a server put in another season.
 */
export function clockFrom(start: Date, real: Clock = systemClock): Clock {
  if (Number.isNaN(start.getTime())) throw new RangeError('Not a valid instant');
  const offset = start.getTime() - real().getTime();
  return () => new Date(real().getTime() + offset);
}

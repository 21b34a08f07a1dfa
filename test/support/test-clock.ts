// Loaded before Date is faked: @date-fns/tz's TZDate extends the Date it finds when it loads,
// and a TZDate built on the fake falls back to the process's own zone when formatting.
import '@date-fns/tz';
import { vi } from 'vitest';

/**
 * The in-process half of the injectable clock. Where `ALCOVE_TEST_NOW` is set (the summer
 * pass of `npm test`, see scripts/test.ts), every `Date` in this test process — the test's
 * own and the app's, which reads "now" from `systemClock` unless a test hands it another
 * clock — starts at that instant and runs on in real time. Timers are left real. A spawned
 * `alcove serve` reads the same variable itself (cli/src/context.ts, `clockFor`).
 */
const start = process.env.ALCOVE_TEST_NOW?.trim();
if (start !== undefined && start !== '') {
  const at = new Date(start);
  if (Number.isNaN(at.getTime())) throw new Error('ALCOVE_TEST_NOW is not an instant');
  vi.useFakeTimers({ now: at, toFake: ['Date'], shouldAdvanceTime: true, advanceTimeDelta: 5 });
}

import { describe, expect, it } from 'vitest';
import { lockSeconds, PASSWORD_LOCKOUT, SECOND_FACTOR_LOCKOUT, waitInWords } from './lockout.ts';

describe('how long a lock lasts', () => {
  it('locks the second factor for 1, 5, 15 and 60 minutes, then twice as long each time, up to a day', () => {
    const minutes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100].map(
      (n) => lockSeconds(SECOND_FACTOR_LOCKOUT, n) / 60,
    );
    expect(minutes).toEqual([1, 5, 15, 60, 120, 240, 480, 960, 1440, 1440, 1440]);
  });

  it('keeps a password lock at 15 minutes, however often', () => {
    expect([1, 2, 10].map((n) => lockSeconds(PASSWORD_LOCKOUT, n))).toEqual([900, 900, 900]);
  });

  it('says how long to wait as people say it, rounded up', () => {
    expect([1, 60, 61, 900, 7199, 7200, 86_400].map(waitInWords)).toEqual([
      '1 minute',
      '1 minute',
      '2 minutes',
      '15 minutes',
      '2 hours',
      '2 hours',
      '24 hours',
    ]);
  });
});

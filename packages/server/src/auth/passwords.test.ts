import { describe, expect, it } from 'vitest';
import { PASSWORD_MAX_LENGTH, passwordProblem } from './passwords.ts';

describe('the rule for a new password', () => {
  it.each([
    ['iloveyou1234', /list of passwords exposed in data breaches/],
    ['letmein12345', /list of passwords exposed in data breaches/],
    ['password1234', /list of passwords exposed in data breaches/],
    ['PASSWORD1234', /list of passwords exposed in data breaches/],
    ['monkey123456', /list of passwords exposed in data breaches/],
    ['qwertyuiop12', /list of passwords exposed in data breaches/],
    ['qwertyuiop!!1', /too easy to guess/],
    ['abcdefghijkl', /too easy to guess/],
    ['trustno1trustno1', /too easy to guess/],
    ['short', /at least 12 characters/],
    ['x'.repeat(PASSWORD_MAX_LENGTH + 1), /at most 256 characters/],
    ['aaaaaaaaaaaa', /repeats too few characters/],
  ])('refuses %s, saying why', (password, why) => {
    const problem = passwordProblem(password);
    expect(problem).toMatch(why);
    // The answer never repeats the password.
    expect(problem?.toLowerCase()).not.toContain(password.toLowerCase());
  });

  it('gives zxcvbn’s advice with a password that is too easy to guess', () => {
    expect(passwordProblem('abcdefghijkl')).toMatch(/too easy to guess: choose another\. \S/);
  });

  it.each([
    'a long fictional passphrase',
    'a brand new long passphrase',
    'a different fictional passphrase',
    'crash harness passphrase, fictional 2026',
    'quartz heron lantern tidal ferns 47',
    'juniper-lane-demo-practice',
  ])('accepts a long passphrase: %s', (password) => {
    expect(passwordProblem(password)).toBeUndefined();
  });

  it('counts the person’s own address and name against a password built on them', () => {
    const password = 'robin.fictional@example.test';
    expect(passwordProblem(password)).toBeUndefined();
    expect(passwordProblem(password, ['robin.fictional@example.test', 'Robin Fictional'])).toMatch(
      /too easy to guess/,
    );
  });

  it.each(['alcovetherapy', 'practicesession', 'therapistalcove'])(
    'counts the product, its roles and its trade against every password: refuses %s',
    (password) => {
      expect(passwordProblem(password)).toMatch(/too easy to guess/);
    },
  );
});

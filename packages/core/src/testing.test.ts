import { describe, expect } from 'vitest';
import { ruleRan } from './code/trace.ts';
import { clause } from './testing.ts';

// GT-1 and GT-2 are principles the catalogue claims no rule for, so these tests prove nothing.
describe('clause(), the tag on a test that proves a clause', () => {
  clause(['GT-1', 'GT-2'], 'tags the test and records each rule that ran while it ran, once', (context) => {
    expect(context.task.meta.clauses).toEqual(['GT-1', 'GT-2']);
    ruleRan('testing.first');
    ruleRan('testing.second');
    ruleRan('testing.first');
    context.onTestFinished(() => {
      expect(context.task.meta.rulesRan).toEqual(['testing.first', 'testing.second']);
    });
  });

  clause('GT-1', 'records nothing from an earlier test', (context) => {
    context.onTestFinished(() => {
      expect(context.task.meta.rulesRan).toEqual([]);
    });
  });

  clause.each([
    { kind: 'fixed', ids: 'GT-1' },
    { kind: 'per case', ids: 'GT-2' },
  ])(
    (row) => row.ids,
    'tags each case of a table: $kind',
    (row, context) => {
      expect(context.task.meta.clauses).toEqual([row.ids]);
    },
  );
});

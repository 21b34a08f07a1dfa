import { it, type TestContext } from 'vitest';
import { isClauseId } from './code/catalogue.ts';
import { traceRules } from './code/trace.ts';

/**
 * Tests that prove clauses of the Code (`@alcove/core/testing`, for test files only).
 *
 * `clause('GT-36', 'refuses therapy with no contract …', async () => { … })` is Vitest's
 * `it` with the clause ids in the test's meta, and the ids of every registered rule that
 * ran while the test ran (the pipeline, the findings and the safeguards report them through
 * `ruleRan`). test/support/clause-reporter.ts writes both, with the test's result, to
 * test-results/clauses.json; `alcove clauses` and the check at the end of `npm test` read
 * it: a claimed clause is proven by a tagged test that passed and ran one of its rules.
 */
declare module 'vitest' {
  interface TaskMeta {
    /** The clauses of the Code this test proves (catalogue ids). */
    clauses?: string[];
    /** The registered rules (rule ids) that ran while the test ran, in first-run order. */
    rulesRan?: string[];
    /**
     * What those rules did: `rule@clause` for each refusal or finding under a clause, and
     * `rule@*` for a safeguard that denied, withheld or sealed. A test proves an enforced or
     * checked clause only where one of its rules acted on it.
     */
    rulesActed?: string[];
  }
}

type ClauseIds = string | readonly string[];
type Body = (context: TestContext) => unknown;

function idsOf(ids: ClauseIds): string[] {
  const list = typeof ids === 'string' ? [ids] : [...ids];
  if (list.length === 0) throw new Error('clause(): name at least one clause');
  // A mistyped id would prove nothing and say nothing: refuse it when the test is declared.
  const unknown = list.filter((id) => !isClauseId(id));
  if (unknown.length > 0) throw new Error(`clause(): not a clause of the Code: ${unknown.join(', ')}`);
  return list;
}

/** Runs `fn` with the rules it makes run recorded in the test's meta. */
async function traced(context: TestContext, clauses: readonly string[], fn: () => unknown): Promise<void> {
  const ran = new Set<string>();
  const acted = new Set<string>();
  const stop = traceRules((id, actedOn) => {
    ran.add(id);
    for (const clauseId of actedOn) acted.add(`${id}@${clauseId}`);
  });
  context.task.meta.clauses = [...clauses];
  try {
    await fn();
  } finally {
    stop();
    context.task.meta.rulesRan = [...ran];
    context.task.meta.rulesActed = [...acted];
  }
}

function clauseTest(ids: ClauseIds, name: string, fn: Body, timeout?: number): void {
  const clauses = idsOf(ids);
  it(name, { meta: { clauses }, ...(timeout === undefined ? {} : { timeout }) }, (context) =>
    traced(context, clauses, () => fn(context)),
  );
}

/**
 * A table of cases, each a test of the same clauses (or of the clauses `ids` gives for the
 * case). The name is formatted as `it.for` formats it (`%s`, `$field`).
 *
 * clause.each(cases)('GT-92', 'refuses $kind without training', (c) => { … })
 */
function each<T>(cases: readonly T[]) {
  return (
    ids: ClauseIds | ((row: T) => ClauseIds),
    name: string,
    fn: (row: T, context: TestContext) => unknown,
    timeout?: number,
  ): void => {
    const fixed = typeof ids === 'function' ? undefined : idsOf(ids);
    it.for(cases)(
      name,
      {
        ...(fixed === undefined ? {} : { meta: { clauses: fixed } }),
        ...(timeout === undefined ? {} : { timeout }),
      },
      (row, context) =>
        traced(context, fixed ?? idsOf((ids as (row: T) => ClauseIds)(row)), () => fn(row, context)),
    );
  };
}

/** Vitest's `it`, tagged with the clauses of the Code the test proves. */
export const clause: typeof clauseTest & { each: typeof each } = Object.assign(clauseTest, { each });

import path from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';
import {
  type ClauseRunRecord,
  clauseResultsFile,
  recordClauseRuns,
} from '../../packages/cli/src/clause-results.ts';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * Merges every test tagged with a clause of the Code (`clause(…)`, `@alcove/core/testing`)
 * into test-results/clauses.json: its file and full name, and this run's project, time
 * zone, engine, result and the registered rules it ran. scripts/test.ts runs Vitest several
 * times (zones, engines); each run adds to the file, which `npm test` deletes first and
 * checks at the end (every claimed clause proven), and `alcove clauses` reads.
 */
export default class ClauseReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const zone = process.env.TZ?.trim() || Intl.DateTimeFormat().resolvedOptions().timeZone;
    const engine = process.env.ALCOVE_TEST_DATABASE_URL?.trim() ? 'sqlite+postgres' : 'sqlite';
    const records: ClauseRunRecord[] = [];
    for (const module of testModules) {
      const file = path.relative(root, module.moduleId).split(path.sep).join('/');
      for (const test of module.children.allTests()) {
        const meta = test.meta();
        if (meta.clauses === undefined || meta.clauses.length === 0) continue;
        records.push({
          clauses: meta.clauses,
          file,
          name: test.fullName,
          run: {
            project: test.project.name,
            zone,
            engine,
            state: test.result().state,
            rulesRan: meta.rulesRan ?? [],
            rulesActed: meta.rulesActed ?? [],
          },
        });
      }
    }
    if (records.length > 0) recordClauseRuns(clauseResultsFile(), records);
  }
}

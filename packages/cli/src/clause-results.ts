import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * test-results/clauses.json: which tests tagged with a clause of the Code (`clause(…)` in
 * `@alcove/core/testing`) ran, where, with what result, and which registered rules they
 * ran. test/support/clause-reporter.ts merges each Vitest run into it, so one file holds
 * every project, engine and time zone of `npm test`; `alcove clauses` and the check at the
 * end of `npm test` read it. It holds test names and rule ids only, never clinical text.
 */
export interface ClauseRun {
  /** The Vitest project: core, store, server, cli, browser. */
  readonly project: string;
  /** The process time zone the run had (TZ). */
  readonly zone: string;
  /**
   * 'sqlite' where the pass had no PostgreSQL; 'sqlite+postgres' where ALCOVE_TEST_DATABASE_URL
   * was set, so storage and HTTP tests ran on both engines (a pure function ran once either way).
   */
  readonly engine: 'sqlite' | 'sqlite+postgres';
  readonly state: 'passed' | 'failed' | 'skipped' | 'pending';
  /** The registered rules that ran while the test ran. */
  readonly rulesRan: readonly string[];
  /** What they did: `rule@clause` for a refusal or finding, `rule@*` for a safeguard acting. */
  readonly rulesActed?: readonly string[];
}

export interface ClauseTestResult {
  /** The test file, relative to the repository, with forward slashes. */
  readonly file: string;
  /** The test's full name: its describe blocks and its own name, joined by " > ". */
  readonly name: string;
  readonly runs: readonly ClauseRun[];
}

/** The build the results are from: the commit, and whether the tree had changes beside it. */
export interface ClauseBuild {
  readonly commit: string;
  readonly dirty: boolean;
}

export interface ClauseResults {
  readonly version: 1;
  /** The build the tests ran on; results from another build are never merged with these. */
  readonly build?: ClauseBuild;
  /** Per clause id, the tagged tests and their runs. */
  readonly clauses: Readonly<Record<string, readonly ClauseTestResult[]>>;
}

/** One tagged test's run, as the reporter sees it. */
export interface ClauseRunRecord {
  readonly clauses: readonly string[];
  readonly file: string;
  readonly name: string;
  readonly run: ClauseRun;
}

/** The repository the CLI runs from (its source lives in packages/cli/src). */
export const repositoryRoot = path.resolve(import.meta.dirname, '../../..');

/** Where the results are: ALCOVE_CLAUSE_RESULTS, or test-results/clauses.json in the repository. */
export function clauseResultsFile(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.ALCOVE_CLAUSE_RESULTS?.trim() || path.join(repositoryRoot, 'test-results', 'clauses.json');
}

/** The results in `file`; undefined when there is none ("not run here"). */
export function readClauseResults(file: string): ClauseResults | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<ClauseResults>;
  if (parsed.version !== 1 || typeof parsed.clauses !== 'object' || parsed.clauses === null)
    throw new Error(`${file} is not a clause results file (version 1); delete it and run the tests again`);
  return parsed as ClauseResults;
}

const sameRun = (a: ClauseRun, b: ClauseRun) =>
  a.project === b.project && a.zone === b.zone && a.engine === b.engine;

/**
 * `records` merged into `results`: a test's run replaces its earlier run in the same
 * project, zone and engine, and is added beside runs elsewhere. A skipped run (a run
 * filtered to other tests, `-t`) leaves an earlier result there as it was; `npm test`
 * starts from no file, so its skipped tests are recorded as skipped.
 */
export function mergeClauseRuns(
  results: ClauseResults | undefined,
  records: readonly ClauseRunRecord[],
  build?: ClauseBuild,
): ClauseResults {
  // Results from another commit are another build's: this run starts the file again.
  const sameBuild =
    build === undefined || results?.build === undefined || results.build.commit === build.commit;
  const clauses = new Map<string, ClauseTestResult[]>(
    Object.entries(sameBuild ? (results?.clauses ?? {}) : {}).map(([id, tests]) => [id, [...tests]]),
  );
  for (const record of records) {
    for (const id of record.clauses) {
      const tests = clauses.get(id) ?? [];
      const index = tests.findIndex((t) => t.file === record.file && t.name === record.name);
      const earlier = index === -1 ? [] : (tests[index]?.runs ?? []);
      const kept = earlier.find((run) => sameRun(run, record.run));
      const latest = record.run.state === 'skipped' && kept !== undefined ? kept : record.run;
      const test: ClauseTestResult = {
        file: record.file,
        name: record.name,
        runs: [...earlier.filter((run) => !sameRun(run, record.run)), latest],
      };
      if (index === -1) tests.push(test);
      else tests[index] = test;
      clauses.set(id, tests);
    }
  }
  const sorted = [...clauses].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
  return {
    version: 1,
    ...(build === undefined ? {} : { build }),
    clauses: Object.fromEntries(sorted),
  };
}

/**
 * Reads `file` (starting afresh if it cannot be read), merges `records` and writes it back through a temporary file and a rename,
 * so a reader (or a run stopped half-way) never sees half a file.
 */
export function recordClauseRuns(file: string, records: readonly ClauseRunRecord[]): void {
  let earlier: ClauseResults | undefined;
  try {
    earlier = readClauseResults(file);
  } catch {
    earlier = undefined; // unreadable or from an older format: this run starts it again
  }
  const merged = mergeClauseRuns(earlier, records, currentBuild());
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(merged, null, 2)}\n`);
  fs.renameSync(temporary, file);
}

/** This checkout's build (git's HEAD, and whether the tree has changes); undefined without git. */
export function currentBuild(root: string = repositoryRoot): ClauseBuild | undefined {
  const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' });
  if (head.status !== 0) return undefined;
  const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], {
    cwd: root,
    encoding: 'utf8',
  });
  return { commit: head.stdout.trim(), dirty: status.status !== 0 || status.stdout.trim() !== '' };
}

import fs from 'node:fs';
import path from 'node:path';
import { type CatalogueEntry, clause as catalogueClause } from '@alcove/core';
import { tempDir } from '@alcove/store/testing';
import { describe, expect, it } from 'vitest';
import { type ClauseResults, type ClauseRun, mergeClauseRuns, recordClauseRuns } from './clause-results.ts';
import { parseClauseTags, proveClauses } from './commands/clauses-proof.ts';
import { main } from './main.ts';
import { captureIo } from './testing/io.ts';

const entry = (id: string): CatalogueEntry => {
  const found = catalogueClause(id);
  if (found === undefined) throw new Error(`no clause ${id}`);
  return found;
};

const run = (overrides: Partial<ClauseRun> = {}): ClauseRun => ({
  project: 'core',
  zone: 'UTC',
  engine: 'sqlite',
  state: 'passed',
  rulesRan: [],
  ...overrides,
});

const results = (clauses: ClauseResults['clauses']): ClauseResults => ({ version: 1, clauses });

// The samples spell the helper TAG, so the scan of this very file finds no tag in them.
const source = (text: string) => text.replaceAll('TAG', 'clause');

describe('the clause tags in a test file', () => {
  it('finds clause(ids, name) with one id or several, and the name as written', () => {
    const tags = parseClauseTags(
      source(`
        TAG('GT-45', 'insurance-current: cover ending today is still current', () => {});
        TAG(
          ['GT-27', "GT-26"],
          'refuses therapy with a vulnerable adult without consent (GT-27) or training (GT-26)',
          async () => {},
        );
        TAG('PG5-1', \`releases to partner A their own passages and none of B’s\`, async () => {});
        it('is not a tag', () => {});
        myTAG('GT-1', 'nor is this', () => {});
      `),
    );
    expect(tags).toEqual([
      { clauses: ['GT-45'], name: 'insurance-current: cover ending today is still current' },
      {
        clauses: ['GT-27', 'GT-26'],
        name: 'refuses therapy with a vulnerable adult without consent (GT-27) or training (GT-26)',
      },
      { clauses: ['PG5-1'], name: 'releases to partner A their own passages and none of B’s' },
    ]);
  });

  it('finds a clause.each table, with its ids fixed or given per case', () => {
    const tags = parseClauseTags(
      source(`
        TAG.each([{ kind: 'a', cites: 'GT-107m' }, { kind: 'b)', cites: 'GT-107n' }])(
          (row) => ['GT-107', row.cites],
          'cosrt-notifications: $kind cites $cites',
          ({ kind }) => {},
        );
        TAG.each(table)('GT-92', 'refuses %s without training', (row) => {});
      `),
    );
    expect(tags).toEqual([
      { clauses: ['GT-107'], name: 'cosrt-notifications: $kind cites $cites' },
      { clauses: ['GT-92'], name: 'refuses %s without training' },
    ]);
  });
});

describe('test-results/clauses.json', () => {
  it('keeps one run per project, zone and engine, the latest, beside the runs elsewhere', () => {
    const test = {
      file: 'packages/core/src/code/rules.test.ts',
      name: 'rules > cpd-hours: 30 hours meets 30',
    };
    const first = mergeClauseRuns(undefined, [
      { ...test, clauses: ['GT-15'], run: run({ state: 'failed' }) },
    ]);
    const second = mergeClauseRuns(first, [
      { ...test, clauses: ['GT-15'], run: run({ rulesRan: ['cpd-hours'] }) },
      { ...test, clauses: ['GT-15'], run: run({ zone: 'Pacific/Auckland' }) },
    ]);
    expect(second.clauses['GT-15']).toEqual([
      { ...test, runs: [run({ rulesRan: ['cpd-hours'] }), run({ zone: 'Pacific/Auckland' })] },
    ]);
    // A run filtered to other tests skips this one: the result it had stays.
    const filtered = mergeClauseRuns(second, [
      { ...test, clauses: ['GT-15'], run: run({ state: 'skipped' }) },
    ]);
    expect(filtered.clauses['GT-15']?.[0]?.runs).toContainEqual(run({ rulesRan: ['cpd-hours'] }));
    const postgres = mergeClauseRuns(second, [
      { ...test, clauses: ['GT-15'], run: run({ engine: 'sqlite+postgres' }) },
    ]);
    expect(postgres.clauses['GT-15']?.[0]?.runs).toHaveLength(3);
  });

  it('never merges results from another commit: a run on a new build starts the file again', () => {
    const test = { file: 'packages/core/src/code/rules.test.ts', name: 'rules > cpd-hours: x' };
    const old = mergeClauseRuns(undefined, [{ ...test, clauses: ['GT-15'], run: run() }], {
      commit: 'a'.repeat(40),
      dirty: false,
    });
    const next = mergeClauseRuns(old, [{ ...test, clauses: ['GT-41'], run: run() }], {
      commit: 'b'.repeat(40),
      dirty: false,
    });
    expect(Object.keys(next.clauses)).toEqual(['GT-41']);
    expect(next.build?.commit).toBe('b'.repeat(40));
  });

  it('is merged by successive runs through a rename, and started afresh when unreadable', () => {
    const file = path.join(tempDir(), 'test-results', 'clauses.json');
    const record = { clauses: ['GT-41'], file: 'a.test.ts', name: 'a', run: run() };
    recordClauseRuns(file, [record]);
    recordClauseRuns(file, [{ ...record, clauses: ['GT-45'], run: run({ project: 'server' }) }]);
    const written = JSON.parse(fs.readFileSync(file, 'utf8')) as ClauseResults;
    expect(Object.keys(written.clauses)).toEqual(['GT-41', 'GT-45']);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['clauses.json']);
    fs.writeFileSync(file, '{ half a file');
    recordClauseRuns(file, [record]);
    expect(Object.keys((JSON.parse(fs.readFileSync(file, 'utf8')) as ClauseResults).clauses)).toEqual([
      'GT-41',
    ]);
  });
});

describe('proving the catalogue’s claims', () => {
  const test = { file: 'packages/core/src/code/rules.test.ts', name: 'the rules > insurance-current: x' };

  it('proves a checked clause only by a passing tagged test that ran one of its rules', () => {
    const [ranRule] = proveClauses(
      results({
        'GT-45': [
          {
            ...test,
            runs: [run({ rulesRan: ['insurance-current'], rulesActed: ['insurance-current@GT-45'] })],
          },
        ],
      }),
      [],
      [entry('GT-45')],
    );
    expect(ranRule).toMatchObject({ proven: true, tests: [{ result: 'passed' }] });
    expect(ranRule?.rules.map((r) => r.id)).toContain('insurance-current');

    const [ranOther] = proveClauses(
      results({ 'GT-45': [{ ...test, runs: [run({ rulesRan: ['cpd-hours'] })] }] }),
      [],
      [entry('GT-45')],
    );
    expect(ranOther).toMatchObject({ proven: false, tests: [{ result: 'passed', ranNoRule: true }] });
    expect(ranOther?.why).toContain('none of its rules acted on it (insurance-current)');

    const [failed] = proveClauses(
      results({
        'GT-45': [
          {
            ...test,
            runs: [
              run({
                state: 'failed',
                rulesRan: ['insurance-current'],
                rulesActed: ['insurance-current@GT-45'],
              }),
              run({ state: 'skipped', zone: 'Europe/London' }),
            ],
          },
        ],
      }),
      [],
      [entry('GT-45')],
    );
    expect(failed).toMatchObject({
      proven: false,
      why: 'its tagged tests failed',
      tests: [{ result: 'failed' }],
    });
  });

  it('counts no test whose rule ran but let everything through, or acted under another clause', () => {
    const [held] = proveClauses(
      results({ 'GT-45': [{ ...test, runs: [run({ rulesRan: ['insurance-current'], rulesActed: [] })] }] }),
      [],
      [entry('GT-45')],
    );
    expect(held).toMatchObject({ proven: false, tests: [{ result: 'passed', ranNoRule: true }] });
    // One finding serves GT-107m, n and o: a finding under GT-107n proves GT-107n, never GT-107o.
    const [other] = proveClauses(
      results({
        'GT-107o': [
          {
            ...test,
            runs: [run({ rulesRan: ['cosrt-notifications'], rulesActed: ['cosrt-notifications@GT-107n'] })],
          },
        ],
      }),
      [],
      [entry('GT-107o')],
    );
    expect(other?.proven).toBe(false);
    // A safeguard that acted ('*') acts for every clause it serves.
    const [denied] = proveClauses(
      results({
        'GT-74': [{ ...test, runs: [run({ rulesRan: ['access.can'], rulesActed: ['access.can@*'] })] }],
      }),
      [],
      [entry('GT-74')],
    );
    expect(denied?.proven).toBe(true);
  });

  it('proves a recorded clause by a passing tagged test, whatever rules it ran', () => {
    const [recorded] = proveClauses(
      results({ 'GT-40a': [{ ...test, runs: [run({ state: 'skipped' }), run({ project: 'server' })] }] }),
      [],
      [entry('GT-40a')],
    );
    expect(recorded).toMatchObject({ proven: true, tests: [{ result: 'passed' }] });
  });

  it('names a tagged test that did not run, and judges nothing without results', () => {
    const tagged = [
      { file: test.file, name: 'insurance-current: x', clauses: ['GT-45'] },
      { file: test.file, name: 'insurance-current: y', clauses: ['GT-45'] },
    ];
    const [partly] = proveClauses(
      results({
        'GT-45': [
          {
            ...test,
            runs: [run({ rulesRan: ['insurance-current'], rulesActed: ['insurance-current@GT-45'] })],
          },
        ],
      }),
      tagged,
      [entry('GT-45')],
    );
    expect(partly?.tests.map((t) => [t.name, t.result])).toEqual([
      [test.name, 'passed'],
      ['insurance-current: y', 'not run'],
    ]);
    const [none] = proveClauses(results({}), [], [entry('GT-45')]);
    expect(none).toMatchObject({ proven: false, why: 'no test is tagged with it' });
    const [here] = proveClauses(undefined, tagged, [entry('GT-45')]);
    expect(here?.proven).toBeNull();
    expect(here?.tests.map((t) => t.result)).toEqual(['not run here', 'not run here']);
  });

  it('matches a table’s cases to its name template', () => {
    const [table] = proveClauses(
      results({
        'GT-107m': [
          {
            file: test.file,
            name: 'the rules > cosrt-notifications: police-caution-or-inquiry cites GT-107m',
            runs: [run({ rulesRan: ['cosrt-notifications'], rulesActed: ['cosrt-notifications@GT-107m'] })],
          },
        ],
      }),
      [{ file: test.file, name: 'cosrt-notifications: $kind cites $cites', clauses: ['GT-107m'] }],
      [entry('GT-107m')],
    );
    expect(table?.tests).toHaveLength(1);
    expect(table?.proven).toBe(true);
  });
});

describe('alcove clauses', () => {
  type Listed = {
    id: string;
    status: string;
    rules: { id: string; kind: string }[];
    tests: { file: string; name: string; result: string }[];
    proof: string | null;
    why?: string;
  };
  const listed = async (env: Record<string, string>) => {
    const io = captureIo(env);
    expect(await main(['clauses', '--json'], io)).toBe(0);
    return new Map((JSON.parse(io.stdout.join('\n')) as Listed[]).map((c) => [c.id, c]));
  };

  it('says "not run here" for every claim where there are no results, with its rules and tagged tests', async () => {
    const missing = path.join(tempDir(), 'clauses.json');
    const clauses = await listed({ ALCOVE_CLAUSE_RESULTS: missing });
    const gt45 = clauses.get('GT-45');
    expect(gt45).toMatchObject({ status: 'checked', proof: 'not run here' });
    expect(gt45?.rules).toContainEqual({ id: 'insurance-current', kind: 'finding' });
    expect(gt45?.tests).toContainEqual({
      file: 'packages/core/src/code/rules.test.ts',
      name: 'insurance-current: cover ending today is still current',
      result: 'not run here',
      runs: [],
    });
    expect(clauses.get('GT-1')).toMatchObject({ status: 'out-of-scope', proof: null, tests: [] });

    const table = captureIo({ ALCOVE_CLAUSE_RESULTS: missing });
    expect(await main(['clauses'], table)).toBe(0);
    const text = table.stdout.join('\n');
    expect(text).toMatch(/GT-45\s+must\s+checked\s+insurance-current\s+not run here\s+insurance-current: /);
    expect(text).toContain('Test results: not run here');
  });

  it('shows each claim proven or not from the results, and why not', async () => {
    const file = path.join(tempDir(), 'clauses.json');
    fs.writeFileSync(
      file,
      JSON.stringify(
        results({
          'GT-45': [
            {
              file: 'packages/core/src/code/rules.test.ts',
              name: 'the rules, as truth tables > insurance-current: cover ending today is still current',
              runs: [run({ rulesRan: ['insurance-current'], rulesActed: ['insurance-current@GT-45'] })],
            },
          ],
          'GT-41': [
            {
              file: 'packages/core/src/code/rules.test.ts',
              name: 'the rules, as truth tables > executor-appointed: no executor is a finding',
              runs: [run({ state: 'failed', rulesRan: ['executor-appointed'] })],
            },
          ],
        }),
      ),
    );
    const clauses = await listed({ ALCOVE_CLAUSE_RESULTS: file });
    expect(clauses.get('GT-45')).toMatchObject({ proof: 'proven' });
    expect(clauses.get('GT-45')?.tests[0]).toMatchObject({ result: 'passed' });
    expect(clauses.get('GT-41')).toMatchObject({ proof: 'unproven', why: 'its tagged tests failed' });

    const table = captureIo({ ALCOVE_CLAUSE_RESULTS: file });
    expect(await main(['clauses'], table)).toBe(0);
    const text = table.stdout.join('\n');
    expect(text).toMatch(
      /GT-45\s+must\s+checked\s+insurance-current\s+proven\s+the rules, as truth tables > insurance/,
    );
    expect(text).toMatch(/enforced, checked or recorded: \d+ proven by a passing test, \d+ not\./);
    expect(text).toContain('  GT-41: its tagged tests failed');
  });
});

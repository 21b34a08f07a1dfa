import fs from 'node:fs';
import path from 'node:path';
import {
  type CatalogueEntry,
  clause as catalogueClause,
  claimedClauses,
  type RegisteredRule,
  rulesForClause,
} from '@alcove/core';
import { type ClauseResults, type ClauseRun, repositoryRoot } from '../clause-results.ts';

/**
 * Whether the catalogue's claims hold: a clause marked enforced, checked or recorded is
 * proven when a test tagged with it (`clause(…)`, `@alcove/core/testing`) passed in some run
 * recorded in test-results/clauses.json, and, for enforced and checked clauses, that run
 * ran one of the clause's registered rules (core/code/registry.ts). `alcove clauses` shows
 * it; `npm test` fails when a claim is not proven.
 */

/** A test tagged with clauses in a test file, found by reading the source. */
export interface TaggedTest {
  /** Relative to the repository, with forward slashes. */
  readonly file: string;
  /** The name given to clause(); for a clause.each table, its name template. */
  readonly name: string;
  /** The clause ids; for a table that computes them per case, those it names outright. */
  readonly clauses: readonly string[];
}

export type TestResult = 'passed' | 'failed' | 'skipped' | 'not run' | 'not run here';

export interface ClauseTestReport {
  readonly file: string;
  readonly name: string;
  /** passed: some run passed (and, for enforced or checked, ran one of the clause's rules). */
  readonly result: TestResult;
  /** The test passed but ran none of the clause's rules. */
  readonly ranNoRule?: true;
  readonly runs: readonly ClauseRun[];
}

export interface ClauseProof {
  readonly clause: CatalogueEntry;
  readonly rules: readonly RegisteredRule[];
  readonly tests: readonly ClauseTestReport[];
  /** null when there are no results here to judge by. */
  readonly proven: boolean | null;
  /** Why it is not proven, in a sentence. */
  readonly why?: string;
}

/** The tests tagged with clause() in every *.test.ts under `root`'s packages and test folders. */
export function scanTaggedTests(root: string): TaggedTest[] {
  const found: TaggedTest[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.test.ts')) {
        const file = path.relative(root, full).split(path.sep).join('/');
        for (const tag of parseClauseTags(fs.readFileSync(full, 'utf8'))) found.push({ file, ...tag });
      }
    }
  };
  walk(path.join(root, 'packages'));
  walk(path.join(root, 'test'));
  return found;
}

/**
 * The clause(ids, 'name', …) and clause.each(cases)(ids, 'name', …) calls in a test file's
 * text: ids a string or an array of strings, the name a string literal.
 */
export function parseClauseTags(source: string): { name: string; clauses: string[] }[] {
  const tags: { name: string; clauses: string[] }[] = [];
  const call = /(?<![\w.$])clause(\.each)?\s*\(/g;
  for (let match = call.exec(source); match !== null; match = call.exec(source)) {
    let at = match.index + match[0].length;
    if (match[1] !== undefined) {
      // Skip the table to its closing parenthesis, then expect the second call.
      at = scan(source, at - 1, 'close');
      if (at === -1) continue;
      const open = /^\s*\(/.exec(source.slice(at));
      if (open === null) continue;
      at += open[0].length;
    }
    at += /^\s*/.exec(source.slice(at))?.[0].length ?? 0;
    const ids = readIds(source, at);
    if (ids === undefined) continue;
    const comma = /^\s*,\s*/.exec(source.slice(ids.end));
    if (comma === null) continue;
    const name = readString(source, ids.end + comma[0].length);
    if (name === undefined) continue;
    tags.push({ name: name.value, clauses: ids.values });
  }
  return tags;
}

/**
 * Reads source code from `at`, skipping strings and nested brackets: to the index after the
 * bracket that closes the one at `at` (`close`), or to the comma that ends the argument
 * starting at `at` (`comma`); -1 where there is none.
 */
function scan(source: string, at: number, until: 'close' | 'comma'): number {
  let depth = 0;
  for (let i = at; i < source.length; i += 1) {
    const char = source[i];
    if (char === "'" || char === '"' || char === '`') {
      const string = readString(source, i);
      if (string === undefined) return -1;
      i = string.end - 1;
    } else if (char === '(' || char === '[' || char === '{') depth += 1;
    else if (char === ')' || char === ']' || char === '}') {
      if (depth === 0) return -1;
      depth -= 1;
      if (until === 'close' && depth === 0) return i + 1;
    } else if (until === 'comma' && char === ',' && depth === 0) return i;
  }
  return -1;
}

function readString(source: string, at: number): { value: string; end: number } | undefined {
  const quote = source[at];
  if (quote !== "'" && quote !== '"' && quote !== '`') return undefined;
  let value = '';
  for (let i = at + 1; i < source.length; i += 1) {
    const char = source[i];
    if (char === '\\') {
      value += source[i + 1] ?? '';
      i += 1;
    } else if (char === quote) return { value, end: i + 1 };
    else if (quote === '`' && char === '$' && source[i + 1] === '{') return undefined;
    else value += char;
  }
  return undefined;
}

function readIds(source: string, at: number): { values: string[]; end: number } | undefined {
  const single = readString(source, at);
  if (single !== undefined) return { values: [single.value], end: single.end };
  if (source[at] === '[') {
    const values: string[] = [];
    let i = at + 1;
    for (;;) {
      const space = /^[\s,]*/.exec(source.slice(i));
      i += space?.[0].length ?? 0;
      if (source[i] === ']') return { values, end: i + 1 };
      const item = readString(source, i);
      if (item === undefined) return undefined;
      values.push(item.value);
      i = item.end;
    }
  }
  // A function of the case (clause.each): the ids it names outright; the rest come with the results.
  const end = scan(source, at, 'comma');
  if (end === -1) return undefined;
  const named = [...source.slice(at, end).matchAll(/['"`]((?:GT|PG5)-\d+[a-z]?)['"`]/g)].map(
    (m) => m[1] ?? '',
  );
  return { values: [...new Set(named)], end };
}

/** Whether a run's full test name is the tagged test's name (or a case of its template). */
function namesMatch(tagName: string, fullName: string): boolean {
  if (fullName === tagName || fullName.endsWith(` > ${tagName}`)) return true;
  if (!/%[sdifjoO#%]|\$[\w.]+/.test(tagName)) return false;
  const pattern = tagName
    .split(/(%[sdifjoO#%]|\$[\w.]+)/)
    .map((part, i) => (i % 2 === 1 ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`(^|> )${pattern}$`).test(fullName);
}

/** Whether the test file still exists and tags a clause, for results its names cannot be matched to. */
function stillTags(file: string): boolean {
  try {
    return /(?<![\w.])clause(\.each)?\s*\(/.test(fs.readFileSync(path.join(repositoryRoot, file), 'utf8'));
  } catch {
    return false;
  }
}

const needsRule = (entry: CatalogueEntry) => entry.status === 'enforced' || entry.status === 'checked';

/**
 * Each claimed clause with its rules, its tests (the results merged with the tags found in
 * the source) and whether it is proven. `results` undefined: no results here ("not run
 * here"), so nothing is judged.
 */
export function proveClauses(
  results: ClauseResults | undefined,
  tagged: readonly TaggedTest[] = [],
  claimed: readonly CatalogueEntry[] = claimedClauses(),
): ClauseProof[] {
  return claimed.map((entry) => {
    const rules = rulesForClause(entry.id);
    const ruleIds = new Set(rules.map((r) => r.id));
    // For an enforced or checked clause, one of its rules must have acted on it while the
    // test ran (refused or found under it; a safeguard denied, withheld or sealed): a rule
    // that only ran, and let everything through, proves nothing.
    const actedOn = (run: ClauseRun) =>
      (run.rulesActed ?? []).some((acted) => {
        const at = acted.lastIndexOf('@');
        const rule = acted.slice(0, at);
        const clauseId = acted.slice(at + 1);
        // A finding under a lettered sub-clause acts for its lead-in too (GT-107n for GT-107).
        return (
          ruleIds.has(rule) &&
          (clauseId === entry.id || clauseId === '*' || catalogueClause(clauseId)?.parent === entry.id)
        );
      });
    const counts = (run: ClauseRun) => run.state === 'passed' && (!needsRule(entry) || actedOn(run));
    const tests: ClauseTestReport[] = [];
    // A result whose test file no longer tags anything (deleted, or untagged) proves nothing now.
    // (Names built at run time, in a loop or a template, cannot be matched from the source.)
    const ran = (results?.clauses[entry.id] ?? []).filter(
      (test) => tagged.length === 0 || tagged.some((tag) => tag.file === test.file) || stillTags(test.file),
    );
    for (const test of ran) {
      const passedWithRule = test.runs.some(counts);
      const passed = test.runs.some((run) => run.state === 'passed');
      const result: TestResult = passedWithRule
        ? 'passed'
        : test.runs.some((run) => run.state === 'failed')
          ? 'failed'
          : passed
            ? 'passed'
            : test.runs.some((run) => run.state === 'skipped')
              ? 'skipped'
              : 'not run';
      tests.push({
        file: test.file,
        name: test.name,
        result,
        ...(passed && !passedWithRule ? { ranNoRule: true as const } : {}),
        runs: test.runs,
      });
    }
    for (const tag of tagged) {
      if (!tag.clauses.includes(entry.id)) continue;
      if (ran.some((test) => test.file === tag.file && namesMatch(tag.name, test.name))) continue;
      tests.push({
        file: tag.file,
        name: tag.name,
        result: results === undefined ? 'not run here' : 'not run',
        runs: [],
      });
    }
    if (results === undefined) return { clause: entry, rules, tests, proven: null };
    if (tests.some((t) => t.result === 'passed' && t.ranNoRule === undefined))
      return { clause: entry, rules, tests, proven: true };
    return { clause: entry, rules, tests, proven: false, why: unproven(entry, rules, tests) };
  });
}

function unproven(
  entry: CatalogueEntry,
  rules: readonly RegisteredRule[],
  tests: readonly ClauseTestReport[],
): string {
  if (needsRule(entry) && rules.length === 0) return `${entry.status}, but no registered rule serves it`;
  if (tests.length === 0) return 'no test is tagged with it';
  if (tests.some((t) => t.ranNoRule === true))
    return `its tagged tests passed but none of its rules acted on it (${rules.map((r) => r.id).join(', ')})`;
  if (tests.some((t) => t.result === 'failed')) return 'its tagged tests failed';
  if (tests.some((t) => t.result === 'skipped')) return 'its tagged tests were skipped';
  return 'its tagged tests did not run';
}

import fs from 'node:fs';
import path from 'node:path';
import { API_TOKEN_DEFAULT_DAYS, API_TOKEN_MAX_DAYS, REAUTHENTICATION_SECONDS } from '@alcove/core';
import { CHECKPOINT_EVERY, PASSWORD_RESET_MINUTES } from '@alcove/store';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD_LOCKOUT, SECOND_FACTOR_LOCKOUT } from '../packages/server/src/auth/lockout.ts';
import { DEFAULT_SESSION_POLICY } from '../packages/server/src/auth/service.ts';
import { startTestApp, type TestApp } from '../packages/server/src/testing/app.ts';

/**
 * docs/security/asvs.md maps every Level 1 and 2 requirement of OWASP ASVS 5.0.0's V3.3,
 * V3.5, V6, V7 and V16 to a status and its evidence. This keeps it honest: a forgotten
 * requirement, a status without a reason, or a "met" that names a test that does not exist
 * (or no longer has that title) fails here, with the list of what is wrong.
 */
const root = path.resolve(import.meta.dirname, '..');
const DOC = path.join(root, 'docs', 'security', 'asvs.md');

/**
 * Every Level 1 and 2 requirement of those sections, with its level, as ASVS 5.0.0 has them
 * (OWASP/ASVS, 5.0/docs_en/OWASP_Application_Security_Verification_Standard_5.0.0_en.csv).
 * Level 3 requirements are left out (V3.3.5, V3.5.6-8, V6.2-6.7's L3 ones, V7.5.3, V16.5.4).
 */
const ASVS_L1_L2: Readonly<Record<string, 1 | 2>> = {
  // V3.3 Cookie Setup
  'V3.3.1': 1,
  'V3.3.2': 2,
  'V3.3.3': 2,
  'V3.3.4': 2,
  // V3.5 Browser Origin Separation
  'V3.5.1': 1,
  'V3.5.2': 1,
  'V3.5.3': 1,
  'V3.5.4': 2,
  'V3.5.5': 2,
  // V6.1 Authentication Documentation
  'V6.1.1': 1,
  'V6.1.2': 2,
  'V6.1.3': 2,
  // V6.2 Password Security
  'V6.2.1': 1,
  'V6.2.2': 1,
  'V6.2.3': 1,
  'V6.2.4': 1,
  'V6.2.5': 1,
  'V6.2.6': 1,
  'V6.2.7': 1,
  'V6.2.8': 1,
  'V6.2.9': 2,
  'V6.2.10': 2,
  'V6.2.11': 2,
  'V6.2.12': 2,
  // V6.3 General Authentication Security
  'V6.3.1': 1,
  'V6.3.2': 1,
  'V6.3.3': 2,
  'V6.3.4': 2,
  // V6.4 Authentication Factor Lifecycle and Recovery
  'V6.4.1': 1,
  'V6.4.2': 1,
  'V6.4.3': 2,
  'V6.4.4': 2,
  // V6.5 General Multi-factor authentication requirements
  'V6.5.1': 2,
  'V6.5.2': 2,
  'V6.5.3': 2,
  'V6.5.4': 2,
  'V6.5.5': 2,
  // V6.6 Out-of-Band authentication mechanisms
  'V6.6.1': 2,
  'V6.6.2': 2,
  'V6.6.3': 2,
  // V6.7 Cryptographic authentication mechanism: Level 3 only.
  // V6.8 Authentication with an Identity Provider
  'V6.8.1': 2,
  'V6.8.2': 2,
  'V6.8.3': 2,
  'V6.8.4': 2,
  // V7.1 Session Management Documentation
  'V7.1.1': 2,
  'V7.1.2': 2,
  'V7.1.3': 2,
  // V7.2 Fundamental Session Management Security
  'V7.2.1': 1,
  'V7.2.2': 1,
  'V7.2.3': 1,
  'V7.2.4': 1,
  // V7.3 Session Timeout
  'V7.3.1': 2,
  'V7.3.2': 2,
  // V7.4 Session Termination
  'V7.4.1': 1,
  'V7.4.2': 1,
  'V7.4.3': 2,
  'V7.4.4': 2,
  'V7.4.5': 2,
  // V7.5 Defenses Against Session Abuse
  'V7.5.1': 2,
  'V7.5.2': 2,
  // V7.6 Federated Re-authentication
  'V7.6.1': 2,
  'V7.6.2': 2,
  // V16.1 Security Logging Documentation
  'V16.1.1': 2,
  // V16.2 General Logging
  'V16.2.1': 2,
  'V16.2.2': 2,
  'V16.2.3': 2,
  'V16.2.4': 2,
  'V16.2.5': 2,
  // V16.3 Security Events
  'V16.3.1': 2,
  'V16.3.2': 2,
  'V16.3.3': 2,
  'V16.3.4': 2,
  // V16.4 Log Protection
  'V16.4.1': 2,
  'V16.4.2': 2,
  'V16.4.3': 2,
  // V16.5 Error Handling
  'V16.5.1': 2,
  'V16.5.2': 2,
  'V16.5.3': 2,
};

const STATUSES = ['met', 'not applicable', 'not met'] as const;
type Status = (typeof STATUSES)[number];

interface Row {
  readonly line: number;
  readonly id: string;
  readonly level: string;
  readonly requirement: string;
  readonly status: string;
  readonly evidence: string;
}

/** The cells of a markdown table row (no `|` inside a cell: the tables here have none). */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((cell) => cell.trim());
}

/** Every requirement row of the tables: a row whose first cell looks like a requirement id. */
function requirementRows(text: string): Row[] {
  const rows: Row[] = [];
  text.split('\n').forEach((line, index) => {
    if (!line.trim().startsWith('|')) return;
    const [id = '', level = '', requirement = '', status = '', evidence = '', ...rest] = cells(line);
    if (!/^V\d/.test(id)) return;
    rows.push({
      line: index + 1,
      id,
      level,
      requirement,
      status,
      evidence: rest.length === 0 ? evidence : [evidence, ...rest].join('|'),
    });
  });
  return rows;
}

/** A named test: `path/to/file.test.ts › title`. */
interface TestRef {
  readonly file: string;
  readonly title: string;
}

function testRefs(evidence: string): Array<TestRef | string> {
  // A title may hold "; " itself: a new reference starts only where a test file's path does.
  return evidence.split(/; (?=[\w@.-]+(?:\/[\w@.-]+)*\.test\.tsx? › )/).map((part) => {
    const at = part.indexOf(' › ');
    if (at < 0) return part;
    return { file: part.slice(0, at).trim(), title: part.slice(at + 3).trim() };
  });
}

/**
 * The titles of the tests a file declares: the first argument of `it(…)`, `test(…)` and
 * their `.each(…)(…)` forms, in single quotes, double quotes or backticks. Skipped and
 * to-do tests do not count: they show nothing.
 */
function testTitles(source: string): Set<string> {
  const titles = new Set<string>();
  const literal = /^\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/;
  const add = (rest: string) => {
    const match = literal.exec(rest);
    if (match !== null) titles.add((match[2] ?? '').replace(/\\(.)/g, '$1'));
  };
  for (const call of source.matchAll(/(?<![\w.])(?:it|test)(\.each|\.only|\.concurrent)?\s*\(/g)) {
    const open = (call.index ?? 0) + call[0].length;
    if (call[1] !== '.each') {
      add(source.slice(open));
      continue;
    }
    // it.each(table)('title', …): the title follows the table's closing parenthesis.
    const close = matchingParenthesis(source, open);
    if (close === undefined) continue;
    const next = /^\s*\(/.exec(source.slice(close + 1));
    if (next !== null) add(source.slice(close + 1 + next[0].length));
  }
  // clause(ids, 'title', …) (@alcove/core/testing): the title is the second argument.
  for (const call of source.matchAll(/(?<![\w.])clause\s*\(\s*/g)) {
    const rest = source.slice((call.index ?? 0) + call[0].length);
    const first = rest.startsWith('[') ? /^\[[^\]]*\]/.exec(rest) : literal.exec(rest);
    if (first === null) continue;
    const comma = /^\s*,/.exec(rest.slice(first[0].length));
    if (comma !== null) add(rest.slice(first[0].length + comma[0].length));
  }
  return titles;
}

/** The index of the `)` that closes the `(` just before `from`, skipping strings; undefined if none. */
function matchingParenthesis(source: string, from: number): number | undefined {
  let depth = 1;
  for (let i = from; i < source.length; i += 1) {
    const c = source[i];
    if (c === "'" || c === '"' || c === '`') {
      for (i += 1; i < source.length && source[i] !== c; i += 1) if (source[i] === '\\') i += 1;
    } else if (c === '(') depth += 1;
    else if (c === ')') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return undefined;
}

/** A list of problems, one per line, or nothing: failures read as a to-do list. */
function report(problems: readonly string[]): string {
  return problems.length === 0 ? '' : `\n${problems.map((p) => `  - ${p}`).join('\n')}\n`;
}

/** The text under a `### heading` of the doc, up to the next heading. */
function section(text: string, heading: string): string {
  const start = text.indexOf(`### ${heading}\n`);
  if (start < 0) return '';
  const rest = text.slice(start + heading.length + 5);
  const end = rest.search(/^#{2,3} /m);
  return end < 0 ? rest : rest.slice(0, end);
}

describe('the ASVS 5.0 checklist (docs/security/asvs.md)', () => {
  const text = fs.existsSync(DOC) ? fs.readFileSync(DOC, 'utf8') : '';
  const rows = requirementRows(text);

  it('exists and has requirement rows', () => {
    expect(fs.existsSync(DOC), `${DOC} is missing`).toBe(true);
    expect(rows.length).toBeGreaterThan(0);
  });

  it('has exactly one row for every Level 1 and 2 requirement of V3.3, V3.5, V6, V7 and V16', () => {
    const problems: string[] = [];
    const seen = new Map<string, number>();
    for (const row of rows) {
      const first = seen.get(row.id);
      if (first !== undefined)
        problems.push(`${row.id} (line ${row.line}) is listed again (first at line ${first})`);
      else seen.set(row.id, row.line);
      if (!(row.id in ASVS_L1_L2))
        problems.push(`${row.id} (line ${row.line}) is not a Level 1 or 2 requirement of these chapters`);
    }
    for (const id of Object.keys(ASVS_L1_L2)) {
      if (!seen.has(id)) problems.push(`${id} has no row`);
    }
    expect(problems, report(problems)).toEqual([]);
  });

  it('gives every row a valid id, its ASVS level, a one-line summary, a status and evidence', () => {
    const problems: string[] = [];
    for (const row of rows) {
      const where = `${row.id} (line ${row.line})`;
      if (!/^V\d{1,2}\.\d{1,2}\.\d{1,2}$/.test(row.id))
        problems.push(`${where}: the id is not of the form V6.3.1`);
      const level = ASVS_L1_L2[row.id];
      if (level !== undefined && row.level !== String(level))
        problems.push(`${where}: level "${row.level}", but ASVS 5.0.0 says ${level}`);
      if (row.requirement.length < 10) problems.push(`${where}: no summary of the requirement`);
      if (!(STATUSES as readonly string[]).includes(row.status))
        problems.push(`${where}: status "${row.status}" is not one of ${STATUSES.join(', ')}`);
      if (row.evidence.trim() === '') problems.push(`${where}: no evidence, reason or plan`);
    }
    expect(problems, report(problems)).toEqual([]);
  });

  it('gives every requirement not met or not applicable a written plan or reason', () => {
    const problems: string[] = [];
    for (const row of rows) {
      const status = row.status as Status;
      if (status === 'met') continue;
      // A sentence, not a placeholder.
      if (
        row.evidence.replace(/[^a-z]/gi, '').length < 20 ||
        /^(tbd|todo|n\/?a|-+)$/i.test(row.evidence.trim())
      )
        problems.push(
          `${row.id} (line ${row.line}) is "${status}" without a written ${status === 'not met' ? 'plan' : 'reason'}`,
        );
    }
    expect(problems, report(problems)).toEqual([]);
  });

  it('says where it stands: the counts and the requirements not met, as the tables have them', () => {
    const count = (status: Status) => rows.filter((row) => row.status === status).length;
    const notMet = rows.filter((row) => row.status === 'not met').map((row) => row.id);
    const summary = (/\*\*Where it stands:\*\*([\s\S]*?)\n\n/.exec(text)?.[1] ?? '')
      .replace(/\s+/g, ' ')
      .trim();
    expect(summary).toBe(
      `${rows.length} requirements: ${count('met')} met, ${count('not applicable')} not applicable, ${count('not met')} not met` +
        (notMet.length === 0 ? '.' : ` (${notMet.join(', ')}), each with its plan.`),
    );
  });

  it('names, for every met requirement, test files that exist and tests in them with exactly that title', () => {
    const problems: string[] = [];
    const titlesOf = new Map<string, Set<string>>();
    for (const row of rows.filter((r) => r.status === 'met')) {
      const where = `${row.id} (line ${row.line})`;
      const refs = testRefs(row.evidence);
      for (const ref of refs) {
        if (typeof ref === 'string') {
          problems.push(`${where}: "${ref}" is not written as path/to/file.test.ts › test title`);
          continue;
        }
        if (!/\.test\.tsx?$/.test(ref.file)) {
          problems.push(`${where}: ${ref.file} is not a test file`);
          continue;
        }
        const file = path.join(root, ref.file);
        if (!fs.existsSync(file)) {
          problems.push(`${where}: the test file ${ref.file} does not exist`);
          continue;
        }
        let titles = titlesOf.get(ref.file);
        if (titles === undefined) {
          titles = testTitles(fs.readFileSync(file, 'utf8'));
          titlesOf.set(ref.file, titles);
        }
        if (!titles.has(ref.title)) problems.push(`${where}: ${ref.file} has no test titled "${ref.title}"`);
      }
    }
    expect(problems, report(problems)).toEqual([]);
  });

  it('finds test titles written in single quotes, double quotes and backticks, and ignores skipped tests', () => {
    const titles = testTitles(
      [
        "it('single \\'quoted\\' title', async () => {});",
        'test("double quoted title", () => {});',
        'it(`backtick title`, () => {});',
        "  it(\n    'title on the next line',\n    () => {},\n  );",
        "it.each([1, 2])('each title %s', () => {});",
        "it.each([\n  ['a'.repeat(3), /x(y)/],\n])('multi-line each %s', () => {});",
        "it.skip('skipped title', () => {});",
        "it.todo('to-do title');",
        "submit('not a test', () => {});",
      ].join('\n'),
    );
    expect([...titles].sort()).toEqual(
      [
        "single 'quoted' title",
        'double quoted title',
        'backtick title',
        'title on the next line',
        'each title %s',
        'multi-line each %s',
      ].sort(),
    );
  });
});

describe('the decisions docs/security/asvs.md writes down', () => {
  const text = fs.existsSync(DOC) ? fs.readFileSync(DOC, 'utf8') : '';

  it('writes down the sign-in defences with the numbers the server uses', () => {
    const defences = section(text, 'Sign-in defences').replace(/\s+/g, ' ');
    expect(defences, 'the "Sign-in defences" section').not.toBe('');
    const minutes = (seconds: number) => `${seconds / 60} minutes`;
    const app = fs.readFileSync(path.join(root, 'packages', 'server', 'src', 'app.ts'), 'utf8');
    const perAddress = /signInRateLimit \?\? (\d+)/.exec(app)?.[1];
    expect(perAddress, 'the default sign-in rate limit in app.ts').toBeDefined();
    expect(defences).toContain(`at most ${perAddress} attempts a minute from one network address`);
    expect(defences).toContain(
      `${PASSWORD_LOCKOUT.limit} wrong passwords within ${minutes(PASSWORD_LOCKOUT.windowSeconds)}`,
    );
    expect(PASSWORD_LOCKOUT.delaysSeconds).toEqual([PASSWORD_LOCKOUT.capSeconds]);
    expect(defences).toContain(`waits ${minutes(PASSWORD_LOCKOUT.capSeconds)}, whatever is typed`);
    expect(SECOND_FACTOR_LOCKOUT.windowSeconds).toBe(24 * 60 * 60);
    expect(defences).toContain(
      `${SECOND_FACTOR_LOCKOUT.limit} wrong codes (authenticator or recovery code) within a day`,
    );
    const [first, ...others] = SECOND_FACTOR_LOCKOUT.delaysSeconds.map((s) => s / 60);
    expect(defences).toContain(
      `for ${first} minute${first === 1 ? '' : 's'}, then ${others.slice(0, -1).join(', ')} and ${others.at(-1)} minutes`,
    );
    expect(SECOND_FACTOR_LOCKOUT.capSeconds).toBe(24 * 60 * 60);
    expect(defences).toContain('up to a day');
  });

  it('writes down the context-specific words, and the dictionaries hold every one it says they hold', async () => {
    const words = section(text, 'Context-specific words').replace(/\s+/g, ' ');
    expect(words, 'the "Context-specific words" section').not.toBe('');
    expect(words).toContain("the person's own e-mail address and name, and the practice's name");
    const listed = /in zxcvbn-ts's dictionaries already:(.*)$/.exec(words)?.[1] ?? '';
    const inDictionaries = [...listed.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
    expect(inDictionaries).toContain('alcove');
    const en = await import('@zxcvbn-ts/language-en');
    const common = await import('@zxcvbn-ts/language-common');
    const known = new Set(
      [...Object.values(en.dictionary), ...Object.values(common.dictionary)].flatMap((list) =>
        (list as readonly (string | number)[]).map((word) => String(word).toLowerCase()),
      ),
    );
    expect(inDictionaries.filter((word) => !known.has(word))).toEqual([]);
  });

  describe('every way into an account', () => {
    let t: TestApp;
    beforeAll(async () => {
      const engine = testEngines[0];
      if (engine === undefined) throw new Error('no engine');
      t = await startTestApp(engine);
    });
    afterAll(async () => {
      await t?.close();
    });

    it('writes down every way into an account, each on a route that exists', () => {
      const ways = section(text, 'Ways into an account');
      expect(ways, 'the "Ways into an account" section').not.toBe('');
      const named = [...ways.matchAll(/`(GET|POST|PUT|PATCH|DELETE) (\/api\/v1\/[^`\s]+)`/g)].map(
        (m) => `${m[1]} ${m[2]}`,
      );
      expect(named.length).toBeGreaterThan(3);
      const flat = ways.replace(/\s+/g, ' ');
      expect(flat).toContain(
        `for **${REAUTHENTICATION_SECONDS / 60} minutes** the session may make API tokens`,
      );
      expect(flat).toContain(`ends after **${API_TOKEN_DEFAULT_DAYS} days**`);
      expect(flat).toContain(`**${API_TOKEN_MAX_DAYS} days** at most`);
      expect(flat).toContain(`working for **${PASSWORD_RESET_MINUTES} minutes**`);
      const routes = new Set(t.app.alcove.routes.map((r) => `${r.method} ${r.url}`));
      const problems = named
        .filter((route) => !routes.has(route))
        .map((r) => `${r} is written down but the app has no such route`);
      // The other way round: a route that takes a password, a code or an invitation and is
      // not written down is an undocumented pathway.
      const signingIn = [...routes].filter((route) =>
        /^POST \/api\/v1\/(?:auth\/(?:sign-in|mfa\/[\w-]+|practice|password-reset)|account\/reauthenticate|[\w-]+\/join|session\/kiosk\/end)$/.test(
          route,
        ),
      );
      for (const route of signingIn) {
        if (!named.includes(route)) problems.push(`${route} takes credentials but is not written down`);
      }
      expect(problems, report(problems)).toEqual([]);
    });
  });

  it('writes down the session timeouts the server enforces', () => {
    const sessions = section(text, 'Sessions').replace(/\s+/g, ' ');
    expect(sessions, 'the "Sessions" section').not.toBe('');
    expect(DEFAULT_SESSION_POLICY.idleSeconds % 60).toBe(0);
    expect(DEFAULT_SESSION_POLICY.absoluteSeconds % 3600).toBe(0);
    expect(sessions).toContain(`**${DEFAULT_SESSION_POLICY.idleSeconds / 60} minutes** without a request`);
    expect(sessions).toContain(`**${DEFAULT_SESSION_POLICY.absoluteSeconds / 3600} hours** after signing in`);
    expect(sessions).toContain('NIST SP 800-63B');
    // V7.1.2: how many sessions at once, and what happens at the limit.
    expect(sessions).toMatch(/any number of sessions at once/);
  });

  it('writes down the log inventory', () => {
    const inventory = section(text, 'Log inventory');
    expect(inventory, 'the "Log inventory" section').not.toBe('');
    const header = inventory.split('\n').find((line) => line.startsWith('| log |'));
    expect(header && cells(header)).toEqual([
      'log',
      'what it holds',
      'format',
      'where',
      'who reads it',
      'kept for',
    ]);
    const logs = inventory
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| log |') && !line.startsWith('| ---'))
      .map(cells);
    expect(logs.map((row) => row[0])).toEqual(['audit log', 'audit context', 'audit witness', 'server log']);
    for (const row of logs) {
      expect(
        row.filter((cell) => cell.length > 0),
        row[0],
      ).toHaveLength(6);
    }
    expect(inventory).toContain(`checkpoints signed every ${CHECKPOINT_EVERY} events`);
  });
});

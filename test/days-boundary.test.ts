import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * A calendar day is a `Day` from `packages/core/src/days.ts`, never a JavaScript `Date` at
 * midnight (issue 14: in British Summer Time a day parsed as local midnight and written
 * back as UTC came out one day early). Outside that module no source file may parse a day
 * string into a `Date`, cut a day out of `toISOString()`, or do day arithmetic with
 * date-fns on a `Date`. Tests may build days from instants they control, so `*.test.ts`
 * files are not scanned; everything else under packages/, scripts/, bench/ and test/ is.
 */
const root = path.resolve(import.meta.dirname, '..');
const DAY_MODULE = path.join('packages', 'core', 'src', 'days.ts');

const dayRules: ReadonlyArray<{ readonly name: string; readonly pattern: RegExp }> = [
  { name: 'parseISO', pattern: /\bparseISO\b/ },
  {
    name: 'toISOString().slice(0, 10)',
    pattern: /toISOString\(\)\s*\.\s*(?:slice|substring|substr)\(\s*0\s*,\s*10\s*\)/,
  },
  {
    name: 'date-fns day arithmetic',
    pattern:
      /from\s+['"]date-fns(?:\/(?:add\w*|sub\w*|differenceIn\w*|startOf\w*|endOf\w*|parse\w*|isSameDay|eachDayOfInterval))?['"]/,
  },
  { name: 'a Date made from a day string', pattern: /new Date\(\s*`\$\{[^}]+\}T/ },
  {
    name: 'a Date made from a day-valued field',
    pattern: /(?:new Date|Date\.parse)\(\s*(?:[\w.?]+\.)?\w*(?:day|Day|On|dateOfBirth|birthDate)\s*\)/,
  },
];

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    if (entry.isDirectory()) sources(rel, out);
    else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) out.push(rel);
  }
  return out;
}

function offences(text: string): string[] {
  return text
    .split('\n')
    .flatMap((line) => dayRules.filter((rule) => rule.pattern.test(line)).map((rule) => rule.name));
}

describe('calendar days live in one module', () => {
  it('refuses each way of treating a day as an instant (the rules bite)', () => {
    const probes: ReadonlyArray<readonly [string, string]> = [
      ["import { parseISO } from 'date-fns/parseISO';", 'parseISO'],
      ['const due = addMonths(parseISO(receivedOn), 1);', 'parseISO'],
      ['return d.toISOString().slice(0, 10);', 'toISOString().slice(0, 10)'],
      ['const today = new Date().toISOString().substring(0, 10);', 'toISOString().slice(0, 10)'],
      ["import { addMonths } from 'date-fns/addMonths';", 'date-fns day arithmetic'],
      [
        "import { differenceInCalendarDays } from 'date-fns/differenceInCalendarDays';",
        'date-fns day arithmetic',
      ],
      ["import { addDays, format } from 'date-fns';", 'date-fns day arithmetic'],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the probe is source text, not a template
      ['const d = new Date(`${day}T12:00:00Z`);', 'a Date made from a day string'],
      ['const born = new Date(identity.dateOfBirth);', 'a Date made from a day-valued field'],
      ['const at = Date.parse(request.receivedOn);', 'a Date made from a day-valued field'],
      ['if (new Date(day) < now) {', 'a Date made from a day-valued field'],
    ];
    for (const [line, rule] of probes) expect(offences(line), line).toContain(rule);
    // What is allowed: instants, formatting, and the day module's own functions.
    for (const line of [
      "import { format } from 'date-fns/format';",
      'const now = new Date().toISOString();',
      'const ends = new Date(Date.parse(session.startsAt) + minutes * 60_000);',
      'const due = addMonths(receivedOn, 1);',
      'const today = dayOf(clock());',
    ])
      expect(offences(line), line).toEqual([]);
  });

  it('finds none of them outside packages/core/src/days.ts', () => {
    const found = ['packages', 'scripts', 'bench', 'test']
      .flatMap((dir) => sources(dir))
      .filter((file) => file !== DAY_MODULE)
      .flatMap((file) => {
        const text = fs.readFileSync(path.join(root, file), 'utf8');
        return text
          .split('\n')
          .flatMap((line, i) => offences(line).map((rule) => `${file}:${i + 1}: ${rule}`));
      });
    expect(found).toEqual([]);
  });
});

/**
 * "Now" comes from one injectable clock (`AppOptions.now`, `core/src/clock.ts`), so a test
 * can put a whole server in August. In the server, only the clock's defaults and the
 * benchmarks' bare route may read the computer's clock directly.
 */
describe('the server reads one clock', () => {
  const allowed = new Set([
    path.join('packages', 'server', 'src', 'auth', 'service.ts'), // the default when no clock is given
    path.join('packages', 'server', 'src', 'mail.ts'), // the same, for the mailer on its own
    path.join('packages', 'server', 'src', 'auth', 'totp.ts'), // defaults; sign-in passes the clock's time
    path.join('packages', 'server', 'src', 'routes', 'bench.ts'), // the benchmarks' ceiling, demo only
  ]);
  it('never calls new Date() or Date.now() for "now" outside the clock', () => {
    const found = sources(path.join('packages', 'server', 'src'))
      .filter((file) => !allowed.has(file) && !file.includes(`${path.sep}testing${path.sep}`))
      .flatMap((file) =>
        fs
          .readFileSync(path.join(root, file), 'utf8')
          .split('\n')
          .flatMap((line, i) => (/new Date\(\)|Date\.now\(\)/.test(line) ? [`${file}:${i + 1}`] : [])),
      );
    expect(found).toEqual([]);
  });
});

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '@alcove/store/testing';
import { describe, expect, it } from 'vitest';

/**
 * The import directions of docs/ARCHITECTURE.md are enforced by the linter that
 * `npm run check` runs. This proves the rules bite: probe files that cross a boundary are
 * linted with the project's own biome.json, in a scratch copy of the layout.
 */
const root = path.resolve(import.meta.dirname, '..');
const biome = path.join(root, 'node_modules', '.bin', 'biome');

/**
 * Each probe: the folder under packages/ it sits in (`server/src/routes` for a route
 * handler), what it imports, whether that is allowed, and optionally the names it imports
 * (else `import * as`) and the file's own name (else probe-N.ts).
 */
type Probe = readonly [from: string, specifier: string, allowed: boolean, names?: string, file?: string];

const cases: ReadonlyArray<Probe> = [
  ['web', '@alcove/core', true],
  ['web', '@alcove/store', false],
  ['web', '@alcove/server', false],
  ['web', '@alcove/cli', false],
  ['web', '../../store/src/index.ts', false],
  ['web', '../../server/src/app.ts', false],
  ['web', 'node:fs', false],
  ['web', 'kysely', false],
  ['core', 'zod', true],
  ['core', 'node:crypto', false],
  ['core', '@alcove/store', false],
  ['core', '../../web/src/api.ts', false],
  ['store', '@alcove/core', true],
  ['store', '@alcove/server', false],
  ['server', '@alcove/store', true],
  ['server', '@alcove/cli', false],
  ['server', '../../web/src/main.tsx', false],
  ['cli', '@alcove/server', true],
  // Route handlers reach records through a request context, never the vault, keyring or SQL.
  ['server/src/routes', '@alcove/store', false, 'type Vault'],
  ['server/src/routes', '@alcove/store', false, 'Keyring'],
  ['server/src/routes', '@alcove/store', false, 'type Store'],
  ['server/src/routes', 'kysely', false],
  ['server/src/routes', 'kysely', false, 'sql'],
  ['server/src/routes', '@alcove/store', true, 'unreadableOf'],
  ['server/src/routes', '@alcove/store', true, 'type Opened, unreadableOf'],
  // Not by a namespace import, a relative path into store, or store's own files.
  ['server/src/routes', '@alcove/store', false],
  ['server/src/routes', '../../../store/src/vault.ts', false, 'type Vault'],
  ['server/src/routes', '@alcove/store/testing', false, 'createTestVault'],
  ['server/src/routes', '@alcove/cli', false],
  // The benchmark-only routes are the one named exception (docs/ARCHITECTURE.md).
  ['server/src/routes', '@alcove/store', true, 'type Vault', 'bench.ts'],
  // Contexts and services outside routes/ hold the vault.
  ['server', '@alcove/store', true, 'type Vault'],
];

describe('import boundaries', () => {
  const scratch = tempDir('alcove-boundaries-');
  fs.copyFileSync(path.join(root, 'biome.json'), path.join(scratch, 'biome.json'));
  const files = cases.map(([from, specifier, , names, file], i) => {
    const dir = path.join(scratch, 'packages', from.includes('/') ? from : path.join(from, 'src'));
    fs.mkdirSync(dir, { recursive: true });
    const where = path.join(dir, file ?? `probe-${i}.ts`);
    fs.writeFileSync(
      where,
      names === undefined
        ? `import * as probe from '${specifier}';\n\nexport const p = probe;\n`
        : `import { ${names} } from '${specifier}';\n`,
    );
    return fs.realpathSync(where);
  });
  // biome exits non-zero when it finds errors, as it must here: read its report either way.
  const report = spawnSync(
    biome,
    ['lint', '--vcs-enabled=false', '--reporter=github', '--max-diagnostics=none', '.'],
    { cwd: scratch, encoding: 'utf8' },
  ).stdout;
  const refused = new Set(
    report
      .split('\n')
      .filter((line) => line.includes('noRestrictedImports'))
      .map((line) => line.match(/file=([^,]+)/)?.[1])
      .filter((file) => file !== undefined)
      .map((file) => files.indexOf(fs.realpathSync(path.resolve(scratch, file)))),
  );

  it.each(
    cases.map(
      ([from, specifier, allowed, names, file], i) =>
        [from, file ?? '*', specifier, names ?? '*', allowed, i] as const,
    ),
  )('%s/%s importing %s { %s }: allowed = %s', (_from, _file, _specifier, _names, allowed, i) => {
    expect(refused.has(i)).toBe(!allowed);
  });
});

/**
 * SQL lives in store only (docs/ARCHITECTURE.md): no source file of the server or the CLI
 * builds a query, bar the benchmark-only routes. Tests and test support (`testing/`) may.
 */
describe('SQL only in store', () => {
  const RAW_SQL = [
    /\.(selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto|selectNoFrom|executeQuery)\(/,
    /\[\s*['"](selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto)['"]\s*\]/,
    /\bCompiledQuery\b/,
    /\.schema\.(createTable|alterTable|dropTable|createIndex|dropIndex)\(/,
    /\bsql(<[^>]*>)?`/,
    /\bsql\.\w+\(/,
  ];
  /** Whether the text imports a value (not only types) from a database driver or query builder. */
  function importsDriverValue(text: string): boolean {
    const imports = text.matchAll(
      /import\s+(type\s+)?([^;'"]*?)\s+from\s+['"](?:kysely|better-sqlite3|pg)(?:\/[^'"]*)?['"]/g,
    );
    for (const [, typeOnly, clause = ''] of imports) {
      if (typeOnly !== undefined) continue;
      const named = clause.match(/\{([\s\S]*)\}/);
      const outside = clause.replace(/\{[\s\S]*\}/, '').replace(/[\s,]/g, '');
      if (outside !== '') return true; // a default or namespace import
      const names = (named?.[1] ?? '')
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n !== '');
      if (names.some((n) => !n.startsWith('type '))) return true;
    }
    return false;
  }
  const EXCEPTIONS = new Set(['packages/server/src/routes/bench.ts']);

  function sources(dir: string): string[] {
    return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
      const relative = `${dir}/${entry.name}`;
      if (entry.isDirectory()) return entry.name === 'testing' ? [] : sources(relative);
      return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [relative] : [];
    });
  }

  it('finds no query built outside store, bar routes/bench.ts', () => {
    const files = [...sources('packages/server/src'), ...sources('packages/cli/src')];
    expect(files).toContain('packages/server/src/app.ts');
    expect(files).toContain('packages/server/src/routes/bench.ts');
    const offenders = files.filter(
      (file) =>
        !EXCEPTIONS.has(file) &&
        RAW_SQL.some((pattern) => pattern.test(fs.readFileSync(path.join(root, file), 'utf8'))),
    );
    expect(offenders).toEqual([]);
  });

  it('finds no value imported from kysely, better-sqlite3 or pg outside store (types only), bar routes/bench.ts', () => {
    const files = [...sources('packages/server/src'), ...sources('packages/cli/src')];
    const offenders = files.filter(
      (file) => !EXCEPTIONS.has(file) && importsDriverValue(fs.readFileSync(path.join(root, file), 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('would see one', () => {
    const probes = [
      "await db.selectFrom('client').select('id').execute();",
      'await sql`analyze`.execute(db);',
      "await trx.executeQuery(CompiledQuery.raw('delete from audit_event'));",
      "await db['deleteFrom']('audit_event').execute();",
      "await trx.replaceInto('client').values(row).execute();",
      "await db.with('x', (q) => q.selectNoFrom((eb) => eb.val(1).as('n'))).selectFrom('x');",
    ];
    for (const probe of probes)
      expect(
        RAW_SQL.some((pattern) => pattern.test(probe)),
        probe,
      ).toBe(true);
    for (const probe of [
      "import { sql as q } from 'kysely';",
      "import { type Transaction, sql } from 'kysely';",
      "import * as k from 'kysely';",
      "import Database from 'better-sqlite3';",
      "import pg from 'pg';",
    ])
      expect(importsDriverValue(probe), probe).toBe(true);
    for (const probe of [
      "import type { Transaction } from 'kysely';",
      "import { type Transaction } from 'kysely';",
    ])
      expect(importsDriverValue(probe), probe).toBe(false);
  });
});

/**
 * One concept per file (issue 17): a non-test source file of the server or the store over
 * about 450 lines is named in docs/ARCHITECTURE.md's paragraph saying why it stays whole.
 */
describe('rooms that show the design', () => {
  const LIMIT = 450;
  function sources(dir: string): string[] {
    return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
      const relative = `${dir}/${entry.name}`;
      if (entry.isDirectory()) return sources(relative);
      return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [relative] : [];
    });
  }

  it('keeps every server and store file under about 450 lines, or says in ARCHITECTURE why not', () => {
    const architecture = fs.readFileSync(path.join(root, 'docs', 'ARCHITECTURE.md'), 'utf8');
    const why =
      architecture.split(/\n\s*\n/).find((paragraph) => paragraph.includes('longer than about 450 lines')) ??
      '';
    const long = [...sources('packages/server/src'), ...sources('packages/store/src')].filter(
      (file) => fs.readFileSync(path.join(root, file), 'utf8').split('\n').length > LIMIT,
    );
    const unexplained = long.filter((file) => !why.includes(`\`${path.basename(file)}\``));
    expect(unexplained).toEqual([]);
  });
});

/**
 * A test proves a clause only by making one of its registered rules act (core/code/trace.ts):
 * no test may report a rule itself, or it could prove a clause it never exercised. The
 * tagging helper's own test is the one exception.
 */
describe('rules report themselves, never a test', () => {
  function tests(dir: string): string[] {
    return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
      const relative = `${dir}/${entry.name}`;
      if (entry.isDirectory())
        return entry.name === 'node_modules' || entry.name === 'dist' ? [] : tests(relative);
      return /\.test\.tsx?$/.test(entry.name) || relative.includes('/testing/') ? [relative] : [];
    });
  }

  it('finds ruleRan in no test file or test support, bar the tagging helper’s own test', () => {
    const files = [...tests('packages'), ...tests('test')];
    expect(files).toContain('packages/server/src/code-refusals.test.ts');
    const offenders = files.filter(
      (file) =>
        file !== 'packages/core/src/testing.test.ts' &&
        file !== 'test/boundaries.test.ts' &&
        /\bruleRan\b/.test(fs.readFileSync(path.join(root, file), 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});

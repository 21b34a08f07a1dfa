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

const cases: ReadonlyArray<readonly [from: string, specifier: string, allowed: boolean]> = [
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
];

describe('import boundaries', () => {
  const scratch = tempDir('alcove-boundaries-');
  fs.copyFileSync(path.join(root, 'biome.json'), path.join(scratch, 'biome.json'));
  cases.forEach(([from, specifier], i) => {
    const dir = path.join(scratch, 'packages', from, 'src');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, `probe-${i}.ts`),
      `import * as probe from '${specifier}';\n\nexport const p = probe;\n`,
    );
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
      .map((line) => line.match(/probe-(\d+)\.ts/)?.[1])
      .filter((index) => index !== undefined)
      .map(Number),
  );

  it.each(cases.map((c, i) => [...c, i] as const))(
    '%s importing %s: allowed = %s',
    (_from, _specifier, allowed, i) => {
      expect(refused.has(i)).toBe(!allowed);
    },
  );
});

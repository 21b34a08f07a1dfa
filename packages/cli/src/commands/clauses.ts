import { catalogue } from '@alcove/core';
import type { CliIo } from '../context.ts';

/**
 * `alcove clauses`: the coverage table of the Code, generated from the catalogue the
 * software itself uses: id, duty, status, rule, test. `--json` for machines.
 */
export function clausesCommand(io: CliIo, options: { json?: boolean }): void {
  if (options.json === true) {
    io.out(
      JSON.stringify(
        catalogue.map((c) => ({
          id: c.id,
          source: c.source,
          section: c.section,
          heading: c.heading,
          duty: c.duty,
          status: c.status,
          rules: c.rules ?? [],
          tests: c.tests ?? [],
          note: c.note ?? null,
          text: c.text,
        })),
        null,
        2,
      ),
    );
    return;
  }
  const rows = catalogue.map((c) => [
    c.id,
    c.duty,
    c.status,
    (c.rules ?? []).join(', '),
    (c.tests ?? [])[0] ?? c.note ?? '',
  ]);
  const widths = [8, 9, 12, 36];
  const cell = (text: string, width: number) =>
    text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
  io.out(
    ['clause', 'duty', 'status', 'rule'].map((h, i) => cell(h, widths[i] ?? 10)).join('  ') +
      '  test or note',
  );
  for (const [id, duty, status, rule, evidence] of rows) {
    io.out(
      `${[id, duty, status, rule].map((v, i) => cell(v ?? '', widths[i] ?? 10)).join('  ')}  ${evidence}`,
    );
  }
  const counts = new Map<string, number>();
  for (const c of catalogue) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
  io.out('');
  io.out(`${catalogue.length} clauses: ${[...counts].map(([status, n]) => `${n} ${status}`).join(', ')}.`);
}

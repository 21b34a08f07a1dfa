import { catalogue, claimedClauses, rulesForClause } from '@alcove/core';
import { clauseResultsFile, currentBuild, readClauseResults, repositoryRoot } from '../clause-results.ts';
import type { CliIo } from '../context.ts';
import { type ClauseProof, proveClauses, scanTaggedTests } from './clauses-proof.ts';

/**
 * `alcove clauses`: the coverage table of the Code, generated from the catalogue and the
 * registry the software itself uses: id, duty, status, rule, and for each clause Alcove
 * claims (enforced, checked, recorded) whether a passing test proves it, from the test
 * files' clause() tags and the last results (test-results/clauses.json, written by
 * `npm test`; "not run here" where there are none). `--json` for machines.
 */
export function clausesCommand(io: CliIo, options: { json?: boolean }): void {
  const resultsFile = clauseResultsFile(io.env);
  const found = readClauseResults(resultsFile);
  // Results from another commit say nothing about this one: shown as not run here.
  const build = currentBuild();
  const stale = found?.build !== undefined && build !== undefined && found.build.commit !== build.commit;
  const results = stale ? undefined : found;
  const proofs = new Map(
    proveClauses(results, scanTaggedTests(repositoryRoot), claimedClauses()).map((p) => [p.clause.id, p]),
  );
  const proofWord = (proof: ClauseProof | undefined) =>
    proof === undefined ? '' : proof.proven === null ? 'not run here' : proof.proven ? 'proven' : 'unproven';

  if (options.json === true) {
    io.out(
      JSON.stringify(
        catalogue.map((c) => {
          const proof = proofs.get(c.id);
          return {
            id: c.id,
            source: c.source,
            section: c.section,
            heading: c.heading,
            duty: c.duty,
            status: c.status,
            rules: rulesForClause(c.id).map((r) => ({
              id: r.id,
              kind: r.kind,
              ...(r.command === undefined ? {} : { command: r.command }),
            })),
            tests: (proof?.tests ?? []).map((t) => ({
              file: t.file,
              name: t.name,
              result: t.result,
              ...(t.ranNoRule === true ? { ranNoRule: true } : {}),
              runs: t.runs,
            })),
            proof: proof === undefined ? null : proofWord(proof),
            ...(proof?.why === undefined ? {} : { why: proof.why }),
            note: c.note ?? null,
            text: c.text,
          };
        }),
        null,
        2,
      ),
    );
    return;
  }

  const widths = [8, 9, 12, 36, 12];
  const cell = (text: string, width: number) =>
    text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
  io.out(
    `${['clause', 'duty', 'status', 'rule', 'proof'].map((h, i) => cell(h, widths[i] ?? 10)).join('  ')}  test or note`,
  );
  for (const c of catalogue) {
    const proof = proofs.get(c.id);
    const test =
      proof?.tests.find((t) => t.result === 'passed' && t.ranNoRule === undefined) ?? proof?.tests[0];
    const evidence = test === undefined ? (c.note ?? '') : `${test.name} (${test.result})`;
    const rule = [...new Set(rulesForClause(c.id).map((r) => r.id))].join(', ');
    io.out(
      `${[c.id, c.duty, c.status, rule, proofWord(proof)].map((v, i) => cell(v, widths[i] ?? 10)).join('  ')}  ${evidence}`,
    );
  }
  const counts = new Map<string, number>();
  for (const c of catalogue) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
  io.out('');
  io.out(`${catalogue.length} clauses: ${[...counts].map(([status, n]) => `${n} ${status}`).join(', ')}.`);
  const claimed = [...proofs.values()];
  if (results === undefined) {
    io.out(
      stale
        ? `Test results: not run here: ${resultsFile} is from commit ${found?.build?.commit.slice(0, 12)}, not this build (run npm test).`
        : `Test results: not run here (npm test writes ${resultsFile}).`,
    );
    return;
  }
  const unproven = claimed.filter((p) => p.proven === false);
  io.out(
    `${claimed.length} enforced, checked or recorded: ${claimed.length - unproven.length} proven by a passing test, ${unproven.length} not.`,
  );
  for (const proof of unproven) io.out(`  ${proof.clause.id}: ${proof.why}`);
}

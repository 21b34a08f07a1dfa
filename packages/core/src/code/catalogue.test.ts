import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogue, clause, isClauseId } from './catalogue.ts';
import { clauseTexts } from './clauses.generated.ts';
import { registeredRules, rulesForClause } from './registry.ts';
import { normaliseClauseText, parseSeed } from './seed-parser.ts';

// The seeds stand beside the repository (../shared/seeds), as they do in CI.
const seeds = process.env.ALCOVE_SEEDS ?? path.resolve(import.meta.dirname, '../../../../../shared/seeds');
if (!fs.existsSync(seeds))
  throw new Error(`The seed documents are not at ${seeds}: set ALCOVE_SEEDS to their folder`);
const gtSeed = fs.readFileSync(path.join(seeds, 'good-therapy-code-of-ethics-2019.txt'), 'utf8');
const pgSeed = fs.readFileSync(path.join(seeds, 'practice-guideline-5-confidentiality.txt'), 'utf8');

describe('the clause catalogue', () => {
  it('is what the seeds say today: the generated file is up to date', () => {
    expect(clauseTexts).toEqual([...parseSeed('GT', gtSeed), ...parseSeed('PG5', pgSeed)]);
  });

  it('lists every numbered clause of both documents, GT-1 to GT-115 and PG5-1 to PG5-8', () => {
    const ids = new Set(catalogue.map((c) => c.id));
    for (let n = 1; n <= 115; n += 1) expect(ids.has(`GT-${n}`), `GT-${n}`).toBe(true);
    for (const id of ['PG5-1', 'PG5-2', 'PG5-3', 'PG5-4', 'PG5-5', 'PG5-6a', 'PG5-6b', 'PG5-7', 'PG5-8'])
      expect(ids.has(id), id).toBe(true);
    expect(ids.has('PG5-6')).toBe(false);
    for (const id of ['GT-21a', 'GT-40c', 'GT-84d', 'GT-89f', 'GT-107m']) expect(ids.has(id), id).toBe(true);
  });

  it('quotes each clause word for word: its text stands in the seed after its number or letter', () => {
    const gt = normaliseClauseText(gtSeed);
    const pg = normaliseClauseText(pgSeed);
    for (const entry of catalogue) {
      const seed = entry.source === 'GT' ? gt : pg;
      const number = entry.id
        .replace(/^(GT|PG5)-/, '')
        .replace(/^(\d+)([a-z])?$/, (_m, n: string, letter?: string) =>
          entry.source === 'PG5' || letter === undefined ? n : letter,
        );
      expect(seed.includes(`${number}. ${entry.text}`), entry.id).toBe(true);
    }
  });

  it('keeps GT-36 a must and its written, signed form a should; principles are principles', () => {
    const duty = (id: string) => catalogue.find((c) => c.id === id)?.duty;
    expect(duty('GT-36')).toBe('must');
    expect(duty('GT-36a')).toBe('should');
    expect(duty('GT-36d')).toBe('must');
    expect(duty('GT-7')).toBe('principle');
    expect(duty('GT-92')).toBe('should');
    expect(duty('GT-45')).toBe('must');
    expect(duty('PG5-1')).toBe('must');
  });

  it('gives every entry a status, and a note where it is not enforced or checked', () => {
    for (const entry of catalogue) {
      expect(['enforced', 'checked', 'recorded', 'planned', 'out-of-scope'], entry.id).toContain(
        entry.status,
      );
      if (entry.status === 'recorded' || entry.status === 'planned' || entry.status === 'out-of-scope') {
        expect(entry.note?.length ?? 0, entry.id).toBeGreaterThan(10);
      }
      expect(entry.note, entry.id).not.toBe('Not yet assessed.');
    }
  });

  it('registers, for every enforced or checked clause, a rule that serves it, and for every recorded one its record; every registered rule cites clauses labelled so', () => {
    for (const entry of catalogue.filter((c) => c.status === 'enforced' || c.status === 'checked'))
      expect(
        rulesForClause(entry.id).filter((r) => r.kind !== 'record').length,
        `${entry.id} has no registered rule`,
      ).toBeGreaterThan(0);
    for (const entry of catalogue.filter((c) => c.status === 'recorded'))
      expect(
        rulesForClause(entry.id).filter((r) => r.kind === 'record').length,
        `${entry.id} names no record`,
      ).toBeGreaterThan(0);
    const clausesOf = new Map<string, string>();
    for (const rule of registeredRules) {
      expect(rule.clauses.length, `${rule.id} cites no clause`).toBeGreaterThan(0);
      for (const id of rule.clauses) {
        expect(isClauseId(id), `${rule.id}: ${id}`).toBe(true);
        // A clause a rule enforces or checks is labelled so: no rule stands behind a "planned".
        expect(
          rule.kind === 'record' ? ['recorded'] : ['enforced', 'checked'],
          `${rule.id}: ${id}`,
        ).toContain(clause(id)?.status);
      }
      // A rule two commands share is one rule: it cites the same clauses in both.
      const cited = [...rule.clauses].sort().join(' ');
      expect(clausesOf.get(rule.id) ?? cited, rule.id).toBe(cited);
      clausesOf.set(rule.id, cited);
    }
  });
});

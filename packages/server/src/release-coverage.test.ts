import { consentTypeLabels, consentTypes, entryKindLabels, entryKinds } from '@alcove/core';
import { createTestVault, testEngines } from '@alcove/store/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  CONSENT_TYPE_RELEASE,
  ENTRY_KIND_RELEASE,
  RELEASE_SECTIONS,
  type ReleaseTreatment,
  TABLE_RELEASE,
} from './release-coverage.ts';

/**
 * Every kind of record says whether and how a release holds it: a table a migration adds,
 * a new kind of entry or of consent, fails here until `release-coverage.ts` declares it.
 */
function expectDeclared(what: string, treatment: ReleaseTreatment | undefined): void {
  expect(treatment, `${what} has no release declaration`).toBeDefined();
  if (treatment === undefined) return;
  if (treatment.released) {
    expect(Object.keys(RELEASE_SECTIONS), `${what}: no such section`).toContain(treatment.section);
    expect(treatment.how.length, `${what}: say how it is released`).toBeGreaterThan(10);
  } else {
    expect(treatment.reason.length, `${what}: say why it is not released`).toBeGreaterThan(10);
  }
}

describe.each(testEngines)('what a release holds, declared for every table on $name', (engine) => {
  it('declares every table of a freshly migrated database, and no table that does not exist', async () => {
    const vault = await createTestVault(engine);
    try {
      // Kysely's introspection sees every schema on PostgreSQL: ask about the current one only.
      const query =
        engine.name === 'postgres'
          ? sql<{
              name: string;
            }>`select table_name as name from information_schema.tables where table_schema = current_schema()`
          : sql<{
              name: string;
            }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`;
      const tables = (await query.execute(vault.db)).rows.map((r) => r.name).sort();
      expect(tables.length).toBeGreaterThan(30);
      const declared = Object.keys(TABLE_RELEASE).sort();
      expect(
        tables.filter((t) => !declared.includes(t)),
        'tables with no release declaration',
      ).toEqual([]);
      expect(
        declared.filter((t) => !tables.includes(t)),
        'declarations for tables that do not exist',
      ).toEqual([]);
      for (const table of tables) expectDeclared(table, TABLE_RELEASE[table as keyof typeof TABLE_RELEASE]);
    } finally {
      await vault.close();
    }
  });
});

describe('what a release holds, declared for every kind of entry and consent', () => {
  const words = /^[A-Z][^-]*(?:-[A-Z0-9][^-]*)*$/;

  it('gives every kind of entry words and a release treatment', () => {
    for (const kind of entryKinds) {
      expect(entryKindLabels[kind], kind).toMatch(words);
      expectDeclared(`entry kind ${kind}`, ENTRY_KIND_RELEASE[kind]);
    }
    expect(Object.keys(entryKindLabels).sort()).toEqual([...entryKinds].sort());
    expect(Object.keys(ENTRY_KIND_RELEASE).sort()).toEqual([...entryKinds].sort());
  });

  it('gives every kind of consent words and a release treatment', () => {
    for (const type of consentTypes) {
      expect(consentTypeLabels[type], type).toMatch(words);
      if (type.includes('-')) expect(consentTypeLabels[type]).not.toContain(type);
      expectDeclared(`consent type ${type}`, CONSENT_TYPE_RELEASE[type]);
    }
    expect(Object.keys(consentTypeLabels).sort()).toEqual([...consentTypes].sort());
    expect(Object.keys(CONSENT_TYPE_RELEASE).sort()).toEqual([...consentTypes].sort());
  });
});

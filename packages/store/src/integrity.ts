import type { Kysely, Transaction } from 'kysely';
import { type AuditEventInput, appendAuditEvents } from './audit.ts';
import type { Database } from './schema.ts';
import type { SealedPlace } from './sealed.ts';
import { clientsOfSealedPlace } from './sealed-places.ts';

/**
 * Items that failed their integrity check, kept for the practice until they are put right.
 *
 * A read that finds a tampered field (sealed.ts) serves everything else and hands the
 * field's place here: an `integrity.failed` audit event is appended (ids and verbs only)
 * and a finding is kept, one per field, as a row of the practice's own settings table
 * (`practice_setting`, key `integrity-failed:<type>/<id>/<field>`): no new table, and it
 * is backed up and restored with the practice. A finding is resolved, with an
 * `integrity.resolved` event, once its field opens again (a restore put it back) or no
 * longer exists (it was deleted, or its key destroyed).
 */
const PREFIX = 'integrity-failed:';
/** The first key after every key that starts with PREFIX (':' + 1 is ';'). */
const PREFIX_END = 'integrity-failed;';

export interface StoredIntegrityFinding extends SealedPlace {
  readonly key: string;
  /** The clients whose record holds the field: who may be shown the finding. */
  readonly clientIds: readonly string[];
  /** When it was first found. */
  readonly foundAt: string;
}

function findingKey(place: SealedPlace): string {
  return `${PREFIX}${place.recordType}/${place.recordId}/${place.field}`;
}

/**
 * Records tampered fields found by one read, in the caller's transaction: an
 * `integrity.failed` event for each (who was reading, the record's type and id: nothing
 * it held), and a finding for each field not already found.
 */
export async function recordIntegrityFailures(
  trx: Transaction<Database>,
  input: {
    practiceId: string;
    places: readonly SealedPlace[];
    /** Who was reading and why, and when (the reader's audit event, without its verb). */
    reader: Pick<AuditEventInput, 'actorId' | 'purpose'> & { at: string };
  },
): Promise<void> {
  const unique = new Map(input.places.map((place) => [findingKey(place), place]));
  if (unique.size === 0) return;
  await appendAuditEvents(
    trx,
    [...unique.values()].map((place) => ({
      ...input.reader,
      practiceId: input.practiceId,
      action: 'integrity.failed',
      outcome: 'failed' as const,
      recordType: place.recordType,
      recordId: place.recordId,
    })),
  );
  for (const [key, place] of unique) {
    const clientIds = await clientsOfSealedPlace(trx, input.practiceId, place);
    await trx
      .insertInto('practice_setting')
      .values({
        practice_id: input.practiceId,
        key,
        value: JSON.stringify({
          recordType: place.recordType,
          recordId: place.recordId,
          field: place.field,
          clientIds,
          foundAt: input.reader.at,
        }),
        updated_at: input.reader.at,
        updated_by: input.reader.actorId ?? null,
      })
      // Found before: the first finding stands (with when it was first found).
      .onConflict((oc) => oc.columns(['practice_id', 'key']).doNothing())
      .execute();
  }
}

/** The practice's open integrity findings, oldest first. */
export async function integrityFindings(
  db: Kysely<Database>,
  practiceId: string,
): Promise<StoredIntegrityFinding[]> {
  const rows = await db
    .selectFrom('practice_setting')
    .select(['key', 'value'])
    .where('practice_id', '=', practiceId)
    .where('key', '>=', PREFIX)
    .where('key', '<', PREFIX_END)
    .execute();
  return rows
    .map((row) => {
      const value = JSON.parse(row.value) as Omit<StoredIntegrityFinding, 'key'>;
      return {
        key: row.key,
        recordType: value.recordType,
        recordId: value.recordId,
        field: value.field,
        clientIds: value.clientIds,
        foundAt: value.foundAt,
      };
    })
    .sort((a, b) => a.foundAt.localeCompare(b.foundAt) || a.key.localeCompare(b.key));
}

/** Closes a finding (its field opens again, or is gone), with an `integrity.resolved` event. */
export async function resolveIntegrityFinding(
  trx: Transaction<Database>,
  input: {
    practiceId: string;
    finding: StoredIntegrityFinding;
    reader: Pick<AuditEventInput, 'actorId' | 'purpose'> & { at: string };
  },
): Promise<void> {
  const removed = await trx
    .deleteFrom('practice_setting')
    .where('practice_id', '=', input.practiceId)
    .where('key', '=', input.finding.key)
    .executeTakeFirst();
  if (Number(removed.numDeletedRows) === 0) return;
  await appendAuditEvents(trx, [
    {
      ...input.reader,
      practiceId: input.practiceId,
      action: 'integrity.resolved',
      outcome: 'ok',
      recordType: input.finding.recordType,
      recordId: input.finding.recordId,
    },
  ]);
}

import { Confidential, newId } from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import { sealText } from './crypto/aead.ts';
import type { Keyring } from './keyring.ts';
import type { Database } from './schema.ts';
import { type Opened, openSealedText } from './sealed.ts';

/**
 * The sessions of a case: when, what kind, how, how long, who came; and where therapy went
 * ahead before every signature (GT-36a), the practitioner's reason, sealed under the case key.
 */
async function caseKeyId(db: Kysely<Database>, caseId: string): Promise<string> {
  return (
    await db.selectFrom('care_case').select('key_id').where('id', '=', caseId).executeTakeFirstOrThrow()
  ).key_id;
}

export interface TherapySession {
  readonly id: string;
  readonly kind: 'assessment' | 'therapy';
  readonly format: string;
  readonly startsAt: string;
  readonly minutes: number;
  readonly attendance: string;
  /** The participants who were there (ids); null where it was not recorded. */
  readonly present: readonly string[] | null;
  /**
   * The recorded reason where therapy went ahead before every signature (GT-36a), opened
   * (shredded or tampered where it cannot be read); null where there is none.
   */
  readonly overrideReason: Opened<Confidential<string>> | null;
}

export async function recordSession(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    practiceId: string;
    caseId: string;
    kind: 'assessment' | 'therapy';
    format: string;
    startsAt: string;
    minutes: number;
    attendance: string;
    present?: readonly string[] | undefined;
    overrideReason?: Confidential<string>;
    userId: string;
    now: string;
  },
): Promise<{ id: string }> {
  const id = newId();
  let sealedReason: string | null = null;
  if (input.overrideReason !== undefined) {
    const keyId = await caseKeyId(trx, input.caseId);
    const key = await keyring.dataKey(trx, input.practiceId, keyId);
    sealedReason = sealText(key, input.overrideReason.reveal(), {
      practiceId: input.practiceId,
      record: `session/${id}`,
      field: 'override-reason',
      keyId,
    });
  }
  await trx
    .insertInto('therapy_session')
    .values({
      id,
      case_id: input.caseId,
      kind: input.kind,
      format: input.format,
      starts_at: new Date(input.startsAt).toISOString(),
      minutes: input.minutes,
      attendance: input.attendance,
      present: input.present === undefined ? null : JSON.stringify([...input.present]),
      override_reason_sealed: sealedReason,
      created_by: input.userId,
      created_at: input.now,
    })
    .execute();
  return { id };
}

export async function listSessions(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  caseId: string,
): Promise<TherapySession[]> {
  const rows = await db
    .selectFrom('therapy_session')
    .selectAll()
    .where('case_id', '=', caseId)
    .orderBy('starts_at')
    .execute();
  const keyId = await caseKeyId(db, caseId);
  // A reason (or key) that failed its check is marked tampered, the sessions still listed.
  const key = rows.some((r) => r.override_reason_sealed !== null)
    ? (await keyring.dataKeysOrTampered(db, practiceId, [keyId])).get(keyId)
    : undefined;
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind as 'assessment' | 'therapy',
    format: r.format,
    startsAt: r.starts_at,
    minutes: r.minutes,
    attendance: r.attendance,
    present: r.present === null ? null : (JSON.parse(r.present) as string[]),
    overrideReason:
      r.override_reason_sealed === null
        ? null
        : openSealedText(
            key,
            r.override_reason_sealed,
            { practiceId, record: `session/${r.id}`, field: 'override-reason', keyId },
            (text) => new Confidential(text),
          ),
  }));
}

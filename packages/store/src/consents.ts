import { AlcoveError, Confidential, newId } from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import { type Binding, sealText } from './crypto/aead.ts';
import type { Keyring } from './keyring.ts';
import type { Database } from './schema.ts';
import { type Opened, openSealedText } from './sealed.ts';

/**
 * Consents: typed, scoped, dated, withdrawable, and always one person's own. "Which
 * consents were in force on this date" is answered from the dates, so a withdrawal
 * never rewrites the past.
 */
async function clientKeyId(db: Kysely<Database>, practiceId: string, clientId: string): Promise<string> {
  return (
    await db
      .selectFrom('client')
      .select('key_id')
      .where('id', '=', clientId)
      .where('practice_id', '=', practiceId)
      .executeTakeFirstOrThrow()
  ).key_id;
}

function recipientBinding(practiceId: string, consentId: string, keyId: string): Binding {
  return { practiceId, record: `consent/${consentId}`, field: 'recipient', keyId };
}

export async function giveConsent(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    practiceId: string;
    clientId: string;
    caseId?: string | undefined;
    type: string;
    recipient?: Confidential<string> | undefined;
    givenOn: string;
    givenBy: string;
    mode: string;
    recordedBy: string;
    now: string;
  },
): Promise<{ id: string }> {
  if (input.caseId !== undefined) {
    const inCase = await trx
      .selectFrom('participant')
      .select('id')
      .where('case_id', '=', input.caseId)
      .where('client_id', '=', input.clientId)
      .executeTakeFirst();
    if (inCase === undefined) {
      throw new AlcoveError('validation-failed', 'A consent is scoped to a case the client is in.', [
        { location: 'body', pointer: '/caseId', detail: 'This client is not in that case' },
      ]);
    }
  }
  const id = newId();
  let recipient: string | null = null;
  if (input.recipient !== undefined) {
    const keyId = await clientKeyId(trx, input.practiceId, input.clientId);
    const key = await keyring.dataKey(trx, input.practiceId, keyId);
    recipient = sealText(key, input.recipient.reveal(), recipientBinding(input.practiceId, id, keyId));
  }
  await trx
    .insertInto('consent')
    .values({
      id,
      practice_id: input.practiceId,
      client_id: input.clientId,
      case_id: input.caseId ?? null,
      type: input.type,
      recipient_sealed: recipient,
      given_on: input.givenOn,
      given_by: input.givenBy,
      mode: input.mode,
      withdrawn_on: null,
      recorded_by: input.recordedBy,
      created_at: input.now,
    })
    .execute();
  return { id };
}

export async function withdrawConsent(
  trx: Transaction<Database>,
  input: { practiceId: string; clientId: string; consentId: string; withdrawnOn: string },
): Promise<void> {
  const consent = await trx
    .selectFrom('consent')
    .selectAll()
    .where('id', '=', input.consentId)
    .where('client_id', '=', input.clientId)
    .where('practice_id', '=', input.practiceId)
    .executeTakeFirst();
  if (consent === undefined) throw new AlcoveError('not-found', 'This client has no such consent.');
  if (consent.withdrawn_on !== null)
    throw new AlcoveError('conflict', `This consent was withdrawn already, on ${consent.withdrawn_on}.`);
  if (input.withdrawnOn < consent.given_on) {
    throw new AlcoveError('validation-failed', 'A consent cannot be withdrawn before it was given.', [
      { location: 'body', pointer: '/withdrawnOn', detail: 'Before the day it was given' },
    ]);
  }
  await trx
    .updateTable('consent')
    .set({ withdrawn_on: input.withdrawnOn })
    .where('id', '=', consent.id)
    .execute();
}

export interface ConsentView {
  readonly id: string;
  readonly type: string;
  readonly caseId: string | null;
  /** The third party it names, opened (sealed.ts); null when it names none. */
  readonly recipient: Opened<Confidential<string>> | null;
  readonly givenOn: string;
  readonly givenBy: string;
  readonly mode: string;
  readonly withdrawnOn: string | null;
}

/** The client's consents; with `day`, only those in force on that day. */
export async function consentsOf(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  clientId: string,
  day?: string,
): Promise<ConsentView[]> {
  let query = db
    .selectFrom('consent')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('practice_id', '=', practiceId);
  if (day !== undefined) {
    query = query
      .where('given_on', '<=', day)
      .where((eb) => eb.or([eb('withdrawn_on', 'is', null), eb('withdrawn_on', '>', day)]));
  }
  const rows = await query.orderBy('given_on').orderBy('created_at').execute();
  const needsKey = rows.some((r) => r.recipient_sealed !== null);
  const keyId = needsKey ? await clientKeyId(db, practiceId, clientId) : undefined;
  const key = keyId === undefined ? undefined : (await keyring.dataKeys(db, practiceId, [keyId])).get(keyId);
  return rows.map((r) => ({
    id: r.id,
    type: r.type,
    caseId: r.case_id,
    recipient:
      r.recipient_sealed === null || keyId === undefined
        ? null
        : openSealedText(
            key,
            r.recipient_sealed,
            recipientBinding(practiceId, r.id, keyId),
            (text) => new Confidential(text),
          ),
    givenOn: r.given_on,
    givenBy: r.given_by,
    mode: r.mode,
    withdrawnOn: r.withdrawn_on,
  }));
}

export async function recordGillickAssessment(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    practiceId: string;
    clientId: string;
    caseId: string;
    assessedOn: string;
    competent: boolean;
    notes: Confidential<string>;
    recordedBy: string;
    now: string;
  },
): Promise<{ id: string }> {
  const participant = await trx
    .selectFrom('participant')
    .select('key_id')
    .where('case_id', '=', input.caseId)
    .where('client_id', '=', input.clientId)
    .executeTakeFirst();
  if (participant === undefined) {
    throw new AlcoveError('validation-failed', 'A Gillick assessment belongs to a case the client is in.', [
      { location: 'body', pointer: '/caseId', detail: 'This client is not in that case' },
    ]);
  }
  const id = newId();
  // Clinical, and the young person's own: sealed under their participant key.
  const key = await keyring.dataKey(trx, input.practiceId, participant.key_id);
  await trx
    .insertInto('gillick_assessment')
    .values({
      id,
      practice_id: input.practiceId,
      client_id: input.clientId,
      case_id: input.caseId,
      assessed_on: input.assessedOn,
      competent: input.competent ? 1 : 0,
      notes_sealed: sealText(key, input.notes.reveal(), {
        practiceId: input.practiceId,
        record: `gillick/${id}`,
        field: 'notes',
        keyId: participant.key_id,
      }),
      recorded_by: input.recordedBy,
      created_at: input.now,
    })
    .execute();
  return { id };
}

export interface GillickAssessmentView {
  readonly id: string;
  readonly caseId: string;
  readonly assessedOn: string;
  readonly competent: boolean;
  /** Opened (sealed.ts): read, shredded (the client's key in the case was destroyed) or tampered. */
  readonly notes: Opened<Confidential<string>>;
}

/** Every Gillick assessment of the client, in every case, oldest first. */
export async function gillickAssessmentsOf(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  clientId: string,
): Promise<GillickAssessmentView[]> {
  const rows = await db
    .selectFrom('gillick_assessment as g')
    .innerJoin('participant as p', (join) =>
      join.onRef('p.case_id', '=', 'g.case_id').onRef('p.client_id', '=', 'g.client_id'),
    )
    .select(['g.id', 'g.case_id', 'g.assessed_on', 'g.competent', 'g.notes_sealed', 'p.key_id'])
    .where('g.practice_id', '=', practiceId)
    .where('g.client_id', '=', clientId)
    .orderBy('g.assessed_on')
    .orderBy('g.created_at')
    .execute();
  const keys = await keyring.dataKeys(
    db,
    practiceId,
    rows.map((r) => r.key_id),
  );
  return rows.map((r) => ({
    id: r.id,
    caseId: r.case_id,
    assessedOn: r.assessed_on,
    competent: r.competent === 1,
    notes: openSealedText(
      keys.get(r.key_id),
      r.notes_sealed,
      { practiceId, record: `gillick/${r.id}`, field: 'notes', keyId: r.key_id },
      (text) => new Confidential(text),
    ),
  }));
}

/** Whether the newest Gillick assessment on or before `day`, for this case, found the client competent. */
export async function gillickCompetentOn(
  db: Kysely<Database>,
  clientId: string,
  caseId: string,
  day: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('gillick_assessment')
    .select('competent')
    .where('client_id', '=', clientId)
    .where('case_id', '=', caseId)
    .where('assessed_on', '<=', day)
    .orderBy('assessed_on', 'desc')
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.competent === 1;
}

/** Whether the latest assessment on or before `day`, in any case, finds the client competent to consent. */
export async function competentNow(db: Kysely<Database>, clientId: string, day: string): Promise<boolean> {
  const row = await db
    .selectFrom('gillick_assessment')
    .select('competent')
    .where('client_id', '=', clientId)
    .where('assessed_on', '<=', day)
    .orderBy('assessed_on', 'desc')
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.competent === 1;
}

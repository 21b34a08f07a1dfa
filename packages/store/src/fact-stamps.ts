import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';

/**
 * What a command's facts were read at. The command pipeline (server/src/context-base.ts,
 * `runCommand`) reads the facts and decrypts them outside the write transaction, then reads
 * this stamp again inside it: a stamp that moved means something the gate relied on changed
 * in between, and the facts are read again. Counts and states only: nothing sealed.
 */
export interface FactScope {
  readonly practiceId: string;
  /** The case: its status, clients, contract versions and their signatures. */
  readonly caseId?: string;
  /** These clients' consents and competence assessments. */
  readonly clientIds?: readonly string[];
  /** This practitioner's professional record (its versions) and declared connections. */
  readonly userId?: string;
  /** The practice's contract templates and settings. */
  readonly practice?: true;
  /** An entry (a note): its status, so a note signed meanwhile is seen. */
  readonly entryId?: string;
}

type Db = Kysely<Database> | Transaction<Database>;

export async function factStamp(db: Db, scope: FactScope): Promise<string> {
  const parts: unknown[] = [];
  if (scope.caseId !== undefined) {
    const theCase = await db
      .selectFrom('care_case')
      .select(['status', 'closed_at'])
      .where('id', '=', scope.caseId)
      .where('practice_id', '=', scope.practiceId)
      .executeTakeFirst();
    const participants = await db
      .selectFrom('participant')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('case_id', '=', scope.caseId)
      .executeTakeFirstOrThrow();
    const contracts = await db
      .selectFrom('contract')
      .select((eb) => [
        eb.fn.countAll<string | number>().as('n'),
        eb.fn.max('version').as('latest'),
        eb.fn.count<string | number>('superseded_at').as('superseded'),
      ])
      .where('case_id', '=', scope.caseId)
      .executeTakeFirstOrThrow();
    const signatures = await db
      .selectFrom('contract_signature')
      .innerJoin('contract', 'contract.id', 'contract_signature.contract_id')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('contract.case_id', '=', scope.caseId)
      .executeTakeFirstOrThrow();
    parts.push(theCase ?? null, participants.n, contracts, signatures.n);
  }
  if (scope.clientIds !== undefined && scope.clientIds.length > 0) {
    const consents = await db
      .selectFrom('consent')
      .select((eb) => [
        eb.fn.countAll<string | number>().as('n'),
        eb.fn.count<string | number>('withdrawn_on').as('withdrawn'),
      ])
      .where('practice_id', '=', scope.practiceId)
      .where('client_id', 'in', scope.clientIds)
      .executeTakeFirstOrThrow();
    const assessments = await db
      .selectFrom('gillick_assessment')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('practice_id', '=', scope.practiceId)
      .where('client_id', 'in', scope.clientIds)
      .executeTakeFirstOrThrow();
    parts.push(consents, assessments.n);
  }
  if (scope.userId !== undefined) {
    const versions = await db
      .selectFrom('profile_version')
      .select((eb) => [eb.fn.countAll<string | number>().as('n'), eb.fn.max('created_at').as('latest')])
      .where('practice_id', '=', scope.practiceId)
      .where('user_id', '=', scope.userId)
      .executeTakeFirstOrThrow();
    // Counted with the newest, so one removed and another added in between still moves it.
    const connections = await db
      .selectFrom('personal_connection')
      .select((eb) => [eb.fn.countAll<string | number>().as('n'), eb.fn.max('created_at').as('latest')])
      .where('practice_id', '=', scope.practiceId)
      .where('user_id', '=', scope.userId)
      .executeTakeFirstOrThrow();
    parts.push(versions, connections);
  }
  if (scope.practice === true) {
    const templates = await db
      .selectFrom('contract_template')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('practice_id', '=', scope.practiceId)
      .executeTakeFirstOrThrow();
    const settings = await db
      .selectFrom('practice_setting')
      .select(['key', 'value'])
      .where('practice_id', '=', scope.practiceId)
      .orderBy('key')
      .execute();
    parts.push(templates.n, settings);
  }
  if (scope.entryId !== undefined) {
    const entry = await db
      .selectFrom('entry')
      .select(['status', 'signed_at'])
      .where('id', '=', scope.entryId)
      .executeTakeFirst();
    parts.push(entry ?? null);
  }
  // PostgreSQL counts arrive as strings, SQLite's as numbers: one spelling for comparing.
  return JSON.stringify(parts, (_key, value: unknown) => (typeof value === 'number' ? String(value) : value));
}

import {
  type Attribution,
  type ClientIdentity,
  dayOf,
  newId,
  normaliseAttribution,
  passageKeyFor,
} from '@alcove/core';
import {
  type AuditEventInput,
  addMembership,
  appendAuditEvents,
  createUser,
  type Database,
  giveConsent,
  insertInBatches,
  type Keyring,
  refreshPlannerStatistics,
  type Store,
  sealClientIdentity,
  sealPassageText,
  writeCheckpoint,
} from '@alcove/store';
import type { Insertable } from 'kysely';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/**
 * The scale generator (`alcove demo --scale solo|organisation`): a fictional practice the size
 * of a busy solo practice or of a large organisation, for the benchmarks and for trying Alcove
 * with a full caseload. Everything is written through the same encryption as the application
 * (a key per client, per case and per participant; every passage sealed under the key its
 * attribution calls for; one hash chain of audit events), but in bulk: many rows a statement,
 * a thousand notes a transaction.
 *
 * Repeatable: the same seed on the same day gives the same clients, cases, sessions, dates and
 * text. Record ids and keys are new each time; keys must never be predictable.
 */
export interface ScalePlan {
  readonly practitioners: number;
  readonly clients: number;
  readonly notes: number;
  readonly years: number;
}

export const SCALES = {
  solo: { practitioners: 1, clients: 300, notes: 15_000, years: 20 },
  organisation: { practitioners: 1_000, clients: 100_000, notes: 1_000_000, years: 20 },
} as const satisfies Record<string, ScalePlan>;
export type ScaleName = keyof typeof SCALES;

/**
 * Cases the benchmarks use, always the first practitioner's first cases: `Case G000001` (the
 * record opened), `Case G000002` (the couple released) and `Case G000003` (notes saved).
 */
export const BENCH_RECORD_NOTES = 200;
export const BENCH_COUPLE_ENTRIES = 500;
export const BENCH_SAVES_SESSIONS = 10;

const GIVEN = [
  'Robin',
  'Sasha',
  'Kit',
  'Jude',
  'Ash',
  'Rowan',
  'Sky',
  'Ellis',
  'Remy',
  'Quinn',
  'Wren',
  'Tam',
];
const FAMILY = ['Fernwood', 'Larchmere', 'Hollybank', 'Thistledown', 'Brackenfold', 'Oakapple', 'Sorrelby'];
const SENTENCES = [
  'Talked about how the week had gone at home.',
  'Explored what gets in the way of asking for time together.',
  'Noticed the familiar pattern of one pursuing and the other withdrawing.',
  'Agreed to try the listening exercise before the next session.',
  'Reviewed the homework; it was started but not finished.',
  'Spoke about stress at work and how it carries into the evenings.',
  'Named what felt different since the last session.',
  'Looked at the sensate focus stage reached and what helped.',
  'Went back over the agreement about screens at bedtime.',
  'Talked about family visits over the holidays and the pressure they bring.',
  'Considered what each would like more of, and less of.',
  'Reflected on progress since the assessment.',
  'Planned how to raise the subject calmly at home.',
  'Discussed the ending and how many sessions are left.',
];
const SECTIONS = ['findings', 'decisions', 'information'] as const;

interface Random {
  int(from: number, to: number): number;
  float(): number;
}

function random(seed: number): Random {
  const rng: RandomGenerator = xoroshiro128plus(seed);
  return { int: (from, to) => uniformInt(rng, from, to), float: () => uniformFloat64(rng) };
}

const DAY = 86_400_000;

/** A batch of rows for one transaction, in the order foreign keys need them. */
interface Batch {
  data_key: Insertable<Database['data_key']>[];
  client: Insertable<Database['client']>[];
  care_case: Insertable<Database['care_case']>[];
  participant: Insertable<Database['participant']>[];
  therapy_session: Insertable<Database['therapy_session']>[];
  entry: Insertable<Database['entry']>[];
  passage: Insertable<Database['passage']>[];
  audit: (AuditEventInput & { at: string })[];
  notes: number;
}
const TABLES = [
  'data_key',
  'client',
  'care_case',
  'participant',
  'therapy_session',
  'entry',
  'passage',
] as const;

function emptyBatch(): Batch {
  return {
    data_key: [],
    client: [],
    care_case: [],
    participant: [],
    therapy_session: [],
    entry: [],
    passage: [],
    audit: [],
    notes: 0,
  };
}

export interface ScaleResult {
  readonly practitioners: number;
  readonly clients: number;
  readonly cases: number;
  readonly notes: number;
  readonly passages: number;
}

/**
 * Adds a scaled caseload to the demo practice. The demo practitioner is the first of the
 * plan's practitioners; the others are created here (without an authenticator: they are
 * there to own records, not to sign in).
 */
export async function generateScale(
  store: Store,
  keyring: Keyring,
  input: {
    practiceId: string;
    firstPractitionerId: string;
    passwordHash: string;
    plan: ScalePlan;
    seed: number;
    today?: Date;
    progress?: (done: number, total: number) => void;
  },
): Promise<ScaleResult> {
  const { db } = store;
  const { plan, practiceId } = input;
  const rand = random(input.seed);
  const today = new Date(input.today ?? new Date());
  today.setUTCHours(0, 0, 0, 0);
  const now = today.getTime();
  const iso = (ms: number) => new Date(ms).toISOString();
  const practiceKey = await keyring.practiceKey(db, practiceId);
  const newKeyFor = (batch: Batch, kind: 'client' | 'case' | 'participant', ownerId: string, at: string) => {
    const { row, key } = keyring.newDataKeyRow(practiceKey, practiceId, kind, ownerId, at);
    batch.data_key.push(row);
    return { id: row.id, key };
  };

  // ------------------------------------------------------------ practitioners
  const practitionerIds = [input.firstPractitionerId];
  for (let from = 1; from < plan.practitioners; from += 200) {
    await db.transaction().execute(async (trx) => {
      for (let i = from; i < Math.min(from + 200, plan.practitioners); i += 1) {
        const { id } = await createUser(trx, keyring, {
          email: `practitioner${i}@scale.alcove.invalid`,
          name: `${GIVEN[i % GIVEN.length]} Practitioner-${i} (generated, fictional)`,
          passwordHash: input.passwordHash,
        });
        await addMembership(trx, { userId: id, practiceId, role: 'practitioner' });
        practitionerIds.push(id);
      }
    });
  }

  const totals = { clients: 0, cases: 0, notes: 0, passages: 0 };
  let batch = emptyBatch();
  const flush = async () => {
    const current = batch;
    batch = emptyBatch();
    await db.transaction().execute(async (trx) => {
      for (const table of TABLES) await insertInBatches(trx, table, current[table]);
      await appendAuditEvents(trx, current.audit);
    });
    totals.notes += current.notes;
    input.progress?.(totals.notes, plan.notes);
  };

  let benchCouple: { caseId: string; clientIds: string[] } | undefined;
  for (const [p, practitionerId] of practitionerIds.entries()) {
    const clientCount =
      Math.floor(plan.clients / plan.practitioners) + (p < plan.clients % plan.practitioners ? 1 : 0);
    const noteCount =
      Math.floor(plan.notes / plan.practitioners) + (p < plan.notes % plan.practitioners ? 1 : 0);

    // Their cases: about one in three a couple; the first practitioner's first three cases are
    // the benchmarks' (a long record, a couple's long joint record, a case to save notes to).
    const cases: { clients: number; notes: number }[] = [];
    let left = clientCount;
    if (p === 0) {
      cases.push(
        { clients: 1, notes: BENCH_RECORD_NOTES },
        { clients: 2, notes: BENCH_COUPLE_ENTRIES },
        { clients: 1, notes: BENCH_SAVES_SESSIONS },
      );
      left -= 4;
    }
    while (left > 0) {
      const couple = left >= 2 && rand.float() < 0.35;
      cases.push({ clients: couple ? 2 : 1, notes: 0 });
      left -= couple ? 2 : 1;
    }
    const fixed = cases.reduce((sum, c) => sum + c.notes, 0);
    const free = cases.filter((c) => c.notes === 0);
    const weights = free.map(() => 0.2 + rand.float());
    const weightSum = weights.reduce((a, b) => a + b, 0);
    let notesLeft = Math.max(0, noteCount - fixed);
    for (const [i, c] of free.entries()) {
      c.notes =
        i === free.length - 1
          ? notesLeft
          : Math.min(notesLeft, Math.round(((weights[i] ?? 0) / weightSum) * (noteCount - fixed)));
      notesLeft -= c.notes;
    }

    for (const [caseIndex, shape] of cases.entries()) {
      // Weekly sessions, the case opened somewhere in the plan's years.
      const span = (shape.notes + 2) * 7 * DAY;
      const earliest = now - plan.years * 365 * DAY;
      const latest = Math.max(earliest, now - span - DAY);
      const openedAt = earliest + Math.floor(rand.float() * (latest - earliest));
      const opened = iso(openedAt);
      const clientIds: string[] = [];
      for (let c = 0; c < shape.clients; c += 1) {
        const n = totals.clients + 1;
        const clientId = newId();
        const key = newKeyFor(batch, 'client', clientId, opened);
        const identity: ClientIdentity = {
          name: `${GIVEN[rand.int(0, GIVEN.length - 1)]} ${FAMILY[rand.int(0, FAMILY.length - 1)]}-${n} (generated, fictional)`,
          dateOfBirth: `${rand.int(1950, 2004)}-${String(rand.int(1, 12)).padStart(2, '0')}-${String(rand.int(1, 28)).padStart(2, '0')}`,
          email: `client${n}@scale.alcove.invalid`,
        };
        batch.client.push({
          id: clientId,
          practice_id: practiceId,
          key_id: key.id,
          identity_sealed: sealClientIdentity(key.key, practiceId, clientId, key.id, identity),
          created_by: practitionerId,
          created_at: opened,
          name_index: null,
          dob_index: null,
        });
        batch.audit.push({
          at: opened,
          actorId: practitionerId,
          practiceId,
          action: 'client.create',
          outcome: 'ok',
          recordType: 'client',
          recordId: clientId,
          purpose: 'care',
        });
        clientIds.push(clientId);
        totals.clients += 1;
      }

      const caseId = newId();
      const caseKey = newKeyFor(batch, 'case', caseId, opened);
      const kind = shape.clients === 2 ? 'couple' : 'individual';
      const lastSession = openedAt + (shape.notes + 1) * 7 * DAY;
      const closed = lastSession < now - 60 * DAY;
      batch.care_case.push({
        id: caseId,
        practice_id: practiceId,
        kind,
        practitioner_id: practitionerId,
        status: closed ? 'closed' : 'active',
        format: 'in-person',
        key_id: caseKey.id,
        pseudonym: `Case G${String(totals.cases + 1).padStart(6, '0')}`,
        opened_at: opened,
        closed_at: closed ? iso(lastSession + 14 * DAY) : null,
      });
      const participants = clientIds.map((clientId, i) => {
        const id = newId();
        const key = newKeyFor(batch, 'participant', id, opened);
        batch.participant.push({
          id,
          case_id: caseId,
          client_id: clientId,
          label: kind === 'couple' ? `Partner ${String.fromCharCode(65 + i)}` : 'Client',
          key_id: key.id,
          joined_at: opened,
        });
        return { id, keyId: key.id, key: key.key };
      });
      if (p === 0 && caseIndex === 1) benchCouple = { caseId, clientIds };
      totals.cases += 1;

      const keyFor = (attribution: Attribution) => {
        const target = passageKeyFor(attribution);
        if (target.kind === 'case') return { keyId: caseKey.id, key: caseKey.key };
        const participant = participants.find((x) => x.id === target.participantId);
        if (participant === undefined) throw new Error('participant without a key');
        return { keyId: participant.keyId, key: participant.key };
      };

      for (let s = 0; s < shape.notes; s += 1) {
        const startsAt = iso(openedAt + (s + 1) * 7 * DAY + 10 * 3_600_000);
        const writtenAt = iso(Date.parse(startsAt) + 2 * 3_600_000);
        const sessionId = newId();
        batch.therapy_session.push({
          id: sessionId,
          case_id: caseId,
          kind: s === 0 ? 'assessment' : 'therapy',
          format: 'in-person',
          starts_at: startsAt,
          minutes: 50,
          attendance: 'attended',
          present: JSON.stringify(participants.map((x) => x.id)),
          override_reason_sealed: null,
          created_by: practitionerId,
          created_at: startsAt,
        });
        const entryId = newId();
        batch.entry.push({
          id: entryId,
          case_id: caseId,
          author_id: practitionerId,
          kind: 'session-note',
          occurred_at: startsAt,
          written_at: writtenAt,
          session_id: sessionId,
          status: 'signed',
          signed_at: writtenAt,
          late: 0,
          amends_id: null,
          amend_reason_sealed: null,
        });
        for (const [position, section] of SECTIONS.entries()) {
          // In a couple's notes, what each partner said is theirs; the rest is joint.
          const who = kind === 'couple' && position === 0 ? rand.int(0, 2) : 2;
          const owner = participants[who];
          const attribution: Attribution = owner === undefined ? [] : [owner.id];
          const { keyId, key } = keyFor(attribution);
          const sentences: string[] = [];
          for (let k = rand.int(3, 6); k > 0; k -= 1)
            sentences.push(SENTENCES[rand.int(0, SENTENCES.length - 1)] ?? '');
          const passageId = newId();
          batch.passage.push({
            id: passageId,
            entry_id: entryId,
            position,
            attribution: JSON.stringify(normaliseAttribution(attribution)),
            key_id: keyId,
            section,
            body_sealed: sealPassageText(
              key,
              practiceId,
              passageId,
              keyId,
              `<p>${sentences.join(' ')} (Generated, fictional.)</p>`,
            ),
          });
          totals.passages += 1;
        }
        batch.audit.push({
          at: writtenAt,
          actorId: practitionerId,
          practiceId,
          action: 'note.sign',
          outcome: 'ok',
          recordType: 'entry',
          recordId: entryId,
          purpose: 'care',
        });
        batch.notes += 1;
        if (batch.notes >= 1000) await flush();
      }
    }
  }
  await flush();
  await writeCheckpoint(db, keyring);
  // Fresh statistics for the query planner: without them PostgreSQL scanned every case to
  // open one record (22 ms instead of 1) until autovacuum came round.
  await refreshPlannerStatistics(db);

  // Both partners of the benchmarks' couple agree to joint material being released, so a
  // subject access release for either holds the whole joint record.
  if (benchCouple !== undefined) {
    const couple = benchCouple;
    await db.transaction().execute(async (trx) => {
      for (const clientId of couple.clientIds) {
        await giveConsent(trx, keyring, {
          practiceId,
          clientId,
          caseId: couple.caseId,
          type: 'joint-material-release',
          givenOn: dayOf(iso(now)),
          givenBy: 'client',
          mode: 'written-in-person',
          recordedBy: input.firstPractitionerId,
          now: iso(now),
        });
      }
    });
  }
  return { practitioners: practitionerIds.length, ...totals, notes: totals.notes };
}

/** For messages: a result as one line. */
export function describeScale(result: ScaleResult): string {
  const n = (x: number) => x.toLocaleString('en-GB');
  return `${n(result.practitioners)} practitioner${result.practitioners === 1 ? '' : 's'}, ${n(result.clients)} clients, ${n(result.cases)} cases, ${n(result.notes)} signed session notes (${n(result.passages)} passages)`;
}

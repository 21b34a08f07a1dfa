import fs from 'node:fs';
import path from 'node:path';
import * as core from '@alcove/core';
import {
  clause as clauseOf,
  commands,
  dayOf,
  emptyProfile,
  isOverridable,
  type Profile,
  problemDocumentSchema,
  problemType,
  type Role,
  registeredRules,
} from '@alcove/core';
import { clause } from '@alcove/core/testing';
import { createPractice, type Database, saveProfile } from '@alcove/store';
import { testEngines } from '@alcove/store/testing';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, bearer, startTestApp, type TestApp, type TestStaff } from './testing/app.ts';
import { contractText } from './testing/contracts.ts';

/**
 * Every refusal of the Code, through the real API (issue 17): for each rule of each
 * registered command (core/code/registry.ts), the facts that break that rule and no other,
 * the request that meets them, the problem document that cites the rule's clause, the one
 * audit event the refusal writes (`code.refused:<clause>`, denied, on the command's record),
 * and nothing else written. An overridable rule is then answered with a reason: the same
 * request goes ahead, and the override is audited. A command added to the registry without
 * a scenario here fails the first test.
 */

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
type Call = (method: Method, url: string, payload?: unknown) => Promise<LightMyRequestResponse>;
type Table = keyof Database;

interface RecordRef {
  readonly type: string;
  readonly id: string;
}

interface Override {
  readonly clause: string;
  readonly reason: string;
}

/** A fresh practice with its own practitioner, on the engine's one app. */
interface World {
  readonly t: TestApp;
  readonly practiceId: string;
  readonly me: TestStaff;
  readonly call: Call;
  as(who: TestStaff): Call;
  staff(role: Role, name: string): Promise<TestStaff>;
  client(identity: Record<string, unknown>): Promise<string>;
  openCase(clientIds: readonly string[]): Promise<string>;
  offer(caseId: string, text?: string): Promise<{ id: string; textHash: string }>;
  /** Offers the standard test contract and has the practitioner and every client sign it. */
  contracted(caseId: string, clientIds: readonly string[]): Promise<void>;
  profile(profile: Partial<Profile>): Promise<void>;
  rows(table: Table, where?: { column: string; value: string }): () => Promise<number>;
}

/** The facts are in place: what the rule refuses, and where its refusal is audited. */
interface Attempt {
  /** The request the rule refuses. */
  send(): Promise<LightMyRequestResponse>;
  /** The record the refusal is audited against. */
  readonly record: RecordRef;
  /** What the command would write, read before and after: a refusal changes nothing. */
  written(): Promise<unknown>;
  /** For an overridable rule: the same request, with the practitioner's reason. */
  override?(answer: Override): Promise<LightMyRequestResponse>;
  /** Where the override is audited, when not `code.override:<clause>` on `record`. */
  overrideAudit?(response: LightMyRequestResponse): { action: string; record: RecordRef };
}

type Scenario = (w: World) => Promise<Attempt>;

const CONTRACT = contractText('Our contract (fictional): weekly sessions of 50 minutes, and what we agree.');
const DAY = 86_400_000;
const instantAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString();
const dayAgo = (days: number) => dayOf(new Date(Date.now() - days * DAY));
/** A date of birth that makes a client 16 today and for the days around. */
const SIXTEEN = () => dayAgo(16 * 365 + 120);

/** The standard test contract without one of the Code's sections (its heading line taken out). */
function contractWithout(heading: string): string {
  const text = contractText('A contract (fictional): weekly sessions of 50 minutes, at the practice.');
  const without = text.replace(`\n${heading}\n`, '\n');
  if (without === text) throw new Error(`no "${heading}" heading in the test contract`);
  return without;
}

const YOUNG_READY: Partial<Profile> = {
  details: {
    ...emptyProfile.details,
    supervisor: {
      name: 'Supervisor (fictional)',
      since: '2020-01-01',
      experiencedWithYoungOrVulnerable: true,
    },
  },
  dbs: [{ id: '00000000-0000-4000-8000-000000000101', issuedOn: dayAgo(200), fullDisclosure: true }],
  training: [
    {
      id: '00000000-0000-4000-8000-000000000102',
      kind: 'under-18s',
      title: 'T (fictional)',
      completedOn: '2024-01-01',
    },
  ],
};

const therapy = (extra: Record<string, unknown> = {}) => ({
  kind: 'therapy',
  format: 'in-person',
  startsAt: instantAgo(1),
  minutes: 50,
  attendance: 'attended',
  ...extra,
});

/** A case with one 16-year-old client, its contract signed by all, ready for therapy but for what `prepare` leaves out. */
async function youngPersonCase(
  w: World,
  prepare: { profile: Partial<Profile>; adultConsent: boolean },
): Promise<Attempt> {
  await w.profile(prepare.profile);
  const clientId = await w.client({ name: 'Young Person (fictional)', dateOfBirth: SIXTEEN() });
  const caseId = await w.openCase([clientId]);
  await w.contracted(caseId, [clientId]);
  if (prepare.adultConsent) {
    const consent = await w.call('POST', `/clients/${clientId}/consents`, {
      type: 'appropriate-adult',
      caseId,
      givenOn: dayAgo(5),
      givenBy: 'appropriate-adult',
      mode: 'written-in-person',
    });
    expect(consent.statusCode).toBe(201);
  }
  return {
    send: () => w.call('POST', `/cases/${caseId}/sessions`, therapy()),
    record: { type: 'case', id: caseId },
    written: w.rows('therapy_session'),
  };
}

/** An adult's individual case; `contract`: none, offered only, or signed by all. */
async function adultCase(
  w: World,
  contract: 'none' | 'offered' | 'signed',
): Promise<{ caseId: string; clientId: string }> {
  const clientId = await w.client({ name: 'Adult Client (fictional)', dateOfBirth: '1980-04-04' });
  const caseId = await w.openCase([clientId]);
  if (contract === 'offered') await w.offer(caseId);
  if (contract === 'signed') await w.contracted(caseId, [clientId]);
  return { caseId, clientId };
}

/** A session note signed by its author, on an assessment held yesterday. */
async function signedNote(w: World): Promise<string> {
  const { caseId } = await adultCase(w, 'none');
  const session = await w.call('POST', `/cases/${caseId}/sessions`, therapy({ kind: 'assessment' }));
  expect(session.statusCode).toBe(201);
  const note = await w.call('POST', `/cases/${caseId}/notes`, {
    sessionId: session.json().id,
    passages: [{ section: 'findings', html: '<p>As signed (fictional).</p>', attribution: [] }],
  });
  expect(note.statusCode).toBe(201);
  const noteId = note.json().id as string;
  expect((await w.call('POST', `/notes/${noteId}/sign`, {})).statusCode).toBe(200);
  return noteId;
}

/** What a note is: its status and its passages as sealed. */
const noteAsStored = (w: World, noteId: string) => async () => ({
  entry: await w.t.vault.db
    .selectFrom('entry')
    .select(['status', 'signed_at', 'written_at'])
    .where('id', '=', noteId)
    .execute(),
  passages: await w.t.vault.db
    .selectFrom('passage')
    .select(['position', 'body_sealed'])
    .where('entry_id', '=', noteId)
    .orderBy('position')
    .execute(),
});

/** A couple case whose first client is named in material meant for supervision. */
async function namedCase(w: World): Promise<{ caseId: string; supervisor: TestStaff }> {
  const supervisor = await w.staff('supervisor', 'Supervisor Vale (fictional)');
  const rowan = await w.client({ name: 'Rowan Ash (fictional)', dateOfBirth: '1984-03-02' });
  const sky = await w.client({ name: 'Sky Birch (fictional)', dateOfBirth: '1986-07-09' });
  return { caseId: await w.openCase([rowan, sky]), supervisor };
}

const templateSection =
  (heading: string): Scenario =>
  async (w) => {
    const body = { name: 'Our template (fictional)', body: contractWithout(heading) };
    return {
      send: () => w.call('POST', '/settings/contract-templates', body),
      override: (o) => w.call('POST', '/settings/contract-templates', { ...body, overrides: [o] }),
      record: { type: 'practice', id: w.practiceId },
      written: w.rows('contract_template', { column: 'practice_id', value: w.practiceId }),
    };
  };

const contractSection =
  (heading: string): Scenario =>
  async (w) => {
    const { caseId } = await adultCase(w, 'none');
    const text = contractWithout(heading);
    return {
      send: () => w.call('POST', `/cases/${caseId}/contracts`, { text }),
      override: (o) => w.call('POST', `/cases/${caseId}/contracts`, { text, overrides: [o] }),
      record: { type: 'case', id: caseId },
      written: w.rows('contract', { column: 'case_id', value: caseId }),
    };
  };

const signedNoteNeverChanged =
  (send: (w: World, noteId: string) => Promise<LightMyRequestResponse>): Scenario =>
  async (w) => {
    const noteId = await signedNote(w);
    return {
      send: () => send(w, noteId),
      record: { type: 'entry', id: noteId },
      written: noteAsStored(w, noteId),
    };
  };

/** Keyed `${command.name}/${rule.id}`: one scenario for every rule of every registered command. */
const scenarios: Record<string, Scenario> = {
  'client.create/conflict-with-connection': async (w) => {
    const identity = { name: 'Rowan Kinsey-Hale (fictional)', dateOfBirth: '1990-05-05' };
    expect(
      (await w.call('POST', '/profile/connections', { relation: 'relative', ...identity })).statusCode,
    ).toBe(201);
    return {
      send: () => w.call('POST', '/clients', { identity }),
      record: { type: 'practice', id: w.practiceId },
      written: w.rows('client', { column: 'practice_id', value: w.practiceId }),
    };
  },

  'client.create/conflict-with-client': async (w) => {
    const earlier = await w.client({ name: 'Sable Orrin (fictional)', dateOfBirth: '1985-03-03' });
    const identity = { name: 'Sable Orrin (fictional)' };
    return {
      send: () => w.call('POST', '/clients', { identity }),
      // The route's answer to a GT-32 match is a recorded decision to go ahead, with the reason.
      override: (o) =>
        w.call('POST', '/clients', {
          identity,
          conflictDecisions: [{ matchId: earlier, decision: 'proceed', reason: o.reason }],
        }),
      overrideAudit: (response) => ({
        action: 'intake.decision:GT-32',
        record: { type: 'client', id: response.json().id },
      }),
      record: { type: 'practice', id: w.practiceId },
      written: w.rows('client', { column: 'practice_id', value: w.practiceId }),
    };
  },

  'profile.update-details/refuse-pending-accreditation': async (w) => {
    const details = {
      ...emptyProfile.details,
      membership: { category: 'Member', accreditation: 'pending', advertisesAccreditation: true },
    };
    return {
      send: () => w.call('PUT', '/profile/details', { details }),
      record: { type: 'profile', id: w.me.userId },
      written: w.rows('profile_version', { column: 'user_id', value: w.me.userId }),
    };
  },

  'profile.update-details/refuse-online-without-training': async (w) => {
    const details = {
      ...emptyProfile.details,
      worksWith: { under18s: false, vulnerableAdults: false, online: true },
    };
    return {
      send: () => w.call('PUT', '/profile/details', { details }),
      override: (o) => w.call('PUT', '/profile/details', { details, override: o }),
      record: { type: 'profile', id: w.me.userId },
      written: w.rows('profile_version', { column: 'user_id', value: w.me.userId }),
    };
  },

  'template.save/contract-section-rights': templateSection('Rights and responsibilities'),
  'template.save/contract-section-aims': templateSection('Aims of therapy'),
  'template.save/contract-section-ending': templateSection('How and when therapy ends'),

  'contract.offer/contract-without-blanks': async (w) => {
    const { caseId } = await adultCase(w, 'none');
    const text = contractText('Our contract (fictional): each session costs £___ and lasts ___ minutes.');
    return {
      send: () => w.call('POST', `/cases/${caseId}/contracts`, { text }),
      record: { type: 'case', id: caseId },
      written: w.rows('contract', { column: 'case_id', value: caseId }),
    };
  },
  'contract.offer/contract-section-rights': contractSection('Rights and responsibilities'),
  'contract.offer/contract-section-aims': contractSection('Aims of therapy'),
  'contract.offer/contract-section-ending': contractSection('How and when therapy ends'),

  'contract.sign/organisation-conditions-acknowledged': async (w) => {
    const admin = await w.staff('administrator', 'Administrator (fictional)');
    const conditions = 'Sessions are delivered under the conditions of Juniper Lane Service (fictional).';
    expect((await w.as(admin)('PUT', '/settings/organisation-conditions', { conditions })).statusCode).toBe(
      204,
    );
    const { caseId, clientId } = await adultCase(w, 'none');
    const contract = await w.offer(caseId);
    const contractSignatures = w.rows('contract_signature', { column: 'contract_id', value: contract.id });
    return {
      send: () =>
        w.call('POST', `/cases/${caseId}/contracts/${contract.id}/signatures`, {
          signer: { kind: 'client', clientId },
          textHash: contract.textHash,
          acknowledgedConditions: false,
        }),
      record: { type: 'case', id: caseId },
      written: contractSignatures,
    };
  },

  'session.record/appropriate-adult-consent': (w) =>
    youngPersonCase(w, { profile: YOUNG_READY, adultConsent: false }),
  'session.record/dbs-and-training-for-under-18s': (w) =>
    youngPersonCase(w, { profile: { ...YOUNG_READY, dbs: [] }, adultConsent: true }),
  'session.record/supervisor-for-under-18s': (w) =>
    youngPersonCase(w, {
      profile: {
        ...YOUNG_READY,
        details: {
          ...emptyProfile.details,
          supervisor: {
            name: 'Supervisor (fictional)',
            since: '2020-01-01',
            experiencedWithYoungOrVulnerable: false,
          },
        },
      },
      adultConsent: true,
    }),
  'session.record/online-session-without-training': async (w) => {
    const { caseId } = await adultCase(w, 'signed');
    const online = therapy({ format: 'online' });
    return {
      send: () => w.call('POST', `/cases/${caseId}/sessions`, online),
      override: (o) => w.call('POST', `/cases/${caseId}/sessions`, { ...online, override: o }),
      record: { type: 'case', id: caseId },
      written: w.rows('therapy_session', { column: 'case_id', value: caseId }),
    };
  },
  'session.record/contract-before-therapy': async (w) => {
    const { caseId } = await adultCase(w, 'none');
    return {
      send: () => w.call('POST', `/cases/${caseId}/sessions`, therapy()),
      record: { type: 'case', id: caseId },
      written: w.rows('therapy_session', { column: 'case_id', value: caseId }),
    };
  },
  'session.record/contract-signed-by-all': async (w) => {
    const { caseId } = await adultCase(w, 'offered');
    return {
      send: () => w.call('POST', `/cases/${caseId}/sessions`, therapy()),
      override: (o) => w.call('POST', `/cases/${caseId}/sessions`, therapy({ override: o })),
      record: { type: 'case', id: caseId },
      written: w.rows('therapy_session', { column: 'case_id', value: caseId }),
    };
  },

  'note.create/note-after-the-session': async (w) => {
    const { caseId } = await adultCase(w, 'none');
    const session = await w.call(
      'POST',
      `/cases/${caseId}/sessions`,
      therapy({ kind: 'assessment', startsAt: instantAgo(-1) }),
    );
    expect(session.statusCode).toBe(201);
    return {
      send: () =>
        w.call('POST', `/cases/${caseId}/notes`, {
          sessionId: session.json().id,
          passages: [{ section: 'findings', html: '<p>Too soon (fictional).</p>', attribution: [] }],
        }),
      record: { type: 'case', id: caseId },
      written: w.rows('entry', { column: 'case_id', value: caseId }),
    };
  },
  'note.edit/signed-note-never-changed': signedNoteNeverChanged((w, noteId) =>
    w.call('PUT', `/notes/${noteId}`, {
      passages: [{ section: 'findings', html: '<p>Rewritten (fictional).</p>', attribution: [] }],
    }),
  ),
  'note.delete/signed-note-never-changed': signedNoteNeverChanged((w, noteId) =>
    w.call('DELETE', `/notes/${noteId}`),
  ),
  'note.sign/signed-note-never-changed': signedNoteNeverChanged((w, noteId) =>
    w.call('POST', `/notes/${noteId}/sign`, {}),
  ),

  'supervision.present/presentation-without-identity': async (w) => {
    const { caseId, supervisor } = await namedCase(w);
    return {
      send: () =>
        w.call('POST', `/cases/${caseId}/presentations`, {
          supervisorId: supervisor.userId,
          presentedOn: dayAgo(1),
          material: '<p>Rowan withdraws when stressed.</p>',
        }),
      record: { type: 'case', id: caseId },
      written: w.rows('supervision_presentation', { column: 'case_id', value: caseId }),
    };
  },
  'case.declare-dual-relationship/presentation-without-identity': async (w) => {
    const { caseId, supervisor } = await namedCase(w);
    return {
      send: () =>
        w.call('POST', `/cases/${caseId}/dual-relationships`, {
          declaredOn: dayAgo(1),
          description: 'Rowan joined my choir.',
          supervisorId: supervisor.userId,
        }),
      record: { type: 'case', id: caseId },
      written: w.rows('dual_relationship', { column: 'case_id', value: caseId }),
    };
  },

  'referral.write/referral-with-consent': async (w) => {
    const { caseId, clientId } = await adultCase(w, 'none');
    return {
      send: () =>
        w.call('POST', `/cases/${caseId}/referrals`, {
          clientId,
          to: 'Dr Hollis (fictional)',
          reason: 'Medical review (fictional).',
        }),
      record: { type: 'case', id: caseId },
      written: w.rows('referral', { column: 'case_id', value: caseId }),
    };
  },
  'release.third-party/release-with-consent': async (w) => {
    const { clientId } = await adultCase(w, 'none');
    const registered = await w.call('POST', '/release-requests', {
      clientId,
      basis: 'third-party-consent',
      requester: 'Hollis & Co (fictional)',
      receivedOn: dayAgo(1),
    });
    expect(registered.statusCode).toBe(201);
    const requestId = registered.json().id as string;
    return {
      send: () => w.call('POST', `/release-requests/${requestId}/issue`, {}),
      record: { type: 'release-request', id: requestId },
      written: w.rows('release', { column: 'request_id', value: requestId }),
    };
  },

  'supervision.log/supervision-with-named-supervisor': async (w) => ({
    send: () => w.call('POST', '/supervision/sessions', { heldOn: dayAgo(3), minutes: 60 }),
    record: { type: 'profile', id: w.me.userId },
    written: w.rows('supervision_session', { column: 'practitioner_id', value: w.me.userId }),
  }),

  'research.export/k-anonymity': async (w) => {
    // One client with consent to research: no group of five can hold them.
    const { caseId, clientId } = await adultCase(w, 'none');
    expect(
      (await w.call('POST', `/cases/${caseId}/sessions`, therapy({ kind: 'assessment' }))).statusCode,
    ).toBe(201);
    expect(
      (
        await w.call('POST', `/clients/${clientId}/consents`, {
          type: 'research',
          givenOn: dayAgo(2),
          givenBy: 'client',
          mode: 'written-in-person',
        })
      ).statusCode,
    ).toBe(201);
    return {
      send: () => w.call('POST', '/research-exports', { purpose: 'research', k: 5 }),
      record: { type: 'practice', id: w.practiceId },
      // An export writes nothing but its audit event (checked with every other event below).
      written: async () => null,
    };
  },
};

interface Row {
  readonly key: string;
  readonly command: string;
  readonly rule: string;
  readonly clause: string;
  readonly overridable: boolean;
}

const rows: Row[] = commands.flatMap((command) =>
  command.rules.map((rule) => ({
    key: `${command.name}/${rule.id}`,
    command: command.name,
    rule: rule.id,
    clause: rule.clause,
    overridable: isOverridable(rule),
  })),
);

const REASON = 'A reason recorded for this test (fictional).';

describe('the registered commands and their refusal scenarios', () => {
  it('has a scenario for every rule of every registered command, and none for a rule that is not registered', () => {
    const registered = registeredRules
      .filter((r) => r.kind === 'command')
      .map((r) => `${r.command}/${r.id}`)
      .sort();
    expect(rows.map((r) => r.key).sort()).toEqual(registered);
    expect(
      rows.filter((r) => scenarios[r.key] === undefined).map((r) => r.key),
      'registered rules with no refusal scenario',
    ).toEqual([]);
    expect(
      Object.keys(scenarios).filter((key) => !rows.some((r) => r.key === key)),
      'scenarios for rules that are not registered',
    ).toEqual([]);
  });

  it('runs every registered command through the pipeline: ClauseRefusalError is built only in context-base.ts', () => {
    const root = path.resolve(import.meta.dirname, '../../..');
    const sources = ['packages/server/src', 'packages/cli/src'].flatMap((dir) =>
      (fs.readdirSync(path.join(root, dir), { recursive: true }) as string[])
        .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
        .map((file) => path.join(dir, file).split(path.sep).join('/')),
    );
    expect(sources.length).toBeGreaterThan(20);
    const text = new Map(sources.map((file) => [file, fs.readFileSync(path.join(root, file), 'utf8')]));
    const constructing = sources.filter((file) => /\bnew\s+ClauseRefusalError\b/.test(text.get(file) ?? ''));
    expect(constructing).toEqual(['packages/server/src/context-base.ts']);
    const gating = sources.filter((file) => /\bgate\(/.test(text.get(file) ?? ''));
    expect(gating).toEqual(['packages/server/src/context-base.ts']);
    // Each registered command is run by `runCommand` somewhere: `command: <its export>`.
    const exportName = new Map<unknown, string>(
      Object.entries(core).flatMap(([name, value]) =>
        commands.includes(value as (typeof commands)[number]) ? [[value, name] as const] : [],
      ),
    );
    const unrun = commands.filter((command) => {
      const name = exportName.get(command);
      if (name === undefined) return true;
      const run = new RegExp(`runCommand\\(\\{\\s*command:\\s*${name}\\b`);
      return !sources.some((file) => run.test(text.get(file) ?? ''));
    });
    expect(
      unrun.map((c) => c.name),
      'registered commands no server or CLI code runs through runCommand',
    ).toEqual([]);
  });
});

describe.each(testEngines)('every refusal of the Code through the API, audited, on $name', (engine) => {
  let t: TestApp;
  let worlds = 0;

  beforeAll(async () => {
    t = await startTestApp(engine);
  });
  afterAll(async () => {
    await t.close();
  });

  async function world(): Promise<World> {
    worlds += 1;
    const practice = await createPractice(
      t.vault.db,
      { name: `Practice ${worlds} (fictional)` },
      t.vault.keyring,
    );
    const practiceId = practice.id;
    const staff = (role: Role, name: string) =>
      addStaff(t.vault, {
        email: `${role}-${worlds}-${Math.random().toString(36).slice(2, 8)}@example.test`,
        name,
        roles: [role],
        practiceId,
      });
    const me = await staff('practitioner', 'Practitioner (fictional)');
    const as =
      (who: TestStaff): Call =>
      (method, url, payload) =>
        t.app.inject({
          method,
          url: `/api/v1${url}`,
          headers: bearer(who),
          ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
        });
    const call = as(me);
    const w: World = {
      t,
      practiceId,
      me,
      call,
      as,
      staff,
      async client(identity) {
        const created = await call('POST', '/clients', { identity });
        expect(created.statusCode, created.body).toBe(201);
        return created.json().id;
      },
      async openCase(clientIds) {
        const opened = await call('POST', '/cases', {
          kind: clientIds.length === 1 ? 'individual' : 'couple',
          clientIds,
        });
        expect(opened.statusCode, opened.body).toBe(201);
        return opened.json().id;
      },
      async offer(caseId, text = CONTRACT) {
        const offered = await call('POST', `/cases/${caseId}/contracts`, { text });
        expect(offered.statusCode, offered.body).toBe(201);
        return offered.json();
      },
      async contracted(caseId, clientIds) {
        const contract = await w.offer(caseId);
        for (const signer of [
          { kind: 'practitioner' },
          ...clientIds.map((clientId) => ({ kind: 'client', clientId })),
        ]) {
          const signed = await call('POST', `/cases/${caseId}/contracts/${contract.id}/signatures`, {
            signer,
            textHash: contract.textHash,
          });
          expect(signed.statusCode, signed.body).toBe(201);
        }
      },
      async profile(profile) {
        await t.vault.db
          .transaction()
          .execute((trx) =>
            saveProfile(trx, practiceId, me.userId, { ...emptyProfile, ...profile }, instantAgo(0)),
          );
      },
      rows: (table, where) => async () => {
        let query = t.vault.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n'));
        if (where !== undefined) query = query.where(where.column as never, '=', where.value as never);
        return Number((await query.executeTakeFirstOrThrow()).n);
      },
    };
    return w;
  }

  const lastSeq = async () =>
    Number(
      (
        await t.vault.db
          .selectFrom('audit_event')
          .select((eb) => eb.fn.max('seq').as('seq'))
          .executeTakeFirst()
      )?.seq ?? 0,
    );
  const eventsSince = (seq: number, practiceId: string) =>
    t.vault.db
      .selectFrom('audit_event')
      .select(['action', 'outcome', 'record_type', 'record_id', 'actor_id'])
      .where('seq', '>', seq)
      .where('practice_id', '=', practiceId)
      // The API token's own use (auth/service.ts: audited at most every 15 seconds) is not the command's.
      .where('action', '!=', 'api-token.used')
      .orderBy('seq')
      .execute();

  // Tuples, so the name shows the whole key (`$key` would be cut at 40 characters).
  const cases = rows
    .filter((r) => scenarios[r.key] !== undefined)
    .map((r) => [`${r.key} under ${r.clause}`, r] as const);
  clause.each(cases)(
    ([, row]) => row.clause,
    'refuses %s, with its problem document and its audit event, writing nothing else',
    async ([, row]) => {
      const w = await world();
      const attempt = await (scenarios[row.key] as Scenario)(w);
      const before = await attempt.written();
      const seq = await lastSeq();

      const refused = await attempt.send();
      expect(refused.statusCode, refused.body).toBe(422);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      const problem = problemDocumentSchema.parse(refused.json());
      expect(problem).toMatchObject({
        type: problemType('refused-by-code'),
        code: 'refused-by-code',
        status: 422,
        clause: row.clause,
        duty: clauseOf(row.clause)?.duty,
        overridable: row.overridable,
      });
      expect(problem.detail).toMatch(new RegExp(`^${row.clause}: `));
      // The one event the refusal writes, on the command's record, and nothing else.
      expect(await eventsSince(seq, w.practiceId)).toEqual([
        {
          action: `code.refused:${row.clause}`,
          outcome: 'denied',
          record_type: attempt.record.type,
          record_id: attempt.record.id,
          actor_id: w.me.userId,
        },
      ]);
      expect(await attempt.written()).toEqual(before);

      if (!row.overridable) return;
      expect(
        attempt.override,
        `${row.key} is overridable: its scenario answers it with a reason`,
      ).toBeDefined();
      const answered = await attempt.override?.({ clause: row.clause, reason: REASON });
      if (answered === undefined) return;
      expect(answered.statusCode, answered.body).toBeGreaterThanOrEqual(200);
      expect(answered.statusCode, answered.body).toBeLessThan(300);
      const audit = attempt.overrideAudit?.(answered) ?? {
        action: `code.override:${row.clause}`,
        record: attempt.record,
      };
      const after = await eventsSince(seq, w.practiceId);
      expect(after).toContainEqual({
        action: audit.action,
        outcome: 'ok',
        record_type: audit.record.type,
        record_id: audit.record.id,
        actor_id: w.me.userId,
      });
      expect(after.filter((e) => e.outcome === 'denied')).toHaveLength(1);
      expect(await attempt.written()).not.toEqual(before);
    },
  );
});

import {
  type Action,
  AGE_OF_MAJORITY,
  AlcoveError,
  addDays,
  addYears,
  ageOn,
  auditWitnessFinding,
  type CaseFormat,
  type CaseKind,
  ClauseRefusalError,
  type ClientIdentity,
  Confidential,
  type ConflictDecision,
  type ConnectionRelation,
  type CpdRequirement,
  can,
  conflictMatches,
  cpdTotals,
  cpdYear,
  DBS_CURRENT_YEARS,
  evaluateRules,
  type FieldIssue,
  INTEGRITY_ACTION,
  type IntegrityFinding,
  integrityRecordLabel,
  isClauseId,
  londonDay,
  type NewEntry,
  type NewProfileItem,
  NOTIFICATION_DAYS,
  type newConsentSchema,
  type newGillickAssessmentSchema,
  newId,
  type Profile,
  type ProfileDetails,
  type Resource,
  refusalsForDetails,
  richTextProblems,
  type SessionKind,
  sessionGate,
  signatureGate,
  unresolvedConflicts,
  youngPersonGate,
} from '@alcove/core';
import {
  addConnection,
  addEntry,
  allClientIds,
  appendAuditEvent,
  auditEventsForRecords,
  auditWitnessChecks,
  type CaseFacts,
  type ClauseOverride,
  type ConsentView,
  clientFacts,
  clientIdsOfPractitioner,
  consentsOf,
  contractExists,
  cpdRequirementOf,
  createClient,
  createContractVersion,
  currentContract,
  currentProfile,
  type Database,
  gillickCompetentOn,
  giveConsent,
  integrityFindings,
  knownPeopleFor,
  listConnections,
  listSessions,
  matchKeysFor,
  type Opened,
  openCase,
  openClientIdentities,
  organisationConditionsOf,
  overridesOf,
  type RecordCase,
  readableContract,
  readClientCases,
  readClientIdentities,
  recheckSealed,
  recordAuditEvent,
  recordGillickAssessment,
  recordIntakeDecision,
  recordOverride,
  recordSession,
  removeConnection,
  resolveIntegrityFinding,
  saveProfile,
  setCaseStatus,
  setCpdRequirement,
  signContract,
  templateById,
  userNames,
  withdrawConsent,
} from '@alcove/store';
import type { Transaction } from 'kysely';
import type { z } from 'zod';
import { ContextBase } from './context-base.ts';

type ListSection = NewProfileItem['section'];

/** Date checks a schema cannot make alone: pairs of dates, and days that have not yet come. */
function itemProblems(input: NewProfileItem, today: string): FieldIssue[] {
  const problems: FieldIssue[] = [];
  const issue = (field: string, detail: string) =>
    problems.push({ location: 'body', pointer: `/item/${field}`, detail });
  const notYet = (field: string, day: string) => {
    if (day > today) issue(field, 'This day has not come yet');
  };
  switch (input.section) {
    case 'insurance':
      if (input.item.endsOn < input.item.startsOn) issue('endsOn', 'The cover cannot end before it starts');
      break;
    case 'careerBreaks':
      if (input.item.to !== undefined && input.item.to < input.item.from)
        issue('to', 'A break cannot end before it starts');
      if (input.item.returnAgreedOn !== undefined) notYet('returnAgreedOn', input.item.returnAgreedOn);
      break;
    case 'notifications':
      notYet('occurredOn', input.item.occurredOn);
      if (input.item.notifiedOn !== undefined && input.item.notifiedOn < input.item.occurredOn) {
        issue('notifiedOn', 'COSRT cannot have been told before it happened');
      }
      break;
    case 'cpd':
      if (input.item.date > today) issue('date', 'CPD is recorded once it has been done');
      break;
    case 'dbs':
      notYet('issuedOn', input.item.issuedOn);
      break;
    case 'training':
      notYet('completedOn', input.item.completedOn);
      break;
    case 'qualifications':
      notYet('awardedOn', input.item.awardedOn);
      break;
  }
  return problems;
}

/**
 * What a route handler may do, and the only way it reaches the records: built per
 * request around the signed-in actor. Every operation asks `can` first; a record the
 * actor may not see is "not found", exactly as if it did not exist, and the refusal is
 * audited. Every read and write is audited in the same transaction as the act.
 */
export class RequestContext extends ContextBase {
  // ------------------------------------------------------------ clients

  /** The clients the actor may see the identity of: their own, or all for an administrator. */
  async listClients(
    name?: string,
  ): Promise<{ id: string; identity: Opened<Confidential<ClientIdentity>>; createdAt: string }[]> {
    await this.require('client.list', this.practiceResource(), 'practice', this.actor.practiceId);
    // An administrator may see every client's identity; anyone else at most the clients they
    // created or treat, found in SQL first. `can` still decides for each one.
    let ids = this.actor.roles.includes('administrator')
      ? await allClientIds(this.vault.db, this.actor.practiceId)
      : await clientIdsOfPractitioner(this.vault.db, this.actor.practiceId, this.actor.userId);
    if (name !== undefined) {
      // Found through the keyed blind index: no name is stored, or searched, in clear.
      const { nameIndex } = await matchKeysFor(this.vault.db, this.vault.keyring, name, undefined);
      const rows = await this.vault.db
        .selectFrom('client')
        .select('id')
        .where('practice_id', '=', this.actor.practiceId)
        .where('name_index', '=', nameIndex)
        .execute();
      const matching = new Set(rows.map((r) => r.id));
      ids = ids.filter((id) => matching.has(id));
    }
    const facts = await clientFacts(this.vault.db, this.actor.practiceId, ids);
    const visible = ids.filter((id) => {
      const f = facts.get(id);
      return f !== undefined && can(this.actor, 'client.read-identity', { type: 'client', ...f });
    });
    // One identity that cannot be read never keeps the list from the others: a shredded
    // client is left out, a tampered one listed as failing its integrity check.
    const identities = await openClientIdentities(this.vault, this.actor.practiceId, visible);
    await recordAuditEvent(this.vault.db, this.event('client.list', 'practice', this.actor.practiceId));
    await this.reportTampered(identities.values());
    return visible.flatMap((id) => {
      const identity = identities.get(id);
      const f = facts.get(id);
      return identity === undefined || f === undefined || (!identity.ok && identity.reason === 'shredded')
        ? []
        : [{ id, identity, createdAt: f.createdAt }];
    });
  }

  /**
   * Takes a client on, after the conflict check (GT-28, GT-32): a declared personal
   * connection is refused; a match with one of the practitioner's clients needs a recorded
   * decision; a false match is cleared with a recorded "different person" decision.
   */
  async createClient(
    identity: ClientIdentity,
    decisions: readonly { matchId: string; decision: ConflictDecision; reason: string }[] = [],
  ): Promise<{ id: string }> {
    await this.require('client.create', this.practiceResource(), 'practice', this.actor.practiceId);
    if (identity.dateOfBirth !== undefined && identity.dateOfBirth > this.today()) {
      throw new AlcoveError('validation-failed', 'A date of birth cannot be in the future.', [
        { location: 'body', pointer: '/identity/dateOfBirth', detail: 'This day has not come yet' },
      ]);
    }
    const keys = await matchKeysFor(this.vault.db, this.vault.keyring, identity.name, identity.dateOfBirth);
    const matches = conflictMatches(
      keys,
      await knownPeopleFor(this.vault.db, this.actor.practiceId, this.actor.userId),
    );
    const decided = new Map(decisions.map((d) => [d.matchId, d.decision]));
    const unresolved = unresolvedConflicts(matches, decided);
    const first = unresolved[0];
    if (first !== undefined) {
      await recordAuditEvent(
        this.vault.db,
        this.event(`code.refused:${first.clause.id}`, 'practice', this.actor.practiceId, 'denied'),
      );
      throw new ClauseRefusalError({
        clause: first.clause,
        overridable: first.overridable,
        detail:
          first.kind === 'connection'
            ? 'This person matches one of your declared personal connections. If they are a different person, record that; otherwise they cannot be your client.'
            : 'This person matches one of your clients, current or past. Record whether they are a different person, or why you go ahead.',
        matches: unresolved.map((m) => ({
          matchId: m.matchId,
          kind: m.kind,
          clause: m.clause.id,
          overridable: m.overridable,
        })),
      });
    }
    return this.vault.db.transaction().execute(async (trx) => {
      const now = this.now();
      const created = await createClient(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        createdBy: this.actor.userId,
        identity: new Confidential(identity),
        matchKeys: keys,
        now,
      });
      for (const match of matches) {
        const decision = decisions.find((d) => d.matchId === match.matchId);
        if (decision === undefined) continue;
        await recordIntakeDecision(trx, this.vault.keyring, {
          practiceId: this.actor.practiceId,
          userId: this.actor.userId,
          clientId: created.id,
          matchKind: match.kind,
          matchId: match.matchId,
          clause: match.clause.id,
          decision: decision.decision,
          reason: decision.reason,
          now,
        });
        await appendAuditEvent(trx, this.event(`intake.decision:${match.clause.id}`, 'client', created.id));
      }
      await appendAuditEvent(trx, this.event('client.create', 'client', created.id));
      return created;
    });
  }

  // ------------------------------------------------------------ personal connections (GT-28)

  async listConnections() {
    await this.require('profile.manage', this.#own(), 'profile', this.actor.userId);
    return listConnections(this.vault.db, this.vault.keyring, this.actor.practiceId, this.actor.userId);
  }

  async addConnection(input: {
    relation: ConnectionRelation;
    name: string;
    dateOfBirth?: string | undefined;
  }): Promise<{ id: string }> {
    await this.require('profile.manage', this.#own(), 'profile', this.actor.userId);
    return this.vault.db.transaction().execute(async (trx) => {
      const created = await addConnection(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        userId: this.actor.userId,
        ...input,
        now: this.now(),
      });
      await appendAuditEvent(trx, this.event('profile.add-connection', 'profile', this.actor.userId));
      return created;
    });
  }

  async removeConnection(id: string): Promise<void> {
    await this.require('profile.manage', this.#own(), 'profile', this.actor.userId);
    const removed = await this.vault.db.transaction().execute(async (trx) => {
      const done = await removeConnection(trx, this.actor.practiceId, this.actor.userId, id);
      if (done)
        await appendAuditEvent(trx, this.event('profile.remove-connection', 'profile', this.actor.userId));
      return done;
    });
    if (!removed) throw new AlcoveError('not-found', 'You have no such connection.');
  }

  /** The client's identity and contact details; tampered, they are never shown, and are audited. */
  async readClientIdentity(clientId: string): Promise<Opened<Confidential<ClientIdentity>>> {
    await this.require('client.read-identity', await this.clientResource(clientId), 'client', clientId);
    return this.vault.db.transaction().execute(async (trx) => {
      const identity = (
        await openClientIdentities({ db: trx, keyring: this.vault.keyring }, this.actor.practiceId, [
          clientId,
        ])
      ).get(clientId);
      await appendAuditEvent(trx, this.event('client.read-identity', 'client', clientId));
      if (identity === undefined || (!identity.ok && identity.reason === 'shredded'))
        throw new AlcoveError('not-found', 'This client’s details have been destroyed.');
      await this.reportTampered([identity], trx);
      return identity;
    });
  }

  /** The clinical record: every case the client is in, with its entries. */
  async readClientRecord(clientId: string): Promise<RecordCase[]> {
    await this.require('client.read-clinical', await this.clientResource(clientId), 'client', clientId);
    return this.vault.db.transaction().execute(async (trx) => {
      const cases = await readClientCases(
        { db: trx, keyring: this.vault.keyring },
        this.actor.practiceId,
        clientId,
      );
      await appendAuditEvent(trx, this.event('client.read-record', 'client', clientId));
      // A tampered passage is served as failing its integrity check, with every other one.
      await this.reportTampered(
        cases.flatMap((c) => c.entries.flatMap((e) => e.passages.map((p) => p.text))),
        trx,
      );
      return cases;
    });
  }

  /** Who has read or changed this client's records, newest first. */
  async readAccessHistory(clientId: string) {
    await this.require('client.read-access-history', await this.clientResource(clientId), 'client', clientId);
    const events = await auditEventsForRecords(this.vault.db, this.actor.practiceId, [clientId]);
    const names = await userNames(
      this.vault.db,
      this.vault.keyring,
      events.flatMap((e) => (e.actor_id === null ? [] : [e.actor_id])),
    );
    await recordAuditEvent(this.vault.db, this.event('client.read-access-history', 'client', clientId));
    return events.map((e) => ({
      seq: e.seq,
      at: e.at,
      actorId: e.actor_id,
      actorName: e.actor_id === null ? null : (names.get(e.actor_id) ?? null),
      action: e.action,
      outcome: e.outcome,
      purpose: e.purpose,
    }));
  }

  // ------------------------------------------------------------ the practitioner's own record

  #own(): Resource {
    return { type: 'account', userId: this.actor.userId };
  }

  async readProfile(): Promise<{ profile: Profile; overrides: ClauseOverride[] }> {
    await this.require('profile.manage', this.#own(), 'profile', this.actor.userId);
    return {
      profile: await currentProfile(this.vault.db, this.actor.practiceId, this.actor.userId),
      overrides: await overridesOf(this.vault.db, this.actor.practiceId, this.actor.userId),
    };
  }

  async #saveProfile(
    change: (profile: Profile) => Profile,
    action: string,
    extra?: (trx: Transaction<Database>) => Promise<void>,
  ): Promise<Profile> {
    await this.require('profile.manage', this.#own(), 'profile', this.actor.userId);
    return this.vault.db.transaction().execute(async (trx) => {
      const next = change(await currentProfile(trx, this.actor.practiceId, this.actor.userId));
      const now = this.now();
      await saveProfile(trx, this.actor.practiceId, this.actor.userId, next, now);
      await extra?.(trx);
      await appendAuditEvent(trx, this.event(action, 'profile', this.actor.userId));
      return next;
    });
  }

  async addProfileItem(input: NewProfileItem): Promise<{ id: string }> {
    const problems = itemProblems(input, this.today());
    if (problems.length > 0)
      throw new AlcoveError('validation-failed', 'Some dates do not fit together.', problems);
    const id = newId();
    await this.#saveProfile((profile) => {
      const list = profile[input.section] as { id: string }[];
      return { ...profile, [input.section]: [...list, { ...input.item, id }] };
    }, `profile.add-${input.section}`);
    return { id };
  }

  async removeProfileItem(itemId: string): Promise<void> {
    const { profile } = await this.readProfile();
    const section = (Object.keys(profile) as (keyof Profile)[]).find(
      (key) => key !== 'details' && (profile[key] as { id: string }[]).some((item) => item.id === itemId),
    ) as ListSection | undefined;
    if (section === undefined) throw new AlcoveError('not-found', 'There is no such item in your record.');
    await this.#saveProfile(
      (current) => ({
        ...current,
        [section]: (current[section] as { id: string }[]).filter((item) => item.id !== itemId),
      }),
      `profile.remove-${section}`,
    );
  }

  async markNotified(itemId: string, notifiedOn: string): Promise<void> {
    const { profile } = await this.readProfile();
    const event = profile.notifications.find((n) => n.id === itemId);
    if (event === undefined)
      throw new AlcoveError('not-found', 'There is no such notification in your record.');
    const problems: FieldIssue[] = [];
    if (notifiedOn < event.occurredOn)
      problems.push({
        location: 'body',
        pointer: '/notifiedOn',
        detail: 'COSRT cannot have been told before it happened',
      });
    if (notifiedOn > this.today())
      problems.push({ location: 'body', pointer: '/notifiedOn', detail: 'This day has not come yet' });
    if (problems.length > 0) throw new AlcoveError('validation-failed', 'That date does not fit.', problems);
    await this.#saveProfile(
      (current) => ({
        ...current,
        notifications: current.notifications.map((n) => (n.id === itemId ? { ...n, notifiedOn } : n)),
      }),
      'profile.cosrt-notified',
    );
  }

  /**
   * Saves the practitioner's details. A "must" in the way is refused; a "should" is
   * refused unless overridden with a reason, which is kept and audited (GT-5).
   */
  async updateDetails(
    details: ProfileDetails,
    override: { clause: string; reason: string } | undefined,
  ): Promise<Profile> {
    if (override !== undefined && !isClauseId(override.clause)) {
      throw new AlcoveError('validation-failed', 'There is no such clause.', [
        { location: 'body', pointer: '/override/clause', detail: 'Not a clause of the Code' },
      ]);
    }
    const { profile } = await this.readProfile();
    const refusals = refusalsForDetails(
      details,
      profile,
      new Set(override === undefined ? [] : [override.clause]),
    );
    const first = refusals[0];
    if (first !== undefined) {
      await recordAuditEvent(
        this.vault.db,
        this.event(`code.refused:${first.clause.id}`, 'profile', this.actor.userId, 'denied'),
      );
      throw new ClauseRefusalError(first);
    }
    // An override is recorded only where it answered a refusal.
    const answered =
      override === undefined
        ? []
        : refusalsForDetails(details, profile, new Set()).filter((r) => r.clause.id === override.clause);
    return this.#saveProfile(
      (current) => ({ ...current, details }),
      'profile.update-details',
      async (trx) => {
        for (const refusal of answered) {
          await recordOverride(trx, {
            practiceId: this.actor.practiceId,
            userId: this.actor.userId,
            clause: refusal.clause.id,
            reason: override?.reason ?? '',
            command: refusal.rule,
            now: this.now(),
          });
          await appendAuditEvent(
            trx,
            this.event(`code.override:${refusal.clause.id}`, 'profile', this.actor.userId),
          );
        }
      },
    );
  }

  /** Open findings, the CPD year at a glance, and what falls due next. */
  async compliance(today = this.today()) {
    const { profile, overrides } = await this.readProfile();
    const cpd = await cpdRequirementOf(this.vault.db, this.actor.practiceId);
    const user = await this.vault.db
      .selectFrom('app_user')
      .select('created_at')
      .where('id', '=', this.actor.userId)
      .executeTakeFirstOrThrow();
    const findings = [
      ...(await this.#auditLogFindings()),
      ...evaluateRules({
        profile,
        cpd,
        today,
        practitionerSince: londonDay(user.created_at),
        overridden: new Set(overrides.map((o) => o.clause)),
      }),
    ];
    const year = cpdYear(today, cpd.yearStartsOn);
    const upcoming = [
      ...profile.insurance
        .filter((c) => c.endsOn >= today)
        .map((c) => ({ what: `Insurance with ${c.insurer} ends`, date: c.endsOn, clause: 'GT-45' })),
      ...profile.notifications
        .filter((n) => n.notifiedOn === undefined)
        .map((n) => ({
          what: 'Tell COSRT',
          date: addDays(n.occurredOn, NOTIFICATION_DAYS),
          clause: n.kind === 'suspension-or-restriction' ? 'GT-108' : 'GT-107',
        })),
      { what: 'CPD year ends', date: year.end, clause: 'GT-15' },
    ].sort((a, b) => a.date.localeCompare(b.date));
    return {
      today,
      findings,
      cpd: { requirement: cpd, year, totals: cpdTotals(profile, year) },
      upcoming,
      integrity: await this.#integrityFindings(),
    };
  }

  /**
   * What the last check of the audit log against its witness found (store/audit-witness-check.ts),
   * for administrators and practitioners: a finding when the log was cut or changed since it
   * was witnessed, or the witness is missing or behind. It names the witness file, no client.
   */
  async #auditLogFindings() {
    if (!this.actor.roles.some((role) => role === 'administrator' || role === 'practitioner')) return [];
    const checks = await auditWitnessChecks(this.vault.db, this.actor.practiceId, new Date(this.now()));
    return checks.flatMap((check) => auditWitnessFinding(check) ?? []);
  }

  /**
   * Items that failed their integrity check (store/integrity.ts) in the records of clients
   * the actor may see (an administrator: all). Each is opened again first: one that reads
   * again (restored from a backup) or no longer exists is resolved, and audited so.
   */
  async #integrityFindings(): Promise<IntegrityFinding[]> {
    const stored = await integrityFindings(this.vault.db, this.actor.practiceId);
    if (stored.length === 0) return [];
    const allowed = await this.clientsAllowed(
      'client.read-identity',
      stored.flatMap((f) => f.clientIds),
    );
    const administrator = this.actor.roles.includes('administrator');
    const open: IntegrityFinding[] = [];
    for (const finding of stored) {
      const clientId = finding.clientIds.find((id) => allowed.has(id));
      // One in no client's record (a contract's, an account's) is the practice's: every
      // practitioner of it sees it, as the administrators do.
      const practiceWide = finding.clientIds.length === 0 && this.actor.roles.includes('practitioner');
      if (clientId === undefined && !administrator && !practiceWide) continue;
      const now = await recheckSealed(this.vault.db, this.vault.keyring, this.actor.practiceId, finding);
      if (now !== 'tampered') {
        await this.vault.db.transaction().execute((trx) =>
          resolveIntegrityFinding(trx, {
            practiceId: this.actor.practiceId,
            finding,
            reader: { actorId: this.actor.userId, purpose: this.purpose, at: this.now() },
          }),
        );
        continue;
      }
      open.push({
        key: finding.key,
        recordType: finding.recordType,
        recordId: finding.recordId,
        field: finding.field,
        what: integrityRecordLabel(finding.recordType),
        clientId: clientId ?? null,
        foundOn: londonDay(finding.foundAt),
        action: INTEGRITY_ACTION,
      });
    }
    return open;
  }

  async readCpdRequirement(): Promise<CpdRequirement> {
    await this.require('settings.read', this.practiceResource(), 'practice', this.actor.practiceId);
    return cpdRequirementOf(this.vault.db, this.actor.practiceId);
  }

  async setCpdRequirement(value: CpdRequirement): Promise<void> {
    await this.require('settings.write', this.practiceResource(), 'practice', this.actor.practiceId);
    await this.vault.db.transaction().execute(async (trx) => {
      await setCpdRequirement(trx, this.actor.practiceId, value, this.actor.userId, this.now());
      await appendAuditEvent(trx, this.event('settings.cpd-requirement', 'practice', this.actor.practiceId));
    });
  }

  // ------------------------------------------------------------ consents and Gillick assessments

  async #treatedClient(clientId: string, action: Action): Promise<void> {
    await this.require(action, await this.clientResource(clientId), 'client', clientId);
  }

  async consents(clientId: string, day: string | undefined): Promise<ConsentView[]> {
    await this.#treatedClient(clientId, 'client.read-clinical');
    const consents = await consentsOf(
      this.vault.db,
      this.vault.keyring,
      this.actor.practiceId,
      clientId,
      day,
    );
    await recordAuditEvent(this.vault.db, this.event('consent.read', 'client', clientId));
    await this.reportTampered(consents.map((c) => c.recipient));
    return consents;
  }

  async giveConsent(clientId: string, input: z.infer<typeof newConsentSchema>): Promise<{ id: string }> {
    await this.#treatedClient(clientId, 'consent.record');
    if (input.givenOn > this.today()) {
      throw new AlcoveError('validation-failed', 'A consent is recorded once it has been given.', [
        { location: 'body', pointer: '/givenOn', detail: 'This day has not come yet' },
      ]);
    }
    if (input.type === 'third-party-release' && input.recipient === undefined) {
      throw new AlcoveError('validation-failed', 'A release to a third party names them.', [
        { location: 'body', pointer: '/recipient', detail: 'Required for a third-party release' },
      ]);
    }
    return this.vault.db.transaction().execute(async (trx) => {
      const created = await giveConsent(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        clientId,
        caseId: input.caseId,
        type: input.type,
        recipient: input.recipient === undefined ? undefined : new Confidential(input.recipient),
        givenOn: input.givenOn,
        givenBy: input.givenBy,
        mode: input.mode,
        recordedBy: this.actor.userId,
        now: this.now(),
      });
      await appendAuditEvent(trx, this.event(`consent.give:${input.type}`, 'client', clientId));
      return created;
    });
  }

  async withdrawConsent(clientId: string, consentId: string, withdrawnOn: string): Promise<void> {
    await this.#treatedClient(clientId, 'consent.record');
    if (withdrawnOn > this.today()) {
      throw new AlcoveError('validation-failed', 'A withdrawal is recorded once it has been made.', [
        { location: 'body', pointer: '/withdrawnOn', detail: 'This day has not come yet' },
      ]);
    }
    await this.vault.db.transaction().execute(async (trx) => {
      await withdrawConsent(trx, { practiceId: this.actor.practiceId, clientId, consentId, withdrawnOn });
      await appendAuditEvent(trx, this.event('consent.withdraw', 'client', clientId));
    });
  }

  async recordGillick(
    clientId: string,
    input: z.infer<typeof newGillickAssessmentSchema>,
  ): Promise<{ id: string }> {
    await this.#treatedClient(clientId, 'consent.record');
    if (input.assessedOn > this.today()) {
      throw new AlcoveError('validation-failed', 'An assessment is recorded once it has been made.', [
        { location: 'body', pointer: '/assessedOn', detail: 'This day has not come yet' },
      ]);
    }
    return this.vault.db.transaction().execute(async (trx) => {
      const created = await recordGillickAssessment(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        clientId,
        caseId: input.caseId,
        assessedOn: input.assessedOn,
        competent: input.competent,
        notes: new Confidential(input.notes),
        recordedBy: this.actor.userId,
        now: this.now(),
      });
      await appendAuditEvent(trx, this.event('gillick.record', 'client', clientId));
      return created;
    });
  }

  /** GT-26, GT-27, GT-65 for a therapy session on `day` with these clients. */
  async #youngPersonRefusals(facts: CaseFacts, day: string) {
    const identities = await readClientIdentities(
      this.vault,
      this.actor.practiceId,
      facts.participants.map((p) => p.clientId),
    );
    const clients = [];
    for (const p of facts.participants) {
      const dob = identities.get(p.clientId)?.reveal().dateOfBirth;
      const consents = await consentsOf(
        this.vault.db,
        this.vault.keyring,
        this.actor.practiceId,
        p.clientId,
        day,
      );
      clients.push({
        clientId: p.clientId,
        vulnerable: identities.get(p.clientId)?.reveal().vulnerableAdult === true,
        age: dob === undefined ? undefined : ageOn(dob, day),
        appropriateAdultConsent: consents.some(
          (c) => c.type === 'appropriate-adult' && (c.caseId === null || c.caseId === facts.caseId),
        ),
        gillickCompetent: await gillickCompetentOn(this.vault.db, p.clientId, facts.caseId, day),
      });
    }
    if (!clients.some((c) => (c.age !== undefined && c.age < AGE_OF_MAJORITY) || c.vulnerable)) return [];
    const profile = await currentProfile(this.vault.db, this.actor.practiceId, this.actor.userId);
    const cutoff = addYears(day, -DBS_CURRENT_YEARS);
    return youngPersonGate(clients, {
      dbsCurrent: profile.dbs.some((d) => d.fullDisclosure && d.issuedOn > cutoff && d.issuedOn <= day),
      trainedForUnder18s: profile.training.some((t) => t.kind === 'under-18s'),
      trainedForVulnerableAdults: profile.training.some((t) => t.kind === 'vulnerable-adults'),
      supervisorExperienced: profile.details.supervisor?.experiencedWithYoungOrVulnerable === true,
    });
  }

  // ------------------------------------------------------------ contracts and sessions

  /** A case with its clients' names, its current contract and its sessions. */
  async readCase(caseId: string) {
    const facts = await this.requireCase(caseId, 'case.read');
    const names = await openClientIdentities(
      this.vault,
      this.actor.practiceId,
      facts.participants.map((p) => p.clientId),
    );
    const contract = await currentContract(this.vault.db, this.vault.keyring, this.actor.practiceId, facts);
    const sessions = await listSessions(this.vault.db, this.vault.keyring, this.actor.practiceId, caseId);
    await recordAuditEvent(this.vault.db, this.event('case.read', 'case', caseId));
    await this.reportTampered([
      ...names.values(),
      ...(contract?.opened ?? []),
      ...sessions.map((s) => s.overrideReason),
    ]);
    return { facts, names, contract, sessions };
  }

  async createContract(
    caseId: string,
    text: string,
    templateId?: string,
  ): Promise<{ id: string; version: number; textHash: string }> {
    const facts = await this.requireCase(caseId, 'case.manage');
    if (facts.status === 'closed') throw new AlcoveError('conflict', 'This case is closed.');
    if (
      templateId !== undefined &&
      (await templateById(this.vault.db, this.actor.practiceId, templateId)) === undefined
    ) {
      throw new AlcoveError('validation-failed', 'There is no such template.', [
        { location: 'body', pointer: '/templateId', detail: 'Not one of the practice’s templates' },
      ]);
    }
    // Where the organisation holds the contract, its conditions go with every version (GT-36d).
    const conditions = await organisationConditionsOf(this.vault.db, this.actor.practiceId);
    return this.vault.db.transaction().execute(async (trx) => {
      const created = await createContractVersion(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        caseId: facts.caseId,
        text: new Confidential(text),
        conditions: conditions === null ? null : new Confidential(conditions),
        templateId: templateId ?? null,
        userId: this.actor.userId,
        now: this.now(),
      });
      await appendAuditEvent(trx, this.event('contract.create', 'case', caseId));
      return created;
    });
  }

  /** A signature given in person, on the signing screen the practitioner hands over. */
  async signContractInPerson(
    caseId: string,
    contractId: string,
    signer: { kind: 'practitioner' } | { kind: 'client'; clientId: string },
    textHash: string,
    acknowledgedConditions = false,
  ): Promise<void> {
    const facts = await this.requireCase(caseId, 'case.manage');
    const contract = await currentContract(this.vault.db, this.vault.keyring, this.actor.practiceId, facts);
    // Never a signature over a text that failed its integrity check.
    if (contract?.id === contractId) readableContract(contract);
    const refusal = signatureGate({
      signerKind: signer.kind,
      conditions: contract?.id === contractId && contract.conditions !== null,
      acknowledged: acknowledgedConditions,
    })[0];
    if (refusal !== undefined) {
      await recordAuditEvent(
        this.vault.db,
        this.event(`code.refused:${refusal.clause.id}`, 'case', caseId, 'denied'),
      );
      throw new ClauseRefusalError(refusal);
    }
    await this.vault.db.transaction().execute(async (trx) => {
      const now = this.now();
      await signContract(trx, {
        theCase: facts,
        contractId,
        signer,
        mode: 'in-person',
        textHash,
        acknowledgedConditions: signer.kind === 'client' && acknowledgedConditions,
        recordedBy: this.actor.userId,
        now,
      });
      await appendAuditEvent(trx, this.event('contract.sign', 'case', caseId));
      const after = await currentContract(trx, this.vault.keyring, this.actor.practiceId, facts);
      if (after?.signedByAll === true)
        await setCaseStatus(trx, { caseId, to: 'contracted', now, auto: true });
    });
  }

  /** Records a session, through the contract gate (GT-36, GT-36a). */
  async recordSession(
    caseId: string,
    input: {
      kind: SessionKind;
      format: string;
      startsAt: string;
      minutes: number;
      attendance: string;
      present?: readonly string[] | undefined;
    },
    override: { clause: string; reason: string } | undefined,
  ): Promise<{ id: string }> {
    const facts = await this.requireCase(caseId, 'case.manage');
    if (facts.status === 'closed') {
      throw new AlcoveError('conflict', 'This case is closed: no more sessions are recorded on it.');
    }
    const participantIds = facts.participants.map((p) => p.id);
    const present =
      input.present ?? (input.attendance === 'attended' ? participantIds : ([] as readonly string[]));
    if (present.some((id) => !participantIds.includes(id))) {
      throw new AlcoveError('validation-failed', 'Only the case’s own clients can be present.', [
        { location: 'body', pointer: '/present', detail: 'Not a participant of this case' },
      ]);
    }
    if ((input.attendance === 'attended') !== present.length > 0) {
      throw new AlcoveError('validation-failed', 'Who was present does not fit the attendance.', [
        {
          location: 'body',
          pointer: '/present',
          detail:
            input.attendance === 'attended'
              ? 'An attended session has someone present'
              : 'Nobody is present at a session not attended',
        },
      ]);
    }
    if (override !== undefined && !isClauseId(override.clause)) {
      throw new AlcoveError('validation-failed', 'There is no such clause.', [
        { location: 'body', pointer: '/override/clause', detail: 'Not a clause of the Code' },
      ]);
    }
    const contract = await currentContract(this.vault.db, this.vault.keyring, this.actor.practiceId, facts);
    const state = {
      exists: await contractExists(this.vault.db, caseId),
      signedByAll: contract?.signedByAll ?? false,
    };
    const young =
      input.kind === 'therapy' ? await this.#youngPersonRefusals(facts, londonDay(input.startsAt)) : [];
    const trained = (
      await currentProfile(this.vault.db, this.actor.practiceId, this.actor.userId)
    ).training.some((t) => t.kind === 'online-work');
    const format = { online: input.format === 'online', onlineTrained: trained };
    const refusals = [
      ...young,
      ...sessionGate(input.kind, state, new Set(override === undefined ? [] : [override.clause]), format),
    ];
    const first = refusals[0];
    if (first !== undefined) {
      await recordAuditEvent(
        this.vault.db,
        this.event(`code.refused:${first.clause.id}`, 'case', caseId, 'denied'),
      );
      throw new ClauseRefusalError(first);
    }
    const overridden =
      override !== undefined &&
      sessionGate(input.kind, state, new Set(), format).some((r) => r.clause.id === override.clause);
    return this.vault.db.transaction().execute(async (trx) => {
      const created = await recordSession(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        caseId,
        ...input,
        present: [...new Set(present)],
        ...(overridden ? { overrideReason: new Confidential(override.reason) } : {}),
        userId: this.actor.userId,
        now: this.now(),
      });
      if (overridden)
        await appendAuditEvent(trx, this.event(`code.override:${override.clause}`, 'case', caseId));
      await appendAuditEvent(trx, this.event('session.record', 'case', caseId));
      // The case moves on by what happens in it: an assessment, then therapy.
      if (input.attendance === 'attended') {
        const to = input.kind === 'therapy' ? 'active' : 'assessment';
        const moved = await setCaseStatus(trx, { caseId, to, now: this.now(), auto: true });
        if (moved !== undefined) await appendAuditEvent(trx, this.event(`case.status:${to}`, 'case', caseId));
      }
      return created;
    });
  }

  // ------------------------------------------------------------ cases and entries

  async openCase(kind: CaseKind, clientIds: readonly string[], format?: CaseFormat): Promise<CaseFacts> {
    await this.require('case.open', this.practiceResource(), 'practice', this.actor.practiceId);
    for (const clientId of clientIds) {
      await this.require('case.open', await this.clientResource(clientId), 'client', clientId);
    }
    return this.vault.db.transaction().execute(async (trx) => {
      const opened = await openCase(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        practitionerId: this.actor.userId,
        kind,
        clientIds,
        ...(format === undefined ? {} : { format }),
      });
      await appendAuditEvent(trx, this.event('case.open', 'case', opened.caseId));
      for (const p of opened.participants)
        await appendAuditEvent(trx, this.event('case.join', 'client', p.clientId));
      return opened;
    });
  }

  /** An entry written and signed at once (API clients); its markup keeps to the notes' allow-list. */
  async addEntry(caseId: string, entry: NewEntry): Promise<{ id: string }> {
    const facts = await this.requireCase(caseId, 'entry.create');
    const markup = entry.passages.flatMap((p, i) =>
      richTextProblems(p.text).map((detail) => ({
        location: 'body' as const,
        pointer: `/passages/${i}/text`,
        detail,
      })),
    );
    if (markup.length > 0) {
      throw new AlcoveError(
        'validation-failed',
        'The entry holds markup that is not allowed; nothing was written.',
        markup,
      );
    }
    return this.vault.db.transaction().execute(async (trx) => {
      const created = await addEntry(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        theCase: facts,
        authorId: this.actor.userId,
        kind: entry.kind,
        occurredAt: entry.occurredAt,
        passages: entry.passages.map((p) => ({ text: new Confidential(p.text), attribution: p.attribution })),
      });
      await appendAuditEvent(trx, this.event('entry.create', 'entry', created.id));
      for (const p of facts.participants)
        await appendAuditEvent(trx, this.event('entry.create', 'client', p.clientId));
      return created;
    });
  }
}

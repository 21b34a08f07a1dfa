import {
  AlcoveError,
  addDays,
  auditWitnessFinding,
  type ConnectionRelation,
  type CpdRequirement,
  cpdTotals,
  cpdYear,
  evaluateRules,
  type FieldIssue,
  INTEGRITY_ACTION,
  type IntegrityFinding,
  integrityRecordLabel,
  londonDay,
  type NewProfileItem,
  NOTIFICATION_DAYS,
  newId,
  type Profile,
  type ProfileDetails,
  type Resource,
  updateDetailsCommand,
} from '@alcove/core';
import {
  addConnection,
  appendAuditEvent,
  auditWitnessChecks,
  type ClauseOverride,
  cpdRequirementOf,
  currentProfile,
  type Database,
  findUser,
  integrityFindings,
  listConnections,
  overridesOf,
  recheckSealed,
  recordOverride,
  removeConnection,
  resolveIntegrityFinding,
  saveProfile,
  setCpdRequirement,
} from '@alcove/store';
import type { Transaction } from 'kysely';
import { ContextBase, type Override } from './context-base.ts';

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
 * The practitioner's own record: their profile (insurance, CPD, DBS, training,
 * notifications, details), their declared personal connections (GT-28), the compliance
 * findings worked out from it, and the practice's CPD requirement.
 */
export class ProfileContext extends ContextBase {
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
   * Saves the practitioner's details, through the command `profile.update-details`: a
   * "must" in the way is refused; a "should" is refused unless overridden with a reason,
   * which is kept and audited (GT-5).
   */
  async updateDetails(details: ProfileDetails, override: Override | undefined): Promise<Profile> {
    await this.require('profile.manage', this.#own(), 'profile', this.actor.userId);
    return this.runCommand({
      command: updateDetailsCommand,
      record: { type: 'profile', id: this.actor.userId },
      override,
      scope: { practiceId: this.actor.practiceId, userId: this.actor.userId },
      facts: async () => ({
        next: details,
        profile: await currentProfile(this.vault.db, this.actor.practiceId, this.actor.userId),
      }),
      work: async (trx, answered, facts) => {
        const now = this.now();
        const next = { ...facts.profile, details };
        await saveProfile(trx, this.actor.practiceId, this.actor.userId, next, now);
        // An override is kept only where it answered a refusal.
        for (const refusal of answered) {
          await recordOverride(trx, {
            practiceId: this.actor.practiceId,
            userId: this.actor.userId,
            clause: refusal.clause.id,
            reason: override?.reason ?? '',
            command: refusal.rule,
            now,
          });
        }
        await appendAuditEvent(trx, this.event('profile.update-details', 'profile', this.actor.userId));
        return next;
      },
    });
  }

  /** Open findings, the CPD year at a glance, and what falls due next. */
  async compliance(today = this.today()) {
    const { profile, overrides } = await this.readProfile();
    const cpd = await cpdRequirementOf(this.vault.db, this.actor.practiceId);
    const user = await findUser(this.vault.db, this.actor.userId);
    if (user === undefined) throw new AlcoveError('not-found', 'There is no such account.');
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
}

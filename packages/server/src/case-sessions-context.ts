import {
  AlcoveError,
  addYears,
  ageOn,
  Confidential,
  DBS_CURRENT_YEARS,
  londonDay,
  needsYoungPersonSafeguards,
  recordSessionCommand,
  type SessionFacts,
  type SessionKind,
  type YoungPersonFacts,
} from '@alcove/core';
import {
  appendAuditEvent,
  type CaseFacts,
  consentsOf,
  contractStanding,
  currentProfile,
  gillickCompetentOn,
  readClientIdentities,
  recordSession,
  setCaseStatus,
} from '@alcove/store';
import { answeredOverrides, ContextBase, type Override } from './context-base.ts';

/**
 * Sessions of a case, recorded through the contract gate (GT-36, GT-36a), the training for
 * online work (GT-92) and, for a young or vulnerable client, the checks of GT-26, GT-27 and
 * GT-65: the command `session.record` (core/code/sessions.ts).
 */
export class CaseSessionsContext extends ContextBase {
  /** The clients of the case as the young-person rules see them on `day`. */
  async #clientsOn(facts: CaseFacts, day: string): Promise<YoungPersonFacts[]> {
    const identities = await readClientIdentities(
      this.vault,
      this.actor.practiceId,
      facts.participants.map((p) => p.clientId),
    );
    const clients: YoungPersonFacts[] = [];
    for (const p of facts.participants) {
      const identity = identities.get(p.clientId)?.reveal();
      const dob = identity?.dateOfBirth;
      const consents = await consentsOf(
        this.vault.db,
        this.vault.keyring,
        this.actor.practiceId,
        p.clientId,
        day,
      );
      clients.push({
        clientId: p.clientId,
        vulnerable: identity?.vulnerableAdult === true,
        age: dob === undefined ? undefined : ageOn(dob, day),
        appropriateAdultConsent: consents.some(
          (c) => c.type === 'appropriate-adult' && (c.caseId === null || c.caseId === facts.caseId),
        ),
        gillickCompetent: await gillickCompetentOn(this.vault.db, p.clientId, facts.caseId, day),
      });
    }
    return clients;
  }

  /** What the rules of `session.record` need, read and decrypted outside the write transaction. */
  async #sessionFacts(
    caseId: string,
    kind: SessionKind,
    format: string,
    startsAt: string,
  ): Promise<SessionFacts> {
    const facts = await this.requireCase(caseId, 'case.manage');
    if (facts.status === 'closed') {
      throw new AlcoveError('conflict', 'This case is closed: no more sessions are recorded on it.');
    }
    const day = londonDay(startsAt);
    const profile = await currentProfile(this.vault.db, this.actor.practiceId, this.actor.userId);
    // The young-person facts are read only for therapy, where their rules apply.
    const clients = kind === 'therapy' ? await this.#clientsOn(facts, day) : [];
    const cutoff = addYears(day, -DBS_CURRENT_YEARS);
    return {
      kind,
      online: format === 'online',
      onlineTrained: profile.training.some((t) => t.kind === 'online-work'),
      contract: await contractStanding(this.vault.db, facts),
      clients: needsYoungPersonSafeguards(clients) ? clients : [],
      practitioner: {
        dbsCurrent: profile.dbs.some((d) => d.fullDisclosure && d.issuedOn > cutoff && d.issuedOn <= day),
        trainedForUnder18s: profile.training.some((t) => t.kind === 'under-18s'),
        trainedForVulnerableAdults: profile.training.some((t) => t.kind === 'vulnerable-adults'),
        supervisorExperienced: profile.details.supervisor?.experiencedWithYoungOrVulnerable === true,
      },
    };
  }

  /** Records a session, through the command `session.record`. */
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
    overrides: readonly Override[],
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
    return this.runCommand({
      command: recordSessionCommand,
      record: { type: 'case', id: caseId },
      overrides,
      scope: {
        practiceId: this.actor.practiceId,
        caseId,
        clientIds: facts.participants.map((p) => p.clientId),
        userId: this.actor.userId,
      },
      facts: () => this.#sessionFacts(caseId, input.kind, input.format, input.startsAt),
      work: async (trx, answered) => {
        // Each reason that answered a refusal is kept with the session, under its clause.
        const kept = answeredOverrides(answered, overrides);
        const reason =
          kept.length === 0
            ? undefined
            : kept.length === 1
              ? kept[0]?.reason
              : kept.map((o) => `${o.clause}: ${o.reason}`).join('\n');
        const created = await recordSession(trx, this.vault.keyring, {
          practiceId: this.actor.practiceId,
          caseId,
          ...input,
          present: [...new Set(present)],
          ...(reason === undefined ? {} : { overrideReason: new Confidential(reason) }),
          userId: this.actor.userId,
          now: this.now(),
        });
        await appendAuditEvent(trx, this.event('session.record', 'case', caseId));
        // The case moves on by what happens in it: an assessment, then therapy.
        if (input.attendance === 'attended') {
          const to = input.kind === 'therapy' ? 'active' : 'assessment';
          const moved = await setCaseStatus(trx, { caseId, to, now: this.now(), auto: true });
          if (moved !== undefined)
            await appendAuditEvent(trx, this.event(`case.status:${to}`, 'case', caseId));
        }
        return created;
      },
    });
  }
}

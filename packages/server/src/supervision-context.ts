import {
  AlcoveError,
  Confidential,
  logSupervisionCommand,
  presentCaseCommand,
  type Resource,
  richTextProblems,
} from '@alcove/core';
import {
  appendAuditEvent,
  currentProfile,
  type Presentation,
  presentations,
  presentCase,
  readClientIdentities,
  recordAuditEvent,
  recordSupervisionSession,
  supervisionSessionsOf,
  supervisorIds,
  userNames,
} from '@alcove/store';
import { ContextBase } from './context-base.ts';

/**
 * Supervision: a practitioner presents a case under its pseudonym; a supervisor reads
 * what was presented to them and nothing else of the case (PG5-5).
 */
export class SupervisionContext extends ContextBase {
  /** The practice's supervisor accounts, for a practitioner to present to. */
  async supervisors(): Promise<{ id: string; name: string }[]> {
    await this.require('case.open', this.practiceResource(), 'practice', this.actor.practiceId);
    const ids = await supervisorIds(this.vault.db, this.actor.practiceId);
    const names = await userNames(this.vault.db, this.vault.keyring, ids);
    return ids.map((id) => ({ id, name: names.get(id)?.reveal() ?? '' }));
  }

  async present(
    caseId: string,
    input: { supervisorId: string; presentedOn: string; material: string },
  ): Promise<{ id: string }> {
    const facts = await this.requireCase(caseId, 'case.manage');
    if (!(await supervisorIds(this.vault.db, this.actor.practiceId)).includes(input.supervisorId)) {
      throw new AlcoveError('validation-failed', 'Present the case to one of the practice’s supervisors.', [
        { location: 'body', pointer: '/supervisorId', detail: 'Not a supervisor of this practice' },
      ]);
    }
    if (input.presentedOn > this.today()) {
      throw new AlcoveError('validation-failed', 'A presentation is recorded once it has been made.', [
        { location: 'body', pointer: '/presentedOn', detail: 'This day has not come yet' },
      ]);
    }
    const markup = richTextProblems(input.material);
    if (markup.length > 0) {
      throw new AlcoveError(
        'validation-failed',
        'The material holds markup that is not allowed; nothing was saved.',
        markup.map((detail) => ({ location: 'body' as const, pointer: '/material', detail })),
      );
    }
    return this.runCommand({
      command: presentCaseCommand,
      record: { type: 'case', id: caseId },
      scope: { practiceId: this.actor.practiceId, caseId },
      facts: async () => ({
        material: input.material,
        clients: [
          ...(
            await readClientIdentities(
              this.vault,
              this.actor.practiceId,
              facts.participants.map((p) => p.clientId),
            )
          ).values(),
        ].map((i) => i.reveal()),
      }),
      work: async (trx) => {
        const created = await presentCase(trx, this.vault.keyring, {
          practiceId: this.actor.practiceId,
          caseId,
          practitionerId: this.actor.userId,
          supervisorId: input.supervisorId,
          presentedOn: input.presentedOn,
          material: new Confidential(input.material),
          now: this.now(),
        });
        await appendAuditEvent(trx, this.event('supervision.present', 'case', caseId));
        return created;
      },
    });
  }

  /** What the practitioner has presented of one of their cases. */
  async ofCase(caseId: string): Promise<Presentation[]> {
    await this.requireCase(caseId, 'case.read');
    const mine = await presentations(this.vault.db, this.vault.keyring, this.actor.practiceId, {
      practitionerId: this.actor.userId,
    });
    return mine.filter((p) => p.caseId === caseId);
  }

  #own(): Resource {
    return { type: 'account', userId: this.actor.userId };
  }

  /** Logs a supervision session with the supervisor the professional record names (GT-64). */
  async logSession(input: { heldOn: string; minutes: number }): Promise<{ id: string }> {
    await this.require('profile.manage', this.#own(), 'profile', this.actor.userId);
    if (input.heldOn > this.today()) {
      throw new AlcoveError('validation-failed', 'A session is logged once it has been held.', [
        { location: 'body', pointer: '/heldOn', detail: 'This day has not come yet' },
      ]);
    }
    return this.runCommand({
      command: logSupervisionCommand,
      record: { type: 'profile', id: this.actor.userId },
      scope: { practiceId: this.actor.practiceId, userId: this.actor.userId },
      facts: async () => {
        const { supervisor } = (await currentProfile(this.vault.db, this.actor.practiceId, this.actor.userId))
          .details;
        return { supervisorNamed: supervisor != null, supervisorName: supervisor?.name ?? '' };
      },
      work: async (trx, _answered, facts) => {
        const created = await recordSupervisionSession(trx, {
          practiceId: this.actor.practiceId,
          practitionerId: this.actor.userId,
          heldOn: input.heldOn,
          minutes: input.minutes,
          supervisorName: facts.supervisorName,
          now: this.now(),
        });
        await appendAuditEvent(trx, this.event('supervision.log', 'profile', this.actor.userId));
        return created;
      },
    });
  }

  async sessions() {
    await this.require('profile.manage', this.#own(), 'profile', this.actor.userId);
    return supervisionSessionsOf(this.vault.db, this.actor.practiceId, this.actor.userId);
  }

  /** The supervisor's view: pseudonyms and presented material, with who presented them. */
  async presentedToMe(): Promise<{ presentation: Presentation; practitionerName: string }[]> {
    await this.require('supervision.read', this.practiceResource(), 'practice', this.actor.practiceId);
    const list = await presentations(this.vault.db, this.vault.keyring, this.actor.practiceId, {
      supervisorId: this.actor.userId,
    });
    const names = await userNames(
      this.vault.db,
      this.vault.keyring,
      list.map((p) => p.practitionerId),
    );
    await recordAuditEvent(this.vault.db, this.event('supervision.read', 'practice', this.actor.practiceId));
    return list.map((presentation) => ({
      presentation,
      practitionerName: names.get(presentation.practitionerId)?.reveal() ?? '',
    }));
  }
}

import { AlcoveError, formatDate, type Person, staffInvitationMessage } from '@alcove/core';
import {
  accountContact,
  appendAuditEvent,
  changeStaffMember,
  createStaffInvitation,
  enqueuePracticeMessage,
  findUserByEmail,
  hasClientMembership,
  lastSignIns,
  mailSettingsOf,
  NO_SUCH_PERSON,
  pendingStaffInvitations,
  recordAuditEvent,
  type StaffChange,
  type StaffMember,
  type StaffRole,
  staffMembers,
  withdrawStaffInvitation,
} from '@alcove/store';
import { ContextBase } from './context-base.ts';

export interface CreatedInvitation {
  readonly id: string;
  readonly expiresAt: string;
  readonly delivery: 'sent' | 'shown-once';
  /** The join link, only when it is shown once (never stored in clear, never shown again). */
  readonly link: string | null;
}

/**
 * The practice's people (issue 16): an administrator lists the staff and the invitations
 * waiting, invites someone with staff roles, changes roles, suspends, reinstates and
 * removes. Every change to an account's roles or access ends its sessions and API tokens at
 * once, and none may leave the practice without an active administrator. Every step is
 * audited with ids and verbs only.
 */
export class PeopleContext extends ContextBase {
  async #requireManager(recordId: string = this.actor.practiceId, recordType = 'practice'): Promise<void> {
    await this.require('people.manage', this.practiceResource(), recordType, recordId);
  }

  async #person(member: StaffMember, lastSignIn: string | undefined): Promise<Person> {
    const contact = await accountContact(this.vault.db, this.vault.keyring, member.userId);
    return {
      userId: member.userId,
      name: contact?.name ?? '',
      email: contact?.email ?? '',
      roles: member.roles,
      status: member.suspended ? 'suspended' : 'active',
      mfaEnrolled: member.mfaEnrolled,
      lastSignInAt: lastSignIn ?? null,
    };
  }

  async #personNow(userId: string): Promise<Person> {
    const [member] = await staffMembers(this.vault.db, this.actor.practiceId, userId);
    if (member === undefined) throw new AlcoveError('not-found', NO_SUCH_PERSON);
    const last = await lastSignIns(this.vault.db, this.actor.practiceId, [userId]);
    return this.#person(member, last.get(userId));
  }

  /** The practice's staff, and the invitations not yet taken up. Never its clients. */
  async list(): Promise<{
    people: Person[];
    invitations: Awaited<ReturnType<typeof pendingStaffInvitations>>;
  }> {
    await this.#requireManager();
    const members = await staffMembers(this.vault.db, this.actor.practiceId);
    const last = await lastSignIns(
      this.vault.db,
      this.actor.practiceId,
      members.map((m) => m.userId),
    );
    const people: Person[] = [];
    for (const member of members) people.push(await this.#person(member, last.get(member.userId)));
    const invitations = await pendingStaffInvitations(
      this.vault.db,
      this.vault.keyring,
      this.actor.practiceId,
      this.now(),
    );
    await recordAuditEvent(this.vault.db, this.event('people.read', 'practice', this.actor.practiceId));
    return { people, invitations };
  }

  /**
   * Invites someone by address with staff roles. With the practice's e-mail sent through
   * SMTP, the link goes by e-mail and is not shown; captured or not set up, nothing is
   * queued and the link is in this answer only, to be handed over in person.
   * `origin` is this request's own address, used for the link when no site address is set.
   */
  async invite(
    input: { email: string; name: string; roles: readonly StaffRole[] },
    origin: string,
  ): Promise<CreatedInvitation> {
    await this.#requireManager();
    const existing = await findUserByEmail(this.vault.db, this.vault.keyring, input.email);
    if (existing !== undefined) {
      const [member] = await staffMembers(this.vault.db, this.actor.practiceId, existing.id);
      if (member !== undefined) {
        throw new AlcoveError(
          'conflict',
          'This person is on the practice’s staff already: change their roles instead.',
        );
      }
      if (await hasClientMembership(this.vault.db, this.actor.practiceId, existing.id)) {
        throw new AlcoveError(
          'conflict',
          'This address belongs to a client portal account of this practice: invite the person by another address.',
        );
      }
    }
    const mail = await mailSettingsOf(this.vault.db, this.vault.keyring, this.actor.practiceId);
    const base = (mail?.siteUrl ?? origin).replace(/\/+$/, '');
    const send = mail?.mode === 'smtp';
    const practiceName = await this.practiceName();
    const inviterName = await this.userName(this.actor.userId);
    const now = this.now();
    return this.vault.db.transaction().execute(async (trx) => {
      const invitation = await createStaffInvitation(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        roles: input.roles,
        invitee: { email: input.email, name: input.name },
        createdBy: this.actor.userId,
        now,
      });
      const link = `${base}/join#${invitation.token}`;
      await appendAuditEvent(trx, this.event('people.invite', 'staff-invitation', invitation.id));
      if (send) {
        await enqueuePracticeMessage(trx, this.vault.keyring, {
          practiceId: this.actor.practiceId,
          recipient: { kind: 'invitee' },
          purpose: 'staff-invitation',
          envelope: {
            to: input.email,
            ...staffInvitationMessage({
              recipientName: input.name,
              practiceName,
              inviterName,
              roles: input.roles,
              link,
              expiresOn: formatDate(invitation.expiresAt),
            }),
          },
          createdBy: this.actor.userId,
          now,
        });
        await appendAuditEvent(
          trx,
          this.event('message.queue:staff-invitation', 'staff-invitation', invitation.id),
        );
      }
      return {
        id: invitation.id,
        expiresAt: invitation.expiresAt,
        delivery: send ? 'sent' : 'shown-once',
        link: send ? null : link,
      };
    });
  }

  async withdraw(invitationId: string): Promise<void> {
    await this.#requireManager(invitationId, 'staff-invitation');
    await this.vault.db.transaction().execute(async (trx) => {
      const withdrawn = await withdrawStaffInvitation(trx, {
        practiceId: this.actor.practiceId,
        invitationId,
        now: this.now(),
      });
      if (!withdrawn) throw new AlcoveError('not-found', 'There is no such invitation waiting.');
      await appendAuditEvent(trx, this.event('people.invitation-withdraw', 'staff-invitation', invitationId));
    });
  }

  /**
   * One change to a staff member (store/people.ts `changeStaffMember`: of this practice, or
   * "not found"; never leaving it without an active administrator; sessions and tokens
   * ended), refused when it is the administrator's own and `notYourself` says why. Audited.
   */
  async #change(userId: string, change: StaffChange, notYourself?: string): Promise<void> {
    await this.#requireManager(userId, 'user');
    await this.vault.db.transaction().execute(async (trx) => {
      if (notYourself !== undefined && userId === this.actor.userId) {
        const [me] = await staffMembers(trx, this.actor.practiceId, userId);
        if (me !== undefined) throw new AlcoveError('conflict', notYourself);
      }
      const { accessEnded } = await changeStaffMember(trx, {
        practiceId: this.actor.practiceId,
        userId,
        change,
        now: this.now(),
      });
      if (accessEnded) await appendAuditEvent(trx, this.event('people.access-ended', 'user', userId));
      await appendAuditEvent(trx, this.event(`people.${change.kind}`, 'user', userId));
    });
  }

  /** The person's staff roles here become exactly these; their sessions and tokens end. */
  async setRoles(userId: string, roles: readonly StaffRole[]): Promise<Person> {
    await this.#change(userId, { kind: 'roles', roles });
    return this.#personNow(userId);
  }

  async suspend(userId: string): Promise<Person> {
    await this.#change(
      userId,
      { kind: 'suspend' },
      'You cannot suspend yourself: ask another administrator.',
    );
    return this.#personNow(userId);
  }

  async reinstate(userId: string): Promise<Person> {
    await this.#change(
      userId,
      { kind: 'reinstate' },
      'You cannot reinstate yourself: ask another administrator.',
    );
    return this.#personNow(userId);
  }

  /** The person's staff roles here end; their account and any other practice stay. */
  async remove(userId: string): Promise<void> {
    await this.#change(userId, { kind: 'remove' }, 'You cannot remove yourself: ask another administrator.');
  }
}

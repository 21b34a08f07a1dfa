import {
  AlcoveError,
  appropriateAdultMaySee,
  type ClientIdentity,
  Confidential,
  type consentTypeSchema,
  releaseDueOn,
} from '@alcove/core';
import {
  addMembership,
  appendAuditEvent,
  type CaseFacts,
  type ConsentView,
  type ContractView,
  caseFacts,
  casesOfClient,
  competentNow,
  consentsOf,
  createUser,
  currentContract,
  type DisclosureView,
  disclosuresOf,
  EmailTakenError,
  findPractice,
  giveConsent,
  type IssuedRelease,
  peekInvitation,
  type ReleaseRequestView,
  readClientIdentities,
  readRelease,
  recordAuditEvent,
  registerRequest,
  releaseRequests,
  takeInvitation,
  updateClientContact,
  userNames,
  type Vault,
  withdrawConsent,
} from '@alcove/store';
import type { z } from 'zod';
import { hashPassword, passwordProblem } from './auth/passwords.ts';
import { ContextBase } from './context-base.ts';
import { ContractsContext } from './contracts-context.ts';

export interface PortalCase {
  readonly facts: CaseFacts;
  /** The client's own place in the case ("Partner A"); never the other clients'. */
  readonly myLabel: string;
  readonly practitionerName: string;
  readonly contract: ContractView | undefined;
}

/**
 * The client portal: a client acts for themself and sees only their own record. Every
 * method starts from the signed-in client's own id; none takes another client's, so one
 * partner's account cannot name the other partner's record at all.
 */
export class PortalContext extends ContextBase {
  /** The portal is the appropriate adult's, looking at the young person's record. */
  get isAppropriateAdult(): boolean {
    return this.actor.roles.includes('appropriate-adult') && !this.actor.roles.includes('client');
  }

  async #me(): Promise<string> {
    const clientId = this.actor.clientId;
    let resource = clientId === undefined ? undefined : await this.clientResource(clientId);
    if (resource?.type === 'client' && clientId !== undefined && this.isAppropriateAdult) {
      // GT-27: nothing of a competent young person's record, unless they agree.
      const today = this.today();
      const competent = await competentNow(this.vault.db, clientId, today);
      const agrees = (
        await consentsOf(this.vault.db, this.vault.keyring, this.actor.practiceId, clientId, today)
      ).some((c) => c.type === 'share-with-appropriate-adult');
      resource = { ...resource, appropriateAdultMaySee: appropriateAdultMaySee({ competent, agrees }) };
    }
    await this.require('portal.use', resource, 'client', clientId ?? 'none');
    if (clientId === undefined) throw new AlcoveError('not-found');
    return clientId;
  }

  async #myCase(caseId: string): Promise<CaseFacts> {
    const me = await this.#me();
    const facts = await caseFacts(this.vault.db, this.actor.practiceId, caseId);
    if (facts === undefined || !facts.participants.some((p) => p.clientId === me)) {
      await recordAuditEvent(this.vault.db, this.event('portal.case', 'case', caseId, 'denied'));
      throw new AlcoveError('not-found', 'There is no such record, or it is not yours to see.');
    }
    return facts;
  }

  async identity(): Promise<Confidential<ClientIdentity>> {
    const me = await this.#me();
    const identity = (await readClientIdentities(this.vault, this.actor.practiceId, [me])).get(me);
    if (identity === undefined) throw new AlcoveError('not-found');
    await recordAuditEvent(this.vault.db, this.event('portal.read', 'client', me));
    return identity;
  }

  async cases(): Promise<PortalCase[]> {
    const me = await this.#me();
    const rows = await casesOfClient(this.vault.db, this.actor.practiceId, me);
    const result: PortalCase[] = [];
    for (const row of rows) {
      const facts = await caseFacts(this.vault.db, this.actor.practiceId, row.caseId);
      if (facts === undefined) continue;
      const names = await userNames(this.vault.db, this.vault.keyring, [facts.practitionerId]);
      result.push({
        facts,
        myLabel: row.label,
        practitionerName: names.get(facts.practitionerId)?.reveal() ?? '',
        contract: await currentContract(this.vault.db, this.vault.keyring, this.actor.practiceId, facts),
      });
    }
    // A contract that failed its integrity check is shown as such, with everything else.
    await this.reportTampered(result.flatMap((c) => c.contract?.opened ?? []));
    return result;
  }

  async contract(caseId: string): Promise<PortalCase> {
    await this.#myCase(caseId);
    const found = (await this.cases()).find((c) => c.facts.caseId === caseId);
    if (found === undefined) throw new AlcoveError('not-found');
    return found;
  }

  /** Signs the current contract of one of the client's own cases, in the portal. */
  async signContract(
    caseId: string,
    input: { contractId: string; textHash: string; acknowledgedConditions: boolean },
  ): Promise<{ signedByAll: boolean }> {
    const me = await this.#me();
    const facts = await this.requireCase(caseId, 'contract.sign-own');
    return this.as(ContractsContext).sign(facts, {
      contractId: input.contractId,
      signer: { kind: 'client', clientId: me },
      mode: 'portal',
      textHash: input.textHash,
      acknowledgedConditions: input.acknowledgedConditions,
    });
  }

  async consents(): Promise<ConsentView[]> {
    const me = await this.#me();
    const consents = await consentsOf(this.vault.db, this.vault.keyring, this.actor.practiceId, me);
    await recordAuditEvent(this.vault.db, this.event('consent.read', 'client', me));
    await this.reportTampered(consents.map((c) => c.recipient));
    return consents;
  }

  /** A consent the client gives themself, today, in the portal. */
  async giveConsent(input: {
    type: z.infer<typeof consentTypeSchema>;
    caseId?: string | undefined;
    recipient?: string | undefined;
  }): Promise<{ id: string }> {
    const me = await this.#me();
    // Each gives what is theirs to give: the appropriate adult their consent (GT-27), the
    // client everything else.
    if ((input.type === 'appropriate-adult') !== this.isAppropriateAdult) {
      throw new AlcoveError(
        'validation-failed',
        this.isAppropriateAdult
          ? 'As the appropriate adult you give your own consent to the therapy only.'
          : 'The appropriate adult gives this consent themself.',
        [{ location: 'body', pointer: '/type', detail: 'Not a consent you can give' }],
      );
    }
    if (input.caseId !== undefined) await this.#myCase(input.caseId);
    if (input.type === 'third-party-release' && input.recipient === undefined) {
      throw new AlcoveError('validation-failed', 'A release to a third party names them.', [
        { location: 'body', pointer: '/recipient', detail: 'Required for a third-party release' },
      ]);
    }
    return this.vault.db.transaction().execute(async (trx) => {
      const created = await giveConsent(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        clientId: me,
        caseId: input.caseId,
        type: input.type,
        recipient: input.recipient === undefined ? undefined : new Confidential(input.recipient),
        givenOn: this.today(),
        givenBy: this.isAppropriateAdult ? 'appropriate-adult' : 'client',
        mode: 'portal',
        recordedBy: this.actor.userId,
        now: this.now(),
      });
      await appendAuditEvent(trx, this.event(`consent.give:${input.type}`, 'client', me));
      return created;
    });
  }

  async withdrawConsent(consentId: string): Promise<void> {
    const me = await this.#me();
    const mine = (await consentsOf(this.vault.db, this.vault.keyring, this.actor.practiceId, me)).find(
      (c) => c.id === consentId,
    );
    if (mine !== undefined && (mine.givenBy === 'appropriate-adult') !== this.isAppropriateAdult) {
      throw new AlcoveError('not-found', 'This consent is not yours to withdraw.');
    }
    await this.vault.db.transaction().execute(async (trx) => {
      await withdrawConsent(trx, {
        practiceId: this.actor.practiceId,
        clientId: me,
        consentId,
        withdrawnOn: this.today(),
      });
      await appendAuditEvent(trx, this.event('consent.withdraw', 'client', me));
    });
  }

  /**
   * Disclosures made without the client's consent that they may be told of (PG5-2). One
   * withheld from them (the law forbids telling them) is left out, and each omission is
   * audited, so the withholding is on the record.
   */
  async disclosures(): Promise<DisclosureView[]> {
    const me = await this.#me();
    const all = await disclosuresOf(this.vault.db, this.vault.keyring, this.actor.practiceId, {
      clientId: me,
    });
    for (const withheld of all.filter((d) => d.withheldFromClient)) {
      await recordAuditEvent(
        this.vault.db,
        this.event('disclosure.withheld-from-client', 'disclosure', withheld.id),
      );
    }
    await recordAuditEvent(this.vault.db, this.event('disclosure.read', 'client', me));
    const shown = all.filter((d) => !d.withheldFromClient);
    await this.reportTampered(shown.map((d) => d.details));
    return shown;
  }

  /** The client asks for their records: a subject access request, due in one calendar month. */
  async requestAccess(): Promise<{ id: string }> {
    const me = await this.#me();
    if (this.isAppropriateAdult) {
      throw new AlcoveError('not-found', 'A request for a client’s records is the client’s to make.');
    }
    const today = this.today();
    return this.vault.db.transaction().execute(async (trx) => {
      const created = await registerRequest(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        clientId: me,
        basis: 'subject-access',
        receivedOn: today,
        dueOn: releaseDueOn(today, 'subject-access'),
        viaPortal: true,
        createdBy: this.actor.userId,
        now: this.now(),
      });
      await appendAuditEvent(trx, this.event('release.request:subject-access', 'client', me));
      return created;
    });
  }

  async myRequests(): Promise<ReleaseRequestView[]> {
    const me = await this.#me();
    return (
      await releaseRequests(this.vault.db, this.vault.keyring, this.actor.practiceId, { clientIds: [me] })
    ).filter((r) => r.basis === 'subject-access');
  }

  /** A copy issued to the client, exactly as issued. */
  async myRelease(releaseId: string): Promise<IssuedRelease> {
    const me = await this.#me();
    const issued = await readRelease(this.vault.db, this.vault.keyring, this.actor.practiceId, releaseId);
    const request =
      issued === undefined
        ? undefined
        : (
            await releaseRequests(this.vault.db, this.vault.keyring, this.actor.practiceId, {
              requestId: issued.requestId,
            })
          )[0];
    if (
      issued === undefined ||
      issued.clientId !== me ||
      request?.basis !== 'subject-access' ||
      this.isAppropriateAdult
    ) {
      await recordAuditEvent(this.vault.db, this.event('release.read', 'release', releaseId, 'denied'));
      throw new AlcoveError('not-found', 'There is no such copy.');
    }
    await recordAuditEvent(this.vault.db, this.event('release.read', 'client', me));
    return issued;
  }

  /** The client says which channels are safe to reach them by (a shared inbox is not). */
  async setContactChannels(contactChannels: NonNullable<ClientIdentity['contactChannels']>): Promise<void> {
    const me = await this.#me();
    if (this.isAppropriateAdult) {
      throw new AlcoveError('not-found', 'How the young person is contacted is theirs to say.');
    }
    await this.vault.db.transaction().execute(async (trx) => {
      await updateClientContact(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        clientId: me,
        change: { contactChannels },
      });
      await appendAuditEvent(trx, this.event('client.contact-channels', 'client', me));
    });
  }
}

/**
 * Takes up a portal invitation: the client chooses a password, and their account is made
 * with the address the invitation went to. They then sign in as anyone does, and set up
 * their authenticator app. The password is checked (passwordProblem) with the person's own
 * address and name and the practice's name as words a guesser tries first.
 */
export async function joinPortal(
  vault: Vault,
  input: { token: string; password: string; now: string },
): Promise<{ userId: string }> {
  const invitation = await peekInvitation(vault.db, vault.keyring, input.token, input.now);
  const identity = (await readClientIdentities(vault, invitation.practiceId, [invitation.clientId]))
    .get(invitation.clientId)
    ?.reveal();
  // An appropriate adult's account is made with their own address and name, never the young person's.
  const person =
    invitation.invitee ??
    (identity?.email === undefined
      ? undefined
      : { email: identity.email, name: identity.preferredName ?? identity.name });
  if (person === undefined) {
    throw new AlcoveError('conflict', 'Your practitioner has no e-mail address for you: ask them to add it.');
  }
  const practice = await findPractice(vault.db, invitation.practiceId);
  const problem = passwordProblem(input.password, [
    person.email,
    person.name,
    ...(practice === undefined ? [] : [practice.name]),
  ]);
  if (problem !== undefined) {
    throw new AlcoveError('validation-failed', problem, [
      { location: 'body', pointer: '/password', detail: problem },
    ]);
  }
  const passwordHash = await hashPassword(input.password);
  return vault.db.transaction().execute(async (trx) => {
    const { practiceId, clientId } = await takeInvitation(trx, input.token, input.now);
    let userId: string;
    try {
      ({ id: userId } = await createUser(trx, vault.keyring, {
        email: person.email,
        name: person.name,
        passwordHash,
        now: input.now,
      }));
    } catch (error) {
      if (error instanceof EmailTakenError) {
        throw new AlcoveError('conflict', 'You have an account already: sign in with it.');
      }
      throw error;
    }
    await addMembership(trx, { userId, practiceId, role: invitation.role, clientId, now: input.now });
    await appendAuditEvent(trx, {
      actorId: userId,
      practiceId,
      action: 'portal.join',
      outcome: 'ok',
      recordType: 'client',
      recordId: clientId,
      purpose: invitation.role,
    });
    return { userId };
  });
}

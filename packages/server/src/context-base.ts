import {
  type Action,
  type Actor,
  AlcoveError,
  type Clock,
  can,
  dayOf,
  type Resource,
  systemClock,
} from '@alcove/core';
import {
  type AuditEventInput,
  type CaseFacts,
  caseFacts,
  clientFacts,
  type Database,
  findPractice,
  type Opened,
  recordAuditEvent,
  recordIntegrityFailures,
  type TamperedError,
  tampered,
  tamperedPlaces,
  userNames,
  type Vault,
} from '@alcove/store';
import type { Transaction } from 'kysely';

/**
 * What every request context shares: the signed-in actor, the one way to ask `can` (a
 * refusal is audited and answered "not found", exactly as if the record did not exist),
 * and the audit event every act writes in its own transaction.
 */
export abstract class ContextBase {
  readonly actor: Actor;
  protected readonly vault: Vault;
  /** "Now" for everything this request stamps or works out (`AppOptions.now`). */
  protected readonly clock: Clock;

  constructor(vault: Vault, actor: Actor, clock: Clock = systemClock) {
    this.vault = vault;
    this.actor = actor;
    this.clock = clock;
  }

  /** The same actor, seen through another context (portal, messages). */
  as<T extends ContextBase>(Context: new (vault: Vault, actor: Actor, clock: Clock) => T): T {
    return new Context(this.vault, this.actor, this.clock);
  }

  /** Why the actor is looking: care for practitioners, administration for administrators. */
  get purpose(): string {
    return this.actor.roles.includes('practitioner')
      ? 'care'
      : this.actor.roles[0] === 'administrator'
        ? 'administration'
        : (this.actor.roles[0] ?? 'none');
  }

  protected event(
    action: string,
    recordType: string | null,
    recordId: string | null,
    outcome: AuditEventInput['outcome'] = 'ok',
  ): AuditEventInput {
    return {
      actorId: this.actor.userId,
      practiceId: this.actor.practiceId,
      action,
      outcome,
      recordType,
      recordId,
      purpose: this.purpose,
      at: this.now(),
    };
  }

  /**
   * Fields a read found tampered (store/sealed.ts): the read still serves everything else;
   * each field is audited as `integrity.failed` (its record's type and id, nothing it held)
   * and kept as a finding for the obligations page (store/integrity.ts), in `trx` when the
   * read has one, else in a transaction of its own.
   */
  protected async reportTampered(
    opened: Iterable<Opened<unknown> | null | undefined>,
    trx?: Transaction<Database>,
  ): Promise<void> {
    const places = tamperedPlaces(opened);
    if (places.length === 0) return;
    const record = (t: Transaction<Database>) =>
      recordIntegrityFailures(t, {
        practiceId: this.actor.practiceId,
        places,
        reader: { actorId: this.actor.userId, purpose: this.purpose, at: this.now() },
      });
    if (trx === undefined) await this.vault.db.transaction().execute(record);
    else await record(trx);
  }

  /**
   * A tampered field that refused what was asked (a release, a letter, a signing screen
   * cannot go on without it): audited and raised as a finding like any other.
   */
  async reportTamperedError(error: TamperedError): Promise<void> {
    const { record, field } = error;
    await this.reportTampered([tampered({ practiceId: this.actor.practiceId, record, field, keyId: '' })]);
  }

  protected async require(
    action: Action,
    resource: Resource | undefined,
    recordType: string,
    recordId: string,
  ): Promise<void> {
    if (resource !== undefined && can(this.actor, action, resource)) return;
    await recordAuditEvent(this.vault.db, this.event(action, recordType, recordId, 'denied'));
    throw new AlcoveError('not-found', 'There is no such record, or it is not yours to see.');
  }

  protected async clientResource(clientId: string): Promise<Resource | undefined> {
    const facts = (await clientFacts(this.vault.db, this.actor.practiceId, [clientId])).get(clientId);
    return facts === undefined ? undefined : { type: 'client', ...facts };
  }

  /** Of these clients, the ones `action` is allowed on (one query for them all). */
  protected async clientsAllowed(action: Action, clientIds: readonly string[]): Promise<Set<string>> {
    const facts = await clientFacts(this.vault.db, this.actor.practiceId, clientIds);
    return new Set(
      clientIds.filter((id) => {
        const f = facts.get(id);
        return f !== undefined && can(this.actor, action, { type: 'client', ...f });
      }),
    );
  }

  protected practiceResource(): Resource {
    return { type: 'practice', practiceId: this.actor.practiceId };
  }

  /** The case, once `can` allows `action` on it. */
  protected async requireCase(caseId: string, action: Action): Promise<CaseFacts> {
    const facts = await caseFacts(this.vault.db, this.actor.practiceId, caseId);
    await this.require(
      action,
      facts === undefined
        ? undefined
        : {
            type: 'case',
            practiceId: facts.practiceId,
            caseId,
            practitionerId: facts.practitionerId,
            clientIds: facts.participants.map((p) => p.clientId),
          },
      'case',
      caseId,
    );
    if (facts === undefined) throw new AlcoveError('not-found');
    return facts;
  }

  async practiceName(): Promise<string> {
    return (await findPractice(this.vault.db, this.actor.practiceId))?.name ?? '';
  }

  /** A staff member's display name (the practitioner named on a contract). */
  async userName(userId: string): Promise<string> {
    return (await userNames(this.vault.db, this.vault.keyring, [userId])).get(userId)?.reveal() ?? '';
  }

  /** Now, as an ISO instant. */
  protected now(): string {
    return this.clock().toISOString();
  }

  /** Today in Europe/London. */
  protected today(): string {
    return dayOf(this.clock());
  }
}

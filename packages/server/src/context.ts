import {
  type Action,
  type Actor,
  AlcoveError,
  type CaseKind,
  type ClientIdentity,
  Confidential,
  can,
  type NewEntry,
  type Resource,
} from '@alcove/core';
import {
  type AuditEventInput,
  addEntry,
  allClientIds,
  appendAuditEvent,
  auditEventsForRecords,
  type CaseFacts,
  caseFacts,
  clientFacts,
  createClient,
  openCase,
  type RecordCase,
  readClientCases,
  readClientIdentities,
  recordAuditEvent,
  userNames,
  type Vault,
} from '@alcove/store';

/**
 * What a route handler may do, and the only way it reaches the records: built per
 * request around the signed-in actor. Every operation asks `can` first; a record the
 * actor may not see is "not found", exactly as if it did not exist, and the refusal is
 * audited. Every read and write is audited in the same transaction as the act.
 */
export class RequestContext {
  readonly actor: Actor;
  readonly #vault: Vault;

  constructor(vault: Vault, actor: Actor) {
    this.#vault = vault;
    this.actor = actor;
  }

  /** Why the actor is looking: care for practitioners, administration for administrators. */
  get purpose(): string {
    return this.actor.roles.includes('practitioner')
      ? 'care'
      : this.actor.roles[0] === 'administrator'
        ? 'administration'
        : (this.actor.roles[0] ?? 'none');
  }

  #event(
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
    };
  }

  async #require(
    action: Action,
    resource: Resource | undefined,
    recordType: string,
    recordId: string,
  ): Promise<void> {
    if (resource !== undefined && can(this.actor, action, resource)) return;
    await recordAuditEvent(this.#vault.db, this.#event(action, recordType, recordId, 'denied'));
    throw new AlcoveError('not-found', 'There is no such record, or it is not yours to see.');
  }

  async #client(clientId: string): Promise<Resource | undefined> {
    const facts = (await clientFacts(this.#vault.db, this.actor.practiceId, [clientId])).get(clientId);
    return facts === undefined ? undefined : { type: 'client', ...facts };
  }

  #practice(): Resource {
    return { type: 'practice', practiceId: this.actor.practiceId };
  }

  // ------------------------------------------------------------ clients

  /** The clients the actor may see the identity of: their own, or all for an administrator. */
  async listClients(): Promise<{ id: string; identity: Confidential<ClientIdentity>; createdAt: string }[]> {
    await this.#require('client.list', this.#practice(), 'practice', this.actor.practiceId);
    const ids = await allClientIds(this.#vault.db, this.actor.practiceId);
    const facts = await clientFacts(this.#vault.db, this.actor.practiceId, ids);
    const visible = ids.filter((id) => {
      const f = facts.get(id);
      return f !== undefined && can(this.actor, 'client.read-identity', { type: 'client', ...f });
    });
    const identities = await readClientIdentities(this.#vault, this.actor.practiceId, visible);
    await recordAuditEvent(this.#vault.db, this.#event('client.list', 'practice', this.actor.practiceId));
    return visible.flatMap((id) => {
      const identity = identities.get(id);
      const f = facts.get(id);
      return identity === undefined || f === undefined ? [] : [{ id, identity, createdAt: f.createdAt }];
    });
  }

  async createClient(identity: ClientIdentity): Promise<{ id: string }> {
    await this.#require('client.create', this.#practice(), 'practice', this.actor.practiceId);
    return this.#vault.db.transaction().execute(async (trx) => {
      const created = await createClient(trx, this.#vault.keyring, {
        practiceId: this.actor.practiceId,
        createdBy: this.actor.userId,
        identity: new Confidential(identity),
      });
      await appendAuditEvent(trx, this.#event('client.create', 'client', created.id));
      return created;
    });
  }

  async readClientIdentity(clientId: string): Promise<Confidential<ClientIdentity>> {
    await this.#require('client.read-identity', await this.#client(clientId), 'client', clientId);
    return this.#vault.db.transaction().execute(async (trx) => {
      const identity = (
        await readClientIdentities({ db: trx, keyring: this.#vault.keyring }, this.actor.practiceId, [
          clientId,
        ])
      ).get(clientId);
      await appendAuditEvent(trx, this.#event('client.read-identity', 'client', clientId));
      if (identity === undefined)
        throw new AlcoveError('not-found', 'This client’s details have been destroyed.');
      return identity;
    });
  }

  /** The clinical record: every case the client is in, with its entries. */
  async readClientRecord(clientId: string): Promise<RecordCase[]> {
    await this.#require('client.read-clinical', await this.#client(clientId), 'client', clientId);
    return this.#vault.db.transaction().execute(async (trx) => {
      const cases = await readClientCases(
        { db: trx, keyring: this.#vault.keyring },
        this.actor.practiceId,
        clientId,
      );
      await appendAuditEvent(trx, this.#event('client.read-record', 'client', clientId));
      return cases;
    });
  }

  /** Who has read or changed this client's records, newest first. */
  async readAccessHistory(clientId: string) {
    await this.#require('client.read-access-history', await this.#client(clientId), 'client', clientId);
    const events = await auditEventsForRecords(this.#vault.db, this.actor.practiceId, [clientId]);
    const names = await userNames(
      this.#vault.db,
      this.#vault.keyring,
      events.flatMap((e) => (e.actor_id === null ? [] : [e.actor_id])),
    );
    await recordAuditEvent(this.#vault.db, this.#event('client.read-access-history', 'client', clientId));
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

  // ------------------------------------------------------------ cases and entries

  async openCase(kind: CaseKind, clientIds: readonly string[]): Promise<CaseFacts> {
    await this.#require('case.open', this.#practice(), 'practice', this.actor.practiceId);
    for (const clientId of clientIds) {
      await this.#require('case.open', await this.#client(clientId), 'client', clientId);
    }
    return this.#vault.db.transaction().execute(async (trx) => {
      const opened = await openCase(trx, this.#vault.keyring, {
        practiceId: this.actor.practiceId,
        practitionerId: this.actor.userId,
        kind,
        clientIds,
      });
      await appendAuditEvent(trx, this.#event('case.open', 'case', opened.caseId));
      for (const p of opened.participants)
        await appendAuditEvent(trx, this.#event('case.join', 'client', p.clientId));
      return opened;
    });
  }

  async addEntry(caseId: string, entry: NewEntry): Promise<{ id: string }> {
    const facts = await caseFacts(this.#vault.db, this.actor.practiceId, caseId);
    await this.#require(
      'entry.create',
      facts === undefined
        ? undefined
        : { type: 'case', practiceId: facts.practiceId, caseId, practitionerId: facts.practitionerId },
      'case',
      caseId,
    );
    if (facts === undefined) throw new AlcoveError('not-found');
    return this.#vault.db.transaction().execute(async (trx) => {
      const created = await addEntry(trx, this.#vault.keyring, {
        practiceId: this.actor.practiceId,
        theCase: facts,
        authorId: this.actor.userId,
        kind: entry.kind,
        occurredAt: entry.occurredAt,
        passages: entry.passages.map((p) => ({ text: new Confidential(p.text), attribution: p.attribution })),
      });
      await appendAuditEvent(trx, this.#event('entry.create', 'entry', created.id));
      for (const p of facts.participants)
        await appendAuditEvent(trx, this.#event('entry.create', 'client', p.clientId));
      return created;
    });
  }
}

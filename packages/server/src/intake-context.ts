import {
  AlcoveError,
  type ClientIdentity,
  Confidential,
  type ConflictDecision,
  can,
  conflictMatches,
  createClientCommand,
  unresolvedConflicts,
} from '@alcove/core';
import {
  allClientIds,
  appendAuditEvent,
  auditEventsForRecords,
  clientFacts,
  clientIdsOfPractitioner,
  clientIdsWithNameIndex,
  createClient,
  knownPeopleFor,
  matchKeysFor,
  type Opened,
  openClientIdentities,
  recordAuditEvent,
  recordIntakeDecision,
  userNames,
} from '@alcove/store';
import { ContextBase } from './context-base.ts';

/**
 * Taking clients on and knowing who they are: the list of clients the actor may see, the
 * conflict check at intake (GT-28, GT-32), a client's identity, and who has read their
 * records. A client the actor may not see is "not found", and the refusal is audited.
 */
export class IntakeContext extends ContextBase {
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
      const matching = await clientIdsWithNameIndex(this.vault.db, this.actor.practiceId, nameIndex);
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
    const decided = new Map(decisions.map((d) => [d.matchId, d.decision]));
    return this.runCommand({
      command: createClientCommand,
      record: { type: 'practice', id: this.actor.practiceId },
      scope: { practiceId: this.actor.practiceId, userId: this.actor.userId },
      facts: async () => {
        const matches = conflictMatches(
          keys,
          await knownPeopleFor(this.vault.db, this.actor.practiceId, this.actor.userId),
        );
        return { matches, unresolved: unresolvedConflicts(matches, decided) };
      },
      matches: ({ unresolved }) =>
        unresolved.map((m) => ({
          matchId: m.matchId,
          kind: m.kind,
          clause: m.clause.id,
          overridable: m.overridable,
        })),
      work: async (trx, _answered, { matches }) => {
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
      },
    });
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
}

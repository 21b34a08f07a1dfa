import {
  type Action,
  type Actor,
  AlcoveError,
  ClauseRefusalError,
  type Clock,
  type Command,
  can,
  dayOf,
  gate,
  isClauseId,
  type ProblemDocument,
  type Refusal,
  type Resource,
  systemClock,
} from '@alcove/core';
import {
  type AuditEventInput,
  appendAuditEvent,
  type CaseFacts,
  caseFacts,
  clientFacts,
  type Database,
  type FactScope,
  factStamp,
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

/** A practitioner's departure from a "should", with the reason they give (GT-5). */
export interface Override {
  readonly clause: string;
  readonly reason: string;
}

/** One command of the Code, as a context runs it (see `runCommand`). */
export interface CommandRun<F, R> {
  /** The command; its rules may read less than the facts hold (the facts are inferred from `facts`). */
  readonly command: Command<NoInfer<F>>;
  /** The record the command acts on, for its audit events. */
  readonly record: { readonly type: string; readonly id: string };
  readonly override?: Override | undefined;
  /** Several overrides, one for each clause a text may lack (a contract, a template: `overrides`). */
  readonly overrides?: readonly Override[] | undefined;
  /** Where the override sits in the request body, for its validation problem. */
  readonly overridePointer?: string;
  /** What the facts depend on: read again inside the transaction (store/fact-stamps.ts). */
  readonly scope: FactScope;
  /** Reads and decrypts what the rules need, outside the write transaction. */
  readonly facts: () => Promise<F>;
  /** Extra detail for the problem document (the matches of a conflict check). */
  readonly matches?: (facts: F) => ProblemDocument['matches'];
  /** The work, once the gate lets it through, in the same transaction as its audit events. */
  readonly work: (trx: Transaction<Database>, answered: readonly Refusal[], facts: F) => Promise<R>;
}

/**
 * The reasons that answered a refusal, one for each clause, in the order given: a reason
 * given where nothing was refused is not kept.
 */
export function answeredOverrides(
  answered: readonly Refusal[],
  given: readonly Override[] | undefined,
): Override[] {
  const clauses = new Set(answered.map((r) => r.clause.id));
  const kept = new Map<string, Override>();
  for (const o of given ?? []) {
    if (clauses.has(o.clause) && !kept.has(o.clause))
      kept.set(o.clause, { clause: o.clause, reason: o.reason });
  }
  return [...kept.values()];
}

/** How often facts that moved under a command are read again before it gives up. */
const COMMAND_ATTEMPTS = 3;

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

  /**
   * The one way a command of the Code runs: read the facts (and decrypt them) outside the
   * write transaction, run the command's rules, then in one transaction read the facts'
   * stamp again (a change reads them afresh), and write either the refusal's audit event
   * or the override's and the work, and commit. A refusal is answered with the problem
   * document that cites its clause, after its audit event has committed.
   */
  protected async runCommand<F, R>(run: CommandRun<F, R>): Promise<R> {
    const { override } = run;
    if (override !== undefined && !isClauseId(override.clause)) {
      throw new AlcoveError('validation-failed', 'There is no such clause.', [
        {
          location: 'body',
          pointer: run.overridePointer ?? '/override/clause',
          detail: 'Not a clause of the Code',
        },
      ]);
    }
    const unknown = (run.overrides ?? []).findIndex((o) => !isClauseId(o.clause));
    if (unknown >= 0) {
      throw new AlcoveError('validation-failed', 'There is no such clause.', [
        { location: 'body', pointer: `/overrides/${unknown}/clause`, detail: 'Not a clause of the Code' },
      ]);
    }
    const overrides = new Set([
      ...(override === undefined ? [] : [override.clause]),
      ...(run.overrides ?? []).map((o) => o.clause),
    ]);
    for (let attempt = 1; attempt <= COMMAND_ATTEMPTS; attempt += 1) {
      const stamp = await factStamp(this.vault.db, run.scope);
      const facts = await run.facts();
      const { refusals, overridden } = gate(run.command, facts, overrides);
      const refused = refusals[0];
      const outcome = await this.vault.db.transaction().execute(async (trx) => {
        if ((await factStamp(trx, run.scope)) !== stamp) return { moved: true as const };
        if (refused !== undefined) {
          await appendAuditEvent(
            trx,
            this.event(`code.refused:${refused.clause.id}`, run.record.type, run.record.id, 'denied'),
          );
          return { refused };
        }
        // One event for each clause answered, however many of its rules it answered.
        for (const clauseId of new Set(overridden.map((answered) => answered.clause.id))) {
          await appendAuditEvent(
            trx,
            this.event(`code.override:${clauseId}`, run.record.type, run.record.id),
          );
        }
        return { done: await run.work(trx, overridden, facts) };
      });
      if ('moved' in outcome) continue;
      if ('refused' in outcome) {
        throw new ClauseRefusalError({
          ...outcome.refused,
          ...(run.matches === undefined ? {} : { matches: run.matches(facts) }),
        });
      }
      return outcome.done;
    }
    throw new AlcoveError('conflict', 'The record changed while this was being saved. Try again.');
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

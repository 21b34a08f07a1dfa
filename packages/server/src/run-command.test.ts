import { type Actor, AlcoveError, ClauseRefusalError, defineCommand, type Refusal } from '@alcove/core';
import { currentProfile, saveProfile } from '@alcove/store';
import { createTestVault, type TestVault, testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CommandRun, ContextBase } from './context-base.ts';
import { addStaff } from './testing/app.ts';

/**
 * The one pipeline every command of the Code runs through (ContextBase.runCommand): facts
 * read outside the write transaction, the gate, then in one transaction the facts' stamp
 * read again, and either the refusal's audit event or the override's and the work.
 */
class Probe extends ContextBase {
  run<F, R>(run: CommandRun<F, R>): Promise<R> {
    return this.runCommand(run);
  }
}

interface Facts {
  readonly ready: boolean;
}

// A "must" (GT-36) and a "should" (GT-36a), as a real command names them.
const probeCommand = defineCommand<Facts>({
  name: 'probe.act',
  summary: 'A command for testing the pipeline',
  rules: [
    { id: 'probe-must', clause: 'GT-36', check: (f) => (f.ready ? undefined : 'Not ready (must).') },
    { id: 'probe-should', clause: 'GT-36a', check: (f) => (f.ready ? undefined : 'Not ready (should).') },
  ],
});
const shouldOnly = defineCommand<Facts>({
  name: 'probe.should',
  summary: 'A command with one "should"',
  rules: [{ id: 'probe-should-only', clause: 'GT-36a', check: (f) => (f.ready ? undefined : 'Not ready.') }],
});

describe.each(testEngines)('the command pipeline on $name', (engine) => {
  let vault: TestVault;
  let probe: Probe;
  let actor: Actor;

  beforeAll(async () => {
    vault = await createTestVault(engine);
    const staff = await addStaff(vault, {
      email: 'pipeline@example.test',
      name: 'Pipeline Tester (fictional)',
      roles: ['practitioner'],
    });
    actor = { userId: staff.userId, practiceId: vault.practice.id, roles: ['practitioner'] };
    probe = new Probe(vault, actor);
  });
  afterAll(async () => {
    await vault.close();
  });

  const events = async (action: string) =>
    (await vault.db.selectFrom('audit_event').select(['action', 'outcome', 'record_id']).execute()).filter(
      (e) => e.action === action,
    );
  /** A change another request commits to the practitioner's record: it moves the stamp. */
  const touchProfile = async () => {
    const profile = await currentProfile(vault.db, actor.practiceId, actor.userId);
    await vault.db
      .transaction()
      .execute((trx) => saveProfile(trx, actor.practiceId, actor.userId, profile, new Date().toISOString()));
  };
  const scope = () => ({ practiceId: actor.practiceId, userId: actor.userId });

  it('refuses with the first rule’s clause, audits the refusal in its own transaction, and never runs the work', async () => {
    let worked = false;
    const refused = await probe
      .run({
        command: probeCommand,
        record: { type: 'probe', id: 'refused-1' },
        scope: scope(),
        facts: async () => ({ ready: false }),
        work: async () => {
          worked = true;
        },
      })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ClauseRefusalError);
    expect(refused).toMatchObject({ clause: 'GT-36', overridable: false, duty: 'must' });
    expect(worked).toBe(false);
    expect(await events('code.refused:GT-36')).toEqual([
      { action: 'code.refused:GT-36', outcome: 'denied', record_id: 'refused-1' },
    ]);
  });

  it('lets a reason answer a "should" and never a "must"', async () => {
    const must = await probe
      .run({
        command: probeCommand,
        record: { type: 'probe', id: 'must-1' },
        override: { clause: 'GT-36', reason: 'Trying to override a must (fictional).' },
        scope: scope(),
        facts: async () => ({ ready: false }),
        work: async () => 'done',
      })
      .catch((error: unknown) => error);
    expect(must).toMatchObject({ clause: 'GT-36' });

    let answered: readonly Refusal[] = [];
    const done = await probe.run({
      command: shouldOnly,
      record: { type: 'probe', id: 'should-1' },
      override: { clause: 'GT-36a', reason: 'Agreed by phone (fictional).' },
      scope: scope(),
      facts: async () => ({ ready: false }),
      work: async (_trx, overridden) => {
        answered = overridden;
        return 'done';
      },
    });
    expect(done).toBe('done');
    expect(answered.map((r) => [r.rule, r.clause.id])).toEqual([['probe-should-only', 'GT-36a']]);
    expect((await events('code.override:GT-36a')).map((e) => e.record_id)).toEqual(['should-1']);
  });

  it('refuses an override that names no clause of the Code', async () => {
    const error = await probe
      .run({
        command: shouldOnly,
        record: { type: 'probe', id: 'bad-override' },
        override: { clause: 'GT-999', reason: 'No such clause (fictional).' },
        scope: scope(),
        facts: async () => ({ ready: true }),
        work: async () => 'done',
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlcoveError);
    expect(error).toMatchObject({ code: 'validation-failed' });
  });

  it('reads the facts again when what they rest on changed before the transaction, and decides on the new facts', async () => {
    let reads = 0;
    let seen: Facts | undefined;
    const result = await probe.run({
      command: probeCommand,
      record: { type: 'probe', id: 'race-1' },
      scope: scope(),
      facts: async () => {
        reads += 1;
        // The first read sees the record as it was; a colleague's change commits meanwhile.
        if (reads === 1) {
          await touchProfile();
          return { ready: false };
        }
        return { ready: true };
      },
      work: async (_trx, _answered, facts) => {
        seen = facts;
        return 'written';
      },
    });
    expect(reads).toBe(2);
    expect(seen).toEqual({ ready: true });
    expect(result).toBe('written');
    // The refusal the stale facts would have given was never written.
    expect(await events('code.refused:GT-36').then((e) => e.filter((x) => x.record_id === 'race-1'))).toEqual(
      [],
    );
  });

  it('gives up with a conflict, writing nothing, when the facts keep moving', async () => {
    let worked = false;
    const error = await probe
      .run({
        command: probeCommand,
        record: { type: 'probe', id: 'race-2' },
        scope: scope(),
        facts: async () => {
          await touchProfile();
          return { ready: true };
        },
        work: async () => {
          worked = true;
        },
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'conflict' });
    expect(worked).toBe(false);
  });

  it('rolls the work back with its audit events when the work fails', async () => {
    const before = (await events('code.override:GT-36a')).length;
    const error = await probe
      .run({
        command: shouldOnly,
        record: { type: 'probe', id: 'rollback-1' },
        override: { clause: 'GT-36a', reason: 'Agreed by phone (fictional).' },
        scope: scope(),
        facts: async () => ({ ready: false }),
        work: async () => {
          throw new AlcoveError('conflict', 'The work failed.');
        },
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'conflict' });
    expect((await events('code.override:GT-36a')).length).toBe(before);
  });
});

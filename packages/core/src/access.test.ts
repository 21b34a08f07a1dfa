import { describe, expect, it } from 'vitest';
import { type Action, type Actor, actions, can, type Resource, type Role } from './access.ts';
import { clause } from './testing.ts';

const practiceId = 'practice-1';
const me = 'user-me';
const colleague = 'user-colleague';

function actor(roles: Role[], extra: Partial<Actor> = {}): Actor {
  return { userId: me, practiceId, roles, ...extra };
}

const myClient: Resource = { type: 'client', practiceId, clientId: 'c1', treatingPractitionerIds: [me] };
const colleaguesClient: Resource = {
  type: 'client',
  practiceId,
  clientId: 'c2',
  treatingPractitionerIds: [colleague],
};
const otherPracticeClient: Resource = {
  type: 'client',
  practiceId: 'practice-2',
  clientId: 'c3',
  treatingPractitionerIds: [me],
};
const myCase: Resource = {
  type: 'case',
  practiceId,
  caseId: 'k1',
  practitionerId: me,
  clientIds: ['c1', 'c4'],
};
const colleaguesCase: Resource = {
  type: 'case',
  practiceId,
  caseId: 'k2',
  practitionerId: colleague,
  clientIds: ['c2'],
};
const partnerB: Resource = { type: 'client', practiceId, clientId: 'c4', treatingPractitionerIds: [me] };

// A truth table: every row is an allow or a refusal that must hold.
const table: ReadonlyArray<readonly [string, Actor, Action, Resource, boolean]> = [
  [
    'practitioner reads their client’s record',
    actor(['practitioner']),
    'client.read-clinical',
    myClient,
    true,
  ],
  [
    'practitioner reads their client’s identity',
    actor(['practitioner']),
    'client.read-identity',
    myClient,
    true,
  ],
  [
    'practitioner reads who accessed their client',
    actor(['practitioner']),
    'client.read-access-history',
    myClient,
    true,
  ],
  [
    'practitioner may not read a colleague’s client',
    actor(['practitioner']),
    'client.read-clinical',
    colleaguesClient,
    false,
  ],
  [
    'practitioner may not read a colleague’s client’s identity',
    actor(['practitioner']),
    'client.read-identity',
    colleaguesClient,
    false,
  ],
  [
    'nobody reads another practice’s client',
    actor(['practitioner', 'administrator']),
    'client.read-identity',
    otherPracticeClient,
    false,
  ],
  [
    'administrator reads identity and contact',
    actor(['administrator']),
    'client.read-identity',
    colleaguesClient,
    true,
  ],
  [
    'administrator never reads clinical material',
    actor(['administrator']),
    'client.read-clinical',
    colleaguesClient,
    false,
  ],
  [
    'administrator does not see access history',
    actor(['administrator']),
    'client.read-access-history',
    colleaguesClient,
    false,
  ],
  [
    'supervisor never sees an identity (PG5-5)',
    actor(['supervisor']),
    'client.read-identity',
    myClient,
    false,
  ],
  [
    'supervisor does not read the clinical record directly',
    actor(['supervisor']),
    'client.read-clinical',
    myClient,
    false,
  ],
  [
    'executor has no access without break-glass',
    actor(['executor']),
    'client.read-identity',
    myClient,
    false,
  ],
  [
    'a client reads their own identity',
    actor(['client'], { clientId: 'c1' }),
    'client.read-identity',
    myClient,
    true,
  ],
  [
    'a client never reads another client',
    actor(['client'], { clientId: 'c9' }),
    'client.read-identity',
    myClient,
    false,
  ],
  [
    'a client does not read clinical material through this route',
    actor(['client'], { clientId: 'c1' }),
    'client.read-clinical',
    myClient,
    false,
  ],
  ['practitioner writes in their case', actor(['practitioner']), 'entry.create', myCase, true],
  [
    'practitioner may not write in a colleague’s case',
    actor(['practitioner']),
    'entry.create',
    colleaguesCase,
    false,
  ],
  ['administrator may not write entries', actor(['administrator']), 'entry.create', myCase, false],
  [
    'practitioner takes on clients',
    actor(['practitioner']),
    'client.create',
    { type: 'practice', practiceId },
    true,
  ],
  [
    'administrator does not take on clients',
    actor(['administrator']),
    'client.create',
    { type: 'practice', practiceId },
    false,
  ],
  [
    'practitioner manages their own account',
    actor(['practitioner']),
    'account.manage',
    { type: 'account', userId: me },
    true,
  ],
  [
    'nobody manages another’s account',
    actor(['administrator']),
    'account.manage',
    { type: 'account', userId: colleague },
    false,
  ],
  [
    'practitioner keeps their own professional record',
    actor(['practitioner']),
    'profile.manage',
    { type: 'account', userId: me },
    true,
  ],
  [
    'an administrator has no professional record to keep',
    actor(['administrator']),
    'profile.manage',
    { type: 'account', userId: me },
    false,
  ],
  [
    'nobody keeps another’s professional record',
    actor(['practitioner']),
    'profile.manage',
    { type: 'account', userId: colleague },
    false,
  ],
  [
    'administrator sets the CPD requirement',
    actor(['administrator']),
    'settings.write',
    { type: 'practice', practiceId },
    true,
  ],
  [
    'practitioner reads but does not set it',
    actor(['practitioner']),
    'settings.write',
    { type: 'practice', practiceId },
    false,
  ],
  [
    'an administrator manages the practice’s people (ends their sessions)',
    actor(['administrator']),
    'people.manage',
    { type: 'practice', practiceId },
    true,
  ],
  [
    'a practitioner does not manage the practice’s people',
    actor(['practitioner']),
    'people.manage',
    { type: 'practice', practiceId },
    false,
  ],
  [
    'an administrator does not manage another practice’s people',
    actor(['administrator']),
    'people.manage',
    { type: 'practice', practiceId: 'elsewhere' },
    false,
  ],
  [
    'a client uses the portal for their own record',
    actor(['client'], { clientId: 'c1' }),
    'portal.use',
    myClient,
    true,
  ],
  [
    'partner A’s portal account never reaches partner B’s record',
    actor(['client'], { clientId: 'c1' }),
    'portal.use',
    partnerB,
    false,
  ],
  [
    'partner A may not read partner B’s identity',
    actor(['client'], { clientId: 'c1' }),
    'client.read-identity',
    partnerB,
    false,
  ],
  ['a practitioner does not use a client’s portal', actor(['practitioner']), 'portal.use', myClient, false],
  [
    'a client signs the contract of a case they are in',
    actor(['client'], { clientId: 'c4' }),
    'contract.sign-own',
    myCase,
    true,
  ],
  [
    'a client does not sign the contract of a case they are not in',
    actor(['client'], { clientId: 'c1' }),
    'contract.sign-own',
    colleaguesCase,
    false,
  ],
  [
    'a client may not read the case itself',
    actor(['client'], { clientId: 'c1' }),
    'case.read',
    myCase,
    false,
  ],
  [
    'the practitioner invites their own client to the portal',
    actor(['practitioner']),
    'client.invite',
    myClient,
    true,
  ],
  ['an administrator does not invite clients', actor(['administrator']), 'client.invite', myClient, false],
  [
    'a supervisor does not read the outbox',
    actor(['supervisor']),
    'outbox.read',
    { type: 'practice', practiceId },
    false,
  ],
  [
    'an actor with no role can do nothing',
    actor([]),
    'practice.read',
    { type: 'practice', practiceId },
    false,
  ],
];

// The rows that prove a clause run as tests tagged with it (below); the rest as one table.
const proving = new Set([
  'practitioner may not read a colleague’s client',
  'practitioner may not read a colleague’s client’s identity',
  'supervisor never sees an identity (PG5-5)',
]);

function holds(label: string): void {
  const row = table.find(([name]) => name === label);
  if (row === undefined) throw new Error(`no row ${label}`);
  const [, who, action, resource, expected] = row;
  expect(can(who, action, resource)).toBe(expected);
}

describe('can(actor, action, resource)', () => {
  it.each(table.filter(([label]) => !proving.has(label)))('%s', (_label, who, action, resource, expected) => {
    expect(can(who, action, resource)).toBe(expected);
  });

  clause('PG5-3', 'practitioner may not read a colleague’s client', () => {
    holds('practitioner may not read a colleague’s client');
  });

  clause('PG5-3', 'practitioner may not read a colleague’s client’s identity', () => {
    holds('practitioner may not read a colleague’s client’s identity');
  });

  clause('PG5-5', 'supervisor never sees an identity (PG5-5)', () => {
    holds('supervisor never sees an identity (PG5-5)');
  });

  it('denies every action on another practice, for every role', () => {
    for (const role of ['practitioner', 'administrator', 'supervisor', 'executor', 'client'] as const) {
      for (const action of actions) {
        expect(can(actor([role], { clientId: 'c3' }), action, otherPracticeClient), `${role} ${action}`).toBe(
          false,
        );
        expect(
          can(actor([role]), action, { type: 'practice', practiceId: 'practice-2' }),
          `${role} ${action}`,
        ).toBe(false);
      }
    }
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Action, type Actor, actions, can, type Resource, roles } from './access.ts';
import { decidePassages, redactIdentifiers } from './releases.ts';

/**
 * Model-based properties (fast-check): the release assembly never holds a passage that
 * concerns a client who has not consented, and the access evaluator never lets anyone
 * reach another practice, or a client reach anyone's record but their own.
 */
const clientIds = ['c0', 'c1', 'c2', 'c3'] as const;

const caseArbitrary = fc
  .record({
    members: fc.uniqueArray(fc.constantFrom(...clientIds), { minLength: 2, maxLength: 4 }),
    consenting: fc.subarray([...clientIds]),
    passages: fc.array(fc.subarray([0, 1, 2, 3]), { maxLength: 30 }),
  })
  .map(({ members, consenting, passages }) => ({
    participants: members.map((clientId, i) => ({
      id: `p${i}`,
      caseId: 'k',
      clientId,
      label: `Member ${i + 1}`,
    })),
    consenting: new Set<string>(consenting),
    passages: passages.map((indexes, i) => ({
      ref: `r${i}`,
      caseId: 'k',
      attribution: indexes.filter((n) => n < members.length).map((n) => `p${n}`),
    })),
  }));

describe('release assembly, for any case and any consents', () => {
  it('never releases a passage concerning another client who has not consented, nor another’s own material', () => {
    fc.assert(
      fc.property(caseArbitrary, fc.nat(3), ({ participants, consenting, passages }, pick) => {
        const subject = participants[pick % participants.length];
        if (subject === undefined) return;
        const decisions = decidePassages({
          clientId: subject.clientId,
          participants,
          passages,
          jointConsent: (id) => consenting.has(id),
        });
        for (const [i, decision] of decisions.entries()) {
          if (!decision.included) continue;
          const passage = passages[i];
          if (passage === undefined) throw new Error('no passage');
          const about =
            passage.attribution.length === 0 ? participants.map((p) => p.id) : passage.attribution;
          expect(about).toContain(subject.id);
          for (const p of participants) {
            if (p.id !== subject.id && about.includes(p.id)) expect(consenting.has(p.clientId)).toBe(true);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('always releases the subject’s own passages unless the practitioner withholds them', () => {
    fc.assert(
      fc.property(caseArbitrary, ({ participants, consenting, passages }) => {
        const subject = participants[0];
        if (subject === undefined) return;
        const decisions = decidePassages({
          clientId: subject.clientId,
          participants,
          passages,
          jointConsent: (id) => consenting.has(id),
        });
        passages.forEach((p, i) => {
          if (p.attribution.length === 1 && p.attribution[0] === subject.id)
            expect(decisions[i]?.included).toBe(true);
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('hiding identifiers, for any name', () => {
  it('leaves no part of another client’s name of three letters or more in the text', () => {
    const word = fc.stringMatching(/^[A-Z][a-z]{2,9}$/);
    fc.assert(
      fc.property(
        word,
        word,
        fc.array(fc.constantFrom('said', 'and', 'that', 'the', 'work', 'late'), { maxLength: 8 }),
        (given, family, filler) => {
          const text = [...filler, given, ...filler, `${given} ${family}`, family.toLowerCase()].join(' ');
          const out = redactIdentifiers(text, [
            { label: 'Partner B', name: `${given} ${family} (fictional)` },
          ]);
          const words = out.toLowerCase().split(/[^a-z]+/);
          // A filler word that happens to be the name is hidden too; nothing of the name remains.
          expect(words).not.toContain(given.toLowerCase());
          expect(words).not.toContain(family.toLowerCase());
        },
      ),
      { numRuns: 300 },
    );
  });
});

const roleSet = fc.subarray([...roles], { minLength: 0, maxLength: 3 });
const ids = fc.constantFrom('u1', 'u2', 'u3');
const practices = fc.constantFrom('practice-1', 'practice-2');
const clients = fc.constantFrom('c1', 'c2', 'c3');

const actorArbitrary: fc.Arbitrary<Actor> = fc.record({
  userId: ids,
  practiceId: practices,
  roles: roleSet,
  clientId: fc.option(clients, { nil: undefined }),
});
const resourceArbitrary: fc.Arbitrary<Resource> = fc.oneof(
  fc.record({ type: fc.constant('practice' as const), practiceId: practices }),
  fc.record({
    type: fc.constant('client' as const),
    practiceId: practices,
    clientId: clients,
    treatingPractitionerIds: fc.subarray(['u1', 'u2', 'u3']),
    appropriateAdultMaySee: fc.boolean(),
  }),
  fc.record({
    type: fc.constant('case' as const),
    practiceId: practices,
    caseId: fc.constant('k1'),
    practitionerId: ids,
    clientIds: fc.subarray(['c1', 'c2', 'c3']),
  }),
  fc.record({ type: fc.constant('account' as const), userId: ids }),
);
const actionArbitrary: fc.Arbitrary<Action> = fc.constantFrom(...actions);

describe('the access evaluator, for any actor, action and resource', () => {
  it('never allows anything in another practice', () => {
    fc.assert(
      fc.property(actorArbitrary, actionArbitrary, resourceArbitrary, (actor, action, resource) => {
        if (resource.type !== 'account' && resource.practiceId !== actor.practiceId) {
          expect(can(actor, action, resource)).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('lets a client or appropriate adult (and no staff role) reach only their own client’s record', () => {
    fc.assert(
      fc.property(actorArbitrary, actionArbitrary, resourceArbitrary, (actor, action, resource) => {
        const portalOnly =
          actor.roles.length > 0 && actor.roles.every((r) => r === 'client' || r === 'appropriate-adult');
        if (!portalOnly || !can(actor, action, resource)) return;
        if (resource.type === 'client') expect(resource.clientId).toBe(actor.clientId);
        if (resource.type === 'case') expect(resource.clientIds).toContain(actor.clientId);
        if (resource.type === 'account') expect(resource.userId).toBe(actor.userId);
        // Never clinical material, and never a supervisor's or administrator's view.
        expect([
          'client.read-clinical',
          'client.read-access-history',
          'case.read',
          'entry.create',
          'client.list',
        ]).not.toContain(action);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives a supervisor no client identity and no case', () => {
    fc.assert(
      fc.property(actorArbitrary, actionArbitrary, resourceArbitrary, (actor, action, resource) => {
        if (
          actor.roles.length === 1 &&
          actor.roles[0] === 'supervisor' &&
          (resource.type === 'client' || resource.type === 'case')
        ) {
          expect(can(actor, action, resource)).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

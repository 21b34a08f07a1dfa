import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Action, type Actor, actions, can, type Resource, roles } from './access.ts';
import { makeRedactor } from './redaction.ts';
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

/**
 * Redaction (issue 14): any identity of partner B — every field declared an identifier, and
 * an appropriate adult's — written in any of the common forms into A's own, joint or
 * formulation text, never reaches A's release, whatever B has consented to; and A's own
 * details, shared with B or not, are never taken out.
 */
const fold = (text: string) =>
  text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '');
const tokensOf = (text: string) =>
  [...text.matchAll(/[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu)].map((m) => fold(m[0]));
/**
 * Whether some run of whole tokens of the text, run together, is the secret's letters and
 * digits. Between two digits the text may break only where the secret does ("VV1 1VV"), or
 * anywhere in a phone number: "Flat 5, 4" is not "Flat 54".
 */
function containsRun(text: string, secret: string): boolean {
  const parts = tokensOf(secret);
  const joined = parts.join('');
  const anywhere = /^\d+$/.test(joined);
  const breaks = new Set<number>();
  let at = 0;
  parts.forEach((part, k) => {
    if (k > 0 && /\d$/.test(parts[k - 1] ?? '') && /^\d/.test(part)) breaks.add(at);
    at += part.length;
  });
  const tokens = tokensOf(text);
  for (let i = 0; i < tokens.length; i += 1) {
    let acc = '';
    for (let j = i; j < tokens.length; j += 1) {
      const token = tokens[j] ?? '';
      if (j > i && /\d$/.test(acc) && /^\d/.test(token) && !anywhere && !breaks.has(acc.length)) break;
      acc += token;
      if (acc === joined) return true;
      if (!joined.startsWith(acc)) break;
    }
  }
  return false;
}
const occurrences = (text: string, part: string) => text.split(part).length - 1;

// Disjoint pools: A's words, B's words, and the people around B (GP, emergency contact,
// appropriate adult); none is a filler word, a month or a street word.
const wordFrom = (starts: readonly string[]) =>
  fc
    .tuple(
      fc.constantFrom(...starts),
      fc.constantFrom('ra', 'lo', 'mi', 'nek', 'sut', 'bel'),
      fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }),
    )
    .map(([a, b, digit]) => `${a[0]?.toUpperCase()}${a.slice(1)}${b}${digit ?? ''}`);
const wordA = wordFrom(['qua', 'zel', 'tiv', 'rek']);
const wordB = wordFrom(['vex', 'dru', 'pim', 'kol']);
const wordC = wordFrom(['hask', 'lom', 'treb', 'zun']);
const suffix = fc.constantFrom('Road', 'Street', 'Lane', 'Court', 'Row', 'Close');
const postcode = (letters: string) =>
  fc
    .tuple(
      fc.constantFrom(...letters),
      fc.constantFrom(...letters),
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 9 }),
      fc.constantFrom(...letters),
      fc.constantFrom(...letters),
    )
    .map(([a, b, n, m, c, d]) => `${a}${b}${n} ${m}${c}${d}`);
const pad = (n: number) => String(n).padStart(2, '0');
const day = (years: { min: number; max: number }) =>
  fc
    .tuple(fc.integer(years), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }))
    .map(([y, m, d]) => ({ iso: `${y}-${pad(m)}-${pad(d)}`, y, m, d }));
const MONTHS = 'January February March April May June July August September October November December'.split(
  ' ',
);

const personArbitrary = (
  word: typeof wordA,
  letters: string,
  years: { min: number; max: number },
  phoneFrom: number,
) =>
  fc.record({
    first: word,
    family: word,
    preferred: fc.option(word, { nil: undefined }),
    phone: fc.integer({ min: phoneFrom, max: phoneFrom + 399 }),
    dob: day(years),
    flat: fc.integer({ min: 1, max: 60 }),
    number: fc.integer({ min: 1, max: 200 }),
    street: word,
    suffix,
    town: word,
    postcode: postcode(letters),
  });

const coupleArbitrary = fc.record({
  a: personArbitrary(wordA, 'QRS', { min: 1971, max: 2005 }, 100),
  b: personArbitrary(wordB, 'VWX', { min: 1940, max: 1970 }, 600),
  gpA: fc.tuple(wordA, wordA),
  gpB: fc.tuple(wordC, wordC),
  contact: fc.tuple(wordC, wordC, fc.integer({ min: 100, max: 999 })),
  adult: fc.tuple(wordC, wordC),
  shareSurname: fc.boolean(),
  shareAddress: fc.boolean(),
  shareGp: fc.boolean(),
  bConsents: fc.boolean(),
  style: fc.array(fc.constantFrom('as-is', 'upper', 'lower'), { minLength: 64, maxLength: 64 }),
});

describe('redaction, for any partner B written in any common form', () => {
  it('never lets B’s details reach A’s release, whatever B consented to, and never takes out A’s own', () => {
    fc.assert(
      fc.property(coupleArbitrary, (c) => {
        const family = c.shareSurname ? c.a.family : c.b.family;
        const address = (p: typeof c.a) =>
          `Flat ${p.flat}, ${p.number} ${p.street} ${p.suffix}\n${p.town} ${p.postcode}`;
        const A = {
          name: `${c.a.first} ${c.a.family} (fictional)`,
          email: `${c.a.first}.${c.a.family}@example.test`.toLowerCase(),
          phone: `+44 7700 900${c.a.phone}`,
          dateOfBirth: c.a.dob.iso,
          address: address(c.a),
          gp: `Dr ${c.gpA[0]} ${c.gpA[1]}, ${c.a.town} Surgery`,
        };
        const B = {
          name: `${c.b.first} ${family} (fictional)`,
          ...(c.b.preferred === undefined ? {} : { preferredName: c.b.preferred }),
          email: `${c.b.first}.${family}@example.test`.toLowerCase(),
          phone: `07700 900${c.b.phone}`,
          dateOfBirth: c.b.dob.iso,
          address: c.shareAddress ? A.address : address(c.b),
          gp: c.shareGp ? A.gp : `Dr ${c.gpB[0]} ${c.gpB[1]}, ${c.b.town} Medical Centre`,
          emergencyContact: `${c.contact[0]} ${c.contact[1]} (sister), 07700 901${c.contact[2]}`,
        };
        const adult = {
          name: `${c.adult[0]} ${c.adult[1]}`,
          email: `${c.adult[0]}.${c.adult[1]}@example.test`,
        };
        const { d, m, y } = c.b.dob;
        const month = MONTHS[m - 1] ?? '';
        const bDates = [
          `${d} ${month} ${y}`,
          `${d} ${month.slice(0, 3)} ${y}`,
          `${pad(d)}/${pad(m)}/${y}`,
          `${d}/${m}/${y}`,
          c.b.dob.iso,
          `${month} ${d}, ${y}`,
        ];
        const street = `${c.b.street} ${c.b.suffix}`;
        let n = 0;
        const styled = (text: string) => {
          const style = c.style[n++ % c.style.length];
          return style === 'upper' ? text.toUpperCase() : style === 'lower' ? text.toLowerCase() : text;
        };
        const bForms = [
          `${c.b.first} ${family}`,
          c.b.first,
          `${c.b.first}’s`,
          `${c.b.first}'s`,
          `${c.b.first[0]}. ${family}`,
          `${c.b.first} ${family[0]}.`,
          family,
          ...(c.b.preferred === undefined ? [] : [c.b.preferred]),
          B.email,
          `+44 7700 900${c.b.phone}`,
          `07700-900-${c.b.phone}`,
          `(07700) 900 ${c.b.phone}`,
          ...bDates,
          B.address.replace('\n', ', '),
          B.address,
          `${c.b.number} ${street}`,
          street,
          c.b.town,
          (c.shareAddress ? c.a.postcode : c.b.postcode).replace(' ', ''),
          `Dr ${c.gpB[1]}`,
          `${c.b.town} Medical Centre`,
          `${c.contact[0]} ${c.contact[1]}`,
          `07700 901 ${c.contact[2]}`,
          adult.name,
          adult.email,
        ].map(styled);
        const aForms = [
          `${c.a.first} ${c.a.family}`,
          c.a.first,
          A.email,
          A.phone,
          `${c.a.dob.d} ${MONTHS[c.a.dob.m - 1]} ${c.a.dob.y}`,
          A.address,
          A.gp,
        ];
        const text = (forms: readonly string[], own: readonly string[]) =>
          [...forms.map((f) => `Then ${f} agreed.`), ...own.map((f) => `Later ${f} said.`)].join('\n');
        // What is B's alone: never in A's release.
        const secrets = [
          c.b.first,
          ...(c.b.preferred === undefined ? [] : [c.b.preferred]),
          ...(c.shareSurname ? [] : [family]),
          B.email,
          `7700900${c.b.phone}`,
          `07700900${c.b.phone}`,
          ...(c.shareAddress ? [] : [`Flat ${c.b.flat}`, street, c.b.town, c.b.postcode]),
          ...(c.shareGp ? [] : [c.gpB[1], `${c.b.town} Medical Centre`]),
          c.contact[0],
          c.contact[1],
          `07700901${c.contact[2]}`,
          adult.name,
          adult.email,
        ];
        // B's flat number is B's alone only where A's differs.
        const unique = secrets.filter((sec) => !(sec === `Flat ${c.b.flat}` && c.a.flat === c.b.flat));

        const participants = [
          { id: 'pa', caseId: 'k', clientId: 'a', label: 'Partner A' },
          { id: 'pb', caseId: 'k', clientId: 'b', label: 'Partner B' },
        ];
        const passages = [
          { ref: 'own-a', caseId: 'k', attribution: ['pa'], text: text(bForms, aForms) },
          { ref: 'own-b', caseId: 'k', attribution: ['pb'], text: text(bForms, []) },
          { ref: 'joint', caseId: 'k', attribution: ['pa', 'pb'], text: text(bForms, aForms) },
          { ref: 'formulation', caseId: 'k', attribution: [], text: text(bForms, aForms) },
        ];
        const decisions = decidePassages({
          clientId: 'a',
          participants,
          passages,
          jointConsent: (id) => id === 'b' && c.bConsents,
        });
        const redactor = makeRedactor({
          requester: { identity: A },
          others: [
            { label: 'Partner B', identity: B },
            { label: 'Partner B’s appropriate adult', identity: adult },
          ],
        });
        const released = passages.filter((_, i) => decisions[i]?.included === true);
        expect(released.map((p) => p.ref)).toEqual(
          c.bConsents ? ['own-a', 'joint', 'formulation'] : ['own-a'],
        );
        for (const passage of released) {
          const out = redactor.redact(passage.text).text;
          for (const secret of unique)
            expect(containsRun(out, secret), `${passage.ref}: ${secret}`).toBe(false);
          for (const written of bDates) expect(out.toLowerCase()).not.toContain(written.toLowerCase());
          for (const own of aForms) {
            expect(occurrences(out, own), `${passage.ref}: ${own}`).toBeGreaterThanOrEqual(
              occurrences(passage.text, `Later ${own} said.`),
            );
          }
        }
      }),
      { numRuns: 200 },
    );
    // Each run prepares a redactor and a few thousand characters of text: give a shared,
    // loaded machine time.
  }, 60_000);

  it('leaves no part of another client’s name in the text, with or without a digit in it', () => {
    // A name's leading title ("Sir", "Dame", "Prof") is a title, not a part of the name: the
    // redactor keeps it (it says nothing of who), so a given name is never one.
    const titles = new Set('doctor mrs miss prof professor rev sir dame'.split(' '));
    const word = fc.stringMatching(/^[A-Z][a-z]{2,9}[0-9]?$/).filter((w) => !titles.has(w.toLowerCase()));
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
          const words = out.toLowerCase().split(/[^a-z0-9]+/);
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

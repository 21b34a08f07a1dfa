import { describe, expect, it } from 'vitest';
import { STANDARD_TEMPLATE } from '../contract-template.ts';
import { clause } from '../testing.ts';
import {
  offerContractCommand,
  saveTemplateCommand,
  signContractCommand,
  unfilledBlanks,
} from './contracts.ts';
import { gate } from './pipeline.ts';
import { recordSessionCommand, type SessionKind, writeNoteCommand } from './sessions.ts';
import { logSupervisionCommand, presentCaseCommand, writeReferralCommand } from './sharing.ts';

const ready = { dbsCurrent: true, trainedForUnder18s: true, supervisorExperienced: true };

/** The refusals of recording a session with adult clients, given the contract and the format. */
function sessionGate(
  kind: SessionKind,
  contract: { exists: boolean; signedByAll: boolean },
  overrides: ReadonlySet<string>,
  format = { online: false, onlineTrained: true },
) {
  return gate(
    recordSessionCommand,
    { kind, ...format, contract, clients: [], practitioner: ready },
    overrides,
  ).refusals;
}

describe('the contract gate', () => {
  clause('GT-36', 'refuses therapy with no contract under GT-36, with no override', () => {
    expect(
      sessionGate('therapy', { exists: false, signedByAll: false }, new Set(['GT-36', 'GT-36a'])),
    ).toMatchObject([
      { rule: 'contract-before-therapy', overridable: false, clause: { id: 'GT-36', duty: 'must' } },
    ]);
  });

  clause(
    'GT-36a',
    'refuses therapy on a contract not yet signed by all under GT-36a, unless overridden',
    () => {
      expect(sessionGate('therapy', { exists: true, signedByAll: false }, new Set())).toMatchObject([
        { rule: 'contract-signed-by-all', overridable: true, clause: { id: 'GT-36a', duty: 'should' } },
      ]);
      expect(sessionGate('therapy', { exists: true, signedByAll: false }, new Set(['GT-36a']))).toEqual([]);
      const answered = gate(
        recordSessionCommand,
        {
          kind: 'therapy',
          online: false,
          onlineTrained: true,
          contract: { exists: true, signedByAll: false },
          clients: [],
          practitioner: ready,
        },
        new Set(['GT-36a']),
      ).overridden;
      expect(answered.map((r) => r.clause.id)).toEqual(['GT-36a']);
    },
  );

  it('lets therapy go ahead on a contract signed by all, and assessments always', () => {
    expect(sessionGate('therapy', { exists: true, signedByAll: true }, new Set())).toEqual([]);
    expect(sessionGate('assessment', { exists: false, signedByAll: false }, new Set())).toEqual([]);
  });

  clause(
    'GT-92',
    'refuses an online session without online-work training under GT-92, unless overridden',
    () => {
      const signed = { exists: true, signedByAll: true };
      expect(
        sessionGate('assessment', signed, new Set(), { online: true, onlineTrained: false }),
      ).toMatchObject([
        {
          rule: 'online-session-without-training',
          overridable: true,
          clause: { id: 'GT-92', duty: 'should' },
        },
      ]);
      expect(
        sessionGate('therapy', signed, new Set(['GT-92']), { online: true, onlineTrained: false }),
      ).toEqual([]);
      expect(sessionGate('therapy', signed, new Set(), { online: true, onlineTrained: true })).toEqual([]);
    },
  );

  it('never lets an override answer a "must": GT-36 stays refused whatever is offered', () => {
    const { refusals, overridden } = gate(
      recordSessionCommand,
      {
        kind: 'therapy',
        online: false,
        onlineTrained: true,
        contract: { exists: false, signedByAll: false },
        clients: [],
        practitioner: ready,
      },
      new Set(['GT-36']),
    );
    expect(refusals.map((r) => r.clause.id)).toEqual(['GT-36']);
    expect(overridden).toEqual([]);
  });
});

describe('signing a contract the organisation holds (GT-36d)', () => {
  const refusals = (f: {
    signerKind: 'client' | 'practitioner';
    conditions: boolean;
    acknowledged: boolean;
  }) => gate(signContractCommand, f).refusals;
  clause(
    'GT-36d',
    'refuses a client signature without acknowledging the organisation’s conditions under GT-36d',
    () => {
      const [refusal] = refusals({ signerKind: 'client', conditions: true, acknowledged: false });
      expect(refusal?.clause.id).toBe('GT-36d');
      expect(refusal?.overridable).toBe(false);
      expect(refusals({ signerKind: 'client', conditions: true, acknowledged: true })).toEqual([]);
      expect(refusals({ signerKind: 'client', conditions: false, acknowledged: false })).toEqual([]);
      expect(refusals({ signerKind: 'practitioner', conditions: true, acknowledged: false })).toEqual([]);
    },
  );
});

describe('contracts and their templates (GT-36, GT-36b, GT-36c)', () => {
  clause(
    ['GT-36b', 'GT-36c'],
    'asks a template for the sections the Code names, each a “should” a reason answers',
    () => {
      const body = STANDARD_TEMPLATE.replace('Rights and responsibilities\n', '').replace(
        'How and when therapy ends\n',
        '',
      );
      const { refusals } = gate(saveTemplateCommand, { text: body, template: true });
      expect(refusals.map((r) => [r.clause.id, r.overridable])).toEqual([
        ['GT-36b', true],
        ['GT-36c', true],
      ]);
      expect(refusals[1]?.detail).toContain('How and when therapy ends');
      expect(gate(saveTemplateCommand, { text: STANDARD_TEMPLATE, template: true }).refusals).toEqual([]);
      expect(
        gate(saveTemplateCommand, { text: body, template: true }, new Set(['GT-36b'])).overridden,
      ).toHaveLength(1);
    },
  );

  clause(
    ['GT-36', 'GT-36b', 'GT-36c'],
    'refuses offering a contract with blanks, and one without the Code’s sections unless a reason is given',
    () => {
      // The standard template keeps its blanks for each contract to fill: a version may not.
      const drafted = STANDARD_TEMPLATE;
      const blanks = gate(offerContractCommand, { text: drafted, template: false }).refusals;
      expect(blanks.map((r) => [r.rule, r.clause.id, r.overridable])).toEqual([
        ['contract-without-blanks', 'GT-36', false],
      ]);
      const filled = drafted.replaceAll('___', '50').replace(/\{\{\s*[a-z]+\s*\}\}/g, 'someone');
      expect(gate(offerContractCommand, { text: filled, template: false }).refusals).toEqual([]);
      const bare = 'We meet weekly. Fees are £80.';
      expect(gate(offerContractCommand, { text: bare, template: false }).refusals.map((r) => r.rule)).toEqual(
        ['contract-section-rights', 'contract-section-aims', 'contract-section-ending'],
      );
      expect(
        gate(offerContractCommand, { text: bare, template: false }, new Set(['GT-36b', 'GT-36c'])).overridden,
      ).toHaveLength(3);
    },
  );

  it('finds a form’s blanks and unfilled placeholders, with their lines, and nothing else', () => {
    expect(unfilledBlanks('Each session lasts ___ minutes\nand costs £___.\n{{ clients }} agree.')).toEqual([
      { line: 1, blank: '___' },
      { line: 2, blank: '___' },
      { line: 3, blank: '{{ clients }}' },
    ]);
    expect(unfilledBlanks('snake_case and __init__ and a fee of £80')).toEqual([]);
  });
});

describe('notes and their sessions (GT-38)', () => {
  clause('GT-38', 'refuses a note for a session that has not happened yet (GT-38)', () => {
    const [refusal] = gate(writeNoteCommand, {
      sessionStartsAt: '2026-11-24T10:00:00Z',
      now: '2026-11-23T10:00:00Z',
    }).refusals;
    expect(refusal).toMatchObject({
      rule: 'note-after-the-session',
      overridable: false,
      clause: { id: 'GT-38' },
    });
    expect(
      gate(writeNoteCommand, { sessionStartsAt: '2026-11-20T10:00:00Z', now: '2026-11-23T10:00:00Z' })
        .refusals,
    ).toEqual([]);
  });
});

describe('presenting a case to supervision (PG5-5)', () => {
  const clients = [
    { name: 'Rowan Ash (fictional)', email: 'rowan@example.test', phone: '07700 900123' },
    { name: 'Sky Birch (fictional)', preferredName: 'Skye' },
  ];
  const presentationGate = (material: string, of: typeof clients | { name: string }[]) =>
    gate(presentCaseCommand, { material, clients: of }, new Set(['PG5-5'])).refusals;
  clause('PG5-5', 'refuses presentation material that names a client of the case (PG5-5)', () => {
    for (const material of [
      '<p>Rowan withdraws when stressed.</p>',
      '<p>B (skye) pursues.</p>',
      '<p>Wrote to rowan@example.test.</p>',
      '<p>Called 07700900123.</p>',
      // However it is dressed: a possessive, a hyphen, an entity, an invisible soft hyphen,
      // emphasis inside the name, capitals and accents.
      '<p>Rowan’s anxiety rose.</p>',
      "<p>Rowan's anxiety rose.</p>",
      '<p>Skye-and-partner time.</p>',
      '<p>&#82;owan withdrew.</p>',
      '<p>Row\u00ADan withdrew.</p>',
      '<p>Ro<em>wan</em> withdrew.</p>',
      '<p>RÓWAN withdrew.</p>',
      '<p>Wrote to ROWAN@EXAMPLE.TEST.</p>',
      '<p>Called 07700&#160;900&#160;123.</p>',
    ]) {
      // A safeguard: refused even with an override offered.
      expect(
        presentationGate(material, clients).map((r) => [r.clause.id, r.overridable]),
        material,
      ).toEqual([['PG5-5', false]]);
    }
    expect(
      presentationGate('<p>Partner A withdraws; partner B pursues. A fictional cycle.</p>', clients),
    ).toEqual([]);
    // A hyphenated surname is found by either part.
    expect(
      presentationGate('<p>Ashby withdrew.</p>', [{ name: 'Quinn Ashby-Smith (fictional)' }]),
    ).toHaveLength(1);
    // Alcove's own labels are not names, even where a (fictional) name holds one.
    expect(presentationGate('<p>Partner A withdraws.</p>', [{ name: 'Partner Ash (fictional)' }])).toEqual(
      [],
    );
  });
});

describe('referrals (PG5-1)', () => {
  clause('PG5-1', 'refuses a referral letter without the client’s own consent to release (PG5-1)', () => {
    expect(gate(writeReferralCommand, { consentInForce: false }).refusals).toMatchObject([
      { rule: 'referral-with-consent', overridable: false, clause: { id: 'PG5-1' } },
    ]);
    expect(gate(writeReferralCommand, { consentInForce: true }).refusals).toEqual([]);
  });
});

describe('the supervision log (GT-64)', () => {
  clause('GT-64', 'logs supervision only with the supervisor the record names (GT-64)', () => {
    expect(
      gate(logSupervisionCommand, { supervisorNamed: false, supervisorName: '' }).refusals,
    ).toMatchObject([{ clause: { id: 'GT-64' }, overridable: false }]);
    expect(gate(logSupervisionCommand, { supervisorNamed: true, supervisorName: 'S' }).refusals).toEqual([]);
  });
});

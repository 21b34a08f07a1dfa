import { describe, expect, it } from 'vitest';
import { missingSections, STANDARD_TEMPLATE } from '../contract-template.ts';
import {
  noteGate,
  presentationGate,
  referralGate,
  sessionGate,
  signatureGate,
  supervisionLogGate,
  templateGate,
} from './sessions.ts';

describe('the contract gate', () => {
  it('refuses therapy with no contract under GT-36, with no override', () => {
    expect(
      sessionGate('therapy', { exists: false, signedByAll: false }, new Set(['GT-36', 'GT-36a'])),
    ).toMatchObject([
      { rule: 'contract-before-therapy', overridable: false, clause: { id: 'GT-36', duty: 'must' } },
    ]);
  });

  it('refuses therapy on a contract not yet signed by all under GT-36a, unless overridden', () => {
    expect(sessionGate('therapy', { exists: true, signedByAll: false }, new Set())).toMatchObject([
      { rule: 'contract-signed-by-all', overridable: true, clause: { id: 'GT-36a', duty: 'should' } },
    ]);
    expect(sessionGate('therapy', { exists: true, signedByAll: false }, new Set(['GT-36a']))).toEqual([]);
  });

  it('lets therapy go ahead on a contract signed by all, and assessments always', () => {
    expect(sessionGate('therapy', { exists: true, signedByAll: true }, new Set())).toEqual([]);
    expect(sessionGate('assessment', { exists: false, signedByAll: false }, new Set())).toEqual([]);
  });

  it('refuses an online session without online-work training under GT-92, unless overridden', () => {
    const signed = { exists: true, signedByAll: true };
    expect(
      sessionGate('assessment', signed, new Set(), { online: true, onlineTrained: false }),
    ).toMatchObject([
      { rule: 'online-session-without-training', overridable: true, clause: { id: 'GT-92', duty: 'should' } },
    ]);
    expect(
      sessionGate('therapy', signed, new Set(['GT-92']), { online: true, onlineTrained: false }),
    ).toEqual([]);
    expect(sessionGate('therapy', signed, new Set(), { online: true, onlineTrained: true })).toEqual([]);
  });
});

describe('signing a contract the organisation holds (GT-36d)', () => {
  it('refuses a client signature without acknowledging the organisation’s conditions under GT-36d', () => {
    const [refusal] = signatureGate({ signerKind: 'client', conditions: true, acknowledged: false });
    expect(refusal?.clause.id).toBe('GT-36d');
    expect(refusal?.overridable).toBe(false);
    expect(signatureGate({ signerKind: 'client', conditions: true, acknowledged: true })).toEqual([]);
    expect(signatureGate({ signerKind: 'client', conditions: false, acknowledged: false })).toEqual([]);
    expect(signatureGate({ signerKind: 'practitioner', conditions: true, acknowledged: false })).toEqual([]);
  });
});

describe('contract templates (GT-36b, GT-36c)', () => {
  it('refuses a template without a section the Code asks for, naming its clause', () => {
    const body = STANDARD_TEMPLATE.replace('Rights and responsibilities\n', '').replace(
      'How and when therapy ends\n',
      '',
    );
    const refusals = templateGate(missingSections(body));
    expect(refusals.map((r) => r.clause.id)).toEqual(['GT-36b', 'GT-36c']);
    expect(refusals[1]?.detail).toContain('How and when therapy ends');
    expect(templateGate(missingSections(STANDARD_TEMPLATE))).toEqual([]);
  });
});

describe('notes and their sessions (GT-38)', () => {
  it('refuses a note for a session that has not happened yet (GT-38)', () => {
    const [refusal] = noteGate({ sessionStartsAt: '2026-11-24T10:00:00Z', now: '2026-11-23T10:00:00Z' });
    expect(refusal).toMatchObject({
      rule: 'note-after-the-session',
      overridable: false,
      clause: { id: 'GT-38' },
    });
    expect(noteGate({ sessionStartsAt: '2026-11-20T10:00:00Z', now: '2026-11-23T10:00:00Z' })).toEqual([]);
  });
});

describe('presenting a case to supervision (PG5-5)', () => {
  const clients = [
    { name: 'Rowan Ash (fictional)', email: 'rowan@example.test', phone: '07700 900123' },
    { name: 'Sky Birch (fictional)', preferredName: 'Skye' },
  ];
  it('refuses presentation material that names a client of the case (PG5-5)', () => {
    for (const material of [
      '<p>Rowan withdraws when stressed.</p>',
      '<p>B (skye) pursues.</p>',
      '<p>Wrote to rowan@example.test.</p>',
      '<p>Called 07700900123.</p>',
    ]) {
      expect(
        presentationGate(material, clients).map((r) => r.clause.id),
        material,
      ).toEqual(['PG5-5']);
    }
    expect(
      presentationGate('<p>Partner A withdraws; partner B pursues. A fictional cycle.</p>', clients),
    ).toEqual([]);
    // Alcove's own labels are not names, even where a (fictional) name holds one.
    expect(presentationGate('<p>Partner A withdraws.</p>', [{ name: 'Partner Ash (fictional)' }])).toEqual(
      [],
    );
  });
});

describe('referrals (GT-21c)', () => {
  it('refuses a referral letter without the client’s own consent to release (PG5-1, GT-21c)', () => {
    expect(referralGate(false)).toMatchObject([
      { rule: 'referral-with-consent', overridable: false, clause: { id: 'PG5-1' } },
    ]);
    expect(referralGate(true)).toEqual([]);
  });
});

describe('the supervision log (GT-64)', () => {
  it('logs supervision only with the supervisor the record names (GT-64)', () => {
    expect(supervisionLogGate(false)).toMatchObject([{ clause: { id: 'GT-64' }, overridable: false }]);
    expect(supervisionLogGate(true)).toEqual([]);
  });
});

import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, bearer, startTestApp, type TestApp, type TestStaff } from './testing/app.ts';

const WITHHELD = 'Counter-terrorism unit (fictional)';
const OPEN = 'Duty social worker (fictional)';

describe.each(testEngines)('disclosures without consent on $name', (engine) => {
  let t: TestApp;
  let me: TestStaff;
  let partnerA: TestStaff;
  let partnerB: TestStaff;
  let caseId: string;
  let clientA: string;
  let clientB: string;

  const as = (who: TestStaff) => (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: bearer(who),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const disclosure = (overrides: Record<string, unknown> = {}) => ({
    clientId: clientA,
    disclosedOn: '2026-11-20',
    recipient: OPEN,
    what: 'A risk to a child in the household (fictional).',
    legalBasis: 'children-act-1989-s47',
    whyNoConsent: 'Asking would have put the child at risk (fictional).',
    justification: 'A child’s safety outweighs confidentiality here (fictional).',
    withholdFromClient: false,
    ...overrides,
  });
  const rows = async () =>
    Number(
      (
        await t.vault.db
          .selectFrom('disclosure')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    t = await startTestApp(engine);
    me = await addStaff(t.vault, {
      email: 'me@example.test',
      name: 'Me (fictional)',
      roles: ['practitioner'],
    });
    clientA = (await as(me)('POST', '/clients', { identity: { name: 'Rowan Ash (fictional)' } })).json().id;
    clientB = (await as(me)('POST', '/clients', { identity: { name: 'Sky Birch (fictional)' } })).json().id;
    caseId = (await as(me)('POST', '/cases', { kind: 'couple', clientIds: [clientA, clientB] })).json().id;
    partnerA = await addStaff(t.vault, {
      email: 'a@example.test',
      name: 'A (fictional)',
      roles: ['client'],
      clientId: clientA,
    });
    partnerB = await addStaff(t.vault, {
      email: 'b@example.test',
      name: 'B (fictional)',
      roles: ['client'],
      clientId: clientB,
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses an incomplete disclosure with a problem document, writing nothing', async () => {
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/cases/${caseId}/disclosures`,
          payload: disclosure(),
        })
      ).statusCode,
    ).toBe(401);
    const before = await rows();
    const bad: [string, unknown, number][] = [
      ['withheld without saying why', disclosure({ withholdFromClient: true }), 400],
      ['an unknown legal basis', disclosure({ legalBasis: 'drug-trafficking-act-1994' }), 400],
      ['"other" without the law named', disclosure({ legalBasis: 'other' }), 400],
      ['a client not in the case', disclosure({ clientId: '6f1c2a4e-0000-4000-8000-000000000000' }), 400],
      ['a day to come', disclosure({ disclosedOn: '2099-01-01' }), 400],
      ['no justification', disclosure({ justification: undefined }), 400],
    ];
    for (const [label, payload, status] of bad) {
      const response = await as(me)('POST', `/cases/${caseId}/disclosures`, payload);
      expect(response.statusCode, label).toBe(status);
      expect(response.headers['content-type'], label).toContain('application/problem+json');
    }
    expect((await as(partnerA)('POST', `/cases/${caseId}/disclosures`, disclosure())).statusCode).toBe(404);
    expect(await rows()).toBe(before);
  });

  it('keeps a withheld disclosure out of everything the client can reach, and audits the withholding', async () => {
    const open = await as(me)('POST', `/cases/${caseId}/disclosures`, disclosure());
    expect(open.statusCode).toBe(201);
    const withheld = await as(me)(
      'POST',
      `/cases/${caseId}/disclosures`,
      disclosure({
        recipient: WITHHELD,
        legalBasis: 'terrorism-act-2000-s38b',
        withholdFromClient: true,
        withholdBasis: 'Terrorism Act 2000, s39 (fictional case)',
      }),
    );
    expect(withheld.statusCode).toBe(201);
    const all = (await as(me)('GET', `/cases/${caseId}/disclosures`)).json().disclosures;
    expect(all.map((d: { recipient: string }) => d.recipient)).toEqual([OPEN, WITHHELD]);

    const mine = await as(partnerA)('GET', '/portal/disclosures');
    expect(mine.json().disclosures).toMatchObject([{ recipient: OPEN, legalBasis: 'children-act-1989-s47' }]);
    for (const url of [
      '/portal',
      '/portal/consents',
      '/portal/disclosures',
      `/cases/${caseId}/disclosures`,
      `/clients/${clientA}/record`,
    ]) {
      const response = await as(partnerA)('GET', url);
      expect(response.body, url).not.toContain(WITHHELD);
      expect(response.body, url).not.toContain('s39');
    }
    // Partner A's disclosures are never partner B's to see.
    expect((await as(partnerB)('GET', '/portal/disclosures')).json().disclosures).toEqual([]);
    const audit = await t.vault.db
      .selectFrom('audit_event')
      .select('action')
      .where('record_id', '=', withheld.json().id)
      .execute();
    // Recorded as withheld once; left out of partner A's two views of their disclosures, each audited.
    expect(audit.map((a) => a.action)).toEqual([
      'disclosure.withhold',
      'disclosure.withheld-from-client',
      'disclosure.withheld-from-client',
    ]);
  });

  it('lets the practice keep its own list of legal bases', async () => {
    const admin = await addStaff(t.vault, {
      email: 'admin@example.test',
      name: 'Admin (fictional)',
      roles: ['administrator'],
    });
    const bases = (await as(me)('GET', '/settings/legal-bases')).json().bases;
    expect(bases.map((b: { id: string }) => b.id)).toContain('children-act-1989-s47');
    expect(bases.map((b: { id: string }) => b.id)).not.toContain('drug-trafficking-act-1994');
    const twice = [
      { id: 'x1', label: 'One (fictional)' },
      { id: 'x1', label: 'Two (fictional)' },
    ];
    expect((await as(admin)('PUT', '/settings/legal-bases', { bases: twice })).statusCode).toBe(400);
    expect((await as(me)('PUT', '/settings/legal-bases', { bases: twice.slice(0, 1) })).statusCode).toBe(404);
    expect((await as(admin)('PUT', '/settings/legal-bases', { bases: twice.slice(0, 1) })).statusCode).toBe(
      204,
    );
    expect((await as(me)('GET', '/settings/legal-bases')).json().bases).toEqual(twice.slice(0, 1));
  });
});

import { clause } from '@alcove/core/testing';
import { createInvitation } from '@alcove/store';
import { testEngines } from '@alcove/store/testing';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, bearer, startTestApp, type TestApp, type TestStaff } from './testing/app.ts';
import { fhirValidator, STANDARD_R4_TYPES } from './testing/fhir.ts';

const ROWAN = { name: 'Rowan Ash (fictional)', email: 'rowan@example.test', dateOfBirth: '1984-03-02' };
const SKY = {
  name: 'Sky Birch (fictional)',
  email: 'sky@example.test',
  phone: '07700 900456',
  dateOfBirth: '1986-07-09',
};
const B_IDENTIFIERS = ['Sky', 'Birch', 'sky@example.test', '900456', '1986-07-09', '9 Jul 1986'];

async function pdfText(bytes: Buffer): Promise<string> {
  const { text } = await extractText(await getDocumentProxy(new Uint8Array(bytes)), { mergePages: true });
  return text;
}

describe.each(testEngines)('confidential releases on $name', (engine) => {
  let t: TestApp;
  let me: TestStaff;
  let colleague: TestStaff;
  let partnerA: TestStaff;
  let partnerB: TestStaff;
  let caseId: string;
  let rowan: string;
  let sky: string;

  const as = (who: TestStaff) => (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: bearer(who),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const call = (method: 'GET' | 'POST', url: string, payload?: unknown) => as(me)(method, url, payload);
  const consent = (clientId: string, type: string) =>
    call('POST', `/clients/${clientId}/consents`, {
      type,
      givenOn: '2026-11-20',
      givenBy: 'client',
      mode: 'written-in-person',
      ...(type === 'third-party-release' ? { recipient: 'Hollis & Co (fictional)' } : {}),
    });
  const sar = async (clientId: string) =>
    (
      await call('POST', '/release-requests', { clientId, basis: 'subject-access', receivedOn: '2026-11-21' })
    ).json().id as string;
  const issueAndRead = async (requestId: string, choices: Record<string, unknown> = {}) => {
    const issued = await call('POST', `/release-requests/${requestId}/issue`, choices);
    expect(issued.statusCode).toBe(201);
    const pdf = await call('GET', `/releases/${issued.json().id}/pdf`);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    // Every bundle the tests produce validates against the official FHIR R4 schema.
    const fhir = await call('GET', `/releases/${issued.json().id}/fhir`);
    expect(fhir.headers['content-type']).toContain('application/fhir+json');
    const bundle = fhir.json();
    const validate = fhirValidator();
    expect(validate(bundle), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    const types = bundle.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType);
    expect(types.every((type: string) => STANDARD_R4_TYPES.has(type))).toBe(true);
    return {
      id: issued.json().id as string,
      bytes: pdf.rawPayload,
      text: await pdfText(pdf.rawPayload),
      fhir: fhir.body,
      types: types as string[],
    };
  };

  beforeAll(async () => {
    t = await startTestApp(engine);
    me = await addStaff(t.vault, {
      email: 'me@example.test',
      name: 'Me (fictional)',
      roles: ['practitioner'],
    });
    colleague = await addStaff(t.vault, {
      email: 'c@example.test',
      name: 'Colleague (fictional)',
      roles: ['practitioner'],
    });
    rowan = (await call('POST', '/clients', { identity: ROWAN })).json().id;
    sky = (await call('POST', '/clients', { identity: SKY })).json().id;
    partnerA = await addStaff(t.vault, {
      email: 'a@example.test',
      name: 'A (fictional)',
      roles: ['client'],
      clientId: rowan,
    });
    partnerB = await addStaff(t.vault, {
      email: 'b@example.test',
      name: 'B (fictional)',
      roles: ['client'],
      clientId: sky,
    });
    caseId = (await call('POST', '/cases', { kind: 'couple', clientIds: [rowan, sky] })).json().id;
    const [a, b] = (await call('GET', `/cases/${caseId}`)).json().participants;
    const sessionId = (
      await call('POST', `/cases/${caseId}/sessions`, {
        kind: 'assessment',
        format: 'in-person',
        startsAt: '2026-11-19T10:00:00Z',
        minutes: 60,
        attendance: 'attended',
      })
    ).json().id;
    const noteId = (
      await call('POST', `/cases/${caseId}/notes`, {
        sessionId,
        passages: [
          {
            section: 'findings',
            html: '<p>A-OWN: Rowan feels unheard when Sky Birch works late.</p>',
            attribution: [a.id],
          },
          {
            section: 'findings',
            html: '<p>B-OWN: a matter partner B told me alone (fictional).</p>',
            attribution: [b.id],
          },
          {
            section: 'decisions',
            html: '<p>JOINT: both agree a weekly check-in.</p>',
            attribution: [a.id, b.id],
          },
          {
            section: 'information',
            html: '<p>FORMULATION: a pursue–withdraw cycle; Sky pursues.</p>',
            attribution: [],
          },
        ],
      })
    ).json().id;
    await call('POST', `/notes/${noteId}/sign`, {});
    // Only partner A consents to the couple's joint material being released.
    await consent(rowan, 'joint-material-release');
    await call('POST', `/cases/${caseId}/disclosures`, {
      clientId: rowan,
      disclosedOn: '2026-11-20',
      recipient: 'WITHHELD-RECIPIENT unit (fictional)',
      what: 'x (fictional)',
      legalBasis: 'terrorism-act-2000-s38b',
      whyNoConsent: 'x (fictional)',
      justification: 'x (fictional)',
      withholdFromClient: true,
      withholdBasis: 'Terrorism Act 2000, s39',
    });
    await call('POST', `/cases/${caseId}/disclosures`, {
      clientId: rowan,
      disclosedOn: '2026-11-20',
      recipient: 'OPEN-RECIPIENT social worker (fictional)',
      what: 'y (fictional)',
      legalBasis: 'serious-harm',
      whyNoConsent: 'y (fictional)',
      justification: 'y (fictional)',
      withholdFromClient: false,
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses a bad request with a problem document, and registers nothing', async () => {
    const good = { clientId: rowan, basis: 'subject-access', receivedOn: '2026-11-21' };
    expect(
      (await t.app.inject({ method: 'POST', url: '/api/v1/release-requests', payload: good })).statusCode,
    ).toBe(401);
    expect((await as(colleague)('POST', '/release-requests', good)).statusCode).toBe(404);
    expect(
      (await call('POST', '/release-requests', { ...good, clientId: '6f1c2a4e-0000-4000-8000-000000000000' }))
        .statusCode,
    ).toBe(404);
    expect(
      (await call('POST', '/release-requests', { clientId: rowan, receivedOn: '2026-11-21' })).statusCode,
    ).toBe(400);
    expect((await call('POST', '/release-requests', { ...good, basis: 'court-order' })).statusCode).toBe(400);
    expect((await call('POST', '/release-requests', { ...good, receivedOn: '2099-01-01' })).statusCode).toBe(
      400,
    );
    expect((await call('GET', '/release-requests')).json().requests).toEqual([]);
  });

  clause(
    'PG5-1',
    'releases to partner A their own passages and none of B’s, with no B identifier anywhere, joint material only as consents allow',
    async () => {
      const requestId = await sar(rowan);
      const registered = (await call('GET', '/release-requests')).json().requests[0];
      // Overdue depends on today: the suite also runs with the clock in July 2027 (scripts/test.ts).
      expect(registered).toMatchObject({ dueOn: '2026-12-21', status: 'received' });
      expect(registered.overdue).toBe(new Date().toISOString() > '2026-12-22');
      const preview = (await call('POST', `/release-requests/${requestId}/preview`, {})).json();
      expect(
        preview.passages.map((p: { text: string; included: boolean }) => [p.text.slice(0, 6), p.included]),
      ).toEqual([
        ['A-OWN:', true],
        ['B-OWN:', false],
        ['JOINT:', false],
        ['FORMUL', false],
      ]);
      expect(preview.passages[2].reason).toBe('Joint material: Partner B has not consented to its release');
      expect(preview.passages[0].text).toBe('A-OWN: Rowan feels unheard when [Partner B] works late.');

      const first = await issueAndRead(requestId);
      expect(first.text).toContain('A-OWN: Rowan feels unheard when [Partner B] works late.');
      expect(first.text).toContain('OPEN-RECIPIENT');
      for (const secret of [
        ...B_IDENTIFIERS,
        sky,
        'B-OWN',
        'JOINT:',
        'FORMULATION',
        'WITHHELD-RECIPIENT',
        's39',
      ]) {
        expect(first.text, secret).not.toContain(secret);
        expect(first.fhir, secret).not.toContain(secret);
      }
      expect(first.fhir).toContain('A-OWN: Rowan feels unheard when [Partner B] works late.');
      expect(first.types).toContain('Patient');
      expect(first.types).toContain('Consent');
      expect(first.types).toContain('Encounter');
      expect(first.types).not.toContain('RelatedPerson');
      expect(first.text).toContain('Joint material: Partner B has not consented to its release');

      // Once partner B consents, the joint material and the formulation are released to A too.
      await consent(sky, 'joint-material-release');
      const second = await issueAndRead(await sar(rowan));
      expect(second.text).toContain('JOINT: both agree a weekly check-in.');
      expect(second.text).toContain('FORMULATION: a pursue–withdraw cycle; [Partner B] pursues.');
      for (const secret of [...B_IDENTIFIERS, 'B-OWN', 'WITHHELD-RECIPIENT']) {
        expect(second.text, secret).not.toContain(secret);
        expect(second.fhir, secret).not.toContain(secret);
      }
    },
  );

  it('keeps each release exactly as issued, answers a request once, and lets the client download their own in the portal', async () => {
    const asked = await as(partnerA)('POST', '/portal/release-requests', {});
    expect(asked.statusCode).toBe(201);
    const register = (await call('GET', '/release-requests')).json().requests;
    expect(register.find((r: { id: string }) => r.id === asked.json().id)).toMatchObject({
      viaPortal: true,
      clientName: ROWAN.name,
    });
    const issued = await issueAndRead(asked.json().id);
    expect((await call('POST', `/release-requests/${asked.json().id}/issue`, {})).statusCode).toBe(409);
    const again = await call('GET', `/releases/${issued.id}/pdf`);
    expect(Buffer.compare(again.rawPayload, issued.bytes)).toBe(0);
    const mine = (await as(partnerA)('GET', '/portal/releases')).json().requests;
    expect(mine.find((r: { id: string }) => r.id === asked.json().id)).toMatchObject({
      status: 'issued',
      releaseId: issued.id,
    });
    const download = await as(partnerA)('GET', `/portal/releases/${issued.id}/pdf`);
    expect(Buffer.compare(download.rawPayload, issued.bytes)).toBe(0);
    expect((await as(partnerB)('GET', `/portal/releases/${issued.id}/pdf`)).statusCode).toBe(404);
    expect((await as(partnerB)('GET', '/portal/releases')).json().requests).toEqual([]);
  });

  it('releases to a third party only with the client’s consent, and for a formal accusation only what is selected (PG5-6a)', async () => {
    const third = (
      await call('POST', '/release-requests', {
        clientId: sky,
        basis: 'third-party-consent',
        requester: 'Hollis & Co (fictional)',
        receivedOn: '2026-11-21',
      })
    ).json().id;
    const refused = await call('POST', `/release-requests/${third}/preview`, {});
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ clause: 'PG5-1' });
    await consent(sky, 'third-party-release');
    expect((await call('POST', `/release-requests/${third}/preview`, {})).statusCode).toBe(200);

    const accusation = (
      await call('POST', '/release-requests', {
        clientId: rowan,
        basis: 'formal-accusation',
        requester: 'COSRT conduct panel (fictional)',
        receivedOn: '2026-11-21',
      })
    ).json().id;
    const all = (await call('POST', `/release-requests/${accusation}/preview`, {})).json().passages;
    expect(all.every((p: { included: boolean }) => !p.included)).toBe(true);
    const chosen = all[0].ref as string;
    const selected = (
      await call('POST', `/release-requests/${accusation}/preview`, { include: [chosen] })
    ).json().passages;
    expect(
      selected.filter((p: { included: boolean }) => p.included).map((p: { ref: string }) => p.ref),
    ).toEqual([chosen]);
    const released = await issueAndRead(accusation, { include: [chosen] });
    const text = released.text;
    expect(released.fhir).not.toContain('rowan@example.test');
    expect(text).toContain('A-OWN');
    expect(text).not.toContain('rowan@example.test');
    expect(text).toContain('a formal accusation releases the minimum the practitioner selects');
  });

  it('takes every detail of partner B and of the people around them out of A’s release, however it is written, and leaves A’s own (issue 14)', async () => {
    const SAM = {
      name: 'Sam Tester1 (fictional)',
      email: 'sam.tester1@example.test',
      phone: '07700 900111',
      dateOfBirth: '1988-05-14',
      address: 'Flat 3, 12 Example Row, Testington TE1 2ST',
      gp: 'Dr A Sample, Testington Surgery',
    };
    const ALEX = {
      name: 'Alex Tester2 (fictional)',
      email: 'alex.tester2@example.test',
      phone: '+447700900222',
      dateOfBirth: '1991-04-03',
      address: 'Flat 9, 4 Fictive Court, Exampleton EX4 9ZZ',
      // The same surgery as Sam's: a value Sam shares is Sam's too, and stays.
      gp: 'Dr Q Imaginary, Testington Surgery',
      emergencyContact: 'Jo Tester3 (sister), 07700 900333',
    };
    const sam = (await call('POST', '/clients', { identity: SAM })).json().id as string;
    const alex = (await call('POST', '/clients', { identity: ALEX })).json().id as string;
    const samPortal = await addStaff(t.vault, {
      email: 'sam.portal@example.test',
      name: 'Sam (fictional)',
      roles: ['client'],
      clientId: sam,
    });
    // The people recorded against Alex who are not clients: an appropriate adult with an
    // account, and one invited.
    await addStaff(t.vault, {
      email: 'kit.tester4@example.test',
      name: 'Kit Tester4 (fictional)',
      roles: ['appropriate-adult'],
      clientId: alex,
    });
    await t.vault.db.transaction().execute((trx) =>
      createInvitation(trx, {
        practiceId: t.vault.practice.id,
        clientId: alex,
        createdBy: me.userId,
        now: new Date().toISOString(),
        appropriateAdult: {
          keyring: t.vault.keyring,
          invitee: { name: 'Lee Tester5 (fictional)', email: 'lee.tester5@example.test' },
        },
      }),
    );
    const couple = (await call('POST', '/cases', { kind: 'couple', clientIds: [sam, alex] })).json()
      .id as string;
    const [pa, pb] = (await call('GET', `/cases/${couple}`)).json().participants;
    const sessionId = (
      await call('POST', `/cases/${couple}/sessions`, {
        kind: 'assessment',
        format: 'in-person',
        startsAt: '2026-11-19T14:00:00Z',
        minutes: 60,
        attendance: 'attended',
      })
    ).json().id;
    const noteId = (
      await call('POST', `/cases/${couple}/notes`, {
        sessionId,
        passages: [
          {
            section: 'findings',
            html:
              '<p>JOINT-14: Alex Tester2 (Alex’s choice) now lives at Flat 9<br>4 Fictive Court<br>Exampleton<br>ex49zz;' +
              ' ring +44 7700 900222 or ALEX.TESTER2@example.test. Born 3 April 1991 (03/04/1991).' +
              ' Their GP is Dr Imaginary at Testington Surgery; emergency contact Jo Tester3, 07700-900-333.' +
              ' Kit Tester4 (kit.tester4@example.test) and Lee Tester5 came too.' +
              ' Sam still lives at Flat 3, 12 Example Row, Testington TE1 2ST and is on 07700 900111.</p>',
            attribution: [pa.id, pb.id],
          },
          {
            section: 'information',
            html: '<p>FORMULATION-14: A. Tester2, born April 3, 1991, at 4 fictive court, EX4 9ZZ; Sam’s GP is Dr A Sample.</p>',
            attribution: [],
          },
        ],
      })
    ).json().id;
    await call('POST', `/notes/${noteId}/sign`, {});
    // Alex consents to the release of their joint material: it is released, and still
    // holds none of Alex's details.
    await consent(alex, 'joint-material-release');

    const B_ONLY = [
      'alex',
      'tester2',
      '900222',
      'fictive',
      'exampleton',
      'ex4',
      '9zz',
      'april',
      '1991',
      '03/04',
      'imaginary',
      'tester3',
      '900333',
      'tester4',
      'tester5',
      'flat 9',
    ];
    const A_OWN = [
      'Flat 3, 12 Example Row, Testington TE1 2ST',
      '07700 900111',
      'Testington Surgery',
      'Dr A Sample',
    ];
    const flat = (text: string) => text.replace(/\s+/g, ' ');
    const expectNoneOfB = (where: string, text: string) => {
      for (const secret of B_ONLY) expect(text.toLowerCase(), `${where}: ${secret}`).not.toContain(secret);
    };

    const asked = await as(samPortal)('POST', '/portal/release-requests', {});
    expect(asked.statusCode).toBe(201);
    const requestId = asked.json().id as string;
    const preview = await call('POST', `/release-requests/${requestId}/preview`, {});
    expect(preview.statusCode).toBe(200);
    const shown = preview.json().passages.filter((p: { text: string }) => /-14:/.test(p.text));
    expect(shown.map((p: { included: boolean }) => p.included)).toEqual([true, true]);
    expectNoneOfB('preview', JSON.stringify(preview.json()));
    for (const own of A_OWN)
      expect(flat(shown.map((p: { text: string }) => p.text).join(' '))).toContain(own);
    const joint = shown[0];
    for (const marker of [
      '[Partner B]',
      '[Partner B’s address]',
      '[Partner B’s phone number]',
      '[Partner B’s e-mail]',
      '[Partner B’s date of birth]',
      '[Partner B’s GP]',
      '[Partner B’s emergency contact]',
      '[Partner B’s appropriate adult]',
    ]) {
      expect(joint.text, marker).toContain(marker);
      expect(
        joint.redactions.map((r: { marker: string }) => r.marker),
        marker,
      ).toContain(marker);
    }
    expect(flat(joint.text)).toContain('now lives at [Partner B’s address];');

    const issued = await issueAndRead(requestId);
    expectNoneOfB('PDF', issued.text);
    expectNoneOfB('FHIR', issued.fhir);
    for (const own of A_OWN) {
      expect(flat(issued.text)).toContain(own);
      expect(issued.fhir).toContain(own);
    }
    expect(flat(issued.text)).toContain('[Partner B’s address]');
    const portalPdf = await as(samPortal)('GET', `/portal/releases/${issued.id}/pdf`);
    expect(Buffer.compare(portalPdf.rawPayload, issued.bytes)).toBe(0);
    expectNoneOfB('portal PDF', await pdfText(portalPdf.rawPayload));
    const portalFhir = await as(samPortal)('GET', `/portal/releases/${issued.id}/fhir`);
    expect(portalFhir.statusCode).toBe(200);
    expectNoneOfB('portal FHIR', portalFhir.body);
    expect(portalFhir.body).toContain(A_OWN[0]);
  });

  it('shows an overdue subject access request as overdue', async () => {
    await call('POST', '/release-requests', {
      clientId: rowan,
      basis: 'subject-access',
      receivedOn: '2026-09-01',
    });
    const requests: { receivedOn: string; dueOn: string; overdue: boolean }[] = (
      await call('GET', '/release-requests')
    ).json().requests;
    // The suite runs with the clock in summer 2027 too, when the earlier requests are overdue as well.
    expect(requests.filter((r) => r.receivedOn === '2026-09-01')).toMatchObject([
      { dueOn: '2026-10-01', overdue: true },
    ]);
  });
});

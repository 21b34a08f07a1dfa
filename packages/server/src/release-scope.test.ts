import { testEngines } from '@alcove/store/testing';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, bearer, startTestApp, type TestApp, type TestStaff } from './testing/app.ts';

/**
 * What a review of issue 14 found, kept broken-proof: Partner B's name reaching Partner A's
 * release through free text the redaction did not cover (A's consent's recipient, an earlier
 * request's requester); B's consent to release joint material in one case being applied to
 * every case the couple share; and B's session without A (its date, an Encounter in A's
 * FHIR bundle, the date of B's own note in A's list of what was withheld).
 */
const A = { name: 'Rowan Ash (fictional)', address: '1 Other Street\nNewtown\nTE9 9ZZ' };
const B = { name: 'Zoë-Anne Quillfeather2 (fictional)', preferredName: 'Zed' };

async function pdfText(bytes: Buffer): Promise<string> {
  const { text } = await extractText(await getDocumentProxy(new Uint8Array(bytes)), { mergePages: true });
  return text;
}

describe.each(testEngines)('what a release leaves out, on $name', (engine) => {
  let t: TestApp;
  let me: TestStaff;
  let rowan: string;
  let zoe: string;
  let first: string;
  let second: string;
  const call = async (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: bearer(me),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const created = async (url: string, payload: unknown): Promise<{ id: string }> => {
    const r = await call('POST', url, payload);
    expect(r.statusCode, `${url} ${r.statusCode}`).toBeLessThan(300);
    return r.json();
  };
  const participants = async (caseId: string): Promise<{ id: string; clientId: string }[]> =>
    (await call('GET', `/cases/${caseId}`)).json().participants;
  const heldSession = async (caseId: string, startsAt: string, present?: string[]) =>
    created(`/cases/${caseId}/sessions`, {
      kind: 'assessment',
      format: 'in-person',
      startsAt,
      minutes: 50,
      attendance: 'attended',
      ...(present === undefined ? {} : { present }),
    });
  const signedNote = async (caseId: string, sessionId: string, html: string, attribution: string[]) => {
    const note = await created(`/cases/${caseId}/notes`, {
      sessionId,
      passages: [{ section: 'findings', html, attribution }],
    });
    expect((await call('POST', `/notes/${note.id}/sign`, {})).statusCode).toBe(200);
  };

  beforeAll(async () => {
    t = await startTestApp(engine);
    me = await addStaff(t.vault, {
      email: 'me@example.test',
      name: 'Me (fictional)',
      roles: ['practitioner'],
    });
    rowan = (await created('/clients', { identity: A })).id;
    zoe = (await created('/clients', { identity: B })).id;
    first = (await created('/cases', { kind: 'couple', clientIds: [rowan, zoe] })).id;
    second = (await created('/cases', { kind: 'couple', clientIds: [rowan, zoe] })).id;
    const [a1, b1] = await participants(first);
    const [a2, b2] = await participants(second);
    if (a1 === undefined || b1 === undefined || a2 === undefined || b2 === undefined)
      throw new Error('no partners');
    const together = await heldSession(first, '2026-11-03T10:00:00Z');
    await signedNote(first, together.id, '<p>JOINT-ONE: both spoke (fictional).</p>', [a1.id, b1.id]);
    const alone = await heldSession(first, '2026-11-04T18:00:00Z', [b1.id]);
    await signedNote(first, alone.id, '<p>B-ALONE: what B said alone (fictional).</p>', [b1.id]);
    const later = await heldSession(second, '2026-11-05T10:00:00Z');
    await signedNote(second, later.id, '<p>JOINT-TWO: joint material of the second case (fictional).</p>', [
      a2.id,
      b2.id,
    ]);
    // B consents to joint material being released for the first case only.
    await created(`/clients/${zoe}/consents`, {
      type: 'joint-material-release',
      caseId: first,
      givenOn: '2026-11-20',
      givenBy: 'client',
      mode: 'written-in-person',
    });
    // Free text A's own record holds that names B.
    await created(`/clients/${rowan}/consents`, {
      type: 'third-party-release',
      recipient: `my partner ${B.name} and Zed`,
      givenOn: '2026-11-20',
      givenBy: 'client',
      mode: 'written-in-person',
    });
    await created('/release-requests', {
      clientId: rowan,
      basis: 'court-order',
      requester: `Solicitor for ${B.name}`,
      receivedOn: '2026-11-20',
    });
  });
  afterAll(async () => t?.close());

  it('names B nowhere in A’s release, in free text A’s own record holds included', async () => {
    const request = await created('/release-requests', {
      clientId: rowan,
      basis: 'subject-access',
      receivedOn: '2026-11-21',
    });
    const preview = (await call('POST', `/release-requests/${request.id}/preview`, {})).json();
    const issued = await created(`/release-requests/${request.id}/issue`, {});
    const pdf = await pdfText((await call('GET', `/releases/${issued.id}/pdf`)).rawPayload);
    const fhir = (await call('GET', `/releases/${issued.id}/fhir`)).body;
    for (const [where, text] of [
      ['preview', JSON.stringify(preview.sections)],
      ['pdf', pdf],
      ['fhir', fhir],
    ] as const) {
      for (const secret of ['Zoë', 'Quillfeather', 'Zed', zoe])
        expect(text, `${where}: ${secret}`).not.toContain(secret);
    }
    expect(pdf).toContain('[Partner B]');
    expect(pdf).toContain('Rowan Ash');
  });

  it('applies B’s consent to joint material to the case it names, not to every case', async () => {
    const request = await created('/release-requests', {
      clientId: rowan,
      basis: 'subject-access',
      receivedOn: '2026-11-22',
    });
    const preview = (await call('POST', `/release-requests/${request.id}/preview`, {})).json();
    const passage = (start: string) =>
      (preview.passages as { text: string; included: boolean; reason: string | null }[]).find((p) =>
        p.text.startsWith(start),
      );
    expect(passage('JOINT-ONE')).toMatchObject({ included: true });
    expect(passage('JOINT-TWO')).toMatchObject({ included: false });
    expect(passage('JOINT-TWO')?.reason).toContain('has not consented');
  });

  it('leaves out B’s session without A, and does not itemise B’s own material in A’s copy', async () => {
    const request = await created('/release-requests', {
      clientId: rowan,
      basis: 'subject-access',
      receivedOn: '2026-11-23',
    });
    const issued = await created(`/release-requests/${request.id}/issue`, {});
    const pdf = await pdfText((await call('GET', `/releases/${issued.id}/pdf`)).rawPayload);
    const fhir = JSON.parse((await call('GET', `/releases/${issued.id}/fhir`)).body) as {
      entry: { resource: { resourceType: string; period?: { start: string } } }[];
    };
    // The session A was at is there; B's alone is not, by its day or its time.
    expect(pdf).toContain('3 Nov 2026, 10:00');
    expect(pdf).not.toContain('4 Nov 2026');
    expect(pdf).not.toContain('18:00');
    expect(pdf).not.toContain('B-ALONE');
    const encounters = fhir.entry.filter((e) => e.resource.resourceType === 'Encounter');
    expect(encounters.map((e) => e.resource.period?.start)).not.toContain('2026-11-04T18:00:00Z');
    expect(encounters.length).toBeGreaterThan(0);
    // One fixed line says another client's own material is never part of the release.
    expect(pdf).toContain('What another client of your case said or did on their own');
    expect(pdf).not.toContain('Partner B’s own material');
  });
});

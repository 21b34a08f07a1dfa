import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_WEB_ROOT } from '@alcove/server';
import { testEngines } from '@alcove/store/testing';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, bearer, startTestApp, type TestApp } from '../../packages/server/src/testing/app.ts';
import { fhirValidator } from '../../packages/server/src/testing/fhir.ts';
import { expectNoAxeViolations } from '../support/axe.ts';
import { signInWithEnrolment } from '../support/browser-sign-in.ts';
import { type LaunchedBrowser, launchChromium, newPage } from '../support/chromium.ts';

const screenshots = path.resolve(import.meta.dirname, '../../test-results/screenshots');

describe('a subject access request in Chromium', () => {
  let t: TestApp;
  let chromium: LaunchedBrowser;
  let baseUrl: string;

  beforeAll(async () => {
    const engine = testEngines[0];
    if (engine === undefined) throw new Error('no engine');
    t = await startTestApp(engine, { webRoot: DEFAULT_WEB_ROOT });
    const me = await addStaff(t.vault, {
      email: 'sar@example.test',
      name: 'SAR Therapist (fictional)',
      roles: ['practitioner'],
    });
    const call = async (url: string, payload: unknown) =>
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1${url}`,
          headers: bearer(me),
          payload: payload as object,
        })
      ).json();
    const a = (await call('/clients', { identity: { name: 'Rowan Ash (fictional)' } })).id;
    const b = (
      await call('/clients', {
        identity: {
          name: 'Sky Birch (fictional)',
          email: 'sky@example.test',
          address: '4 Fictive Court, Exampleton EX4 9ZZ',
        },
      })
    ).id;
    const caseId = (await call('/cases', { kind: 'couple', clientIds: [a, b] })).id;
    const participants = (
      await t.app.inject({ method: 'GET', url: `/api/v1/cases/${caseId}`, headers: bearer(me) })
    ).json().participants;
    await call(`/cases/${caseId}/sessions`, {
      kind: 'assessment',
      format: 'in-person',
      startsAt: '2026-11-02T10:00:00Z',
      minutes: 90,
      attendance: 'attended',
    });
    await call(`/clients/${a}/consents`, {
      type: 'team-sharing',
      givenOn: '2026-11-02',
      givenBy: 'client',
      mode: 'written-in-person',
    });
    await call(`/cases/${caseId}/entries`, {
      kind: 'session-note',
      occurredAt: '2026-11-02T10:00:00Z',
      passages: [
        { text: 'Rowan said Sky Birch works late (fictional).', attribution: [participants[0].id] },
        {
          text: 'Rowan visits Sky at 4 Fictive Court, EX4 9ZZ (fictional).',
          attribution: [participants[0].id],
        },
        { text: 'Sky spoke of something private (fictional).', attribution: [participants[1].id] },
      ],
    });
    baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
    chromium = await launchChromium();
    fs.mkdirSync(screenshots, { recursive: true });
  });
  afterAll(async () => {
    await chromium?.close();
    await t?.close();
  });

  it('walks a request from receipt to the issued PDF, with the overdue finding until it is answered', async () => {
    const page = await newPage(chromium.browser, { width: 1280, height: 900 });
    await signInWithEnrolment(page, baseUrl, 'sar@example.test');
    await page.getByRole('link', { name: 'Requests for records' }).click();
    const form = page.locator('section[aria-labelledby="new-request"]');
    await form.getByLabel('For which client').click();
    await page.getByRole('option', { name: 'Rowan Ash (fictional)' }).click();
    await form.getByLabel('Received on').fill('2026-09-14');
    await form.getByRole('button', { name: 'Register the request' }).click();
    await page.getByRole('cell', { name: '14 Oct 2026' }).waitFor();
    await page.getByText('Overdue', { exact: true }).waitFor();

    await page.getByRole('link', { name: 'Your obligations' }).click();
    await page.getByText('Overdue: 1 request for records').waitFor();
    await expectNoAxeViolations(page);
    await page.screenshot({
      path: path.join(screenshots, 'obligations-overdue-request.png'),
      fullPage: true,
    });

    await page.getByRole('link', { name: 'Answer them' }).click();
    await page.getByRole('button', { name: 'Prepare the release' }).click();
    const prepare = page.locator('section[aria-labelledby="prepare-release"]');
    await prepare.getByRole('button', { name: 'Preview what it holds' }).click();
    await prepare.getByText('Rowan said [Partner B] works late (fictional).').waitFor();
    await prepare.getByText('Withheld: Partner B’s own material').waitFor();
    // Each redaction shown in place, with its kind, and the passages where one happened listed
    // for the practitioner to read in context.
    await prepare.getByText('Rowan visits [Partner B] at [Partner B’s address] (fictional).').waitFor();
    const redacted = prepare.locator('section[aria-labelledby="redacted-passages"]');
    await redacted.getByRole('heading', { name: 'Where other people’s details were taken out' }).waitFor();
    await redacted
      .getByText('Read these 2 passages in context before you issue the release.', { exact: false })
      .waitFor();
    expect(await redacted.getByRole('listitem').allInnerTexts()).toEqual([
      expect.stringMatching(/— Partner A: \[Partner B\]$/),
      expect.stringMatching(/— Partner A: \[Partner B\], \[Partner B’s address\]$/),
    ]);
    expect(await prepare.locator('mark').allInnerTexts()).toEqual([
      '[Partner B]',
      '[Partner B]',
      '[Partner B’s address]',
    ]);
    // Every session with the day therapy began, and consents in words, never as slugs.
    await prepare
      .getByRole('heading', { name: 'Couple therapy, from 2 Nov 2026 (you are Partner A)' })
      .waitFor();
    await prepare
      .getByText('2 Nov 2026, 10:00: Assessment session, in person, 90 minutes: attended')
      .waitFor();
    await prepare.getByText(/^Sharing within the team \(PG5-3\): given on 2 Nov 2026/).waitFor();
    expect(await prepare.getByText('team-sharing').count()).toBe(0);
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'release-preview.png'), fullPage: true });
    await prepare.getByRole('button', { name: 'Issue the release' }).click();
    await page.getByText('Issued', { exact: true }).waitFor();
    const href = await page.getByRole('link', { name: 'PDF', exact: true }).getAttribute('href');
    const pdf = await page.request.get(`${baseUrl}${href}`);
    expect(pdf.headers()['content-type']).toBe('application/pdf');
    const { text } = await extractText(await getDocumentProxy(new Uint8Array(await pdf.body())), {
      mergePages: true,
    });
    expect(text).toContain('Rowan said [Partner B] works late (fictional).');
    expect(text).toContain('Rowan visits [Partner B] at [Partner B’s address] (fictional).');
    for (const secret of [
      'Sky',
      'Birch',
      'sky@example.test',
      'something private',
      'Fictive',
      'Exampleton',
      'EX4',
    ])
      expect(text).not.toContain(secret);
    // The FHIR bundle issued with it validates against the official R4 schema, and names no B either.
    const fhir = await page.request.get(`${baseUrl}${href?.replace(/\/pdf$/, '/fhir')}`);
    const bundle = await fhir.json();
    const validate = fhirValidator();
    expect(validate(bundle), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    for (const secret of [
      'Sky',
      'Birch',
      'sky@example.test',
      'something private',
      'Fictive',
      'Exampleton',
      'EX4',
    ]) {
      expect(JSON.stringify(bundle)).not.toContain(secret);
    }

    await page.getByRole('link', { name: 'Your obligations' }).click();
    await page.getByRole('heading', { name: 'Your obligations' }).waitFor();
    expect(await page.getByText(/^Overdue: /).count()).toBe(0);

    // A research export with no consented clients fails rather than leaking (GT-115).
    await page.getByRole('link', { name: 'Requests for records' }).click();
    const research = page.locator('section[aria-labelledby="research-export"]');
    await research.getByRole('button', { name: 'Prepare the export' }).click();
    await research
      .getByRole('alert')
      .getByText(/^GT-115: Anonymity cannot be kept/)
      .waitFor();
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'releases.png'), fullPage: true });
    await page.close();
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_WEB_ROOT } from '@alcove/server';
import { testEngines } from '@alcove/store/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addStaff,
  bearer,
  startTestApp,
  type TestApp,
  type TestStaff,
} from '../../packages/server/src/testing/app.ts';
import { expectNoAxeViolations } from '../support/axe.ts';
import { signInWithEnrolment } from '../support/browser-sign-in.ts';
import { type LaunchedBrowser, launchChromium, newPage } from '../support/chromium.ts';

const screenshots = path.resolve(import.meta.dirname, '../../test-results/screenshots');

describe('session notes in Chromium', () => {
  let t: TestApp;
  let chromium: LaunchedBrowser;
  let baseUrl: string;
  let me: TestStaff;
  let caseId: string;
  let clientA: string;
  let practitioner: Page | undefined;

  beforeAll(async () => {
    const engine = testEngines[0];
    if (engine === undefined) throw new Error('no engine');
    t = await startTestApp(engine, { webRoot: DEFAULT_WEB_ROOT });
    me = await addStaff(t.vault, {
      email: 'notes@example.test',
      name: 'Notes Therapist (fictional)',
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
    const a = (await call('/clients', { identity: { name: 'Partner Ash (fictional)' } })).id;
    const b = (await call('/clients', { identity: { name: 'Partner Birch (fictional)' } })).id;
    clientA = a;
    caseId = (await call('/cases', { kind: 'couple', clientIds: [a, b] })).id;
    await call(`/cases/${caseId}/sessions`, {
      kind: 'assessment',
      format: 'in-person',
      startsAt: new Date(Date.now() - 2 * 3_600_000).toISOString(),
      minutes: 60,
      attendance: 'attended',
    });
    await addStaff(t.vault, {
      email: 'vale@example.test',
      name: 'Supervisor Vale (fictional)',
      roles: ['supervisor'],
    });
    baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
    chromium = await launchChromium();
    fs.mkdirSync(screenshots, { recursive: true });
  });
  afterAll(async () => {
    await chromium?.close();
    await t?.close();
  });

  it('writes a joint-session note with passages attributed to each partner, signs it, adds an addendum, and shows both', async () => {
    const page = await newPage(chromium.browser, { width: 1280, height: 900 });
    await signInWithEnrolment(page, baseUrl, 'notes@example.test');
    await page.goto(`${baseUrl}/cases/${caseId}`);
    const notes = page.locator('section[aria-labelledby="notes-title"]');
    await notes.getByLabel('Write a note on').click();
    await page.getByRole('option', { name: /\(assessment\)$/ }).click();
    await notes.getByRole('button', { name: 'Start a note' }).click();

    // The first passage starts joint; Alt+1 makes it partner A's.
    const editors = notes.locator('.ProseMirror');
    await editors.first().click();
    await page.keyboard.type('Partner A describes withdrawing when work is stressful (fictional).');
    await page.keyboard.press('Alt+1');
    await notes.getByRole('button', { name: 'Add a passage to “Clinical findings”' }).click();
    await editors.nth(1).click();
    await page.keyboard.type('Partner B describes pursuing harder (fictional).');
    await notes.getByText('Partner B', { exact: true }).nth(1).click();
    await notes.getByText(/^Draft saved /).waitFor();
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'note-draft.png'), fullPage: true });

    await notes.getByRole('button', { name: 'Sign the note' }).click();
    const note = notes.getByTestId('note');
    await note.getByText(/^Signed /).waitFor();
    await note.getByText('Partner A describes withdrawing when work is stressful (fictional).').waitFor();
    const badges = await note.locator('.mantine-Badge-root').allTextContents();
    expect(badges).toEqual(expect.arrayContaining(['Partner A', 'Partner B']));

    await note.getByRole('button', { name: 'Add an addendum' }).click();
    await note.getByLabel('Why the correction').fill('The stress remark was partner B’s (fictional).');
    await note.locator('.ProseMirror').click();
    await page.keyboard.type('Partner B, not A, mentioned stress at work (fictional).');
    await page.keyboard.press('Alt+2');
    await note.getByRole('button', { name: 'Add the addendum' }).click();
    await note.getByText(/^Addendum of .*: The stress remark was partner B’s \(fictional\)\.$/).waitFor();
    // The original stays as it was signed, beside its addendum.
    await note.getByText('Partner A describes withdrawing when work is stressful (fictional).').waitFor();
    await note.getByText('Partner B, not A, mentioned stress at work (fictional).').waitFor();
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'note-signed-addendum.png'), fullPage: true });

    // The client's page shows the same note as written text, not its markup.
    await page.goto(`${baseUrl}/clients/${clientA}`);
    const record = page.locator('section[aria-labelledby="record"]');
    await record.getByText('Partner A describes withdrawing when work is stressful (fictional).').waitFor();
    await record.getByText(/^Addendum, /).waitFor();
    expect(await record.innerText()).not.toMatch(/<\/?p>/);
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'client-record-notes.png'), fullPage: true });
    await page.goto(`${baseUrl}/cases/${caseId}`);
    await notes.getByTestId('note').first().waitFor();
    practitioner = page;
  });

  it('presents the case to supervision; the supervisor sees its pseudonym and the material, never a name', async () => {
    // The practitioner, still signed in from the note above.
    const page = practitioner;
    if (page === undefined) throw new Error('the note test runs first');
    const section = page.locator('section[aria-labelledby="supervision-title"]');
    await section.getByLabel('Supervisor').click();
    await page.getByRole('option', { name: 'Supervisor Vale (fictional)' }).click();
    await section.getByLabel('What you present').fill('Ash withdraws under stress.');
    await section.getByRole('button', { name: 'Present to supervision' }).click();
    await section
      .getByRole('alert')
      .getByText(/^PG5-5: The material names a client/)
      .waitFor();
    await section
      .getByLabel('What you present')
      .fill('Partner A withdraws under stress; partner B pursues.\n\nI notice I side with B (fictional).');
    await section.getByRole('button', { name: 'Present to supervision' }).click();
    await section.getByText('Presented under the case’s pseudonym.').waitFor();

    const supervisor = await newPage(chromium.browser, { width: 1100, height: 800 });
    await signInWithEnrolment(supervisor, baseUrl, 'vale@example.test');
    await supervisor.getByRole('link', { name: 'Supervision' }).click();
    await supervisor.getByRole('heading', { name: /^Case [A-Z0-9]{6}$/ }).waitFor();
    await supervisor.getByText('I notice I side with B (fictional).').waitFor();
    const text = (await supervisor.locator('main').textContent()) ?? '';
    for (const name of ['Ash', 'Birch']) expect(text).not.toContain(name);
    expect(await supervisor.getByRole('link', { name: 'Clients', exact: true }).count()).toBe(0);
    await expectNoAxeViolations(supervisor);
    await supervisor.screenshot({ path: path.join(screenshots, 'supervision.png'), fullPage: true });
    await supervisor.close();
  });

  it('records a disclosure without consent, withheld from the client under the law that forbids telling them', async () => {
    const page = practitioner;
    if (page === undefined) throw new Error('the note test runs first');
    const section = page.locator('section[aria-labelledby="disclosures-title"]');
    await section.getByRole('button', { name: 'Record a disclosure' }).click();
    await section.getByLabel('About').click();
    await page.getByRole('option', { name: /^Partner A/ }).click();
    await section.getByLabel('To whom').fill('Duty social worker (fictional)');
    await section.getByLabel('Under which law or duty').click();
    await page.getByRole('option', { name: /^Children Act 1989/ }).click();
    await section.getByLabel('What was disclosed').fill('A risk to a child in the household (fictional).');
    await section
      .getByLabel('Why consent was not sought')
      .fill('Asking would have put the child at risk (fictional).');
    await section.getByLabel('Your justification').fill('The child’s safety comes first (fictional).');
    await section
      .getByText('The law forbids telling the client: withhold this from everything they can see')
      .click();
    await section.getByRole('button', { name: 'Record the disclosure' }).click();
    await section
      .getByRole('alert')
      .getByText(/not complete/)
      .waitFor();
    await section
      .getByLabel('Which law forbids telling them')
      .fill('A police request during an investigation (fictional)');
    await section.getByRole('button', { name: 'Record the disclosure' }).click();
    await section.getByText('Withheld from the client').waitFor();
    await section.getByText('Children Act 1989, s47: child protection enquiries').waitFor();
    await expectNoAxeViolations(page);
    await section.screenshot({ path: path.join(screenshots, 'disclosures.png') });

    // A risk assessment, with the steps taken (GT-47, GT-49).
    const notes = page.locator('section[aria-labelledby="notes-title"]');
    await notes.getByLabel('Write an assessment, risk assessment or ending').click();
    await page.getByRole('option', { name: 'Risk assessment (GT-47)' }).click();
    await notes.getByLabel(/^Level of risk/).fill('Low, to a child in the household (fictional).');
    await notes.getByLabel(/^Concerns/).fill('Raised voices reported at home (fictional).');
    await notes.getByLabel(/^Steps taken/).fill('Disclosed to the duty social worker (fictional).');
    await notes.getByRole('button', { name: 'Sign and save the risk assessment' }).click();
    await notes.getByText(/^Risk assessment, /).waitFor();
    await notes.getByText('Disclosed to the duty social worker (fictional).').waitFor();
    await expectNoAxeViolations(page);
    await notes.screenshot({ path: path.join(screenshots, 'notes-with-risk.png') });

    // A referral needs the client's own consent to release (PG5-1); a dual relationship is declared.
    const referrals = page.locator('section[aria-labelledby="referrals-title"]');
    await referrals.getByLabel('Refer').click();
    await page.getByRole('option', { name: /^Partner A/ }).click();
    await referrals.getByLabel('To').fill('Dr Hollis (fictional)');
    await referrals.getByLabel('Reason').fill('A medical review (fictional).');
    await referrals.getByRole('button', { name: 'Write the referral letter' }).click();
    await referrals
      .getByRole('alert')
      .getByText(/^PG5-1: Record the client’s consent/)
      .waitFor();
    await referrals.getByRole('button', { name: 'Declare a dual relationship' }).click();
    await referrals.getByLabel('Tell which supervisor').click();
    await page.getByRole('option', { name: 'Supervisor Vale (fictional)' }).click();
    await referrals
      .getByLabel(/^What the other relationship is/)
      .fill('Partner A joined my choir (fictional).');
    await referrals.getByRole('button', { name: /^Declare it/ }).click();
    await referrals.getByText(/^Your supervisor was told\. Fees stop from /).waitFor();
    await page.getByTestId('case-status').getByText('Ending').waitFor();
    await expectNoAxeViolations(page);
    await referrals.screenshot({ path: path.join(screenshots, 'referrals.png') });
    await page.close();
  });
});

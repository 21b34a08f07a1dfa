import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_WEB_ROOT } from '@alcove/server';
import { testEngines } from '@alcove/store/testing';
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
    caseId = (await call('/cases', { kind: 'couple', clientIds: [a, b] })).id;
    await call(`/cases/${caseId}/sessions`, {
      kind: 'assessment',
      format: 'in-person',
      startsAt: new Date(Date.now() - 2 * 3_600_000).toISOString(),
      minutes: 60,
      attendance: 'attended',
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
    await page.close();
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { emptyProfile } from '@alcove/core';
import { DEFAULT_WEB_ROOT } from '@alcove/server';
import { saveProfile } from '@alcove/store';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, startTestApp, type TestApp } from '../../packages/server/src/testing/app.ts';
import { expectNoAxeViolations } from '../support/axe.ts';
import { signInWithEnrolment } from '../support/browser-sign-in.ts';
import { type LaunchedBrowser, launchChromium, newPage } from '../support/chromium.ts';

const screenshots = path.resolve(import.meta.dirname, '../../test-results/screenshots');

describe('the compliance dashboard in Chromium', () => {
  let t: TestApp;
  let chromium: LaunchedBrowser;
  let baseUrl: string;

  beforeAll(async () => {
    const engine = testEngines[0];
    if (engine === undefined) throw new Error('no engine');
    t = await startTestApp(engine, { webRoot: DEFAULT_WEB_ROOT });
    const me = await addStaff(t.vault, {
      email: 'lapsed@example.test',
      name: 'Lapsed Cover (fictional)',
      roles: ['practitioner'],
    });
    // Cover that ended in the spring, a supervisor, no executor.
    await t.vault.db.transaction().execute((trx) =>
      saveProfile(
        trx,
        t.vault.practice.id,
        me.userId,
        {
          ...emptyProfile,
          details: {
            ...emptyProfile.details,
            supervisor: {
              name: 'Supervisor (fictional)',
              since: '2024-01-01',
              experiencedWithYoungOrVulnerable: false,
            },
          },
          insurance: [
            {
              id: '00000000-0000-4000-8000-000000000001',
              insurer: 'Old Insurer (fictional)',
              startsOn: '2025-04-01',
              endsOn: '2026-03-31',
            },
          ],
        },
        new Date().toISOString(),
      ),
    );
    baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
    chromium = await launchChromium();
    fs.mkdirSync(screenshots, { recursive: true });
  });
  afterAll(async () => {
    await chromium?.close();
    await t?.close();
  });

  it('shows expired insurance and no executor with their clauses, and the insurance finding closes once cover is recorded', async () => {
    const page = await newPage(chromium.browser, { width: 1280, height: 900 });
    await signInWithEnrolment(page, baseUrl, 'lapsed@example.test');
    await page.getByRole('link', { name: 'Your obligations' }).click();

    const insurance = page.getByTestId('finding-GT-45');
    const executor = page.getByTestId('finding-GT-41');
    await insurance.getByText('No current insurance or indemnity cover').waitFor();
    await executor.getByText('No professional executor appointed').waitFor();
    await insurance.getByRole('button', { name: 'Read GT-45' }).click();
    await insurance.getByText('You must make sure you have adequate insurance or indemnity cover').waitFor();
    await executor.getByRole('button', { name: 'Read GT-41' }).click();
    await executor.getByText('You must appoint a Professional Executor').waitFor();
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'obligations.png'), fullPage: true });

    await insurance.getByRole('link', { name: 'Put it right in your record' }).click();
    const section = page.locator('section#insurance');
    await section.getByLabel(/^Insurer\s*\*?$/).fill('New Insurer (fictional)');
    await section.getByLabel('Cover starts').fill('2026-04-01');
    await section.getByLabel('Cover ends').fill('2027-03-31');
    await section.getByRole('button', { name: 'Record cover' }).click();
    await section.getByText('New Insurer (fictional)').waitFor();
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'professional-record.png'), fullPage: true });

    await page.getByRole('link', { name: 'Your obligations' }).click();
    await executor.getByText('No professional executor appointed').waitFor();
    expect(await page.getByTestId('finding-GT-45').count()).toBe(0);
    await page.close();
  });
});

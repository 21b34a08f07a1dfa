import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_WEB_ROOT } from '@alcove/server';
import { listOutbox, readEnvelope, setMailSettings } from '@alcove/store';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addStaff,
  startTestApp,
  TEST_PASSWORD,
  type TestApp,
} from '../../packages/server/src/testing/app.ts';
import { expectNoAxeViolations } from '../support/axe.ts';
import { signInWithEnrolment } from '../support/browser-sign-in.ts';
import { type LaunchedBrowser, launchChromium, newPage } from '../support/chromium.ts';

const screenshots = path.resolve(import.meta.dirname, '../../test-results/screenshots');

describe('an appropriate adult in Chromium (GT-27)', () => {
  let t: TestApp;
  let chromium: LaunchedBrowser;
  let baseUrl: string;

  beforeAll(async () => {
    const engine = testEngines[0];
    if (engine === undefined) throw new Error('no engine');
    t = await startTestApp(engine, { webRoot: DEFAULT_WEB_ROOT });
    const me = await addStaff(t.vault, {
      email: 'youth@example.test',
      name: 'Youth Therapist (fictional)',
      roles: ['practitioner'],
    });
    baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
    await t.vault.db.transaction().execute((trx) =>
      setMailSettings(trx, t.vault.keyring, {
        practiceId: t.vault.practice.id,
        settings: { mode: 'capture', from: 'practice@example.test', siteUrl: baseUrl },
        userId: me.userId,
        now: new Date().toISOString(),
      }),
    );
    chromium = await launchChromium();
    fs.mkdirSync(screenshots, { recursive: true });
  });
  afterAll(async () => {
    await chromium?.close();
    await t?.close();
  });

  it('is invited from a 16-year-old’s record, sees their portal and gives consent there, and cannot sign for them', async () => {
    const page = await newPage(chromium.browser, { width: 1280, height: 900 });
    await signInWithEnrolment(page, baseUrl, 'youth@example.test');
    await page.getByRole('link', { name: 'Clients', exact: true }).click();
    await page.getByLabel(/^Full name/).fill('Young Sorrel (fictional)');
    await page.getByLabel(/^Date of birth/).fill('2010-06-01');
    await page.getByRole('button', { name: /^Add client/ }).click();
    await page.getByRole('heading', { name: 'Young Sorrel (fictional)', level: 2 }).waitFor();
    const section = page.locator('section[aria-labelledby="appropriate-adult"]');
    await section.getByLabel('Their name').fill('Parent Yarrow (fictional)');
    await section.getByLabel('Their e-mail address').fill('parent@example.test');
    await section.getByRole('button', { name: 'Invite them to the portal' }).click();
    // The practice's e-mail is kept here (captured), so nothing is sent: the link is shown once (issue 16).
    await section
      .getByRole('status')
      .getByText(/^Invited\. Their consent will show under Consents/)
      .waitFor();
    const shown = await section.getByTestId('shown-once-link').getByLabel('Invitation link').inputValue();
    expect(shown).toMatch(/\/portal\/join#[A-Za-z0-9_-]{20,}$/);
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'client-appropriate-adult.png'), fullPage: true });
    const open = page.locator('section[aria-labelledby="open-case"]');
    await open.getByRole('button', { name: 'Open case' }).click();
    await page.getByRole('heading', { name: 'Individual case' }).waitFor();
    await page
      .locator('section[aria-labelledby="contract-title"]')
      .getByLabel('Write the contract')
      .fill(
        'Rights and responsibilities\nWeekly sessions of 50 minutes (fictional).\n\nAims of therapy\nAgreed at the assessment.\n\nHow and when therapy ends\nWe plan the ending together.',
      );
    await page.getByRole('button', { name: 'Save the contract' }).click();
    await page.getByText('Waiting for signatures').waitFor();
    await page.close();

    await t.app.alcove.mailer.drain();
    const [message] = await listOutbox(t.vault.db, t.vault.practice.id);
    expect(message?.status).toBe('captured');
    const envelope = await readEnvelope(t.vault.db, t.vault.keyring, t.vault.practice.id, message?.id ?? '');
    expect(envelope?.to).toBe('parent@example.test');
    expect(envelope?.text).not.toContain('Sorrel');
    const link = envelope?.text.match(/http:\/\/127\.0\.0\.1:\d+\/portal\/join#[A-Za-z0-9_-]+/)?.[0] ?? '';

    const parent = await newPage(chromium.browser, { width: 1100, height: 900 });
    await parent.goto(link);
    await parent.getByLabel('New password').fill(TEST_PASSWORD);
    await parent.getByLabel('The same password again').fill(TEST_PASSWORD);
    await parent.getByRole('button', { name: 'Set up my portal' }).click();
    await parent.getByText('Your portal is ready').waitFor();
    await signInWithEnrolment(parent, baseUrl, 'parent@example.test', 'Your portal');
    await parent.getByText(/^As the appropriate adult for Young Sorrel \(fictional\)/).waitFor();
    await parent.getByText('The young person has not signed it yet.').waitFor();
    expect(await parent.getByRole('button', { name: 'I agree to this contract and sign it' }).count()).toBe(
      0,
    );
    const consents = parent.locator('section[aria-labelledby="consents-title"]');
    await consents.getByLabel('Give a consent').click();
    await parent.getByRole('option', { name: /^Appropriate adult/ }).click();
    await consents.getByRole('button', { name: 'Give this consent' }).click();
    await consents.getByRole('cell', { name: /^Appropriate adult/ }).waitFor();
    await expectNoAxeViolations(parent);
    await parent.screenshot({ path: path.join(screenshots, 'portal-appropriate-adult.png'), fullPage: true });
    await parent.close();
  });
});

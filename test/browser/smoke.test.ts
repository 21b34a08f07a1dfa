import fs from 'node:fs';
import path from 'node:path';
import { Confidential } from '@alcove/core';
import { currentTotp, DEFAULT_WEB_ROOT } from '@alcove/server';
import { addEntry, createClient, openCase } from '@alcove/store';
import { testEngines } from '@alcove/store/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addStaff,
  startTestApp,
  TEST_PASSWORD,
  type TestApp,
} from '../../packages/server/src/testing/app.ts';
import { expectNoAxeViolations } from '../support/axe.ts';
import { type LaunchedBrowser, launchChromium, newPage } from '../support/chromium.ts';

const screenshots = path.resolve(import.meta.dirname, '../../test-results/screenshots');

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
}

describe('the web app in Chromium', () => {
  let t: TestApp;
  let chromium: LaunchedBrowser;
  let baseUrl: string;
  let clientId: string;

  beforeAll(async () => {
    const engine = testEngines[0];
    if (engine === undefined) throw new Error('no engine');
    if (!fs.existsSync(path.join(DEFAULT_WEB_ROOT, 'index.html'))) {
      throw new Error('The web app is not built: npm test builds it first (npm run build).');
    }
    t = await startTestApp(engine, { webRoot: DEFAULT_WEB_ROOT });
    const me = await addStaff(t.vault, {
      email: 'robin@example.test',
      name: 'Dr Robin Hartley (fictional)',
      roles: ['practitioner'],
    });
    const v = t.vault;
    clientId = await v.db.transaction().execute(async (trx) => {
      const a = await createClient(trx, v.keyring, {
        practiceId: v.practice.id,
        createdBy: me.userId,
        identity: new Confidential({ name: 'Alex Demo-Rivers (fictional)', pronouns: 'they/them' }),
      });
      const b = await createClient(trx, v.keyring, {
        practiceId: v.practice.id,
        createdBy: me.userId,
        identity: new Confidential({ name: 'Jordan Demo-Rivers (fictional)' }),
      });
      const couple = await openCase(trx, v.keyring, {
        practiceId: v.practice.id,
        practitionerId: me.userId,
        kind: 'couple',
        clientIds: [a.id, b.id],
      });
      const [pa, pb] = couple.participants;
      await addEntry(trx, v.keyring, {
        practiceId: v.practice.id,
        theCase: couple,
        authorId: me.userId,
        kind: 'session-note',
        occurredAt: '2026-11-17T10:00:00Z',
        passages: [
          {
            text: new Confidential('Both describe the pursue–withdraw cycle (fictional).'),
            attribution: [pa?.id ?? '', pb?.id ?? ''],
          },
          { text: new Confidential('Alex withdraws under stress (fictional).'), attribution: [pa?.id ?? ''] },
          { text: new Confidential('Agreed to notice the cycle at home (fictional).'), attribution: [] },
        ],
      });
      return a.id;
    });
    baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
    chromium = await launchChromium();
    fs.mkdirSync(screenshots, { recursive: true });
  });

  afterAll(async () => {
    await chromium?.close();
    await t?.close();
  });

  it('signs in with MFA, opens a record, sees its access history, and signs out', async () => {
    const page = await newPage(chromium.browser);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));

    await page.goto(`${baseUrl}/`);
    await page.getByRole('button', { name: 'Continue' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(await page.locator('html').getAttribute('lang')).toBe('en-GB');
    await expectNoAxeViolations(page);
    await shoot(page, 'sign-in');

    // A wrong password first: a clear message, no way in.
    await page.getByLabel('E-mail address').fill('robin@example.test');
    await page.locator('input[autocomplete="current-password"]').fill('not the password');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').getByText('Check the e-mail address and the password').waitFor();

    await page.locator('input[autocomplete="current-password"]').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Set up your authenticator' }).waitFor();
    const secret = (await page.getByTestId('totp-secret').textContent()) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]+$/);
    await expectNoAxeViolations(page);
    await shoot(page, 'mfa-enrol');

    await page.getByLabel('Six-digit code').fill(currentTotp(secret));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    expect(await page.getByTestId('recovery-codes').locator('li').count()).toBe(10);
    await shoot(page, 'recovery-codes');
    await page.getByRole('button', { name: 'I have saved them' }).click();

    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByTestId('practice-name').waitFor();
    await page.getByRole('link', { name: 'Clients' }).click();
    await page.getByRole('link', { name: 'Alex Demo-Rivers (fictional)' }).click();
    await page.getByRole('heading', { name: 'Clinical record' }).waitFor();
    await page.getByText('Alex withdraws under stress (fictional).').waitFor();
    expect(await page.getByText('Joint', { exact: true }).count()).toBe(1);
    expect(await page.getByText('Partner A', { exact: true }).count()).toBeGreaterThan(0);
    expect(await page.getByText('Practitioner’s formulation').count()).toBe(1);
    const history = page.getByTestId('access-history');
    await history.getByText('Read the clinical record').first().waitFor();
    expect(await history.getByText('Dr Robin Hartley (fictional)').count()).toBeGreaterThan(0);
    await expectNoAxeViolations(page);
    await shoot(page, 'client-record');
    expect(new URL(page.url()).pathname).toBe(`/clients/${clientId}`);

    await page.getByRole('link', { name: 'Your account' }).click();
    await page.getByRole('heading', { name: 'API tokens' }).waitFor();
    await expectNoAxeViolations(page);
    await shoot(page, 'account');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Continue' }).waitFor();
    // The session is gone on the server too: going back shows sign-in, not the record.
    await page.goto(`${baseUrl}/clients/${clientId}`);
    await page.getByRole('button', { name: 'Continue' }).waitFor();
    expect(await page.getByText('Alex withdraws under stress').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows a page-not-found page for an unknown address, to a signed-out visitor as sign-in', async () => {
    const page = await newPage(chromium.browser, { width: 390, height: 844 });
    await page.goto(`${baseUrl}/no/such/page`);
    await page.getByRole('button', { name: 'Continue' }).waitFor();
    await expectNoAxeViolations(page);
    await shoot(page, 'sign-in-phone');
    await page.close();
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { currentTotp, DEFAULT_WEB_ROOT } from '@alcove/server';
import { testEngines } from '@alcove/store/testing';
import type { Browser, Page } from 'playwright-core';
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
const EMAIL = 'wren@example.test';

/**
 * Sessions you can see (issue 16, finding 7), in Chromium: signed in from two browsers, the
 * account sees both on its sessions page, ends the other having entered its password and a
 * code again (V7.5.2), and the other is signed out on its next request.
 */
describe('your sessions page in Chromium', () => {
  let t: TestApp;
  let chromium: LaunchedBrowser;
  let baseUrl: string;
  // The app's clock runs ahead when a test says so: each authenticator code is accepted once,
  // so a second sign-in needs the next 30-second step without waiting for it.
  let ahead = 0;
  const now = () => Date.now() + ahead;

  beforeAll(async () => {
    const engine = testEngines[0];
    if (engine === undefined) throw new Error('no engine');
    t = await startTestApp(engine, { webRoot: DEFAULT_WEB_ROOT, now: () => new Date(now()) });
    await addStaff(t.vault, { email: EMAIL, name: 'Wren Therapist (fictional)', roles: ['practitioner'] });
    baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
    chromium = await launchChromium();
    fs.mkdirSync(screenshots, { recursive: true });
  });
  afterAll(async () => {
    await chromium?.close();
    await t?.close();
  });

  /** Signs the enrolled account in again in a browser of its own: password, then a code. */
  async function signInAgain(browser: Browser, secret: string): Promise<Page> {
    ahead += 30_000;
    const page = await newPage(browser, { width: 1280, height: 900 });
    await page.goto(`${baseUrl}/sign-in`);
    await page.getByLabel('E-mail address').fill(EMAIL);
    await page.locator('input[autocomplete="current-password"]').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Six-digit code').fill(currentTotp(secret, now()));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 2 }).waitFor();
    return page;
  }

  it('signs in twice, sees both sessions, ends the other after confirming it is you, and the other browser is signed out on its next request', async () => {
    const laptop = await newPage(chromium.browser, { width: 1280, height: 900 });
    const secret = await signInWithEnrolment(laptop, baseUrl, EMAIL);
    const desk = await signInAgain(chromium.browser, secret);

    await desk.getByRole('link', { name: 'Your account' }).click();
    await desk.getByRole('link', { name: 'Your sessions and tokens' }).click();
    await desk.getByRole('heading', { name: 'Your sessions', level: 2 }).waitFor();
    const sessions = desk.getByTestId('sessions');
    await expect.poll(() => sessions.locator('tbody tr').count()).toBe(2);
    const chromeOnLinux = /^Chrome \d+ on Linux/;
    expect(await sessions.locator('tbody tr').first().innerText()).toMatch(chromeOnLinux);
    await sessions.getByText('This session').waitFor();
    await sessions.getByText('127.0.0.1').first().waitFor();
    // Dates as a UK reader writes them, in London time.
    expect(await sessions.locator('tbody tr').first().innerText()).toMatch(
      /\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}/,
    );
    await desk.getByTestId('tokens').getByText('tests').waitFor();
    await expectNoAxeViolations(desk);
    await desk.screenshot({ path: path.join(screenshots, 'sessions.png'), fullPage: true });

    // Past the five minutes in which the desk's sign-in counts as proving who it is (V7.5.2).
    ahead += 5 * 60_000 + 30_000;
    // End the laptop's session; a confirmation first, and it can be kept.
    await sessions.getByRole('button', { name: /^End the session of/ }).click();
    const dialog = desk.getByRole('dialog', { name: 'End this session?' });
    await dialog.getByText(/is signed out at its next click\.$/).waitFor();
    await expectNoAxeViolations(desk);
    await dialog.getByRole('button', { name: 'End it' }).click();
    // A stolen cookie alone cannot end it: the password and a current code first.
    const confirm = desk.getByRole('dialog', { name: 'Confirm it is you' });
    await confirm.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await confirm.getByLabel('Authenticator code').fill(currentTotp(secret, now()));
    await expectNoAxeViolations(desk);
    await desk.screenshot({ path: path.join(screenshots, 'sessions-reauthenticate.png'), fullPage: true });
    await confirm.getByRole('button', { name: 'Confirm' }).click();
    await desk
      .getByRole('status')
      .getByText(/is signed out\.$/)
      .waitFor();
    await expect.poll(() => sessions.locator('tbody tr').count()).toBe(1);
    await expect.poll(() => sessions.getByRole('button', { name: /^End the session of/ }).count()).toBe(0);

    // The laptop's next request finds its session gone, and it is back at sign-in.
    await laptop.getByRole('link', { name: 'Clients', exact: true }).click();
    await laptop.getByText('Sign in to your practice records.').waitFor();
    expect(new URL(laptop.url()).pathname).toBe('/sign-in');

    // The desk is still signed in.
    await desk.getByRole('link', { name: 'Clients', exact: true }).click();
    await desk.getByRole('heading', { name: 'Clients', level: 2 }).waitFor();
    await laptop.close();
    await desk.close();
  });
});

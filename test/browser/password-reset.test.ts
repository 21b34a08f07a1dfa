import fs from 'node:fs';
import path from 'node:path';
import { currentTotp, DEFAULT_WEB_ROOT } from '@alcove/server';
import { setMailSettings } from '@alcove/store';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, startTestApp, type TestApp } from '../../packages/server/src/testing/app.ts';
import { expectNoAxeViolations } from '../support/axe.ts';
import { signInWithEnrolment } from '../support/browser-sign-in.ts';
import { type LaunchedBrowser, launchChromium, newPage } from '../support/chromium.ts';

const screenshots = path.resolve(import.meta.dirname, '../../test-results/screenshots');

const NEW_PASSWORD = 'saffron glacier tandem oriole 62';
const OWNER = { name: 'Owner Sorrel (fictional)', email: 'sorrel@example.test' };
const COLLEAGUE = { name: 'Colleague Burdock (fictional)', email: 'burdock@example.test' };

/**
 * Issue 16, ASVS V6.4.3: an administrator resets a colleague's forgotten password where the
 * practice's e-mail is kept here (the link shown once); the colleague sets a new password
 * by the link, their old session has ended, and they still need their authenticator code.
 * The sign-in page's "Forgot your password?" gives the same answer for any address.
 */
describe('resetting a forgotten password in Chromium', () => {
  let t: TestApp;
  let chromium: LaunchedBrowser;
  let baseUrl: string;
  // The server's clock may run ahead of the machine's, for a fresh authenticator step at once.
  let skew = 0;

  beforeAll(async () => {
    const engine = testEngines[0];
    if (engine === undefined) throw new Error('no engine');
    if (!fs.existsSync(path.join(DEFAULT_WEB_ROOT, 'index.html'))) {
      throw new Error('The web app is not built: npm test builds it first (npm run build).');
    }
    t = await startTestApp(engine, { webRoot: DEFAULT_WEB_ROOT, now: () => new Date(Date.now() + skew) });
    const owner = await addStaff(t.vault, { ...OWNER, roles: ['practitioner', 'administrator'] });
    await addStaff(t.vault, { ...COLLEAGUE, roles: ['practitioner'] });
    baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
    await t.vault.db.transaction().execute((trx) =>
      setMailSettings(trx, t.vault.keyring, {
        practiceId: t.vault.practice.id,
        settings: { mode: 'capture', from: 'practice@example.test', siteUrl: baseUrl },
        userId: owner.userId,
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

  it('shows an administrator’s reset link once; the colleague sets a new password by it, is signed out elsewhere, and still gives their code', async () => {
    // The colleague is signed in somewhere, with an authenticator.
    const old = await newPage(chromium.browser, { width: 1100, height: 900 });
    const colleagueSecret = await signInWithEnrolment(old, baseUrl, COLLEAGUE.email);

    const page = await newPage(chromium.browser, { width: 1280, height: 900 });
    skew += 30_000;
    await signInWithEnrolment(page, baseUrl, OWNER.email);
    await page.getByRole('link', { name: 'People', exact: true }).click();
    await page.getByRole('heading', { name: 'People', level: 2 }).waitFor();
    await page.getByRole('button', { name: `Manage ${COLLEAGUE.name}` }).click();
    await page.getByRole('menuitem', { name: /^Reset their password/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Make the link' }).click();
    const panel = dialog.getByTestId('shown-once-link');
    await panel
      .getByText(/It works once, for an hour \(until .+, UK time\), and will not be shown again\./)
      .waitFor();
    const link = await panel.getByLabel('Password reset link').inputValue();
    expect(link).toMatch(new RegExp(`^${baseUrl}/reset-password#[A-Za-z0-9_-]{43}$`));
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'people-password-reset-shown-once.png') });
    await panel.getByRole('button', { name: 'I have handed it over' }).click();
    await dialog.waitFor({ state: 'detached' });
    // Shown once: nowhere on the page after a reload.
    await page.reload();
    await page.getByTestId('people-table').waitFor();
    expect(await page.content()).not.toContain(link.split('#')[1]);

    // The colleague opens the link in a browser of their own and chooses a new password.
    const reset = await newPage(chromium.browser, { width: 1100, height: 900 });
    await reset.goto(link);
    await reset.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await reset.getByLabel('New password').fill(NEW_PASSWORD);
    await reset.getByLabel('The same password again').fill(NEW_PASSWORD);
    await expectNoAxeViolations(reset);
    await reset.screenshot({ path: path.join(screenshots, 'reset-password.png'), fullPage: true });
    await reset.getByRole('button', { name: 'Set my new password' }).click();
    // The second factor is still asked: the code page, not the records.
    await reset.getByRole('heading', { name: 'Enter your code' }).waitFor();
    expect(new URL(reset.url()).hash).toBe('');
    // Their old session has ended.
    await old.reload();
    await old.getByRole('button', { name: 'Continue' }).waitFor();
    skew += 30_000;
    await reset.getByLabel('Six-digit code').fill(currentTotp(colleagueSecret, Date.now() + skew));
    await reset.getByRole('button', { name: 'Sign in' }).click();
    await reset.getByRole('heading', { name: 'Overview', level: 2 }).waitFor();

    // A used link does not work a second time.
    const again = await newPage(chromium.browser);
    await again.goto(link);
    await again.getByText('This link cannot be used').waitFor();
    await again.close();
  });

  it('asks for a link from the sign-in page and says the same for any address', async () => {
    const page = await newPage(chromium.browser, { width: 1100, height: 900 });
    await page.goto(`${baseUrl}/sign-in`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor();
    await page.getByLabel('E-mail address').fill('nobody-at-all@example.test');
    await expectNoAxeViolations(page);
    await page.getByRole('button', { name: 'Send me a link' }).click();
    await page
      .getByRole('status')
      .getByText(
        /^If an account has this address and the practice sends e-mail, a link is on its way; otherwise ask your practice’s administrator\.$/,
      )
      .waitFor();
    await page.screenshot({ path: path.join(screenshots, 'forgot-password.png'), fullPage: true });
  });
});

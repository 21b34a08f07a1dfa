import fs from 'node:fs';
import path from 'node:path';
import { currentTotp, DEFAULT_WEB_ROOT } from '@alcove/server';
import { createPractice, setMailSettings } from '@alcove/store';
import { testEngines } from '@alcove/store/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addStaff,
  bearer,
  startTestApp,
  TEST_PASSWORD,
  type TestApp,
  type TestStaff,
} from '../../packages/server/src/testing/app.ts';
import { expectNoAxeViolations } from '../support/axe.ts';
import { signInWithEnrolment } from '../support/browser-sign-in.ts';
import { type LaunchedBrowser, launchChromium, newPage } from '../support/chromium.ts';

const screenshots = path.resolve(import.meta.dirname, '../../test-results/screenshots');

/** A password a new account chooses: long, and on no breached list. */
const NEW_PASSWORD = 'quartz heron lantern tidal ferns 47';

const SUPERVISOR = { name: 'Supervisor Marram (fictional)', email: 'marram@example.test' };
const ADMINISTRATOR = { name: 'Administrator Teasel (fictional)', email: 'teasel@example.test' };

/** Invites someone on the People page; gives the link shown once. */
async function invite(page: Page, person: { name: string; email: string }, role: string): Promise<string> {
  const form = page.locator('section[aria-labelledby="invite-title"]');
  await form.getByLabel('Their e-mail address').fill(person.email);
  await form.getByLabel('Their name').fill(person.name);
  await form.getByRole('checkbox', { name: role, exact: true }).check();
  await form.getByRole('button', { name: 'Invite', exact: true }).click();
  const panel = form.getByTestId('shown-once-link');
  await panel
    .getByText(
      /^Give this link to them in person\. It works once, for 7 days \(until \d{1,2} [A-Z][a-z]{2} \d{4}\), and will not be shown again\.$/,
    )
    .waitFor();
  return panel.getByLabel('Invitation link').inputValue();
}

/** Takes up a staff invitation in a browser of its own: a new account, its authenticator, its codes. */
async function joinAsNewAccount(
  browser: Browser,
  link: string,
  expected: { practiceName: string; role: string },
  screenshot?: string,
): Promise<Page> {
  const page = await newPage(browser, { width: 1100, height: 900 });
  await page.goto(link);
  await page.getByRole('heading', { name: 'Join a practice in Alcove' }).waitFor();
  await page.getByText(`${expected.practiceName}`, { exact: true }).waitFor();
  await page.getByText(expected.role, { exact: true }).first().waitFor();
  await page.getByLabel('Choose a password').fill(NEW_PASSWORD);
  await page.getByLabel('The same password again').fill(NEW_PASSWORD);
  if (screenshot !== undefined) {
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, screenshot), fullPage: true });
  }
  await page.getByRole('button', { name: 'Create my account' }).click();
  // The existing authenticator pages take over, in the words for staff.
  await page.getByRole('heading', { name: 'Set up your authenticator' }).waitFor();
  // The token has left the address bar.
  expect(new URL(page.url()).hash).toBe('');
  const secret = (await page.getByTestId('totp-secret').textContent()) ?? '';
  await page.getByLabel('Six-digit code').fill(currentTotp(secret));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByRole('button', { name: 'I have saved them' }).click();
  await page.getByRole('heading', { name: 'Overview', level: 2 }).waitFor();
  return page;
}

async function manage(page: Page, who: string, item: RegExp): Promise<void> {
  await page.getByRole('button', { name: `Manage ${who}` }).click();
  await page.getByRole('menuitem', { name: item }).click();
}

/**
 * Issue 16, the practice's people: a solo practitioner invites a supervisor and an
 * administrator with the practice's e-mail kept here (the link shown once), each joins
 * and enrols an authenticator, the supervisor sees a presentation, and the administrator
 * suspends the supervisor, whose session ends at once. A supervisor of two practices
 * switches between them without signing in again.
 */
describe('the practice’s people in Chromium', () => {
  let t: TestApp;
  let chromium: LaunchedBrowser;
  let baseUrl: string;
  let owner: TestStaff;
  // The server's clock may run ahead of the machine's, for a fresh authenticator step at once.
  let skew = 0;

  beforeAll(async () => {
    const engine = testEngines[0];
    if (engine === undefined) throw new Error('no engine');
    if (!fs.existsSync(path.join(DEFAULT_WEB_ROOT, 'index.html'))) {
      throw new Error('The web app is not built: npm test builds it first (npm run build).');
    }
    t = await startTestApp(engine, { webRoot: DEFAULT_WEB_ROOT, now: () => new Date(Date.now() + skew) });
    owner = await addStaff(t.vault, {
      email: 'solo-owner@example.test',
      name: 'Solo Practitioner Yarrow (fictional)',
      roles: ['practitioner', 'administrator'],
    });
    baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
    // The practice's e-mail is kept here, not sent: invitation links are shown once instead.
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

  it('invites a supervisor and an administrator (link shown once), each joins and enrols, the supervisor sees a presentation, and a suspension ends their session at once', async () => {
    const page = await newPage(chromium.browser, { width: 1280, height: 900 });
    await signInWithEnrolment(page, baseUrl, 'solo-owner@example.test');
    await page.getByRole('link', { name: 'People', exact: true }).click();
    await page.getByRole('heading', { name: 'People', level: 2 }).waitFor();

    // The last administrator cannot give up the role: the refusal says why.
    await manage(page, 'Solo Practitioner Yarrow (fictional)', /^Change roles/);
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('checkbox', { name: 'Administrator', exact: true }).uncheck();
    await dialog.getByRole('button', { name: 'Change their roles' }).click();
    await dialog.getByRole('alert').waitFor();
    expect(await dialog.getByRole('alert').textContent()).toMatch(/administrator/i);
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'people-last-administrator.png') });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });

    const supervisorLink = await invite(page, SUPERVISOR, 'Supervisor');
    expect(supervisorLink).toMatch(new RegExp(`^${baseUrl}/join#[A-Za-z0-9_-]{20,}$`));
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'people-link-shown-once.png'), fullPage: true });
    const administratorLink = await invite(page, ADMINISTRATOR, 'Administrator');
    expect(administratorLink).not.toBe(supervisorLink);

    // Shown once: after a reload the invitations are listed, and no link is anywhere on the page.
    await page.reload();
    const waiting = page.getByTestId('invitations-table');
    await waiting.getByText(SUPERVISOR.email).waitFor();
    await waiting.getByText(ADMINISTRATOR.email).waitFor();
    expect(await page.getByTestId('shown-once-link').count()).toBe(0);
    const html = await page.content();
    for (const link of [supervisorLink, administratorLink]) {
      expect(html).not.toContain(link.split('#')[1]);
    }
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'people.png'), fullPage: true });

    // An invitation can be withdrawn before it is used.
    await invite(
      page,
      { name: 'Executor Woad (fictional)', email: 'woad@example.test' },
      'Professional executor',
    );
    await waiting.getByText('woad@example.test').waitFor();
    await waiting.getByRole('button', { name: 'Withdraw the invitation to woad@example.test' }).click();
    const withdraw = page.getByRole('dialog');
    await withdraw.getByRole('button', { name: 'Withdraw the invitation' }).click();
    await withdraw.waitFor({ state: 'detached' });
    await waiting.getByText('woad@example.test').waitFor({ state: 'detached' });

    // Each joins in a browser of their own.
    const practiceName = t.vault.practice.name;
    const supervisor = await joinAsNewAccount(
      chromium.browser,
      supervisorLink,
      { practiceName, role: 'Supervisor' },
      'join.png',
    );
    const administrator = await joinAsNewAccount(chromium.browser, administratorLink, {
      practiceName,
      role: 'Administrator',
    });

    // A used link does not work a second time.
    const again = await newPage(chromium.browser);
    await again.goto(supervisorLink);
    await again.getByText('This invitation cannot be used').waitFor();
    await again.close();

    // The practitioner presents a case to the new supervisor (through the API, as scripts do).
    const api = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
      t.app.inject({
        method,
        url: `/api/v1${url}`,
        headers: bearer(owner),
        ...(payload === undefined ? {} : { payload }),
      });
    const people = (await api('GET', '/people')).json() as {
      people: { userId: string; email: string; status: string; mfaEnrolled: boolean }[];
    };
    const supervisorId = people.people.find((p) => p.email === SUPERVISOR.email)?.userId ?? '';
    expect(people.people.find((p) => p.email === SUPERVISOR.email)?.mfaEnrolled).toBe(true);
    const clientId = (
      await api('POST', '/clients', {
        identity: { name: 'Client Sedge (fictional)', email: 'sedge@example.test' },
      })
    ).json().id as string;
    const caseId = (await api('POST', '/cases', { kind: 'individual', clientIds: [clientId] })).json()
      .id as string;
    const presented = await api('POST', `/cases/${caseId}/presentations`, {
      supervisorId,
      presentedOn: '2026-11-20',
      material: '<p>I notice I hurry the ending of sessions with this client (fictional).</p>',
    });
    expect(presented.statusCode).toBe(201);

    await supervisor.getByRole('link', { name: 'Supervision', exact: true }).click();
    await supervisor.getByRole('heading', { name: 'Supervision', level: 2 }).waitFor();
    await supervisor
      .getByText('I notice I hurry the ending of sessions with this client (fictional).')
      .waitFor();
    await supervisor.getByRole('heading', { name: /^Case [A-Z0-9]{6}$/ }).waitFor();
    expect(await supervisor.locator('main').textContent()).not.toContain('Client Sedge');
    await expectNoAxeViolations(supervisor);
    await supervisor.screenshot({
      path: path.join(screenshots, 'people-supervisor-presentation.png'),
      fullPage: true,
    });

    // The new administrator suspends the supervisor.
    await administrator.getByRole('link', { name: 'People', exact: true }).click();
    await administrator.getByRole('heading', { name: 'People', level: 2 }).waitFor();
    await manage(administrator, SUPERVISOR.name, /^Suspend/);
    const suspendDialog = administrator.getByRole('dialog');
    await suspendDialog.getByText('They are signed out at once, everywhere').waitFor();
    await expectNoAxeViolations(administrator);
    await administrator.screenshot({ path: path.join(screenshots, 'people-suspend.png') });
    await suspendDialog.getByRole('button', { name: 'Suspend', exact: true }).click();
    await suspendDialog.waitFor({ state: 'detached' });
    await administrator
      .getByTestId(`person-${SUPERVISOR.email}`)
      .getByText('Suspended', { exact: true })
      .waitFor();
    await administrator.screenshot({ path: path.join(screenshots, 'people-suspended.png'), fullPage: true });

    // The supervisor's very next request finds the session gone: sign-in, and nothing else.
    // (the account page asks the server for its sessions and tokens at once).
    await supervisor.getByRole('link', { name: 'Your account', exact: true }).click();
    await supervisor.getByRole('button', { name: 'Continue' }).waitFor();
    expect(new URL(supervisor.url()).pathname).toBe('/sign-in');
    await supervisor.goto(`${baseUrl}/supervision`);
    await supervisor.getByRole('button', { name: 'Continue' }).waitFor();
    expect(new URL(supervisor.url()).pathname).toBe('/sign-in');
    expect(await supervisor.locator('body').textContent()).not.toContain('I notice I hurry');

    await supervisor.close();
    await administrator.close();
    await page.close();
  }, 300_000);

  it('lets a supervisor of two practices choose one after signing in, and switch without signing in again', async () => {
    const second = await createPractice(t.vault.db, { name: 'Sundew Rooms (fictional)' }, t.vault.keyring);
    const secondAdministrator = await addStaff(t.vault, {
      email: 'sundew-owner@example.test',
      name: 'Practitioner Madder (fictional)',
      roles: ['practitioner', 'administrator'],
      practiceId: second.id,
    });
    const visiting = await addStaff(t.vault, {
      email: 'visiting-supervisor@example.test',
      name: 'Supervisor Orache (fictional)',
      roles: ['supervisor'],
    });
    // A presentation in each practice, by each practice's own practitioner.
    const presentIn = async (practitioner: TestStaff, material: string) => {
      const call = (url: string, payload: Record<string, unknown>) =>
        t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: bearer(practitioner), payload });
      const clientId = (await call('/clients', { identity: { name: 'Client Rue (fictional)' } })).json()
        .id as string;
      const caseId = (await call('/cases', { kind: 'individual', clientIds: [clientId] })).json()
        .id as string;
      const presented = await call(`/cases/${caseId}/presentations`, {
        supervisorId: visiting.userId,
        presentedOn: '2026-11-21',
        material: `<p>${material}</p>`,
      });
      expect(presented.statusCode).toBe(201);
    };
    const firstPractitioner = await addStaff(t.vault, {
      email: 'burnet@example.test',
      name: 'Practitioner Burnet (fictional)',
      roles: ['practitioner'],
    });
    await presentIn(firstPractitioner, 'Material presented in the first practice (fictional).');

    // The supervisor signs in to the one practice they belong to.
    const page = await newPage(chromium.browser, { width: 1280, height: 900 });
    const secret = await signInWithEnrolment(page, baseUrl, 'visiting-supervisor@example.test');
    expect(await page.getByRole('button', { name: 'Switch practice' }).count()).toBe(0);

    // A second practice invites them; they join with the account they have.
    const invited = await t.app.inject({
      method: 'POST',
      url: '/api/v1/people/invitations',
      headers: bearer(secondAdministrator),
      payload: {
        email: 'visiting-supervisor@example.test',
        name: 'Supervisor Orache',
        roles: ['supervisor'],
      },
    });
    expect(invited.statusCode).toBe(201);
    expect(invited.json().delivery).toBe('shown-once');
    const token = (invited.json().link as string).split('#')[1];
    await page.goto(`${baseUrl}/join#${token}`);
    await page.getByText('You already have an Alcove account with this e-mail address.').waitFor();
    await page.getByText('Sundew Rooms (fictional)', { exact: true }).waitFor();
    await page.getByLabel('Your current password').fill(TEST_PASSWORD);
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'join-existing-account.png'), fullPage: true });
    await page.getByRole('button', { name: 'Join with my account' }).click();
    // Their authenticator confirms it is them (a fresh 30-second step: the server's clock runs ahead).
    await page.getByRole('heading', { name: 'Enter your code' }).waitFor();
    skew += 30_000;
    await page.getByLabel('Six-digit code').fill(currentTotp(secret, Date.now() + skew));
    await page.getByRole('button', { name: 'Sign in' }).click();
    // In the practice they have just joined.
    await page.getByRole('heading', { name: 'Overview', level: 2 }).waitFor();
    await expect.poll(() => page.getByTestId('practice-name').textContent()).toBe('Sundew Rooms (fictional)');
    await presentIn(secondAdministrator, 'Material presented in Sundew Rooms (fictional).');

    // Next time they sign in, they choose the practice.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('E-mail address').fill('visiting-supervisor@example.test');
    await page.locator('input[autocomplete="current-password"]').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Enter your code' }).waitFor();
    skew += 30_000;
    await page.getByLabel('Six-digit code').fill(currentTotp(secret, Date.now() + skew));
    await page.getByRole('button', { name: 'Sign in' }).click();

    // No practice is open until one is chosen.
    await page.getByRole('heading', { name: 'Choose a practice' }).waitFor();
    await page.getByText('Sundew Rooms (fictional)', { exact: true }).waitFor();
    await page.getByText(t.vault.practice.name, { exact: true }).waitFor();
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'choose-practice.png'), fullPage: true });
    await page.getByRole('button', { name: `Open ${t.vault.practice.name}` }).click();
    await page.getByRole('heading', { name: 'Overview', level: 2 }).waitFor();
    await expect.poll(() => page.getByTestId('practice-name').textContent()).toBe(t.vault.practice.name);

    await page.getByRole('link', { name: 'Supervision', exact: true }).click();
    await page.getByText('Material presented in the first practice (fictional).').waitFor();
    expect(await page.locator('main').textContent()).not.toContain('Sundew Rooms');

    // Switch: the same session goes on, in the other practice; nothing of the first stays.
    await page.getByRole('button', { name: 'Switch practice' }).click();
    await page.getByRole('menuitem', { name: /^Sundew Rooms \(fictional\)/ }).waitFor();
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'practice-switcher.png') });
    await page.getByRole('menuitem', { name: /^Sundew Rooms \(fictional\)/ }).click();
    await expect.poll(() => page.getByTestId('practice-name').textContent()).toBe('Sundew Rooms (fictional)');
    await page.getByRole('heading', { name: 'Overview', level: 2 }).waitFor();
    await page.getByRole('link', { name: 'Supervision', exact: true }).click();
    await page.getByText('Material presented in Sundew Rooms (fictional).').waitFor();
    expect(await page.locator('main').textContent()).not.toContain('in the first practice');
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'practice-switched.png'), fullPage: true });

    // And back again, still without signing in.
    await page.getByRole('button', { name: 'Switch practice' }).click();
    await page
      .getByRole('menuitem', { name: new RegExp(`^${t.vault.practice.name.replace(/[()]/g, '\\$&')}`) })
      .click();
    await expect.poll(() => page.getByTestId('practice-name').textContent()).toBe(t.vault.practice.name);
    expect(new URL(page.url()).pathname).toBe('/');
    await page.close();
  }, 240_000);

  it('shows a client’s portal invitation once when the practice’s e-mail is kept here, and the portal’s authenticator page speaks to the client', async () => {
    // New accounts only from here: the server's clock goes back to the machine's.
    skew = 0;
    await addStaff(t.vault, {
      email: 'portal-practitioner@example.test',
      name: 'Practitioner Sorrel (fictional)',
      roles: ['practitioner'],
    });
    const page = await newPage(chromium.browser, { width: 1280, height: 900 });
    await signInWithEnrolment(page, baseUrl, 'portal-practitioner@example.test');
    await page.getByRole('link', { name: 'Clients', exact: true }).click();
    await page.getByLabel(/^Full name/).fill('Client Campion (fictional)');
    await page.getByLabel(/^E-mail address/).fill('campion@example.test');
    await page.getByRole('button', { name: /^Add client/ }).click();
    await page.getByRole('heading', { name: 'Client Campion (fictional)', level: 2 }).waitFor();
    const open = page.locator('section[aria-labelledby="open-case"]');
    await open.getByLabel('Kind').click();
    await page.getByRole('option', { name: 'Individual' }).click();
    await open.getByRole('button', { name: 'Open case' }).click();
    await page.getByRole('heading', { name: 'Individual case' }).waitFor();
    const contract = page.locator('section[aria-labelledby="contract-title"]');
    await contract
      .getByLabel('Write the contract')
      .fill(
        'Rights and responsibilities\nWeekly sessions of 50 minutes (fictional).\n\nAims of therapy\nAgreed at the assessment.\n\nHow and when therapy ends\nWe plan the ending together.',
      );
    await contract.getByRole('button', { name: 'Save the contract' }).click();
    await contract.getByRole('button', { name: 'Send to the clients to sign in their portal' }).click();
    const panel = contract.getByTestId('shown-once-link');
    await panel.getByText(/in person\. It works once, for 7 days, and will not be shown again\.$/).waitFor();
    const link = await panel.getByLabel('Invitation link').inputValue();
    expect(link).toMatch(new RegExp(`^${baseUrl}/portal/join#[A-Za-z0-9_-]{20,}$`));
    await expectNoAxeViolations(page);
    await page.screenshot({
      path: path.join(screenshots, 'case-portal-link-shown-once.png'),
      fullPage: true,
    });
    // Not shown again: after a reload the contract waits, and no link is on the page.
    await page.reload();
    await contract.getByText('Waiting for signatures').waitFor();
    expect(await page.content()).not.toContain(link.split('#')[1]);
    await page.close();

    // The client takes up the link, signs in, and is spoken to as a client.
    const client = await newPage(chromium.browser, { width: 1000, height: 900 });
    await client.goto(link);
    await client.getByLabel('New password').fill(NEW_PASSWORD);
    await client.getByLabel('The same password again').fill(NEW_PASSWORD);
    await client.getByRole('button', { name: 'Set up my portal' }).click();
    await client.getByText('Your portal is ready').waitFor();
    await client.goto(`${baseUrl}/sign-in`);
    await client.getByLabel('E-mail address').fill('campion@example.test');
    await client.locator('input[autocomplete="current-password"]').fill(NEW_PASSWORD);
    await client.getByRole('button', { name: 'Continue' }).click();
    await client.getByRole('heading', { name: 'Keep your portal yours alone' }).waitFor();
    const words = (await client.locator('main').textContent()) ?? '';
    expect(words).toContain('An authenticator app is a free app');
    expect(words).toContain('your therapist');
    expect(words).not.toContain('staff');
    await expectNoAxeViolations(client);
    await client.screenshot({ path: path.join(screenshots, 'portal-authenticator.png'), fullPage: true });
    const secret = (await client.getByTestId('totp-secret').textContent()) ?? '';
    await client.getByLabel('Six-digit code').fill(currentTotp(secret));
    await client.getByRole('button', { name: 'Confirm' }).click();
    await client.getByText(/opens your portal once/).waitFor();
    await client.screenshot({ path: path.join(screenshots, 'portal-recovery-codes.png'), fullPage: true });
    await client.getByRole('button', { name: 'I have saved them' }).click();
    await client.getByRole('heading', { name: 'Your portal', level: 2 }).waitFor();
    await client.close();
  }, 240_000);
});

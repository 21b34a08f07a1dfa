import fs from 'node:fs';
import path from 'node:path';
import { currentTotp, DEFAULT_WEB_ROOT } from '@alcove/server';
import { setMailSettings } from '@alcove/store';
import { testEngines } from '@alcove/store/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addStaff,
  startTestApp,
  TEST_PASSWORD,
  type TestApp,
} from '../../packages/server/src/testing/app.ts';
import { type SmtpCatcher, startSmtpCatcher } from '../../packages/server/src/testing/smtp.ts';
import { expectNoAxeViolations } from '../support/axe.ts';
import { signInWithEnrolment } from '../support/browser-sign-in.ts';
import { type LaunchedBrowser, launchChromium, newPage } from '../support/chromium.ts';

const screenshots = path.resolve(import.meta.dirname, '../../test-results/screenshots');

const WREN = { name: 'Partner Wren (fictional)', email: 'wren@example.test' };
const ILEX = { name: 'Partner Ilex (fictional)', email: 'ilex@example.test' };

async function takeOn(page: Page, person: { name: string; email?: string }): Promise<void> {
  await page.getByRole('link', { name: 'Clients', exact: true }).click();
  await page.getByLabel(/^Full name/).fill(person.name);
  if (person.email !== undefined) await page.getByLabel(/^E-mail address/).fill(person.email);
  await page.getByRole('button', { name: /^Add client/ }).click();
  await page.getByRole('heading', { name: person.name, level: 2 }).waitFor();
}

async function openCase(page: Page, kind: 'Couple' | 'Individual', withWhom?: string): Promise<void> {
  const open = page.locator('section[aria-labelledby="open-case"]');
  await open.getByLabel('Kind').click();
  await page.getByRole('option', { name: kind }).click();
  if (withWhom !== undefined) {
    await open.getByLabel('With').click();
    await page.getByRole('option', { name: withWhom }).click();
  }
  await open.getByRole('button', { name: 'Open case' }).click();
  await page.getByRole('heading', { name: `${kind} case` }).waitFor();
}

describe('a couple’s contract, the client portal and the session gate in Chromium', () => {
  let t: TestApp;
  let chromium: LaunchedBrowser;
  let smtp: SmtpCatcher;
  let baseUrl: string;
  let skew = 0;

  beforeAll(async () => {
    const engine = testEngines[0];
    if (engine === undefined) throw new Error('no engine');
    // The server's clock may run ahead of the machine's, for a fresh authenticator step at once.
    t = await startTestApp(engine, { webRoot: DEFAULT_WEB_ROOT, now: () => new Date(Date.now() + skew) });
    smtp = await startSmtpCatcher();
    const me = await addStaff(t.vault, {
      email: 'couples@example.test',
      name: 'Couples Therapist (fictional)',
      roles: ['practitioner'],
    });
    baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
    await t.vault.db.transaction().execute((trx) =>
      setMailSettings(trx, t.vault.keyring, {
        practiceId: t.vault.practice.id,
        settings: {
          mode: 'smtp',
          from: 'practice@example.test',
          siteUrl: baseUrl,
          host: '127.0.0.1',
          port: smtp.port,
          secure: false,
        },
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
    await smtp?.close();
  });

  it('takes on a couple, refuses therapy without a contract (GT-36), sends it to both partners, refuses until partner B signs in the portal (GT-36a), then accepts it', async () => {
    const page = await newPage(chromium.browser, { width: 1280, height: 900 });
    await signInWithEnrolment(page, baseUrl, 'couples@example.test');
    // The conflict check passes for both: neither is a declared connection or a known client.
    await takeOn(page, WREN);
    await takeOn(page, ILEX);
    await openCase(page, 'Couple', WREN.name);

    const sessions = page.locator('section[aria-labelledby="sessions-title"]');
    const recordTherapy = async () => {
      await sessions.getByLabel(/^Starts/).fill('2026-11-20T10:00');
      await sessions.getByRole('button', { name: 'Record session' }).click();
    };
    await recordTherapy();
    const refusal = sessions.getByRole('alert');
    await refusal.getByText('Refused under GT-36 (must)').waitFor();
    await refusal
      .getByText('You must agree a contract with the service user before starting therapy')
      .waitFor();
    expect(await sessions.getByRole('button', { name: 'Record it, with my reason' }).count()).toBe(0);

    // The contract, drafted from the standard template and saved.
    const contract = page.locator('section[aria-labelledby="contract-title"]');
    await contract.getByLabel('Start from a template').click();
    await page.getByRole('option', { name: 'Standard therapy contract' }).click();
    await contract.getByRole('button', { name: 'Draft from template' }).click();
    const written = contract.getByLabel('Write the contract');
    await expect.poll(() => written.inputValue()).toContain(`${ILEX.name} and ${WREN.name}`);
    // Its blanks are not filled yet: refused under GT-36, a "must", with no reason to give.
    await contract.getByRole('button', { name: 'Save the contract' }).click();
    const refused = contract.getByRole('alert');
    await refused.getByText('Refused under GT-36 (must)').waitFor();
    await refused.getByText(/still has blanks to fill/).waitFor();
    expect(await contract.getByRole('button', { name: 'Save it, with my reason' }).count()).toBe(0);
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'contract-refused-blanks.png'), fullPage: true });
    await written.fill(
      (await written.inputValue()).replace('___ minutes', '50 minutes').replace('£___', '£70'),
    );
    await contract.getByRole('button', { name: 'Save the contract' }).click();
    await contract.getByText('Waiting for signatures').waitFor();

    // It goes to both partners: each is invited to their own portal, by their own e-mail.
    await contract.getByRole('button', { name: 'Send to the clients to sign in their portal' }).click();
    await contract.getByText('Partner A: invited to the client portal by e-mail.').waitFor();
    await contract.getByText('Partner B: invited to the client portal by e-mail.').waitFor();
    expect(await t.app.alcove.mailer.drain()).toBe(2);
    const toIlex = smtp.received.find((m) => m.to.includes(ILEX.email));
    const toWren = smtp.received.find((m) => m.to.includes(WREN.email));
    expect(toIlex?.text).not.toContain(WREN.name);
    expect(toIlex?.text).not.toContain(WREN.email);
    expect(toWren?.text).not.toContain(ILEX.name);
    expect(toWren?.text).not.toContain(ILEX.email);
    const link = toIlex?.text.match(/http:\/\/127\.0\.0\.1:\d+\/portal\/join#[A-Za-z0-9_-]+/)?.[0];
    expect(link).toBeDefined();

    // The practitioner and partner A sign in person.
    const signButtons = contract.getByRole('button', { name: 'Signed in person now' });
    await signButtons.first().click(); // the practitioner
    await expect.poll(() => signButtons.count()).toBe(2);
    // Partner A is Ilex (the case was opened from Ilex's page); partner B is Wren.
    await signButtons.first().click();
    await expect.poll(() => signButtons.count()).toBe(1);

    await recordTherapy();
    await refusal.getByText('Refused under GT-36a (should)').waitFor();
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'case-refused-gt36a.png'), fullPage: true });

    // Partner B takes up the invitation in a browser of their own, and signs in the portal.
    const linkToB = smtp.received
      .find((m) => m.to.includes(WREN.email))
      ?.text.match(/http:\/\/127\.0\.0\.1:\d+\/portal\/join#[A-Za-z0-9_-]+/)?.[0];
    const partnerB = await newPage(chromium.browser, { width: 1100, height: 900 });
    await partnerB.goto(linkToB ?? '');
    await partnerB.getByLabel('New password').fill(TEST_PASSWORD);
    await partnerB.getByLabel('The same password again').fill(TEST_PASSWORD);
    await expectNoAxeViolations(partnerB);
    await partnerB.getByRole('button', { name: 'Set up my portal' }).click();
    await partnerB.getByText('Your portal is ready').waitFor();
    await partnerB.screenshot({ path: path.join(screenshots, 'portal-join.png'), fullPage: true });
    await signInWithEnrolment(partnerB, baseUrl, WREN.email, 'Your portal');
    await partnerB.getByText('Couple therapy: you are Partner B').waitFor();
    // Partner B's own portal shows nothing of partner A's contact details.
    const portalText = (await partnerB.locator('main').textContent()) ?? '';
    expect(portalText).toContain(WREN.email);
    expect(portalText).not.toContain(ILEX.email);
    await expectNoAxeViolations(partnerB);
    await partnerB.screenshot({ path: path.join(screenshots, 'portal-before-signing.png'), fullPage: true });
    await partnerB.getByRole('button', { name: 'I agree to this contract and sign it' }).click();
    await partnerB.getByText('You have signed').waitFor();
    await partnerB.getByText(/in this portal\.$/).waitFor();
    await partnerB.screenshot({ path: path.join(screenshots, 'portal-signed.png'), fullPage: true });
    await partnerB.close();

    await page.reload();
    await contract.getByText('Signed by everyone').waitFor();
    await contract.getByText(/\(portal\)$/).waitFor();
    await recordTherapy();
    await sessions.getByRole('cell', { name: 'therapy' }).waitFor();
    await page.getByTestId('case-status').getByText('Active').waitFor();
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'case-signed.png'), fullPage: true });
    await page.close();
  });

  it('shows the override path: refused under GT-36a, overridden with a reason, the override visible and audited', async () => {
    await addStaff(t.vault, {
      email: 'solo@example.test',
      name: 'Solo Therapist (fictional)',
      roles: ['practitioner'],
    });
    const page = await newPage(chromium.browser, { width: 1280, height: 900 });
    const secret = await signInWithEnrolment(page, baseUrl, 'solo@example.test');
    await takeOn(page, { name: 'Client Rowan (fictional)' });
    await openCase(page, 'Individual');
    const contract = page.locator('section[aria-labelledby="contract-title"]');
    // Free text without the Code's sections: each clause refused until a reason is given for it.
    await contract.getByLabel('Write the contract').fill('We meet weekly. Fees are £80 (fictional).');
    await contract.getByRole('button', { name: 'Save the contract' }).click();
    await contract.getByRole('alert').getByText('Refused under GT-36b (should)').waitFor();
    const reason = contract.getByLabel(
      'Why this contract goes ahead without it (kept with the contract and audited)',
    );
    await reason.fill('Agreed aloud at the assessment (fictional).');
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'contract-refused-gt36b.png'), fullPage: true });
    await contract.getByRole('button', { name: 'Save it, with my reason' }).click();
    await contract.getByRole('alert').getByText('Refused under GT-36c (should)').waitFor();
    await expect.poll(() => reason.inputValue()).toBe('');
    await reason.fill('Six sessions, ending agreed aloud (fictional).');
    await contract.getByRole('button', { name: 'Save it, with my reason' }).click();
    await contract
      .getByText(
        'Offered without a section of the Code (GT-36b): Agreed aloud at the assessment (fictional).',
      )
      .waitFor();
    await contract
      .getByText(
        'Offered without a section of the Code (GT-36c): Six sessions, ending agreed aloud (fictional).',
      )
      .waitFor();
    await expectNoAxeViolations(page);
    await page.screenshot({
      path: path.join(screenshots, 'contract-offered-with-reasons.png'),
      fullPage: true,
    });
    // Withdrawn before anyone signs: nothing is offered until the next version.
    await contract.getByRole('button', { name: 'Withdraw this version' }).click();
    await contract.getByRole('button', { name: 'Withdraw it' }).click();
    await contract.getByText(/^Version 1 was withdrawn on/).waitFor();
    expect(await contract.getByRole('button', { name: 'Signed in person now' }).count()).toBe(0);
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'contract-withdrawn.png'), fullPage: true });
    await contract
      .getByLabel('Write the contract')
      .fill(
        'Rights and responsibilities\nWeekly sessions of 50 minutes (fictional).\n\nAims of therapy\nAgreed at the assessment.\n\nHow and when therapy ends\nWe plan the ending together.',
      );
    await contract.getByRole('button', { name: 'Save the contract' }).click();
    await contract.getByText('Version 2').waitFor();
    await contract.getByRole('button', { name: 'Signed in person now' }).first().click(); // the practitioner
    await expect.poll(() => contract.getByRole('button', { name: 'Signed in person now' }).count()).toBe(1);

    const sessions = page.locator('section[aria-labelledby="sessions-title"]');
    await sessions.getByLabel(/^Starts/).fill('2026-11-21T09:00');
    await sessions.getByRole('button', { name: 'Record session' }).click();
    await sessions.getByRole('alert').getByText('Refused under GT-36a (should)').waitFor();
    await sessions
      .getByLabel('Why therapy goes ahead now (kept on the case and audited)')
      .fill('Agreed by phone; the client signs at the next session (fictional).');
    await sessions.getByRole('button', { name: 'Record it, with my reason' }).click();
    await sessions
      .getByText(
        'Went ahead with a reason: Agreed by phone; the client signs at the next session (fictional).',
      )
      .waitFor();
    const audited = await t.vault.db
      .selectFrom('audit_event')
      .select('action')
      .where('action', '=', 'code.override:GT-36a')
      .execute();
    expect(audited).toHaveLength(1);
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'case-override-gt36a.png'), fullPage: true });

    // The client then signs in the room, on the screen handed to them (test/browser/kiosk.test.ts
    // shows it is a locked kiosk); the practitioner takes the device back with a fresh code.
    await contract.getByRole('button', { name: 'Hand over the signing screen' }).click();
    await page.getByRole('heading', { name: 'Your therapy contract' }).waitFor();
    expect(await page.getByRole('navigation').count()).toBe(0);
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'signing-screen.png'), fullPage: true });
    await page.getByRole('button', { name: 'I agree to this contract and sign it' }).click();
    await page.getByText('Please hand this device back to your therapist.', { exact: false }).waitFor();
    expect(await page.getByRole('link').count()).toBe(0);
    skew += 30_000;
    await page.getByLabel('Practitioner’s password').fill(TEST_PASSWORD);
    await page.getByLabel('Six-digit code').fill(currentTotp(secret, Date.now() + skew));
    await page.getByRole('button', { name: 'Return to the practitioner' }).click();
    await contract.getByText('Signed by everyone').waitFor();
    await page.close();
  });
});

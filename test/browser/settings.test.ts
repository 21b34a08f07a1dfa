import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_WEB_ROOT } from '@alcove/server';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, startTestApp, type TestApp } from '../../packages/server/src/testing/app.ts';
import { expectNoAxeViolations } from '../support/axe.ts';
import { signInWithEnrolment } from '../support/browser-sign-in.ts';
import { type LaunchedBrowser, launchChromium, newPage } from '../support/chromium.ts';

const screenshots = path.resolve(import.meta.dirname, '../../test-results/screenshots');

describe('practice settings, contact safety and the messages page in Chromium', () => {
  let t: TestApp;
  let chromium: LaunchedBrowser;
  let baseUrl: string;

  beforeAll(async () => {
    const engine = testEngines[0];
    if (engine === undefined) throw new Error('no engine');
    t = await startTestApp(engine, { webRoot: DEFAULT_WEB_ROOT });
    await addStaff(t.vault, {
      email: 'owner@example.test',
      name: 'Owner Therapist (fictional)',
      roles: ['practitioner', 'administrator'],
    });
    baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
    chromium = await launchChromium();
    fs.mkdirSync(screenshots, { recursive: true });
  });
  afterAll(async () => {
    await chromium?.close();
    await t?.close();
  });

  it('sets up e-mail, the organisation’s conditions and a template; a flagged client’s message is withheld and listed', async () => {
    const page = await newPage(chromium.browser, { width: 1280, height: 900 });
    await signInWithEnrolment(page, baseUrl, 'owner@example.test');
    await page.getByRole('link', { name: 'Practice settings' }).click();
    await page.getByRole('heading', { name: 'Practice settings' }).waitFor();

    const mail = page.locator('section[aria-labelledby="mail-title"]');
    await mail.getByText('Keep them here (send nothing)').click();
    await mail.getByLabel(/^Sender address/).fill('practice@example.test');
    await mail.getByRole('button', { name: 'Save e-mail settings' }).click();
    await mail.getByRole('status').getByText('Saved.').waitFor();

    const conditions = page.locator('section[aria-labelledby="conditions-title"]');
    await conditions
      .getByLabel('Conditions')
      .fill('Therapy here is delivered under the conditions of Juniper Lane Service (fictional).');
    await conditions.getByRole('button', { name: 'Save conditions' }).click();
    await conditions.getByText('Saved: new contracts carry these conditions.').waitFor();

    const templates = page.locator('section[aria-labelledby="templates-title"]');
    await templates.getByRole('button', { name: 'Save as a new version' }).click();
    await templates.getByText(/^Saved as version 1\./).waitFor();
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'settings.png'), fullPage: true });

    // A client whose e-mail is shared with a partner, with the safety flag raised.
    for (const name of ['Client Hazel (fictional)', 'Client Birch (fictional)']) {
      await page.getByRole('link', { name: 'Clients', exact: true }).click();
      await page.getByLabel(/^Full name/).fill(name);
      await page.getByLabel(/^E-mail address/).fill('shared@example.test');
      await page.getByRole('button', { name: /^Add client/ }).click();
      await page.getByRole('heading', { name, level: 2 }).waitFor();
    }
    const safety = page.locator('section[aria-labelledby="contact-safety"]');
    await safety.getByText('Safety flag: coercive control or abuse — use no shared channel').click();
    await safety.getByRole('button', { name: 'Save contact safety' }).click();
    await safety.getByRole('status').getByText('Saved.').waitFor();
    await page.getByText('Raised: no shared channel is used').waitFor();
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'client-contact-safety.png'), fullPage: true });

    const open = page.locator('section[aria-labelledby="open-case"]');
    await open.getByLabel('Kind').click();
    await page.getByRole('option', { name: 'Couple' }).click();
    await open.getByLabel('With').click();
    await page.getByRole('option', { name: 'Client Hazel (fictional)' }).click();
    await open.getByRole('button', { name: 'Open case' }).click();
    await page.getByRole('heading', { name: 'Couple case' }).waitFor();
    const contract = page.locator('section[aria-labelledby="contract-title"]');
    await contract.getByLabel('Start from a template').click();
    await page.getByRole('option', { name: /version 1/ }).click();
    await contract.getByRole('button', { name: 'Draft from template' }).click();
    // The blanks are filled before it is offered for signature (GT-36).
    const written = contract.getByLabel('Write the contract');
    await expect.poll(() => written.inputValue()).toContain('£___');
    await written.fill(
      (await written.inputValue()).replace('___ minutes', '50 minutes').replace('£___', '£65'),
    );
    await contract.getByRole('button', { name: 'Save the contract' }).click();
    await contract.getByText('The organisation’s conditions (GT-36d)').waitFor();
    await contract.getByRole('button', { name: 'Send to the clients to sign in their portal' }).click();
    await contract.getByText(/^Partner A: not sent — A safety flag is raised/).waitFor();
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'case-conditions-withheld.png'), fullPage: true });

    await page.getByRole('link', { name: 'Messages sent' }).click();
    await page.getByRole('heading', { name: 'Messages sent' }).waitFor();
    await page.getByText('Withheld').first().waitFor();
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'outbox.png'), fullPage: true });
    await page.close();
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_WEB_ROOT } from '@alcove/server';
import { testEngines } from '@alcove/store/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, startTestApp, type TestApp } from '../../packages/server/src/testing/app.ts';
import { expectNoAxeViolations } from '../support/axe.ts';
import { signInWithEnrolment } from '../support/browser-sign-in.ts';
import { type LaunchedBrowser, launchChromium, newPage } from '../support/chromium.ts';

const screenshots = path.resolve(import.meta.dirname, '../../test-results/screenshots');

async function takeOn(page: Page, name: string): Promise<void> {
  await page.getByRole('link', { name: 'Clients', exact: true }).click();
  await page.getByLabel(/^Full name/).fill(name);
  await page.getByRole('button', { name: /^Add client/ }).click();
  await page.getByRole('heading', { name, level: 2 }).waitFor();
}

describe('a couple’s contract and the session gate in Chromium', () => {
  let t: TestApp;
  let chromium: LaunchedBrowser;
  let baseUrl: string;

  beforeAll(async () => {
    const engine = testEngines[0];
    if (engine === undefined) throw new Error('no engine');
    t = await startTestApp(engine, { webRoot: DEFAULT_WEB_ROOT });
    await addStaff(t.vault, {
      email: 'couples@example.test',
      name: 'Couples Therapist (fictional)',
      roles: ['practitioner'],
    });
    baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
    chromium = await launchChromium();
    fs.mkdirSync(screenshots, { recursive: true });
  });
  afterAll(async () => {
    await chromium?.close();
    await t?.close();
  });

  it('refuses therapy without a contract (GT-36, no override), then until both partners sign (GT-36a), then accepts it', async () => {
    const page = await newPage(chromium.browser, { width: 1280, height: 900 });
    await signInWithEnrolment(page, baseUrl, 'couples@example.test');
    await takeOn(page, 'Partner Wren (fictional)');
    await takeOn(page, 'Partner Ilex (fictional)');

    // Open the couple case from partner B's page, with partner A.
    const open = page.locator('section[aria-labelledby="open-case"]');
    await open.getByLabel('Kind').click();
    await page.getByRole('option', { name: 'Couple' }).click();
    await open.getByLabel('With').click();
    await page.getByRole('option', { name: 'Partner Wren (fictional)' }).click();
    await open.getByRole('button', { name: 'Open case' }).click();
    await page.getByRole('heading', { name: 'Couple case' }).waitFor();

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

    const contract = page.locator('section[aria-labelledby="contract-title"]');
    await contract
      .getByLabel('Write the contract')
      .fill(
        'Weekly couple sessions of 60 minutes; confidentiality and its limits; how therapy ends (fictional).',
      );
    await contract.getByRole('button', { name: 'Save the contract' }).click();
    await contract.getByText('Waiting for signatures').waitFor();
    const signButtons = contract.getByRole('button', { name: 'Signed in person now' });
    await signButtons.first().click(); // the practitioner
    await contract
      .getByText(/^Signed .*\(in-person\)$/)
      .first()
      .waitFor();
    await expect.poll(() => signButtons.count()).toBe(2);
    await signButtons.first().click(); // partner A
    await expect.poll(() => signButtons.count()).toBe(1);

    await recordTherapy();
    await refusal.getByText('Refused under GT-36a (should)').waitFor();
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'case-refused-gt36a.png'), fullPage: true });

    await signButtons.first().click(); // partner B
    await contract.getByText('Signed by everyone').waitFor();
    await recordTherapy();
    await sessions.getByRole('cell', { name: 'therapy' }).waitFor();
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'case-signed.png'), fullPage: true });
    await page.close();
  });
});

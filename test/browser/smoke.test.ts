import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_WEB_ROOT } from '@alcove/server';
import { createPractice } from '@alcove/store';
import { testEngines } from '@alcove/store/testing';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../packages/server/src/testing/app.ts';
import { type LaunchedBrowser, launchChromium, newPage } from '../support/chromium.ts';

const screenshots = path.resolve(import.meta.dirname, '../../test-results/screenshots');

async function expectNoAxeViolations(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const summary = results.violations.map(
    (v) => `${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  expect(summary).toEqual([]);
}

describe('the web app in Chromium', () => {
  let t: TestApp;
  let chromium: LaunchedBrowser;
  let baseUrl: string;

  beforeAll(async () => {
    const engine = testEngines[0];
    if (engine === undefined) throw new Error('no engine');
    if (!fs.existsSync(path.join(DEFAULT_WEB_ROOT, 'index.html'))) {
      throw new Error('The web app is not built: npm test builds it first (npm run build).');
    }
    t = await startTestApp(engine, { webRoot: DEFAULT_WEB_ROOT });
    await createPractice(t.store.db, {
      name: 'Juniper Lane Therapy (demo, fictional)',
      demo: true,
      now: new Date('2026-11-22T10:00:00Z'),
    });
    baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
    chromium = await launchChromium();
    fs.mkdirSync(screenshots, { recursive: true });
  });

  afterAll(async () => {
    await chromium?.close();
    await t?.close();
  });

  it('shows the practice, its status, in UK dates, with no accessibility violations', async () => {
    const page = await newPage(chromium.browser);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });

    await page.goto(`${baseUrl}/`);
    await expect
      .poll(() => page.getByTestId('practice-name').textContent())
      .toBe('Juniper Lane Therapy (demo, fictional)');
    await page.getByText('Running').waitFor();
    expect(await page.getByText('Practice set up on 22 Nov 2026').count()).toBe(1);
    expect(await page.getByText('SQLite, embedded on this computer').count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Overview' }).count()).toBe(1);
    expect(await page.locator('html').getAttribute('lang')).toBe('en-GB');
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'overview.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows a page-not-found page for an unknown address, inside the shell', async () => {
    const page = await newPage(chromium.browser);
    await page.goto(`${baseUrl}/no/such/page`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await expectNoAxeViolations(page);
    await page.getByRole('link', { name: 'Back to the overview' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    await page.close();
  });

  it('works on a phone-sized screen', async () => {
    const page = await newPage(chromium.browser, { width: 390, height: 844 });
    await page.goto(`${baseUrl}/`);
    await page.getByText('Running').waitFor();
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('link', { name: 'Overview' }).waitFor({ state: 'visible' });
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'overview-phone.png'), fullPage: true });
    await page.close();
  });
});

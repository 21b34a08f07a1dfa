import { DEFAULT_WEB_ROOT } from '@alcove/server';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, startTestApp, type TestApp } from '../../packages/server/src/testing/app.ts';
import { signInWithEnrolment } from '../support/browser-sign-in.ts';
import { type LaunchedBrowser, launchChromium, newPage } from '../support/chromium.ts';

describe('the session timeout warning in Chromium', () => {
  let t: TestApp;
  let chromium: LaunchedBrowser;
  let baseUrl: string;

  beforeAll(async () => {
    const engine = testEngines[0];
    if (engine === undefined) throw new Error('no engine');
    // Idle for 125 s signs out; the warning shows 120 s before, so about 5 s after each request.
    t = await startTestApp(engine, {
      webRoot: DEFAULT_WEB_ROOT,
      sessionPolicy: { idleSeconds: 125, absoluteSeconds: 3600 },
    });
    await addStaff(t.vault, {
      email: 'idle@example.test',
      name: 'Idle Tester (fictional)',
      roles: ['practitioner'],
    });
    baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await t?.close();
  });

  it('warns before the idle timeout, and "Stay signed in" keeps the session', async () => {
    const page = await newPage(chromium.browser);
    await signInWithEnrolment(page, baseUrl, 'idle@example.test');

    const dialog = page.getByRole('dialog', { name: 'Are you still there?' });
    await dialog.waitFor({ timeout: 20_000 });
    expect(await dialog.getByRole('timer').textContent()).toMatch(/signed out in [12]:\d\d/);
    await page.getByRole('button', { name: 'Stay signed in' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.close();
  });
});

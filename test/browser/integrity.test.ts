import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_WEB_ROOT } from '@alcove/server';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addStaff,
  bearer,
  startTestApp,
  type TestApp,
  type TestStaff,
} from '../../packages/server/src/testing/app.ts';
import { expectNoAxeViolations } from '../support/axe.ts';
import { signInWithEnrolment } from '../support/browser-sign-in.ts';
import { type LaunchedBrowser, launchChromium, newPage } from '../support/chromium.ts';

const screenshots = path.resolve(import.meta.dirname, '../../test-results/screenshots');

const PASSAGES = [
  'Ash spoke of the move and sleeping badly (fictional).',
  'Ash wondered whether to stop the medication (fictional).',
  'We agreed to meet weekly until the spring (fictional).',
];

describe('a tampered passage in Chromium', () => {
  let t: TestApp;
  let chromium: LaunchedBrowser;
  let baseUrl: string;
  let me: TestStaff;
  let clientId: string;
  let tamperedId: string;

  beforeAll(async () => {
    const engine = testEngines[0];
    if (engine === undefined) throw new Error('no engine');
    t = await startTestApp(engine, { webRoot: DEFAULT_WEB_ROOT });
    me = await addStaff(t.vault, {
      email: 'integrity@example.test',
      name: 'Integrity Therapist (fictional)',
      roles: ['practitioner'],
    });
    const call = async (method: 'GET' | 'POST', url: string, payload?: unknown) =>
      (
        await t.app.inject({
          method,
          url: `/api/v1${url}`,
          headers: bearer(me),
          ...(payload === undefined ? {} : { payload: payload as object }),
        })
      ).json();
    clientId = (await call('POST', '/clients', { identity: { name: 'Jordan Ash (fictional)' } })).id;
    const caseId = (await call('POST', '/cases', { kind: 'individual', clientIds: [clientId] })).id;
    const [participant] = (await call('GET', `/cases/${caseId}`)).participants;
    await call('POST', `/cases/${caseId}/entries`, {
      kind: 'session-note',
      occurredAt: '2026-11-20T10:00:00Z',
      passages: PASSAGES.map((text) => ({ text: `<p>${text}</p>`, attribution: [participant.id] })),
    });
    const passages = (await call('GET', `/clients/${clientId}/record`)).cases[0].entries[0].passages;
    tamperedId = passages[1].id;
    // One byte of the stored ciphertext changed, as someone with the database file could.
    const row = await t.vault.db
      .selectFrom('passage')
      .select('body_sealed')
      .where('id', '=', tamperedId)
      .executeTakeFirstOrThrow();
    const bytes = Buffer.from(row.body_sealed, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x01;
    await t.vault.db
      .updateTable('passage')
      .set({ body_sealed: bytes.toString('base64') })
      .where('id', '=', tamperedId)
      .execute();
    baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
    chromium = await launchChromium();
    fs.mkdirSync(screenshots, { recursive: true });
  });
  afterAll(async () => {
    await chromium?.close();
    await t?.close();
  });

  it('shows the rest of the record and the integrity message in place of the tampered passage, and the finding on the obligations page', async () => {
    const page = await newPage(chromium.browser, { width: 1280, height: 900 });
    await signInWithEnrolment(page, baseUrl, 'integrity@example.test');
    await page.goto(`${baseUrl}/clients/${clientId}`);
    await page.getByRole('heading', { name: 'Jordan Ash (fictional)' }).waitFor();
    const record = page.locator('section[aria-labelledby="record"]');
    await record.getByText(PASSAGES[0] ?? '').waitFor();
    await record.getByText(PASSAGES[2] ?? '').waitFor();
    const failed = record.getByTestId('integrity-failed');
    await failed.getByText('This entry failed its integrity check.').waitFor();
    expect(await failed.count()).toBe(1);
    expect(await record.innerText()).not.toContain(PASSAGES[1]);
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'integrity-client-record.png'), fullPage: true });

    // The message leads to the obligations page, where the finding names it by kind and reference.
    await failed.getByRole('link', { name: 'your obligations' }).click();
    const finding = page.getByTestId('integrity-passage');
    await finding
      .getByText('A passage of the clinical record: this entry failed its integrity check')
      .waitFor();
    await finding.getByText(/Restore the practice from a backup/).waitFor();
    await finding.getByText(new RegExp(`Reference passage/${tamperedId}`)).waitFor();
    expect(await page.locator('main').innerText()).not.toContain(PASSAGES[1]);
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(screenshots, 'integrity-obligations.png'), fullPage: true });

    // Still there when the page is loaded again, and it opens the client's record.
    await page.reload();
    await finding.getByRole('link', { name: 'Open the client' }).click();
    await page.getByRole('heading', { name: 'Jordan Ash (fictional)' }).waitFor();
    await page.close();
  });
});

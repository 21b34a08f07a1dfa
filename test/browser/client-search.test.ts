import fs from 'node:fs';
import path from 'node:path';
import { Confidential } from '@alcove/core';
import { DEFAULT_WEB_ROOT } from '@alcove/server';
import { createClient, matchKeysFor } from '@alcove/store';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, startTestApp, type TestApp } from '../../packages/server/src/testing/app.ts';
import { signInWithEnrolment } from '../support/browser-sign-in.ts';
import { type LaunchedBrowser, launchChromium, newPage } from '../support/chromium.ts';

/**
 * Issue 16, findings 9 and 10, in a real browser: the client search sends the name in a
 * POST body, so it is in no URL the browser asks for or keeps in its history; and the
 * browser's own requests (Origin, Sec-Fetch-Site: same-origin) pass the cross-site check.
 */
describe('finding a client by name in Chromium', () => {
  let t: TestApp;
  let chromium: LaunchedBrowser;
  let baseUrl: string;
  const SOUGHT = 'Marigold Ashbury-Quince (fictional)';
  const OTHER = 'Tobias Wrenfield (fictional)';

  beforeAll(async () => {
    const engine = testEngines[0];
    if (engine === undefined) throw new Error('no engine');
    if (!fs.existsSync(path.join(DEFAULT_WEB_ROOT, 'index.html'))) {
      throw new Error('The web app is not built: npm test builds it first (npm run build).');
    }
    t = await startTestApp(engine, { webRoot: DEFAULT_WEB_ROOT });
    const me = await addStaff(t.vault, {
      email: 'searcher@example.test',
      name: 'Dr Searcher (fictional)',
      roles: ['practitioner'],
    });
    const v = t.vault;
    await v.db.transaction().execute(async (trx) => {
      for (const name of [SOUGHT, OTHER]) {
        await createClient(trx, v.keyring, {
          practiceId: v.practice.id,
          createdBy: me.userId,
          identity: new Confidential({ name }),
          // The keyed index the search compares with, as taking a client on writes it.
          matchKeys: await matchKeysFor(trx, v.keyring, name, undefined),
        });
      }
    });
    baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
    chromium = await launchChromium();
  });

  afterAll(async () => {
    await chromium?.close();
    await t?.close();
  });

  it('searches by a POST body: the name is in no URL, and the same-origin requests pass', async () => {
    const page = await newPage(chromium.browser);
    const urls: string[] = [];
    const refusedAsCrossSite: string[] = [];
    const searches: Promise<{ origin: string | undefined; site: string | undefined; body: string | null }>[] =
      [];
    page.on('request', (request) => {
      urls.push(request.url());
      if (request.url().endsWith('/api/v1/clients/search')) {
        // allHeaders: the headers the browser itself adds (Origin, Sec-Fetch-*) as well.
        searches.push(
          request.allHeaders().then((headers) => ({
            origin: headers.origin,
            site: headers['sec-fetch-site'],
            body: request.postData(),
          })),
        );
      }
    });
    page.on('response', async (response) => {
      if (response.status() === 403 && (await response.text()).includes('cross-site-request')) {
        refusedAsCrossSite.push(response.url());
      }
    });

    await signInWithEnrolment(page, baseUrl, 'searcher@example.test');
    await page.getByRole('link', { name: 'Clients' }).click();
    await page.getByRole('link', { name: OTHER }).waitFor();
    await page.getByLabel('Find by full name').fill('marigold ashbury-quince (FICTIONAL)');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('button', { name: 'Show all' }).waitFor();
    await page.getByRole('link', { name: SOUGHT }).waitFor();
    expect(await page.getByRole('link', { name: OTHER }).count()).toBe(0);

    // The browser sent the search as its own page: same origin, the name in the body.
    expect(await Promise.all(searches)).toEqual([
      {
        origin: baseUrl,
        site: 'same-origin',
        body: JSON.stringify({ name: 'marigold ashbury-quince (FICTIONAL)' }),
      },
    ]);
    expect(refusedAsCrossSite).toEqual([]);
    // The address bar, which the history keeps, as well as every request.
    for (const url of [...urls, page.url()]) {
      expect(decodeURIComponent(url).toLowerCase()).not.toContain('marigold');
    }
  });
});

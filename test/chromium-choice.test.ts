import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chromiumPath, DEBIAN_CHROMIUM } from './support/chromium.ts';

/**
 * `npm ci && npm test` passes on a machine without Debian's Chromium: the browser tests
 * then drive the headless Chromium that `npm ci` brought as a dev dependency.
 */
describe('the Chromium the browser tests drive', () => {
  it('is the bundled one when forced, unpacked from the package npm ci installed', async () => {
    const bundled = await chromiumPath({ ALCOVE_CHROMIUM: 'bundled' });
    expect(bundled).not.toBe(DEBIAN_CHROMIUM);
    expect(fs.statSync(bundled).mode & 0o111).not.toBe(0);
  }, 60_000);

  it("is Debian's where it exists and nothing is forced, the bundled one otherwise", async () => {
    const chosen = await chromiumPath({});
    if (fs.existsSync(DEBIAN_CHROMIUM)) expect(chosen).toBe(DEBIAN_CHROMIUM);
    else expect(chosen).not.toBe(DEBIAN_CHROMIUM);
  }, 60_000);

  it('refuses a path that names no file rather than fall back quietly', async () => {
    await expect(chromiumPath({ ALCOVE_CHROMIUM: '/nowhere/chromium' })).rejects.toThrow('names no file');
  });
});

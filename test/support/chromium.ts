import fs from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium, where the machine has it (`apt-get install -y chromium`). */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/**
 * Which Chromium the browser tests drive. No browser is ever downloaded at test time (no
 * `npx playwright install`): Debian's where it exists, otherwise the headless Chromium that
 * `npm ci` brought inside the `@sparticuz/chromium` package (unpacked to the temporary
 * folder on first use). `ALCOVE_CHROMIUM=bundled` forces the bundled one (`.ci/run` runs
 * the browser suite with it once); any other value of `ALCOVE_CHROMIUM` is a path.
 */
export async function chromiumPath(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const chosen = env.ALCOVE_CHROMIUM?.trim();
  if (chosen !== undefined && chosen !== '' && chosen !== 'bundled') {
    if (!fs.existsSync(chosen)) throw new Error(`ALCOVE_CHROMIUM names no file: ${chosen}`);
    return chosen;
  }
  if (chosen !== 'bundled' && fs.existsSync(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
  const { default: bundled } = await import('@sparticuz/chromium');
  return bundled.executablePath();
}

/** The flags this closed network needs: no background connections, no GPU, no sandbox as root. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // UK date inputs (dd/mm/yyyy), as Alcove's users see them.
  '--lang=en-GB',
];

export interface LaunchedBrowser {
  readonly browser: Browser;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<LaunchedBrowser> {
  const browser = await chromium.launch({
    executablePath: await chromiumPath(),
    // Playwright gives each launch a new, empty profile of its own.
    args: CHROMIUM_FLAGS,
    timeout: 60_000,
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

/**
 * A page in a context of its own (cookies and storage not shared with other pages); axe
 * needs pages made this way. Closing the page closes its context.
 */
export async function newPage(
  browser: Browser,
  viewport: { width: number; height: number } = { width: 1280, height: 800 },
): Promise<Page> {
  const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'Europe/London' });
  const page = await context.newPage();
  page.once('close', () => {
    // When the whole browser is closing, the context is already gone: nothing to do.
    context.close().catch(() => undefined);
  });
  return page;
}

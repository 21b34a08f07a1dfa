import fs from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium; this machine cannot download a browser of Playwright's own. */
export const CHROMIUM_PATH = process.env.ALCOVE_CHROMIUM ?? '/usr/bin/chromium';

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
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
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

import { currentTotp } from '@alcove/server';
import type { Page } from 'playwright-core';
import { TEST_PASSWORD } from '../../packages/server/src/testing/app.ts';

/**
 * Signs a new staff account in through the real pages: password, authenticator enrolment,
 * recovery codes. Gives the authenticator secret, for the codes a test types later.
 */
export async function signInWithEnrolment(
  page: Page,
  baseUrl: string,
  email: string,
  landing = 'Overview',
): Promise<string> {
  await page.goto(`${baseUrl}/sign-in`);
  await page.getByLabel('E-mail address').fill(email);
  await page.locator('input[autocomplete="current-password"]').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Continue' }).click();
  const secret = (await page.getByTestId('totp-secret').textContent()) ?? '';
  await page.getByLabel('Six-digit code').fill(currentTotp(secret));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByRole('button', { name: 'I have saved them' }).click();
  await page.getByRole('heading', { name: landing, level: 2 }).waitFor();
  return secret;
}

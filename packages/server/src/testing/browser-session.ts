import type { AlcoveApp } from '../app.ts';
import { currentTotp } from '../auth/totp.ts';
import { TEST_PASSWORD } from './app.ts';

/** A cookie jar of one: what a browser would hold for Alcove. */
export interface BrowserSession {
  cookie: string;
  csrfToken: string;
  totpSecret: string;
  recoveryCodes: string[];
}

export function cookieFrom(setCookie: string | string[] | undefined): string {
  const header = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  // `__Host-alcove_session` over HTTPS (or behind the proxy), `alcove_session` over plain HTTP.
  const match = header?.match(/^((?:__Host-)?alcove_session=[^;]*)/);
  if (match?.[1] === undefined) throw new Error('no session cookie was set');
  return match[1];
}

/** Signs in through every step a browser takes: password, enrolment, first code. */
export async function signInAndEnrol(
  app: AlcoveApp,
  email: string,
  now: () => number,
): Promise<BrowserSession> {
  const signIn = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/sign-in',
    payload: { email, password: TEST_PASSWORD },
  });
  if (signIn.statusCode !== 200) throw new Error(`sign-in: ${signIn.statusCode} ${signIn.body}`);
  let cookie = cookieFrom(signIn.headers['set-cookie']);
  let csrfToken = signIn.json().csrfToken as string;
  const enrolment = await app.inject({
    method: 'GET',
    url: '/api/v1/auth/mfa/enrolment',
    headers: { cookie },
  });
  const totpSecret = enrolment.json().secret as string;
  const enrol = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/mfa/enrol',
    headers: { cookie, 'x-csrf-token': csrfToken },
    payload: { code: currentTotp(totpSecret, now()) },
  });
  if (enrol.statusCode !== 200) throw new Error(`enrol: ${enrol.statusCode} ${enrol.body}`);
  cookie = cookieFrom(enrol.headers['set-cookie']);
  csrfToken = enrol.json().csrfToken as string;
  return { cookie, csrfToken, totpSecret, recoveryCodes: enrol.json().recoveryCodes as string[] };
}

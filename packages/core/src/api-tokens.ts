import type { Role } from './access.ts';
import { addDays, type Day, dayOf, startOfDay } from './days.ts';

/**
 * API tokens and re-authentication (issue 16; docs/decisions/2026-12-02-api-tokens.md).
 * Pure rules, shared by the server and the web app.
 */

/** A browser session that proved password and authenticator code this recently may make tokens. */
export const REAUTHENTICATION_SECONDS = 5 * 60;

export const API_TOKEN_DEFAULT_DAYS = 90;
export const API_TOKEN_MAX_DAYS = 365;

export const apiTokenScopes = ['read', 'read-write'] as const;
export type ApiTokenScope = (typeof apiTokenScopes)[number];

/**
 * Who may hold an API token at all: those who run the practice's scripts (exports,
 * backups, diaries). Clients and appropriate adults use the portal; a supervisor or the
 * professional executor works in the browser, where a second factor guards every sign-in.
 */
const tokenRoles: readonly Role[] = ['practitioner', 'administrator'];

export function mayHoldApiToken(roles: readonly Role[]): boolean {
  return roles.some((role) => tokenRoles.includes(role));
}

/** True while a session's last re-authentication (an ISO instant) is recent enough. */
export function reauthenticatedRecently(reauthenticatedAt: string | null, now: Date): boolean {
  if (reauthenticatedAt === null) return false;
  const age = now.getTime() - Date.parse(reauthenticatedAt);
  return age >= 0 && age <= REAUTHENTICATION_SECONDS * 1000;
}

/**
 * When a new token ends. It works to the end of its last day in Europe/London: that day is
 * `days` after today, or the day given; not before today, nor more than 365 days ahead.
 */
export function apiTokenExpiry(
  now: Date,
  ask: { days?: number | undefined; lastDay?: Day | undefined },
): { ok: true; lastDay: Day; expiresAt: string } | { ok: false; problem: string } {
  const today = dayOf(now);
  const latest = addDays(today, API_TOKEN_MAX_DAYS);
  const lastDay = ask.lastDay ?? addDays(today, ask.days ?? API_TOKEN_DEFAULT_DAYS);
  if (lastDay < today) return { ok: false, problem: 'Choose a last day from today onwards.' };
  if (lastDay > latest)
    return { ok: false, problem: `A token lasts at most ${API_TOKEN_MAX_DAYS} days: choose an earlier day.` };
  return { ok: true, lastDay, expiresAt: startOfDay(addDays(lastDay, 1)) };
}

/** The last day a token works, from the instant it ends (the start of the next London day). */
export function apiTokenLastDay(expiresAt: string): Day {
  return addDays(dayOf(expiresAt), -1);
}

import { z } from 'zod';
import { apiTokenScopes } from './api-tokens.ts';

/**
 * Sessions you can see (issue 16, finding 7): the signed-in sessions and API tokens of an
 * account, and the requests that end them. Shared by the server (validation, OpenAPI) and
 * the web app (parsing). A session is named by a public id derived from its stored hash,
 * never by its cookie or the hash itself.
 */

/** 32 hex digits: the first half of SHA-256 of the session's stored id hash. */
export const sessionPublicIdSchema = z.string().regex(/^[0-9a-f]{32}$/, 'A session id is 32 hex digits');

export const accountSessionSchema = z.strictObject({
  id: sessionPublicIdSchema,
  createdAt: z.iso.datetime(),
  lastSeenAt: z.iso.datetime(),
  /** The address it signed in from, as the server saw it. */
  address: z.string().nullable(),
  /** The browser and system, from its user agent ("Chrome 131 on Linux"); null if unknown. */
  browser: z.string().nullable(),
  /** Still signing in (second factor not yet given), or signed in. */
  signedIn: z.boolean(),
  /** The session this request came from. */
  current: z.boolean(),
});
export type AccountSession = z.infer<typeof accountSessionSchema>;

export const accountTokenSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
  /** When it stops working, for tokens that have an expiry. */
  expiresAt: z.iso.datetime().nullable(),
  /** 'read' or 'read-write' (every token has one since migration 0018). */
  scope: z.enum(apiTokenScopes).nullable(),
});
export type AccountToken = z.infer<typeof accountTokenSchema>;

export const accountSessionsSchema = z.strictObject({
  sessions: z.array(accountSessionSchema),
  tokens: z.array(accountTokenSchema),
});
export type AccountSessions = z.infer<typeof accountSessionsSchema>;

/** Ending every other session; `tokens: true` revokes every API token as well. */
export const endOtherSessionsSchema = z.strictObject({ tokens: z.boolean() });

export const endedSessionsSchema = z.strictObject({
  sessions: z.number().int().min(0),
  tokens: z.number().int().min(0),
});
export type EndedSessions = z.infer<typeof endedSessionsSchema>;

import { z } from 'zod';

/**
 * Alcove's one error vocabulary. Every failure a caller can cause is one of these, with a
 * stable code; the server maps them to RFC 9457 problem details in one place.
 * Messages must never contain clinical text, names or contact details.
 */
export const problemCodes = {
  'validation-failed': { status: 400, title: 'The request is not valid' },
  'malformed-body': { status: 400, title: 'The request body is not valid JSON' },
  unauthenticated: { status: 401, title: 'Sign-in required' },
  'invalid-credentials': { status: 401, title: 'The e-mail address or password is not right' },
  'invalid-code': { status: 401, title: 'That code is not right' },
  'session-expired': { status: 401, title: 'Your session has ended' },
  'mfa-required': { status: 401, title: 'Finish signing in with your authenticator code' },
  /** An API token past its last day: the script needs a new one. */
  'token-expired': { status: 401, title: 'This API token has expired' },
  /** A read-only API token asked to change something. */
  'token-read-only': { status: 403, title: 'This API token may only read' },
  /** The step needs the password and a current authenticator code again (the last 5 minutes). */
  'reauthentication-required': { status: 403, title: 'Confirm it is you first' },
  /** The caller's roles do not allow this for their own account (e.g. holding an API token). */
  'not-permitted': { status: 403, title: 'Your role does not allow this' },
  'csrf-failed': { status: 403, title: 'The request could not be confirmed as yours' },
  /** A browser said the request came from another site (Origin, Sec-Fetch-Site): refused whatever it carries. */
  'cross-site-request': { status: 403, title: 'A request from another site was refused' },
  /** The session is a signing kiosk: it reaches its one contract and nothing else. */
  'kiosk-locked': { status: 403, title: 'This device is locked to a signing screen' },
  'refused-by-code': { status: 422, title: 'Refused by the Code of Ethics' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  /** The request, or its body, did not arrive in time (server/src/slow-requests.ts). */
  'request-timeout': { status: 408, title: 'The request took too long to arrive' },
  conflict: { status: 409, title: 'Conflict' },
  /** A signed-in person in several practices has not chosen one yet (POST /auth/practice). */
  'practice-required': { status: 409, title: 'Choose a practice first' },
  /** A staff invitation that was used, withdrawn or has expired: the detail says which. */
  'invitation-ended': { status: 410, title: 'This invitation can no longer be used' },
  /** A password reset link that was used or has expired: the detail says which. */
  'reset-ended': { status: 410, title: 'This password reset link can no longer be used' },
  'payload-too-large': { status: 413, title: 'The request body is too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  /** More header bytes than Node reads (16 KiB): refused before any route sees them. */
  'headers-too-large': { status: 431, title: 'The request headers are too large' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Something went wrong on our side' },
  /** Something this needs failed its integrity check (AES-GCM authentication): never shown, audited. */
  'integrity-failed': { status: 500, title: 'An entry failed its integrity check' },
  locked: { status: 503, title: 'Alcove is locked' },
  'storage-failed': { status: 503, title: 'Alcove could not save to its database' },
} as const;

export type ProblemCode = keyof typeof problemCodes;

export function problemType(code: ProblemCode): string {
  return `urn:alcove:problem:${code}`;
}

/**
 * One thing wrong with the input: which part of the request, where in it (a JSON Pointer,
 * "" for the whole part), and what. Never the value itself: it may be confidential.
 */
export const fieldIssueSchema = z.strictObject({
  location: z.enum(['body', 'querystring', 'params', 'headers']),
  pointer: z.string(),
  detail: z.string(),
});
export type FieldIssue = z.infer<typeof fieldIssueSchema>;

/** The RFC 9457 document every error response carries, shared with the web app. */
export const problemDocumentSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  code: z.string(),
  errors: z.array(fieldIssueSchema).optional(),
  errorId: z.string().optional(),
  /** A refusal by the Code: the clause, its text and duty, and whether a reason may override it. */
  clause: z.string().optional(),
  clauseText: z.string().optional(),
  duty: z.enum(['must', 'should', 'principle']).optional(),
  overridable: z.boolean().optional(),
  /** A refusal until a time (RetryLaterError): when to try again; Retry-After says the same in seconds. */
  retryAt: z.string().optional(),
  /** A conflict at intake: who the new client matched, for the practitioner to decide on. */
  matches: z
    .array(
      z.strictObject({
        matchId: z.string(),
        kind: z.enum(['connection', 'client']),
        clause: z.string(),
        overridable: z.boolean(),
      }),
    )
    .optional(),
});
export type ProblemDocument = z.infer<typeof problemDocumentSchema>;

export class AlcoveError extends Error {
  readonly code: ProblemCode;
  readonly errors: readonly FieldIssue[] | undefined;

  constructor(code: ProblemCode, detail?: string, errors?: readonly FieldIssue[]) {
    super(detail ?? problemCodes[code].title);
    this.name = 'AlcoveError';
    this.code = code;
    this.errors = errors;
  }

  get status(): number {
    return problemCodes[this.code].status;
  }
}

/**
 * Refused until a time (a locked second factor, a throttled sign-in): status 429, with
 * Retry-After in seconds and `retryAt` in the problem document.
 */
export class RetryLaterError extends AlcoveError {
  readonly retryAt: string;
  readonly retryAfterSeconds: number;

  constructor(detail: string, retryAt: Date, now: Date) {
    super('rate-limited', detail);
    this.retryAt = retryAt.toISOString();
    this.retryAfterSeconds = Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / 1000));
  }
}

/** A command refused by a clause of the Code (status 422), carrying the clause. */
export class ClauseRefusalError extends AlcoveError {
  readonly clause: string;
  readonly clauseText: string;
  readonly duty: 'must' | 'should' | 'principle';
  readonly overridable: boolean;

  readonly matches: ProblemDocument['matches'];

  constructor(refusal: {
    clause: { id: string; text: string; quote?: string; duty: 'must' | 'should' | 'principle' };
    overridable: boolean;
    detail: string;
    matches?: ProblemDocument['matches'];
  }) {
    super('refused-by-code', `${refusal.clause.id}: ${refusal.detail}`);
    this.matches = refusal.matches;
    this.clause = refusal.clause.id;
    this.clauseText = refusal.clause.quote ?? refusal.clause.text;
    this.duty = refusal.clause.duty;
    this.overridable = refusal.overridable;
  }
}

export function isAlcoveError(value: unknown): value is AlcoveError {
  return value instanceof AlcoveError;
}

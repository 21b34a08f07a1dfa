import { type ProblemDocument, problemDocumentSchema } from '@alcove/core';
import type { z } from 'zod';

/** An error answer from the API, as its RFC 9457 problem document. */
export class ApiProblem extends Error {
  readonly problem: ProblemDocument;
  constructor(problem: ProblemDocument) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiProblem';
    this.problem = problem;
  }
  get status(): number {
    return this.problem.status;
  }
}

/**
 * The session's CSRF token, sent with every request that changes something. It lives in
 * this tab's memory only; the session itself is an HttpOnly cookie the script never sees.
 */
let csrfToken: string | undefined;
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

type Listener = (problem: ApiProblem) => void;
const unauthenticatedListeners = new Set<Listener>();
/** Called when the server says the session is gone, so the app can go to sign-in. */
export function onSignedOut(listener: Listener): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

const kioskListeners = new Set<() => void>();
/**
 * Called when the server says this session is locked to a signing screen (a page that was
 * open before it was handed over), so the app can show that screen and nothing else.
 */
export function onKioskLocked(listener: () => void): () => void {
  kioskListeners.add(listener);
  return () => kioskListeners.delete(listener);
}

let lastActivity = Date.now();
/** When the server last saw this tab (its idle timer restarts with every request). */
export function lastApiActivity(): number {
  return lastActivity;
}

export async function api<T extends z.ZodType>(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  schema: T,
  options: { body?: unknown; signal?: AbortSignal } = {},
): Promise<z.output<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== undefined) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  lastActivity = Date.now();
  const body: unknown = response.status === 204 ? null : await response.json().catch(() => undefined);
  if (!response.ok) {
    const parsed = problemDocumentSchema.safeParse(body);
    const problem = new ApiProblem(
      parsed.success
        ? parsed.data
        : {
            type: 'about:blank',
            title: 'Alcove did not answer as expected',
            status: response.status,
            code: 'unexpected-response',
          },
    );
    if (response.status === 401 && ['unauthenticated', 'session-expired'].includes(problem.problem.code)) {
      for (const listener of unauthenticatedListeners) listener(problem);
    }
    // A kiosk, or a session of several practices with none chosen yet (issue 16): the app
    // asks the server what the session is now, and goes where that says.
    if (problem.problem.code === 'kiosk-locked' || problem.problem.code === 'practice-required') {
      for (const listener of kioskListeners) listener();
    }
    throw problem;
  }
  return schema.parse(body);
}

/** A file from the API (a CSV, a PDF), for a POST that makes it; a refusal is thrown as for api(). */
export async function apiFile(path: string, body: unknown): Promise<Blob> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (csrfToken !== undefined) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(`/api/v1${path}`, {
    method: 'POST',
    headers,
    credentials: 'same-origin',
    body: JSON.stringify(body),
  });
  lastActivity = Date.now();
  if (!response.ok) {
    const parsed = problemDocumentSchema.safeParse(await response.json().catch(() => undefined));
    if (parsed.success && parsed.data.code === 'kiosk-locked') {
      for (const listener of kioskListeners) listener();
    }
    throw new ApiProblem(
      parsed.success
        ? parsed.data
        : {
            type: 'about:blank',
            title: 'Alcove did not answer as expected',
            status: response.status,
            code: 'unexpected-response',
          },
    );
  }
  return response.blob();
}

export function getJson<T extends z.ZodType>(
  path: string,
  schema: T,
  signal?: AbortSignal,
): Promise<z.output<T>> {
  return api('GET', path, schema, signal === undefined ? {} : { signal });
}

/** What to tell a person about a failed request: the problem's detail and each field's issue. */
export function describeProblem(error: unknown): string {
  if (!(error instanceof ApiProblem)) return 'Alcove could not be reached.';
  return [error.problem.detail ?? error.problem.title, ...(error.problem.errors ?? []).map((e) => e.detail)]
    .filter((part) => part !== '')
    .join(' ');
}

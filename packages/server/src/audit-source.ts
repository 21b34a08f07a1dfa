import { type AuditSource, auditSource, recordAuditEvent, type Vault, withAuditSource } from '@alcove/store';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Security events with their context (issue 16, finding 8). Every request runs inside its
 * audit source (store/audit-source.ts), so each audit event appended while serving it is
 * kept with the request's address and user agent beside it, outside the hash chain.
 */

/** The request's address (the client's, behind a trusted proxy) and its User-Agent, trimmed. */
export function auditSourceOf(request: FastifyRequest): AuditSource {
  const agent = request.headers['user-agent'];
  return auditSource(request.ip, typeof agent === 'string' ? agent : undefined);
}

/**
 * Enters the request's audit source in onRequest, before authentication (which audits
 * expired sessions and token use), and again in preValidation: a body arrives through the
 * socket's own callbacks, which do not carry the context on to the handler.
 */
export function registerAuditSource(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    withAuditSource(auditSourceOf(request), () => done());
  });
  app.addHook('preValidation', (request, _reply, done) => {
    withAuditSource(auditSourceOf(request), () => done());
  });
}

/** One audited refusal per address and route in this long: a flood is not a flood of writes. */
const RATE_LIMIT_AUDIT_SECONDS = 60;
const RATE_LIMIT_AUDIT_KEYS = 10_000;

/**
 * Audits @fastify/rate-limit's refusals as 'security.rate-limited' (the route, the account
 * when a session is known; the address goes beside the event, never in it). Returns the
 * `onExceeded` to give the rate limiter; the event is written, and awaited, in onError,
 * before the refusal is answered.
 */
export function registerRateLimitAudit(
  app: FastifyInstance,
  vault: Vault,
  now: () => Date,
): (request: FastifyRequest, key: string) => void {
  const refused = new WeakSet<FastifyRequest>();
  const lastAudited = new Map<string, number>();
  app.addHook('onError', async (request) => {
    if (!refused.has(request)) return;
    refused.delete(request);
    const principal = request.principal;
    const who =
      principal === undefined
        ? { actorId: null, practiceId: null }
        : principal.kind === 'session'
          ? { actorId: principal.session.user_id, practiceId: principal.session.practice_id }
          : { actorId: principal.userId, practiceId: principal.practiceId };
    await withAuditSource(auditSourceOf(request), () =>
      recordAuditEvent(vault.db, {
        ...who,
        action: 'security.rate-limited',
        outcome: 'denied',
        recordType: 'route',
        recordId: `${request.method} ${request.routeOptions.url ?? ''}`,
        purpose: 'security',
        at: now().toISOString(),
      }),
    );
  });
  return (request, key) => {
    const at = now().getTime();
    const id = `${request.method} ${request.routeOptions.url ?? ''}\n${key}`;
    const last = lastAudited.get(id);
    if (last !== undefined && at - last < RATE_LIMIT_AUDIT_SECONDS * 1000) return;
    if (lastAudited.size >= RATE_LIMIT_AUDIT_KEYS) {
      for (const [k, t] of lastAudited) if (at - t >= RATE_LIMIT_AUDIT_SECONDS * 1000) lastAudited.delete(k);
      if (lastAudited.size >= RATE_LIMIT_AUDIT_KEYS) lastAudited.clear();
    }
    lastAudited.set(id, at);
    refused.add(request);
  };
}

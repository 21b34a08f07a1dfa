import fs from 'node:fs';
import path from 'node:path';
import { problemDocumentSchema } from '@alcove/core';
import {
  currentMigration,
  findPractice,
  type Keyring,
  type Store,
  unusedRecoveryCodes,
  type Vault,
} from '@alcove/store';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { registerAuditSource, registerRateLimitAudit } from './audit-source.ts';
import { type AuditWatch, createAuditWatch } from './audit-watch.ts';
import { authPlugin } from './auth/plugin.ts';
import { AuthService, DEFAULT_SESSION_POLICY, type SessionPolicy } from './auth/service.ts';
import { createMailer, type Mailer } from './mail.ts';
import { holdAnswersUntilDurable, loggableError, registerProblemHandling, sendProblem } from './problems.ts';
import { requestLogOptions } from './request-log.ts';
import { routeServices } from './route-services.ts';
import { accountRoutes } from './routes/account.ts';
import { authRoutes } from './routes/auth.ts';
import { benchRoutes } from './routes/bench.ts';
import { caseRoutes } from './routes/cases.ts';
import { consentRoutes } from './routes/consents.ts';
import { disclosureRoutes } from './routes/disclosures.ts';
import { healthRoutes } from './routes/health.ts';
import { kioskRoutes } from './routes/kiosk.ts';
import { noteRoutes } from './routes/notes.ts';
import { openapiRoutes } from './routes/openapi.ts';
import { passwordResetRoutes } from './routes/password-reset.ts';
import { peopleRoutes } from './routes/people.ts';
import { portalRoutes } from './routes/portal.ts';
import { practiceRoutes } from './routes/practices.ts';
import { profileRoutes } from './routes/profile.ts';
import { recordRoutes } from './routes/records.ts';
import { referralRoutes } from './routes/referrals.ts';
import { releaseRoutes } from './routes/releases.ts';
import { researchRoutes } from './routes/research.ts';
import { sessionRoutes } from './routes/sessions.ts';
import { settingsRoutes } from './routes/settings.ts';
import { supervisionRoutes } from './routes/supervision.ts';
import {
  fastifyTimeouts,
  type RequestLimitOptions,
  refuseSlowBodies,
  requestLimits,
  setNodeServerTimeouts,
} from './slow-requests.ts';
import { findNonStrictObjects } from './strict-schemas.ts';
import { ALCOVE_VERSION } from './version.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** What routes may know of the installation without a request context. */
    alcove: {
      engine: Store['engine'];
      schemaVersion: () => Promise<string>;
      /** Every route registered, for the authorisation matrix test. */
      routes: { method: string; url: string }[];
      /** Sends what the outbox holds. */
      mailer: Mailer;
      /** The daily check of the audit log against the witness, and the daily digest. */
      auditWatch: AuditWatch;
    };
  }
}

export const API_PREFIX = '/api/v1';

const problemResponse = {
  description: 'An RFC 9457 problem document',
  content: {
    'application/problem+json': {
      schema: z.toJSONSchema(problemDocumentSchema, { target: 'draft-2020-12', io: 'output' }),
    },
  },
};
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** Where `npm run build` puts the web app. */
export const DEFAULT_WEB_ROOT = path.resolve(import.meta.dirname, '../../web/dist');

export interface AppOptions {
  readonly store: Store;
  /** The unlocked keyring: Alcove serves nothing confidential without it. */
  readonly keyring: Keyring;
  readonly sessionPolicy?: SessionPolicy;
  /** The clock, for tests of timeouts. */
  readonly now?: () => Date;
  /** Sign-in attempts per address per minute (default 10). */
  readonly signInRateLimit?: number;
  /** Serve HTTPS with these PEM files' contents. */
  readonly https?: { readonly cert: Buffer; readonly key: Buffer };
  /**
   * Behind an HTTPS reverse proxy on this machine: trust its X-Forwarded-* headers from
   * loopback only, so cookies are marked Secure and addresses are the clients'.
   */
  readonly behindProxy?: boolean;
  /** The built web app to serve; undefined serves the API only. */
  readonly webRoot?: string | undefined;
  /** The request log: it never holds a query string, a header's value or a body (request-log.ts). */
  readonly logger?: FastifyServerOptions['logger'];
  readonly bodyLimit?: number;
  /** Header, request, keep-alive and idle timeouts, and the slow-body rule (slow-requests.ts). */
  readonly requestLimits?: RequestLimitOptions;
  /** Send the outbox every so many milliseconds; undefined leaves sending to `app.alcove.mailer.drain()`. */
  readonly mailIntervalMs?: number;
  /** The benchmarks' bare durable-insert route (demo practices only; see routes/bench.ts). */
  readonly benchRoutes?: boolean;
  /**
   * This server's audit witness file (store/witness.ts), which the daily check compares the
   * log with (`app.alcove.auditWatch`; `alcove serve` starts it). Undefined: no check.
   */
  readonly witness?: string | undefined;
}

export type AlcoveApp = FastifyInstance;

export async function buildApp(options: AppOptions): Promise<AlcoveApp> {
  const limits = requestLimits(options.requestLimits);
  const app = Fastify({
    ...(options.https === undefined ? {} : { https: { cert: options.https.cert, key: options.https.key } }),
    ...fastifyTimeouts(limits),
    trustProxy: options.behindProxy === true ? '127.0.0.1/8,::1' : false,
    logger: requestLogOptions(options.logger),
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Ajv is not used for request schemas (zod is), but should a JSON schema ever reach it,
    // it must not coerce types, strip fields or fill defaults either.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false } },
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: false },
  }).withTypeProvider<ZodTypeProvider>();
  setNodeServerTimeouts(app.server, limits);

  const vault: Vault = { db: options.store.db, keyring: options.keyring };
  let schemaVersion: string | undefined;
  const auth = new AuthService(vault, options.sessionPolicy ?? DEFAULT_SESSION_POLICY, options.now);
  // What the handlers outside a request context need from the vault: they never hold it.
  const services = routeServices(vault, auth);
  app.decorate('alcove', {
    engine: options.store.engine,
    // Read once: a running server's schema does not change under it (migrations run before it starts).
    schemaVersion: async () => {
      schemaVersion ??= (await currentMigration(options.store.db)) ?? 'none';
      return schemaVersion;
    },
    routes: [],
    mailer: createMailer(
      options.store,
      options.keyring,
      options.now === undefined ? {} : { now: options.now },
    ),
    auditWatch: createAuditWatch(options.store, options.keyring, {
      witness: options.witness,
      now: options.now,
      onQueued: () => app.alcove.mailer.kick(),
      onError: (error) => app.log.error(loggableError(error), 'The audit watch failed'),
    }),
  });
  if (options.mailIntervalMs !== undefined) app.alcove.mailer.start(options.mailIntervalMs);
  app.addHook('onClose', async () => {
    await app.alcove.auditWatch.stop();
    await app.alcove.mailer.stop();
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: a text/plain body is refused (415) rather than handed to a route as a string.
  app.removeContentTypeParser('text/plain');
  registerProblemHandling(app);
  refuseSlowBodies(app, limits);
  holdAnswersUntilDurable(app, () => options.store.settled());

  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') app.alcove.routes.push({ method, url: route.url });
    }
    for (const part of ['body', 'querystring', 'params', 'headers'] as const) {
      const schema = route.schema?.[part];
      if (schema === undefined || schema === null) continue;
      const loose = findNonStrictObjects(schema as Parameters<typeof findNonStrictObjects>[0]);
      if (loose.length > 0) {
        throw new Error(
          `${route.method} ${route.url}: the ${part} schema has objects that are not strict at ${loose.join(', ')}; use z.strictObject`,
        );
      }
    }
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // Mantine sets CSS variables and some styles inline.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: null,
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Alcove API',
        version: ALCOVE_VERSION,
        description:
          'Practice records for sexual and relationship therapists. Every error is an RFC 9457 problem document (application/problem+json).',
      },
    },
    transform: (input) => {
      const transformed = jsonSchemaTransform(input);
      // Every operation can answer with a problem document; say so in the document.
      const schema = (transformed.schema ?? {}) as { response?: Record<string, unknown> };
      transformed.schema = {
        ...schema,
        response: { ...schema.response, '4XX': problemResponse, '5XX': problemResponse },
      };
      return transformed;
    },
  });

  // Before authentication: every audit event of a request is kept with its address and user agent.
  registerAuditSource(app);
  await app.register(rateLimit, {
    global: false,
    onExceeded: registerRateLimitAudit(app, vault, auth.clock),
  });
  await app.register(authPlugin, { auth, vault });

  await app.register(
    async (api) => {
      // Records are confidential: no API answer is kept by a browser or a proxy.
      api.addHook('onSend', async (_request, reply) => {
        reply.header('cache-control', 'no-store');
      });
      await api.register(healthRoutes);
      await api.register(openapiRoutes);
      await api.register(practiceRoutes, { practiceOf: services.practiceOf });
      await api.register(authRoutes, {
        auth,
        signInRateLimit: options.signInRateLimit ?? 10,
        practiceSummary: async (id) => {
          const practice = await findPractice(vault.db, id);
          return practice === undefined
            ? undefined
            : { id: practice.id, name: practice.name, demo: practice.demo };
        },
        unusedRecoveryCodes: (userId) => unusedRecoveryCodes(vault.db, userId),
      });
      await api.register(accountRoutes, { auth, tokens: services.tokens });
      await api.register(sessionRoutes, { auth });
      await api.register(kioskRoutes, { auth, signInRateLimit: options.signInRateLimit ?? 10 });
      await api.register(recordRoutes);
      await api.register(profileRoutes);
      await api.register(caseRoutes);
      await api.register(consentRoutes);
      await api.register(portalRoutes, {
        portal: services.portal,
        joinRateLimit: options.signInRateLimit ?? 10,
        now: auth.clock,
      });
      await api.register(settingsRoutes);
      await api.register(peopleRoutes, {
        staff: services.staff,
        auth,
        joinRateLimit: options.signInRateLimit ?? 10,
      });
      await api.register(passwordResetRoutes, {
        resets: services.passwordResets,
        auth,
        signInRateLimit: options.signInRateLimit ?? 10,
      });
      await api.register(noteRoutes);
      await api.register(supervisionRoutes);
      await api.register(disclosureRoutes);
      await api.register(referralRoutes);
      await api.register(releaseRoutes);
      await api.register(researchRoutes);
      if (options.benchRoutes === true) await api.register(benchRoutes, { vault, store: options.store });
    },
    { prefix: API_PREFIX },
  );

  const serveWebApp = options.webRoot !== undefined;
  if (options.webRoot !== undefined) {
    await registerWebApp(app, options.webRoot);
  }
  // The web app routes in the browser: a page address that is not a file gets index.html.
  // Anything else unknown, and everything under the API, is a problem document.
  app.setNotFoundHandler((request, reply) => {
    const isPage =
      serveWebApp &&
      (request.method === 'GET' || request.method === 'HEAD') &&
      request.url !== API_PREFIX &&
      !request.url.startsWith(`${API_PREFIX}/`);
    if (!isPage) {
      return sendProblem(reply, request, 'not-found', 'There is nothing at this address.');
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
  return app;
}

async function registerWebApp(app: FastifyInstance, webRoot: string): Promise<void> {
  const indexFile = path.join(webRoot, 'index.html');
  if (!fs.existsSync(indexFile)) {
    throw new Error(`The web app is not built (${indexFile} is missing): run npm run build`);
  }
  await app.register(fastifyStatic, { root: webRoot, wildcard: false, index: false });
}

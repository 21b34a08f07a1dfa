import {
  AlcoveError,
  endKioskSchema,
  kioskContractSchema,
  kioskSignatureSchema,
  startKioskSchema,
} from '@alcove/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { clearSessionCookie, contextOf, kioskOf, sessionOf, setSessionCookie } from '../auth/plugin.ts';
import type { AuthService } from '../auth/service.ts';
import { KioskContext } from '../kiosk-context.ts';

/**
 * The signing screen handed to a client in the room. Handing it over locks this browser
 * session to one contract for one client; the auth plugin then refuses every route but
 * the ones marked `kiosk: true` until the practitioner ends it with their password and a
 * current authenticator code.
 */
export const kioskRoutes: FastifyPluginAsyncZod<{ auth: AuthService; signInRateLimit: number }> = async (
  app,
  { auth, signInRateLimit },
) => {
  app.post(
    '/session/kiosk',
    {
      schema: {
        summary:
          'Hand over the signing screen: lock this session to one contract for one client until the practitioner ends it',
        tags: ['kiosk'],
        body: startKioskSchema,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await contextOf(request).as(KioskContext).handOver(sessionOf(request).idHash, request.body);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/session/kiosk',
    {
      config: { kiosk: true },
      schema: {
        summary: 'The signing screen: the contract, and the signer’s own label and name, nothing else',
        tags: ['kiosk'],
        response: { 200: kioskContractSchema },
      },
    },
    async (request) => {
      const { signer, contract, signed } = await contextOf(request)
        .as(KioskContext)
        .contractView(kioskOf(request));
      return {
        signer: {
          clientId: signer.clientId,
          label: signer.label,
          name: signer.identity?.reveal().name ?? null,
        },
        contract: {
          id: contract.id,
          version: contract.version,
          text: contract.text.reveal(),
          textHash: contract.textHash,
          conditions: contract.conditions?.reveal() ?? null,
        },
        signed,
      };
    },
  );

  app.post(
    '/session/kiosk/signature',
    {
      config: { kiosk: true },
      schema: {
        summary: 'Sign the signing screen’s contract as its client, on the text whose hash it names',
        tags: ['kiosk'],
        body: kioskSignatureSchema,
        response: { 201: z.null() },
      },
    },
    async (request, reply) => {
      await contextOf(request)
        .as(KioskContext)
        .sign(kioskOf(request), request.body.textHash, request.body.acknowledgedConditions);
      return reply.code(201).send(null);
    },
  );

  app.post(
    '/session/kiosk/end',
    {
      config: {
        access: 'signing-in',
        kiosk: true,
        rateLimit: { max: signInRateLimit, timeWindow: '1 minute' },
      },
      schema: {
        summary:
          'Return to the practitioner: their password and a current authenticator code end the signing screen',
        tags: ['kiosk'],
        body: endKioskSchema,
        response: { 200: z.strictObject({ csrfToken: z.string() }) },
      },
    },
    async (request, reply) => {
      const result = await auth.endKiosk(sessionOf(request), request.body.password, request.body.code);
      if (result === 'session-ended') {
        clearSessionCookie(request, reply);
        throw new AlcoveError(
          'unauthenticated',
          'Too many wrong attempts: the session has ended. The practitioner signs in again.',
        );
      }
      setSessionCookie(request, reply, result.cookie);
      return { csrfToken: result.csrfToken };
    },
  );
};

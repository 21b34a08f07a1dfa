import {
  AlcoveError,
  clientIdentitySchema,
  consentTypeSchema,
  daySchema,
  unreadableSchema,
} from '@alcove/core';
import { unreadableOf } from '@alcove/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf } from '../auth/plugin.ts';
import { contractPdf, sendPdf } from '../pdf.ts';
import { PortalContext } from '../portal-context.ts';
import type { RouteServices } from '../route-services.ts';

const caseParams = z.strictObject({ caseId: z.uuid() });

const contactChannelsSchema = clientIdentitySchema.shape.contactChannels.unwrap();

const portalSchema = z.strictObject({
  practiceName: z.string(),
  /** Whose portal this is: the client's own, or their appropriate adult's view of it (GT-27). */
  viewer: z.enum(['client', 'appropriate-adult']),
  me: z.strictObject({
    name: z.string(),
    preferredName: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    contactChannels: contactChannelsSchema,
  }),
  cases: z.array(
    z.strictObject({
      id: z.string(),
      kind: z.string(),
      status: z.string(),
      myLabel: z.string(),
      practitionerName: z.string(),
      contract: z
        .strictObject({
          id: z.string(),
          version: z.number().int(),
          /** The text, or the integrity message where it failed its check (`unreadable`). */
          text: z.string(),
          unreadable: unreadableSchema,
          textHash: z.string(),
          createdAt: z.iso.datetime(),
          conditions: z.string().nullable(),
          /** When and how this client signed the current version, if they have. */
          mySignature: z.strictObject({ signedAt: z.iso.datetime(), mode: z.string() }).nullable(),
          signedByAll: z.boolean(),
        })
        .nullable(),
    }),
  ),
});

const consentSchema = z.strictObject({
  id: z.string(),
  type: consentTypeSchema,
  caseId: z.string().nullable(),
  recipient: z.string().nullable(),
  /** Of the recipient: null when read (or there is none). */
  unreadable: unreadableSchema,
  givenOn: daySchema,
  givenBy: z.string(),
  mode: z.string(),
  withdrawnOn: daySchema.nullable(),
});

/**
 * The client portal. Every route here acts on the signed-in client's own record: none
 * takes a client id, so one partner cannot even name the other's record.
 */
export const portalRoutes: FastifyPluginAsyncZod<{
  portal: RouteServices['portal'];
  joinRateLimit: number;
  now: () => Date;
}> = async (app, { portal, joinRateLimit, now }) => {
  app.post(
    '/portal/join',
    {
      config: { access: 'public', rateLimit: { max: joinRateLimit, timeWindow: '1 minute' } },
      schema: {
        summary: 'Take up a portal invitation: choose a password (then sign in and set up a code)',
        tags: ['portal'],
        body: z.strictObject({
          token: z.string().min(20).max(200),
          password: z.string().min(1).max(1024),
        }),
        response: { 201: z.null() },
      },
    },
    async (request, reply) => {
      await portal.join({
        token: request.body.token,
        password: request.body.password,
        now: now().toISOString(),
      });
      return reply.code(201).send(null);
    },
  );

  app.get(
    '/portal',
    {
      schema: {
        summary: 'The signed-in client’s own details and cases, with each current contract',
        tags: ['portal'],
        response: { 200: portalSchema },
      },
    },
    async (request) => {
      const portal = contextOf(request).as(PortalContext);
      const identity = (await portal.identity()).reveal();
      const me = request.context?.actor.clientId;
      return {
        practiceName: await portal.practiceName(),
        viewer: portal.isAppropriateAdult ? ('appropriate-adult' as const) : ('client' as const),
        me: {
          name: identity.name,
          preferredName: identity.preferredName ?? null,
          email: identity.email ?? null,
          phone: identity.phone ?? null,
          contactChannels: identity.contactChannels ?? [],
        },
        cases: (await portal.cases()).map((c) => {
          const mine = c.contract?.signatures.find((s) => s.signerKind === 'client' && s.signerId === me);
          return {
            id: c.facts.caseId,
            kind: c.facts.kind,
            status: c.facts.status,
            myLabel: c.myLabel,
            practitionerName: c.practitionerName,
            contract:
              c.contract === undefined
                ? null
                : {
                    id: c.contract.id,
                    version: c.contract.version,
                    text: c.contract.text.reveal(),
                    unreadable: c.contract.unreadable,
                    textHash: c.contract.textHash,
                    createdAt: c.contract.createdAt,
                    conditions: c.contract.conditions?.reveal() ?? null,
                    mySignature: mine === undefined ? null : { signedAt: mine.signedAt, mode: mine.mode },
                    signedByAll: c.contract.signedByAll,
                  },
          };
        }),
      };
    },
  );

  app.post(
    '/portal/cases/:caseId/signatures',
    {
      schema: {
        summary: 'Sign the current contract of one of your cases, on the text whose hash it names',
        tags: ['portal'],
        params: caseParams,
        body: z.strictObject({
          contractId: z.uuid(),
          textHash: z.string().regex(/^[0-9a-f]{64}$/, 'The SHA-256 of the text shown'),
          acknowledgedConditions: z.boolean(),
        }),
        response: { 201: z.strictObject({ signedByAll: z.boolean() }) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await contextOf(request).as(PortalContext).signContract(request.params.caseId, request.body)),
  );

  app.get(
    '/portal/cases/:caseId/contract.pdf',
    {
      schema: {
        summary: 'Your copy of the current contract, as a PDF',
        tags: ['portal'],
        params: caseParams,
      },
    },
    async (request, reply) => {
      const portal = contextOf(request).as(PortalContext);
      const me = request.context?.actor.clientId;
      const found = await portal.contract(request.params.caseId);
      const contract = found.contract;
      if (contract === undefined) throw new AlcoveError('not-found', 'This case has no contract yet.');
      const myName = (await portal.identity()).reveal().name;
      // The other clients appear by their place in the case only.
      const pdf = await contractPdf({
        practiceName: await portal.practiceName(),
        practitionerName: found.practitionerName,
        contract,
        facts: found.facts,
        nameOf: (clientId, label) => (clientId === me ? myName : label),
      });
      return sendPdf(reply, pdf, `contract-v${contract.version}.pdf`);
    },
  );

  app.get(
    '/portal/consents',
    {
      schema: {
        summary: 'Your own consents',
        tags: ['portal'],
        response: { 200: z.strictObject({ consents: z.array(consentSchema) }) },
      },
    },
    async (request) => ({
      consents: (await contextOf(request).as(PortalContext).consents()).map((c) => ({
        id: c.id,
        type: c.type as z.infer<typeof consentTypeSchema>,
        caseId: c.caseId,
        recipient: c.recipient?.ok === true ? c.recipient.value.reveal() : null,
        unreadable: c.recipient === null ? null : unreadableOf(c.recipient),
        givenOn: c.givenOn,
        givenBy: c.givenBy,
        mode: c.mode,
        withdrawnOn: c.withdrawnOn,
      })),
    }),
  );

  app.post(
    '/portal/consents',
    {
      schema: {
        summary: 'Give a consent of your own, from today (an appropriate adult gives theirs, GT-27)',
        tags: ['portal'],
        body: z.strictObject({
          type: consentTypeSchema,
          caseId: z.uuid().optional(),
          recipient: z.string().trim().min(1).max(300).optional(),
        }),
        response: { 201: z.strictObject({ id: z.string() }) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await contextOf(request).as(PortalContext).giveConsent(request.body)),
  );

  app.post(
    '/portal/consents/:consentId/withdraw',
    {
      schema: {
        summary: 'Withdraw one of your consents, from today',
        tags: ['portal'],
        params: z.strictObject({ consentId: z.uuid() }),
        body: z.strictObject({}),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await contextOf(request).as(PortalContext).withdrawConsent(request.params.consentId);
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/portal/contact-channels',
    {
      schema: {
        summary: 'Say how you may be contacted, and mark a shared inbox or phone as unsafe',
        tags: ['portal'],
        body: z.strictObject({ contactChannels: contactChannelsSchema }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await contextOf(request).as(PortalContext).setContactChannels(request.body.contactChannels);
      return reply.code(204).send(null);
    },
  );
};

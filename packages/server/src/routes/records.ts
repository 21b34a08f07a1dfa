import { clientIdentitySchema, newCaseSchema, newEntrySchema, unreadableSchema } from '@alcove/core';
import { type RecordCase, unreadableOf } from '@alcove/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf } from '../auth/plugin.ts';
import { CasesContext } from '../cases-context.ts';
import { IntakeContext } from '../intake-context.ts';
import { newClientWithDecisionsSchema } from './cases.ts';

const clientParams = z.strictObject({ clientId: z.uuid() });
const caseParams = z.strictObject({ caseId: z.uuid() });

const clientSummarySchema = z.strictObject({
  id: z.string(),
  name: z.string().nullable().describe('null when the client’s identity failed its integrity check'),
  unreadable: unreadableSchema,
  createdAt: z.iso.datetime(),
});
const clientListSchema = z.strictObject({ clients: z.array(clientSummarySchema) });
const participantSchema = z.strictObject({ id: z.string(), clientId: z.string(), label: z.string() });
const caseSchema = z.strictObject({
  id: z.string(),
  kind: z.string(),
  participants: z.array(participantSchema),
});
const recordSchema = z.strictObject({
  cases: z.array(
    z.strictObject({
      id: z.string(),
      kind: z.string(),
      status: z.string(),
      pseudonym: z.string(),
      openedAt: z.iso.datetime(),
      participants: z.array(participantSchema),
      entries: z.array(
        z.strictObject({
          id: z.string(),
          kind: z.string(),
          authorId: z.string(),
          occurredAt: z.iso.datetime(),
          writtenAt: z.iso.datetime(),
          passages: z.array(
            z.strictObject({
              position: z.number().int(),
              attribution: z.array(z.string()),
              id: z.string(),
              text: z
                .string()
                .nullable()
                .describe('null when it cannot be read: `unreadable` says why (never its bytes)'),
              unreadable: unreadableSchema,
            }),
          ),
        }),
      ),
    }),
  ),
});
const accessEventSchema = z.strictObject({
  seq: z.number().int(),
  at: z.iso.datetime(),
  actorName: z.string().nullable(),
  action: z.string(),
  outcome: z.string(),
  purpose: z.string().nullable(),
});

// Presenters: field by field, revealing confidential values on purpose, here only.
function presentRecord(cases: readonly RecordCase[]): z.infer<typeof recordSchema> {
  return {
    cases: cases.map((c) => ({
      id: c.id,
      kind: c.kind,
      status: c.status,
      pseudonym: c.pseudonym,
      openedAt: c.openedAt,
      participants: c.participants.map((p) => ({ id: p.id, clientId: p.clientId, label: p.label })),
      entries: c.entries.map((e) => ({
        id: e.id,
        kind: e.kind,
        authorId: e.authorId,
        occurredAt: e.occurredAt,
        writtenAt: e.writtenAt,
        passages: e.passages.map((p) => ({
          position: p.position,
          attribution: [...p.attribution],
          id: p.id,
          text: p.text.ok ? p.text.value.reveal() : null,
          unreadable: unreadableOf(p.text),
        })),
      })),
    })),
  };
}

/** Clients as the list shows them: an id, a name (or why it cannot be read), when taken on. */
function presentClientList(
  clients: Awaited<ReturnType<IntakeContext['listClients']>>,
): z.infer<typeof clientListSchema> {
  return {
    clients: clients.map((c) => ({
      id: c.id,
      name: c.identity.ok ? c.identity.value.reveal().name : null,
      unreadable: unreadableOf(c.identity),
      createdAt: c.createdAt,
    })),
  };
}

export const recordRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/clients',
    {
      schema: {
        summary: 'Clients you may see (yours; all for an administrator)',
        tags: ['clients'],
        // No query at all: a search by name is POST /clients/search, and `?name=` is refused
        // rather than quietly ignored.
        querystring: z.strictObject({}),
        response: { 200: clientListSchema },
      },
    },
    async (request) => presentClientList(await contextOf(request).as(IntakeContext).listClients()),
  );

  // A name never goes in a URL: a URL is kept in access logs, proxies and the browser's history.
  app.post(
    '/clients/search',
    {
      // It only reads: a read-only API token may search.
      config: { reads: true },
      schema: {
        summary: 'Find clients you may see by full name (compared through a keyed index)',
        tags: ['clients'],
        body: z.strictObject({
          name: z.string().trim().min(1).max(200).describe('The full name, in any case or accents'),
        }),
        response: { 200: clientListSchema },
      },
    },
    async (request) =>
      presentClientList(await contextOf(request).as(IntakeContext).listClients(request.body.name)),
  );

  app.post(
    '/clients',
    {
      schema: {
        summary: 'Take on a client, after the conflict check (GT-28, GT-32)',
        tags: ['clients'],
        body: newClientWithDecisionsSchema,
        response: { 201: z.strictObject({ id: z.string() }) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(
        await contextOf(request)
          .as(IntakeContext)
          .createClient(request.body.identity, request.body.conflictDecisions ?? []),
      ),
  );

  app.get(
    '/clients/:clientId',
    {
      schema: {
        summary: 'A client’s identity and contact details',
        tags: ['clients'],
        params: clientParams,
        response: {
          200: z.strictObject({
            id: z.string(),
            identity: clientIdentitySchema
              .nullable()
              .describe('null when it failed its integrity check (`unreadable`: "tampered")'),
            unreadable: unreadableSchema,
          }),
        },
      },
    },
    async (request) => {
      const identity = await contextOf(request).as(IntakeContext).readClientIdentity(request.params.clientId);
      return {
        id: request.params.clientId,
        identity: identity.ok ? identity.value.reveal() : null,
        unreadable: unreadableOf(identity),
      };
    },
  );

  app.get(
    '/clients/:clientId/record',
    {
      schema: {
        summary: 'A client’s clinical record (the treating practitioner only)',
        tags: ['clients'],
        params: clientParams,
        response: { 200: recordSchema },
      },
    },
    async (request) =>
      presentRecord(await contextOf(request).as(CasesContext).readClientRecord(request.params.clientId)),
  );

  app.get(
    '/clients/:clientId/access',
    {
      schema: {
        summary: 'Who has read or changed this client’s records',
        tags: ['clients'],
        params: clientParams,
        response: { 200: z.strictObject({ events: z.array(accessEventSchema) }) },
      },
    },
    async (request) => {
      const events = await contextOf(request).as(IntakeContext).readAccessHistory(request.params.clientId);
      return {
        events: events.map((e) => ({
          seq: e.seq,
          at: e.at,
          actorName: e.actorName?.reveal() ?? null,
          action: e.action,
          outcome: e.outcome,
          purpose: e.purpose,
        })),
      };
    },
  );

  app.post(
    '/cases',
    {
      schema: {
        summary: 'Open a case for one or more of your clients',
        tags: ['cases'],
        body: newCaseSchema,
        response: { 201: caseSchema },
      },
    },
    async (request, reply) => {
      const opened = await contextOf(request)
        .as(CasesContext)
        .openCase(request.body.kind, request.body.clientIds, request.body.format);
      return reply.code(201).send({
        id: opened.caseId,
        kind: opened.kind,
        participants: opened.participants.map((p) => ({ id: p.id, clientId: p.clientId, label: p.label })),
      });
    },
  );

  app.post(
    '/cases/:caseId/entries',
    {
      schema: {
        summary: 'Add an entry, passage by passage with its attribution',
        tags: ['cases'],
        params: caseParams,
        body: newEntrySchema,
        response: { 201: z.strictObject({ id: z.string() }) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await contextOf(request).as(CasesContext).addEntry(request.params.caseId, request.body)),
  );
};

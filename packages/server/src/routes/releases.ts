import {
  identifierKinds,
  newReleaseRequestSchema,
  type ReleaseBasis,
  releaseBasisLabels,
  unreadableSchema,
} from '@alcove/core';
import { unreadableOf } from '@alcove/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf } from '../auth/plugin.ts';
import { sendPdf } from '../pdf.ts';
import { PortalContext } from '../portal-context.ts';
import { ReleasesContext } from '../releases-context.ts';

const choicesSchema = z.strictObject({
  /** Passages to withhold beyond what the rules withhold, each with the practitioner's reason. */
  withhold: z
    .array(z.strictObject({ ref: z.string().max(80), reason: z.string().trim().min(3).max(1000) }))
    .max(2000)
    .optional(),
  /** For a formal accusation: the only passages released (PG5-6a). */
  include: z.array(z.string().max(80)).max(2000).optional(),
});
type Choices = z.infer<typeof choicesSchema>;
const toChoices = (body: Choices) => ({
  withhold: new Map((body.withhold ?? []).map((w) => [w.ref, w.reason])),
  include: new Set(body.include ?? []),
});

const requestParams = z.strictObject({ requestId: z.uuid() });

/** Confidential releases: the register, the preview, issuing, and the release log. */
export const releaseRoutes: FastifyPluginAsyncZod = async (app) => {
  const releases = (request: Parameters<typeof contextOf>[0]) => contextOf(request).as(ReleasesContext);

  app.post(
    '/release-requests',
    {
      schema: {
        summary: 'Register a request for a client’s records, with its legal basis',
        tags: ['releases'],
        body: newReleaseRequestSchema,
        response: { 201: z.strictObject({ id: z.string() }) },
      },
    },
    async (request, reply) => reply.code(201).send(await releases(request).register(request.body)),
  );

  app.get(
    '/release-requests',
    {
      schema: {
        summary: 'Requests for your clients’ records, with their deadlines',
        tags: ['releases'],
        response: {
          200: z.strictObject({
            requests: z.array(
              z.strictObject({
                id: z.string(),
                clientId: z.string(),
                clientName: z.string(),
                basis: z.string(),
                basisLabel: z.string(),
                requester: z.string().nullable(),
                /** Of the requester: null when read (or the client asked). */
                unreadable: unreadableSchema,
                receivedOn: z.iso.date(),
                dueOn: z.iso.date().nullable(),
                status: z.enum(['received', 'issued']),
                overdue: z.boolean(),
                viaPortal: z.boolean(),
                releaseId: z.string().nullable(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => ({
      requests: (await releases(request).requests()).map(({ request: r, clientName, overdue }) => ({
        id: r.id,
        clientId: r.clientId,
        clientName,
        basis: r.basis,
        basisLabel: releaseBasisLabels[r.basis as ReleaseBasis] ?? r.basis,
        requester: r.requester?.ok === true ? r.requester.value.reveal() : null,
        unreadable: r.requester === null ? null : unreadableOf(r.requester),
        receivedOn: r.receivedOn,
        dueOn: r.dueOn,
        status: r.status,
        overdue,
        viaPortal: r.viaPortal,
        releaseId: r.releaseId,
      })),
    }),
  );

  app.post(
    '/release-requests/:requestId/preview',
    {
      schema: {
        summary: 'What the release would hold today, and what it withholds and why; nothing is issued',
        tags: ['releases'],
        params: requestParams,
        body: choicesSchema,
        response: {
          200: z.strictObject({
            passages: z.array(
              z.strictObject({
                ref: z.string(),
                what: z.string(),
                about: z.string(),
                /** The text as released: each redaction shown in place by its marker ("[Partner B’s address]"). */
                text: z.string(),
                /** What redaction took out of it, each marker once, for the practitioner to read in context. */
                redactions: z.array(
                  z.strictObject({
                    label: z.string(),
                    kind: z.enum(identifierKinds),
                    marker: z.string(),
                    count: z.number().int(),
                  }),
                ),
                included: z.boolean(),
                reason: z.string().nullable(),
              }),
            ),
            /** Every section as it will be issued: its heading and each item (label and text). */
            sections: z.array(
              z.strictObject({
                heading: z.string(),
                count: z.number().int(),
                items: z.array(z.strictObject({ label: z.string().nullable(), text: z.string() })),
              }),
            ),
            withheld: z.array(z.strictObject({ what: z.string(), clause: z.string(), reason: z.string() })),
          }),
        },
      },
    },
    async (request) => {
      const assembly = await releases(request).preview(request.params.requestId, toChoices(request.body));
      return {
        passages: assembly.passages.map((p) => ({
          ref: p.ref,
          what: p.what,
          about: p.about,
          text: p.text,
          redactions: p.redactions.map((r) => ({
            label: r.label,
            kind: r.kind,
            marker: r.marker,
            count: r.count,
          })),
          included: p.included,
          reason: p.reason,
        })),
        sections: assembly.pdf.sections.map((s) => ({
          heading: s.heading,
          count: s.items.length,
          items: s.items.map((item) => ({ label: item.label ?? null, text: item.text })),
        })),
        withheld: [...assembly.withheld],
      };
    },
  );

  app.post(
    '/release-requests/:requestId/issue',
    {
      schema: {
        summary:
          'Issue the release: the PDF is kept exactly as issued, with its hash and the consents relied on',
        tags: ['releases'],
        params: requestParams,
        body: choicesSchema,
        response: { 201: z.strictObject({ id: z.string(), sha256: z.string(), fhirSha256: z.string() }) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await releases(request).issue(request.params.requestId, toChoices(request.body))),
  );

  app.get(
    '/releases/:releaseId/pdf',
    {
      schema: {
        summary: 'An issued release, produced again exactly as issued',
        tags: ['releases'],
        params: z.strictObject({ releaseId: z.uuid() }),
      },
    },
    async (request, reply) =>
      sendPdf(reply, (await releases(request).release(request.params.releaseId)).pdf, 'release.pdf'),
  );

  app.get(
    '/releases/:releaseId/fhir',
    {
      schema: {
        summary: 'An issued release as a FHIR R4 Bundle, exactly as issued',
        tags: ['releases'],
        params: z.strictObject({ releaseId: z.uuid() }),
      },
    },
    async (request, reply) =>
      reply
        .header('content-type', 'application/fhir+json')
        .send((await releases(request).release(request.params.releaseId)).fhir),
  );

  app.post(
    '/portal/release-requests',
    {
      schema: {
        summary: 'Ask for a copy of your records (your right of access; answered within one month)',
        tags: ['portal'],
        body: z.strictObject({}),
        response: { 201: z.strictObject({ id: z.string() }) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await contextOf(request).as(PortalContext).requestAccess()),
  );

  app.get(
    '/portal/releases',
    {
      schema: {
        summary: 'Your requests for your records, and the copies issued to you',
        tags: ['portal'],
        response: {
          200: z.strictObject({
            requests: z.array(
              z.strictObject({
                id: z.string(),
                receivedOn: z.iso.date(),
                dueOn: z.iso.date().nullable(),
                status: z.enum(['received', 'issued']),
                releaseId: z.string().nullable(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => ({
      requests: (await contextOf(request).as(PortalContext).myRequests()).map((r) => ({
        id: r.id,
        receivedOn: r.receivedOn,
        dueOn: r.dueOn,
        status: r.status,
        releaseId: r.releaseId,
      })),
    }),
  );

  app.get(
    '/portal/releases/:releaseId/fhir',
    {
      schema: {
        summary: 'Your copy of your records as a FHIR R4 Bundle, for another system',
        tags: ['portal'],
        params: z.strictObject({ releaseId: z.uuid() }),
      },
    },
    async (request, reply) =>
      reply
        .header('content-type', 'application/fhir+json')
        .send((await contextOf(request).as(PortalContext).myRelease(request.params.releaseId)).fhir),
  );

  app.get(
    '/portal/releases/:releaseId/pdf',
    {
      schema: {
        summary: 'Your copy of your records, as issued',
        tags: ['portal'],
        params: z.strictObject({ releaseId: z.uuid() }),
      },
    },
    async (request, reply) =>
      sendPdf(
        reply,
        (await contextOf(request).as(PortalContext).myRelease(request.params.releaseId)).pdf,
        'release.pdf',
      ),
  );
};

import {
  clientIdentitySchema,
  contractTemplateSchema,
  deliverySchema,
  mailSettingsSchema,
  messagePurposeLabels,
  recipientKinds,
  type Unreadable,
  unreadableReasons,
  unreadableSchema,
  withheldReasons,
} from '@alcove/core';
import { UNREADABLE_MESSAGE_ERRORS } from '@alcove/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf } from '../auth/plugin.ts';
import { MailContext } from '../mail-context.ts';
import { PracticeContext } from '../practice-context.ts';

const outboxEntrySchema = z.strictObject({
  id: z.string(),
  /** A client, a staff member, or the practice itself (its first administrator). */
  recipientKind: z.enum(recipientKinds),
  /** The staff member a staff message is for. */
  recipientUserId: z.string().nullable(),
  staffName: z.string().nullable(),
  clientId: z.string().nullable(),
  clientName: z.string().nullable(),
  purpose: z.string(),
  purposeLabel: z.string(),
  status: z.enum(['queued', 'sent', 'captured', 'failed', 'withheld']),
  withheldReason: z.string().nullable(),
  attempts: z.number().int(),
  nextAttemptAt: z.iso.datetime().nullable(),
  lastError: z.string().nullable(),
  /** A message that failed because it could not be read: "tampered" (its integrity check) or "shredded". */
  unreadable: unreadableSchema,
  createdAt: z.iso.datetime(),
  sentAt: z.iso.datetime().nullable(),
});

/** Why a failed message could not be read, from the words it failed with (store/outbox-sending.ts). */
function unreadableMessage(status: string, lastError: string | null): Unreadable | null {
  if (status !== 'failed') return null;
  for (const reason of unreadableReasons) {
    if (UNREADABLE_MESSAGE_ERRORS[reason] === lastError) return reason;
  }
  return null;
}

/**
 * The practice around the records: e-mail settings and the outbox, the organisation's
 * conditions (GT-36d), contract templates, and a client's contact safety and portal access.
 */
export const settingsRoutes: FastifyPluginAsyncZod = async (app) => {
  const practice = (request: Parameters<typeof contextOf>[0]) => contextOf(request).as(PracticeContext);
  const mail = (request: Parameters<typeof contextOf>[0]) => contextOf(request).as(MailContext);

  app.get(
    '/settings/mail',
    {
      schema: {
        summary: 'How e-mail leaves Alcove (the SMTP password is never shown)',
        tags: ['settings'],
        response: {
          200: z.strictObject({ settings: mailSettingsSchema.nullable(), hasPassword: z.boolean() }),
        },
      },
    },
    async (request) => mail(request).mailSettings(),
  );

  app.put(
    '/settings/mail',
    {
      schema: {
        summary: 'Set how e-mail leaves Alcove; an SMTP password left out keeps the saved one',
        tags: ['settings'],
        body: mailSettingsSchema,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await mail(request).setMailSettings(request.body);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/settings/audit-digest',
    {
      schema: {
        summary: 'Whether the practice is e-mailed the audit log’s fingerprint once a day',
        tags: ['settings'],
        response: { 200: z.strictObject({ enabled: z.boolean() }) },
      },
    },
    async (request) => ({ enabled: await practice(request).auditDigest() }),
  );

  app.put(
    '/settings/audit-digest',
    {
      schema: {
        summary:
          'Turn the daily audit digest on or off (administrators): the newest checkpoint’s event number and fingerprint, e-mailed to the practice’s first administrator once a day',
        tags: ['settings'],
        body: z.strictObject({ enabled: z.boolean() }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await practice(request).setAuditDigest(request.body.enabled);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/settings/late-entry',
    {
      schema: {
        summary: 'Hours after a session ends beyond which its note is marked late (GT-38)',
        tags: ['settings'],
        response: { 200: z.strictObject({ hours: z.number().int() }) },
      },
    },
    async (request) => ({ hours: await practice(request).lateEntryHours() }),
  );

  app.put(
    '/settings/late-entry',
    {
      schema: {
        summary: 'Set the hours after which a note is marked late (1 to 168; Alcove’s default is 24)',
        tags: ['settings'],
        body: z.strictObject({ hours: z.number().int().min(1).max(168) }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await practice(request).setLateEntryHours(request.body.hours);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/settings/organisation-conditions',
    {
      schema: {
        summary:
          'The conditions under which the organisation delivers therapy, shown with every contract (GT-36d)',
        tags: ['settings'],
        response: { 200: z.strictObject({ conditions: z.string().nullable() }) },
      },
    },
    async (request) => ({ conditions: await practice(request).organisationConditions() }),
  );

  app.put(
    '/settings/organisation-conditions',
    {
      schema: {
        summary: 'Set the organisation’s conditions, or null where the practitioner holds the contract',
        tags: ['settings'],
        body: z.strictObject({ conditions: z.string().trim().min(20).max(20_000).nullable() }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await practice(request).setOrganisationConditions(request.body.conditions);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/settings/contract-templates',
    {
      schema: {
        summary: 'The practice’s contract templates, newest version of each',
        tags: ['settings'],
        response: {
          200: z.strictObject({
            templates: z.array(
              z.strictObject({
                id: z.string(),
                name: z.string(),
                version: z.number().int(),
                body: z.string(),
                createdAt: z.string(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => ({ templates: await practice(request).templates() }),
  );

  app.post(
    '/settings/contract-templates',
    {
      schema: {
        summary:
          'Save a template: a new version of its name. It keeps every section the Code asks for (GT-36b, GT-36c)',
        tags: ['settings'],
        body: contractTemplateSchema,
        response: { 201: z.strictObject({ id: z.string(), version: z.number().int() }) },
      },
    },
    async (request, reply) => reply.code(201).send(await practice(request).saveTemplate(request.body)),
  );

  app.get(
    '/outbox',
    {
      schema: {
        summary: 'Messages Alcove has sent, is sending, could not send, or withheld',
        tags: ['settings'],
        response: {
          200: z.strictObject({ mailSetUp: z.boolean(), messages: z.array(outboxEntrySchema) }),
        },
      },
    },
    async (request) => {
      const { entries, names, staffNames, mailSetUp } = await mail(request).outbox();
      return {
        mailSetUp,
        messages: entries.map((e) => ({
          ...e,
          staffName: e.recipientUserId === null ? null : (staffNames.get(e.recipientUserId) ?? null),
          clientName: e.clientId === null ? null : (names.get(e.clientId) ?? null),
          unreadable: unreadableMessage(e.status, e.lastError),
          purposeLabel: messagePurposeLabels[e.purpose as keyof typeof messagePurposeLabels] ?? e.purpose,
          withheldReason: e.withheldReason === null ? null : withheldReasons[e.withheldReason],
        })),
      };
    },
  );

  app.post(
    '/outbox/:messageId/retry',
    {
      schema: {
        summary: 'Send a failed message again',
        tags: ['settings'],
        params: z.strictObject({ messageId: z.uuid() }),
        body: z.strictObject({}),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await mail(request).retryMessage(request.params.messageId);
      request.server.alcove.mailer.kick();
      return reply.code(204).send(null);
    },
  );

  const clientParams = z.strictObject({ clientId: z.uuid() });

  app.get(
    '/clients/:clientId/portal',
    {
      schema: {
        summary: 'Whether the client has a portal account, or an invitation waiting',
        tags: ['clients'],
        params: clientParams,
        response: {
          200: z.strictObject({ account: z.boolean(), invitedUntil: z.iso.datetime().nullable() }),
        },
      },
    },
    async (request) => practice(request).portalStatus(request.params.clientId),
  );

  app.post(
    '/clients/:clientId/appropriate-adult-invitations',
    {
      schema: {
        summary: 'Invite a young person’s appropriate adult to the portal, by their own address (GT-27)',
        tags: ['clients'],
        params: clientParams,
        body: z.strictObject({ name: z.string().trim().min(1).max(200), email: z.email().max(320) }),
        response: {
          201: z.strictObject({
            outcome: z.enum(['invited', 'withheld']),
            withheldReason: z.string().nullable(),
            /** 'shown-once': the practice's e-mail is captured, and `link` is the portal join link, shown here only. */
            delivery: deliverySchema.nullable(),
            link: z.string().nullable(),
          }),
        },
      },
    },
    async (request, reply) => {
      const result = await practice(request).inviteAppropriateAdult(request.params.clientId, request.body);
      request.server.alcove.mailer.kick();
      return reply.code(201).send({
        outcome: result.outcome,
        withheldReason: result.withheldReason === null ? null : withheldReasons[result.withheldReason],
        delivery: result.delivery,
        link: result.link,
      });
    },
  );

  app.put(
    '/clients/:clientId/contact-safety',
    {
      schema: {
        summary: 'Record which channels are safe, and raise or lower the safety flag',
        tags: ['clients'],
        params: clientParams,
        body: z.strictObject({
          contactChannels: clientIdentitySchema.shape.contactChannels,
          safetyFlag: z.boolean(),
        }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await practice(request).setContact(request.params.clientId, {
        contactChannels: request.body.contactChannels,
        safetyFlag: request.body.safetyFlag,
      });
      return reply.code(204).send(null);
    },
  );
};

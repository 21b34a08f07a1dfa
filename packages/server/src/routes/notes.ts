import {
  newAddendumSchema,
  newNoteSchema,
  newStructuredEntrySchema,
  noteDraftSchema,
  unreadableSchema,
} from '@alcove/core';
import { unreadableOf } from '@alcove/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf } from '../auth/plugin.ts';
import { NotesContext } from '../notes-context.ts';

const noteSchema = z.strictObject({
  id: z.string(),
  kind: z.string(),
  authorId: z.string(),
  sessionId: z.string().nullable(),
  status: z.enum(['draft', 'signed']),
  occurredAt: z.iso.datetime(),
  writtenAt: z.iso.datetime(),
  signedAt: z.iso.datetime().nullable(),
  late: z.boolean(),
  amendsId: z.string().nullable(),
  amendReason: z.string().nullable(),
  /** Of the reason for an addendum: null when read (or there is none). */
  amendReasonUnreadable: unreadableSchema,
  passages: z.array(
    z.strictObject({
      position: z.number().int(),
      section: z.string().nullable(),
      attribution: z.array(z.string()),
      html: z.string().nullable().describe('null when it cannot be read: `unreadable` says why'),
      unreadable: unreadableSchema,
    }),
  ),
});

const noteParams = z.strictObject({ noteId: z.uuid() });

/**
 * Session notes: drafts (autosaved, private to their author), signing, addenda. There is
 * no route that changes or deletes a signed note; the ones that change drafts refuse it.
 */
export const noteRoutes: FastifyPluginAsyncZod = async (app) => {
  const notes = (request: Parameters<typeof contextOf>[0]) => contextOf(request).as(NotesContext);

  app.get(
    '/cases/:caseId/notes',
    {
      schema: {
        summary: 'A case’s signed notes and addenda, and your own drafts',
        tags: ['notes'],
        params: z.strictObject({ caseId: z.uuid() }),
        response: { 200: z.strictObject({ notes: z.array(noteSchema) }) },
      },
    },
    async (request) => ({
      notes: (await notes(request).list(request.params.caseId)).map((n) => ({
        ...n,
        amendReason: n.amendReason?.ok === true ? n.amendReason.value.reveal() : null,
        amendReasonUnreadable: n.amendReason === null ? null : unreadableOf(n.amendReason),
        passages: n.passages.map((p) => ({
          position: p.position,
          section: p.section,
          attribution: [...p.attribution],
          html: p.text.ok ? p.text.value.reveal() : null,
          unreadable: unreadableOf(p.text),
        })),
      })),
    }),
  );

  app.post(
    '/cases/:caseId/notes',
    {
      schema: {
        summary: 'Start a note on a session that has taken place (GT-38), as a private draft',
        tags: ['notes'],
        params: z.strictObject({ caseId: z.uuid() }),
        body: newNoteSchema,
        response: { 201: z.strictObject({ id: z.string() }) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await notes(request).create(request.params.caseId, request.body)),
  );

  app.post(
    '/cases/:caseId/structured-entries',
    {
      schema: {
        summary:
          'Write an assessment (GT-21a, GT-22g), a risk assessment (GT-47–GT-49) or a planned ending that closes the case (GT-84)',
        tags: ['notes'],
        params: z.strictObject({ caseId: z.uuid() }),
        body: newStructuredEntrySchema,
        response: { 201: z.strictObject({ id: z.string() }) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await notes(request).structured(request.params.caseId, request.body)),
  );

  app.put(
    '/notes/:noteId',
    {
      schema: {
        summary: 'Save a draft (autosave); a signed note is never changed (GT-98)',
        tags: ['notes'],
        params: noteParams,
        body: noteDraftSchema,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await notes(request).saveDraft(request.params.noteId, request.body.passages);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/notes/:noteId',
    {
      schema: {
        summary: 'Discard a draft; a signed note is never deleted (GT-98)',
        tags: ['notes'],
        params: noteParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await notes(request).delete(request.params.noteId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/notes/:noteId/sign',
    {
      schema: {
        summary: 'Sign a draft: from now on it is fixed; marked late if long after its session (GT-38)',
        tags: ['notes'],
        params: noteParams,
        body: z.strictObject({}),
        response: { 200: z.strictObject({ late: z.boolean() }) },
      },
    },
    async (request) => notes(request).sign(request.params.noteId),
  );

  app.post(
    '/notes/:noteId/addenda',
    {
      schema: {
        summary: 'Correct a signed note with a dated addendum and its reason (GT-98)',
        tags: ['notes'],
        params: noteParams,
        body: newAddendumSchema,
        response: { 201: z.strictObject({ id: z.string() }) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await notes(request).addendum(request.params.noteId, request.body)),
  );
};

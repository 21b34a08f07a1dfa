import {
  AlcoveError,
  caseFormatSchema,
  caseStatusMoves,
  caseStatusSchema,
  clientIdentitySchema,
  deliverySchema,
  INTEGRITY_FAILED_TEXT,
  newContractSchema,
  overrideSchema,
  unreadableSchema,
  withheldReasons,
} from '@alcove/core';
import { unreadableOf } from '@alcove/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf } from '../auth/plugin.ts';
import { CaseSessionsContext } from '../case-sessions-context.ts';
import { CasesContext } from '../cases-context.ts';
import { ContractsContext } from '../contracts-context.ts';
import { contractPdf, sendPdf } from '../pdf.ts';
import { PracticeContext } from '../practice-context.ts';
import { presentName } from './unreadable.ts';

const caseParams = z.strictObject({ caseId: z.uuid() });
const contractParams = z.strictObject({ caseId: z.uuid(), contractId: z.uuid() });

const caseDetailSchema = z.strictObject({
  id: z.string(),
  kind: z.string(),
  format: caseFormatSchema,
  status: caseStatusSchema,
  /** Where the case may go next. */
  statusMoves: z.array(caseStatusSchema),
  participants: z.array(
    z.strictObject({
      id: z.string(),
      clientId: z.string(),
      label: z.string(),
      name: z.string().nullable(),
      unreadable: unreadableSchema,
    }),
  ),
  contract: z
    .strictObject({
      id: z.string(),
      version: z.number().int(),
      /** The text, or the integrity message where it failed its check (`unreadable`). */
      text: z.string(),
      unreadable: unreadableSchema,
      textHash: z.string(),
      createdAt: z.iso.datetime(),
      signedByAll: z.boolean(),
      /** The organisation's conditions, shown to each client before they sign (GT-36d). */
      conditions: z.string().nullable(),
      /** Why it was offered without one of the Code's sections (GT-36b, GT-36c), a reason for each clause. */
      overrides: z.array(z.strictObject({ clause: z.string(), reason: z.string() })),
      /** Where the reasons failed their integrity check (`overrides` is then empty). */
      overridesUnreadable: unreadableSchema,
      signatures: z.array(
        z.strictObject({
          signerKind: z.enum(['client', 'practitioner']),
          signerId: z.string(),
          mode: z.string(),
          signedAt: z.iso.datetime(),
          acknowledgedConditions: z.boolean(),
        }),
      ),
    })
    .nullable(),
  /** Where the newest version was withdrawn and nothing has replaced it: no version is current. */
  withdrawnContract: z.strictObject({ version: z.number().int(), withdrawnAt: z.iso.datetime() }).nullable(),
  sessions: z.array(
    z.strictObject({
      id: z.string(),
      kind: z.enum(['assessment', 'therapy']),
      format: z.string(),
      startsAt: z.iso.datetime(),
      minutes: z.number().int(),
      attendance: z.string(),
      present: z.array(z.string()).nullable(),
      /** The integrity message where the reason failed its check (`unreadable`). */
      overrideReason: z.string().nullable(),
      unreadable: unreadableSchema,
    }),
  ),
});

export const newSessionSchema = z.strictObject({
  kind: z.enum(['assessment', 'therapy']),
  format: z.enum(['in-person', 'online', 'phone']),
  startsAt: z.iso.datetime({ offset: true }),
  minutes: z.number().int().min(5).max(480),
  attendance: z.enum(['attended', 'did-not-attend', 'cancelled-by-client', 'cancelled-by-practitioner']),
  /** The case's participants who were there; with "attended", every participant unless said otherwise. */
  present: z.array(z.uuid()).max(50).optional(),
  override: overrideSchema.optional(),
  /** Where two "should"s stand in the way at once (GT-36a and GT-92), a reason for each. */
  overrides: z.array(overrideSchema).min(1).max(2).optional(),
});

export const caseRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/cases/:caseId',
    {
      schema: {
        summary: 'A case: its clients, current contract and sessions',
        tags: ['cases'],
        params: caseParams,
        response: { 200: caseDetailSchema },
      },
    },
    async (request) => {
      const { facts, names, contract, withdrawn, sessions } = await contextOf(request)
        .as(CasesContext)
        .readCase(request.params.caseId);
      const overrides = contract?.overrides ?? null;
      return {
        id: facts.caseId,
        kind: facts.kind,
        format: facts.format,
        status: facts.status,
        statusMoves: caseStatusMoves(facts.status),
        participants: facts.participants.map((p) => ({
          id: p.id,
          clientId: p.clientId,
          label: p.label,
          ...presentName(names.get(p.clientId)),
        })),
        contract:
          contract === undefined
            ? null
            : {
                id: contract.id,
                version: contract.version,
                text: contract.text.reveal(),
                unreadable: contract.unreadable,
                textHash: contract.textHash,
                createdAt: contract.createdAt,
                signedByAll: contract.signedByAll,
                conditions: contract.conditions?.reveal() ?? null,
                overrides: overrides?.ok === true ? overrides.value.reveal().map((o) => ({ ...o })) : [],
                overridesUnreadable: overrides === null ? null : unreadableOf(overrides),
                signatures: contract.signatures.map((s) => ({
                  signerKind: s.signerKind,
                  signerId: s.signerId,
                  mode: s.mode,
                  signedAt: s.signedAt,
                  acknowledgedConditions: s.acknowledgedConditions,
                })),
              },
        withdrawnContract:
          withdrawn === undefined ? null : { version: withdrawn.version, withdrawnAt: withdrawn.withdrawnAt },
        sessions: sessions.map((s) => ({
          id: s.id,
          kind: s.kind,
          format: s.format,
          startsAt: s.startsAt,
          minutes: s.minutes,
          attendance: s.attendance,
          present: s.present === null ? null : [...s.present],
          overrideReason:
            s.overrideReason === null
              ? null
              : s.overrideReason.ok
                ? s.overrideReason.value.reveal()
                : s.overrideReason.reason === 'tampered'
                  ? INTEGRITY_FAILED_TEXT
                  : null,
          unreadable: s.overrideReason === null ? null : unreadableOf(s.overrideReason),
        })),
      };
    },
  );

  app.post(
    '/cases/:caseId/contracts',
    {
      schema: {
        summary:
          'Write a new version of the case’s contract and offer it for signature (earlier versions are superseded, never edited). Blanks left unfilled are refused (GT-36); a missing section of the Code (GT-36b, GT-36c) needs a reason in `overrides`',
        tags: ['cases'],
        params: caseParams,
        body: newContractSchema,
        response: {
          201: z.strictObject({ id: z.string(), version: z.number().int(), textHash: z.string() }),
        },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await contextOf(request).as(ContractsContext).createContract(request.params.caseId, request.body),
        ),
  );

  app.post(
    '/cases/:caseId/contracts/:contractId/withdrawal',
    {
      schema: {
        summary:
          'Withdraw the current version before every party has signed it: it can no longer be signed, its text and signatures are kept, and no earlier version becomes current',
        tags: ['cases'],
        params: contractParams,
        body: z.strictObject({}),
        response: { 200: z.strictObject({ version: z.number().int() }) },
      },
    },
    async (request) =>
      contextOf(request)
        .as(ContractsContext)
        .withdrawContract(request.params.caseId, request.params.contractId),
  );

  app.get(
    '/cases/:caseId/contract-draft',
    {
      schema: {
        summary: 'A contract drafted from a template for this case, to edit before saving',
        tags: ['cases'],
        params: caseParams,
        querystring: z.strictObject({ templateId: z.union([z.uuid(), z.literal('standard')]) }),
        response: { 200: z.strictObject({ text: z.string(), templateId: z.string().nullable() }) },
      },
    },
    async (request) =>
      contextOf(request).as(PracticeContext).contractDraft(request.params.caseId, request.query.templateId),
  );

  app.post(
    '/cases/:caseId/send-contract',
    {
      schema: {
        summary:
          'Send the current contract to each client who has not signed it: a portal invitation, or a note that it waits',
        tags: ['cases'],
        params: caseParams,
        body: z.strictObject({}),
        response: {
          200: z.strictObject({
            sent: z.array(
              z.strictObject({
                clientId: z.string(),
                label: z.string(),
                outcome: z.enum(['invited', 'notified', 'withheld']),
                withheldReason: z.string().nullable(),
                withheldDetail: z.string().nullable(),
                /** 'shown-once': the practice's e-mail is captured, and `link` is the client's portal join link, shown here only. */
                delivery: deliverySchema.nullable(),
                link: z.string().nullable(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const sent = await contextOf(request).as(PracticeContext).sendContract(request.params.caseId);
      request.server.alcove.mailer.kick();
      return {
        sent: sent.map((o) => ({
          ...o,
          withheldDetail: o.withheldReason === null ? null : withheldReasons[o.withheldReason],
        })),
      };
    },
  );

  app.get(
    '/cases/:caseId/contracts/:contractId/pdf',
    {
      schema: {
        summary: 'The current contract as a PDF, with its signatures',
        tags: ['cases'],
        params: contractParams,
      },
    },
    async (request, reply) => {
      const { facts, names, contract } = await contextOf(request)
        .as(CasesContext)
        .readCase(request.params.caseId);
      if (contract === undefined || contract.id !== request.params.contractId) {
        throw new AlcoveError('not-found', 'This is not the current version of the contract.');
      }
      const context = contextOf(request);
      const pdf = await contractPdf({
        practiceName: await context.practiceName(),
        practitionerName: await context.userName(facts.practitionerId),
        contract,
        facts,
        nameOf: (clientId, label) => presentName(names.get(clientId)).name ?? label,
      });
      return sendPdf(reply, pdf, `contract-v${contract.version}.pdf`);
    },
  );

  app.post(
    '/cases/:caseId/status',
    {
      schema: {
        summary: 'Move the case on: forward only (enquiry → … → closed), and never out of closed',
        tags: ['cases'],
        params: caseParams,
        body: z.strictObject({ status: caseStatusSchema }),
        response: { 200: z.strictObject({ from: caseStatusSchema, to: caseStatusSchema }) },
      },
    },
    async (request) =>
      contextOf(request).as(PracticeContext).setCaseStatus(request.params.caseId, request.body.status),
  );

  app.post(
    '/cases/:caseId/contracts/:contractId/signatures',
    {
      schema: {
        summary: 'Record a signature given in person, on the text whose hash it names',
        tags: ['cases'],
        params: contractParams,
        body: z.strictObject({
          signer: z.union([
            z.strictObject({ kind: z.literal('practitioner') }),
            z.strictObject({ kind: z.literal('client'), clientId: z.uuid() }),
          ]),
          textHash: z.string().regex(/^[0-9a-f]{64}$/, 'The SHA-256 of the text shown'),
          /** The client read the organisation's conditions and acknowledged them (GT-36d). */
          acknowledgedConditions: z.boolean().optional(),
        }),
        response: { 201: z.null() },
      },
    },
    async (request, reply) => {
      await contextOf(request)
        .as(ContractsContext)
        .signContractInPerson(
          request.params.caseId,
          request.params.contractId,
          request.body.signer,
          request.body.textHash,
          request.body.acknowledgedConditions,
        );
      return reply.code(201).send(null);
    },
  );

  app.post(
    '/cases/:caseId/sessions',
    {
      schema: {
        summary:
          'Record a session; therapy needs an agreed contract (GT-36) signed by all (GT-36a, overridable)',
        tags: ['cases'],
        params: caseParams,
        body: newSessionSchema,
        response: { 201: z.strictObject({ id: z.string() }) },
      },
    },
    async (request, reply) => {
      const { override, overrides, ...session } = request.body;
      const given = [...(override === undefined ? [] : [override]), ...(overrides ?? [])];
      return reply
        .code(201)
        .send(
          await contextOf(request)
            .as(CaseSessionsContext)
            .recordSession(request.params.caseId, session, given),
        );
    },
  );
};

export const newClientWithDecisionsSchema = z.strictObject({
  identity: clientIdentitySchema,
  conflictDecisions: z
    .array(
      z.strictObject({
        matchId: z.uuid(),
        decision: z.enum(['different-person', 'proceed']),
        reason: z.string().trim().min(3).max(2000),
      }),
    )
    .max(20)
    .optional(),
});

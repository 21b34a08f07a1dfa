import { randomUUID } from 'node:crypto';
import {
  AlcoveError,
  ClauseRefusalError,
  type FieldIssue,
  INTEGRITY_FAILED_TEXT,
  type ProblemCode,
  type ProblemDocument,
  problemCodes,
  problemType,
  RetryLaterError,
} from '@alcove/core';
import { StorageFailedError, TamperedError } from '@alcove/store';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The one place where errors become RFC 9457 problem documents. Nothing from an
 * unexpected error reaches the client but an id; the log gets the same id and the
 * error's type and stack, never its message (it may quote a value).
 */
export function registerProblemHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ClauseRefusalError) {
      return sendProblem(reply, request, error.code, error.message, undefined, undefined, {
        clause: error.clause,
        clauseText: error.clauseText,
        duty: error.duty,
        overridable: error.overridable,
        ...(error.matches === undefined ? {} : { matches: error.matches }),
      });
    }
    if (error instanceof RetryLaterError) {
      reply.header('retry-after', String(error.retryAfterSeconds));
      return sendProblem(reply, request, error.code, error.message, undefined, undefined, {
        retryAt: error.retryAt,
      });
    }
    if (error instanceof AlcoveError) {
      return sendProblem(reply, request, error.code, error.message, error.errors);
    }
    if (error.validation !== undefined) {
      return sendProblem(
        reply,
        request,
        'validation-failed',
        'Some fields are missing, unknown or of the wrong type.',
        error.validation.map((issue) => ({
          location: error.validationContext ?? 'body',
          pointer: issue.instancePath,
          detail: issue.message ?? 'Not valid',
        })),
      );
    }
    // @fastify/rate-limit answers with its own error; Retry-After is already on the reply.
    if (error.statusCode === 429) {
      return sendProblem(
        reply,
        request,
        'rate-limited',
        'Too many attempts from here. Wait a minute, then try again.',
      );
    }
    if (error instanceof StorageFailedError) {
      return sendProblem(reply, request, 'storage-failed', STORAGE_FAILED_DETAIL);
    }
    if (error instanceof TamperedError) return answerTampered(error, request, reply);
    const known = fastifyErrorCodes[error.code];
    if (known !== undefined) {
      return sendProblem(reply, request, known.code, known.detail);
    }
    // A JSON syntax error thrown by the body parser.
    if (error.statusCode === 400 && error instanceof SyntaxError) {
      return sendProblem(reply, request, 'malformed-body', 'The body could not be read as JSON.');
    }
    const errorId = randomUUID();
    request.log.error({ errorId, err: loggableError(error) }, 'unexpected error');
    return sendProblem(
      reply,
      request,
      'internal',
      `The request could not be completed. If it happens again, quote this reference: ${errorId}.`,
      undefined,
      errorId,
    );
  });
}

/**
 * Something the request cannot do without failed its integrity check (store/sealed.ts: a
 * read that can serve the rest does so, and never gets here). The field is audited and
 * raised as a finding for the obligations page; the answer names nothing it held.
 */
async function answerTampered(
  error: TamperedError,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const errorId = randomUUID();
  request.log.error({ errorId, err: loggableError(error) }, 'integrity check failed');
  try {
    await request.context?.reportTamperedError(error);
  } catch (failure) {
    // The answer still goes out; the log has what kept the finding from being kept.
    request.log.error({ errorId, err: loggableError(failure) }, 'integrity finding not recorded');
  }
  return sendProblem(
    reply,
    request,
    'integrity-failed',
    `${INTEGRITY_FAILED_TEXT}: what it held is not shown, and this could not be done without it. It is listed on your obligations page; restore the practice from a backup, or contact support quoting ${errorId}.`,
    undefined,
    errorId,
  );
}

const fastifyErrorCodes: Record<string, { code: ProblemCode; detail: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'malformed-body', detail: 'The body could not be read as JSON.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'malformed-body',
    detail: 'The body is empty but was sent as JSON.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'malformed-body',
    detail: 'The Content-Length header does not match the body.',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: 'payload-too-large',
    detail: 'The body is larger than this server accepts.',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'unsupported-media-type',
    detail: 'Send the body as application/json.',
  },
  FST_ERR_CTP_INVALID_TYPE: {
    code: 'unsupported-media-type',
    detail: 'Send the body as application/json.',
  },
  FST_ERR_NOT_FOUND: { code: 'not-found', detail: 'There is nothing at this address.' },
};

/** What a problem answer is made of, after the request it answers. */
type ProblemParts = [
  code: ProblemCode,
  detail: string,
  errors?: readonly FieldIssue[],
  errorId?: string,
  refusal?: Pick<ProblemDocument, 'clause' | 'clauseText' | 'duty' | 'overridable' | 'matches' | 'retryAt'>,
];

/** The RFC 9457 document for a problem, as every error answer carries it. */
function problemDocument(
  request: FastifyRequest,
  ...[code, detail, errors, errorId, refusal]: ProblemParts
): ProblemDocument {
  const { status, title } = problemCodes[code];
  return {
    type: problemType(code),
    title,
    status,
    detail,
    // The path only: a query string could carry something that should not be echoed.
    instance: request.url.split('?')[0] ?? '/',
    code,
    ...(errors === undefined ? {} : { errors: [...errors] }),
    ...(errorId === undefined ? {} : { errorId }),
    ...refusal,
  };
}

/** Sets the status and headers of a problem answer, and gives the body to send. */
function problemPayload(reply: FastifyReply, request: FastifyRequest, ...parts: ProblemParts): string {
  const document = problemDocument(request, ...parts);
  reply.code(document.status).type('application/problem+json').header('cache-control', 'no-store');
  return JSON.stringify(document);
}

export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  ...parts: ProblemParts
): FastifyReply {
  return reply.send(problemPayload(reply, request, ...parts));
}

/** The database can no longer commit: nothing read may be shown, and Alcove is stopping. */
const STORAGE_FAILED_DETAIL =
  'Alcove could not save to its database (the disk may be full or failing) and is stopping. Nothing that was not confirmed was saved. Start it again once the disk has room.';

/**
 * Nothing leaves before what it was read from is durable (group commit: store/group-commit.ts).
 * Every answer waits for the store to settle; if it cannot, the answer becomes a problem
 * document in place of whatever was read.
 */
export function holdAnswersUntilDurable(app: FastifyInstance, settled: () => Promise<void>): void {
  app.addHook('onSend', async (request, reply, payload) => {
    try {
      await settled();
      return payload;
    } catch {
      // The answer is already on its way out: replace its payload rather than send again.
      return problemPayload(reply, request, 'storage-failed', STORAGE_FAILED_DETAIL);
    }
  });
}

/** What of an unexpected error may be logged: its kind and where it came from. */
export function loggableError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const frames = (error.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at '));
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  return {
    type: error.name,
    ...(code === undefined ? {} : { code }),
    stack: frames.join('\n'),
    ...(error.cause === undefined ? {} : { cause: loggableError(error.cause) }),
  };
}

import { type ProblemDocument, problemDocumentSchema } from '@alcove/core';
import type { z } from 'zod';

/** An error answer from the API, as its RFC 9457 problem document. */
export class ApiProblem extends Error {
  readonly problem: ProblemDocument;
  constructor(problem: ProblemDocument) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiProblem';
    this.problem = problem;
  }
}

/** GETs an API path and checks the answer against the shared schema. */
export async function getJson<T extends z.ZodType>(
  path: string,
  schema: T,
  signal?: AbortSignal,
): Promise<z.output<T>> {
  const response = await fetch(`/api/v1${path}`, {
    headers: { accept: 'application/json' },
    credentials: 'same-origin',
    ...(signal === undefined ? {} : { signal }),
  });
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const problem = problemDocumentSchema.safeParse(body);
    throw new ApiProblem(
      problem.success
        ? problem.data
        : {
            type: 'about:blank',
            title: 'Alcove did not answer as expected',
            status: response.status,
            code: 'unexpected-response',
          },
    );
  }
  return schema.parse(body);
}

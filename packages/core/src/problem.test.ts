import { describe, expect, it } from 'vitest';
import { AlcoveError, problemCodes, problemDocumentSchema, problemType } from './problem.ts';

describe('the error vocabulary', () => {
  it('gives every code a client or server error status and a title', () => {
    for (const [code, { status, title }] of Object.entries(problemCodes)) {
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
      expect(title.length, code).toBeGreaterThan(0);
    }
  });

  it('carries its code, status and field issues', () => {
    const error = new AlcoveError('validation-failed', 'Bad input', [
      { location: 'body', pointer: '/name', detail: 'Required' },
    ]);
    expect(error.status).toBe(400);
    expect(error.code).toBe('validation-failed');
    expect(error.errors).toHaveLength(1);
    expect(new AlcoveError('not-found').message).toBe('Not found');
  });

  it('names problem types with a stable URN', () => {
    expect(problemType('payload-too-large')).toBe('urn:alcove:problem:payload-too-large');
  });

  it('parses a problem document the server sends, and refuses one without a code', () => {
    const document = {
      type: problemType('not-found'),
      title: 'Not found',
      status: 404,
      code: 'not-found',
    };
    expect(problemDocumentSchema.parse(document)).toEqual(document);
    const { code: _dropped, ...withoutCode } = document;
    expect(problemDocumentSchema.safeParse(withoutCode).success).toBe(false);
  });
});

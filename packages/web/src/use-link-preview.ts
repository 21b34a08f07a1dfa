import { useEffect, useState } from 'react';
import type { z } from 'zod';
import { api, describeProblem } from './api.ts';

/**
 * A one-time link's token (in the address's fragment, which no server or log ever sees),
 * and what the server says of it: `preview` once read, `error` in words if refused. A token
 * too short to be one is never sent.
 */
export function useLinkPreview<S extends z.ZodType>(
  url: string,
  schema: S,
): { token: string; preview: z.infer<S> | undefined; error: string | undefined } {
  const [token] = useState(() => (typeof window === 'undefined' ? '' : window.location.hash.slice(1)));
  const [preview, setPreview] = useState<z.infer<S> | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    if (token.length < 20) return;
    const controller = new AbortController();
    api('POST', url, schema, { body: { token }, signal: controller.signal }).then(
      setPreview,
      (e: unknown) => {
        if (!controller.signal.aborted) setError(describeProblem(e));
      },
    );
    return () => controller.abort();
  }, [token, url, schema]);
  return { token, preview, error };
}

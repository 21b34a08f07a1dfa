import { useEffect, useState } from 'react';
import type { z } from 'zod';
import { getJson } from './api.ts';

export type Loadable<T> =
  | { readonly state: 'loading' }
  | { readonly state: 'failed'; readonly error: Error }
  | { readonly state: 'ready'; readonly data: T };

/** Loads one API resource for a page, with its loading and failure states. */
export function useApi<T extends z.ZodType>(path: string, schema: T): Loadable<z.output<T>> {
  const [result, setResult] = useState<Loadable<z.output<T>>>({ state: 'loading' });
  useEffect(() => {
    const controller = new AbortController();
    setResult({ state: 'loading' });
    getJson(path, schema, controller.signal).then(
      (data) => setResult({ state: 'ready', data }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setResult({ state: 'failed', error: error instanceof Error ? error : new Error('Request failed') });
      },
    );
    return () => controller.abort();
  }, [path, schema]);
  return result;
}

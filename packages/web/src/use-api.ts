import { useCallback, useEffect, useState } from 'react';
import type { z } from 'zod';
import { getJson } from './api.ts';

export type Loadable<T> =
  | { readonly state: 'loading' }
  | { readonly state: 'failed'; readonly error: Error }
  | { readonly state: 'ready'; readonly data: T };

/** Loads one API resource for a page, with its loading and failure states, and a reload. */
export function useApi<T extends z.ZodType>(
  path: string,
  schema: T,
): Loadable<z.output<T>> & { reload: () => void } {
  const [result, setResult] = useState<Loadable<z.output<T>>>({ state: 'loading' });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setResult((previous) => (generation === 0 ? { state: 'loading' } : previous));
    getJson(path, schema, controller.signal).then(
      (data) => setResult({ state: 'ready', data }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setResult({ state: 'failed', error: error instanceof Error ? error : new Error('Request failed') });
      },
    );
    return () => controller.abort();
  }, [path, schema, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...result, reload };
}

import { type PracticeSummary, practiceSummarySchema } from '@alcove/core';
import { createContext, useContext } from 'react';
import { z } from 'zod';

export const practicesResponseSchema = z.object({ practices: z.array(practiceSummarySchema) });

/** The practice the shell is showing; undefined while none exists. */
export const PracticeContext = createContext<PracticeSummary | undefined>(undefined);

export function usePractice(): PracticeSummary | undefined {
  return useContext(PracticeContext);
}

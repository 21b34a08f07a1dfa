import { z } from 'zod';

/**
 * Response schemas shared by the server (validation, OpenAPI) and the web app (parsing).
 * Request schemas are strict objects: unknown fields are refused, never dropped.
 */

export const engineSchema = z.enum(['sqlite', 'postgres']);
export type Engine = z.infer<typeof engineSchema>;

export const healthSchema = z.strictObject({
  status: z.literal('ok'),
  version: z.string(),
  engine: engineSchema,
  schemaVersion: z.string().describe('Name of the newest migration applied'),
});
export type Health = z.infer<typeof healthSchema>;

export const practiceSummarySchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  createdAt: z.iso.datetime(),
  demo: z.boolean(),
});
export type PracticeSummary = z.infer<typeof practiceSummarySchema>;

/** A practice name: shown in the header and on documents; never clinical. */
export const practiceNameSchema = z
  .string()
  .trim()
  .min(1, 'Give the practice a name')
  .max(120, 'A practice name has at most 120 characters');

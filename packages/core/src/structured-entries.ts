import { z } from 'zod';
import { attributionSchema } from './records.ts';

/**
 * Structured entries of the clinical record: a client's assessment (GT-21a, GT-22g), a risk
 * assessment with the steps taken (GT-47–GT-49), and the planned ending that closes a case
 * (GT-84). Each is written and signed at once, its fields kept as passages of the entry
 * (sealed like any note: one client's own, or joint), and corrected by addenda like a note.
 */
export interface StructuredField {
  readonly id: string;
  readonly heading: string;
  readonly clause?: string;
  readonly required?: boolean;
}

export const structuredKinds = {
  assessment: {
    title: 'Assessment',
    clause: 'GT-21a',
    fields: [
      { id: 'presenting', heading: 'Presenting concerns', required: true },
      { id: 'history', heading: 'History', required: true },
      { id: 'symptoms', heading: 'Symptoms' },
      { id: 'psychological', heading: 'Psychological factors' },
      { id: 'spiritual', heading: 'Spiritual factors' },
      { id: 'social', heading: 'Social factors' },
      { id: 'cultural', heading: 'Cultural factors' },
      { id: 'views-and-values', heading: 'The client’s views and values' },
      { id: 'other-treatments', heading: 'Other therapies, treatments and medication', clause: 'GT-22g' },
      { id: 'compatibility', heading: 'Compatibility with this therapy', clause: 'GT-22g' },
      { id: 'risk', heading: 'Risk' },
    ],
  },
  risk: {
    title: 'Risk assessment',
    clause: 'GT-47',
    fields: [
      { id: 'level', heading: 'Level of risk (low, medium, high) and to whom', required: true },
      { id: 'concerns', heading: 'Concerns', required: true },
      { id: 'steps', heading: 'Steps taken', clause: 'GT-49', required: true },
      { id: 'told', heading: 'Who was told, and when', clause: 'GT-48' },
    ],
  },
  ending: {
    title: 'Planned ending',
    clause: 'GT-84',
    fields: [
      { id: 'summary', heading: 'Closing summary', required: true },
      { id: 'outcomes', heading: 'Outcomes', required: true },
      { id: 'next-steps', heading: 'Next steps and referrals' },
    ],
  },
} as const satisfies Record<string, { title: string; clause: string; fields: readonly StructuredField[] }>;

export type StructuredKind = keyof typeof structuredKinds;
export const structuredKindSchema = z.enum(['assessment', 'risk', 'ending']);

export const newStructuredEntrySchema = z.strictObject({
  kind: structuredKindSchema,
  /** Whose information it is: one client (an assessment is a client's own), several, or joint. */
  attribution: attributionSchema,
  /** Plain text per field id; empty fields are left out. */
  fields: z.record(z.string().regex(/^[a-z-]{2,40}$/), z.string().trim().max(20_000)),
});

/** The fields an entry of this kind lacks or does not know, as problems. */
export function structuredProblems(
  kind: StructuredKind,
  fields: Record<string, string>,
): { field: string; detail: string }[] {
  const spec = structuredKinds[kind].fields as readonly StructuredField[];
  const known = new Set(spec.map((f) => f.id));
  return [
    ...Object.keys(fields)
      .filter((id) => !known.has(id))
      .map((field) => ({ field, detail: `Not a field of ${structuredKinds[kind].title.toLowerCase()}` })),
    ...spec
      .filter((f) => f.required === true && (fields[f.id] ?? '').trim() === '')
      .map((f) => ({ field: f.id, detail: `${f.heading} is needed` })),
  ];
}

/** Plain text as allow-listed markup: every character escaped, paragraphs as <p>, lines as <br>. */
export function textToHtml(text: string): string {
  const escaped = text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  return escaped
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => `<p>${p.replaceAll('\n', '<br>')}</p>`)
    .join('');
}

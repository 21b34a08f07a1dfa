import { Parser } from 'htmlparser2';
import { z } from 'zod';
import { attributionSchema } from './records.ts';

/**
 * Session notes (GT-38, GT-40, GT-98). A note has the sections GT-40 names, each made of
 * passages attributed to the case's clients (or to none: the practitioner's formulation,
 * which counts as joint). A note is a private draft until its author signs it; a signed
 * note is never edited or deleted, and a correction is a dated addendum with a reason.
 */
export const noteSections = [
  { id: 'findings', heading: 'Clinical findings', clause: 'GT-40a' },
  { id: 'decisions', heading: 'Decisions made and actions agreed, and who is making them', clause: 'GT-40b' },
  { id: 'information', heading: 'Information given to the client', clause: 'GT-40c' },
] as const;
export const noteSectionSchema = z.enum(['findings', 'decisions', 'information']);
export type NoteSection = z.infer<typeof noteSectionSchema>;

/** An entry written more than this many hours after its session ended is marked late (GT-38). */
export const DEFAULT_LATE_ENTRY_HOURS = 24;

export function isLate(
  sessionEndsAt: string,
  writtenAt: string,
  lateHours = DEFAULT_LATE_ENTRY_HOURS,
): boolean {
  return Date.parse(writtenAt) - Date.parse(sessionEndsAt) > lateHours * 3_600_000;
}

/** The markup a note may hold. No attributes at all: nothing to carry a script, a style or a link. */
export const richTextTags = ['p', 'br', 'strong', 'em', 'u', 'ul', 'ol', 'li', 'blockquote'] as const;
const allowed = new Set<string>(richTextTags);

/**
 * What in `html` is outside the allow-list: each element and attribute that is not
 * allowed, once. Empty means the markup is acceptable. Nothing is stripped: a note with
 * anything else is refused, so what is stored is exactly what was written.
 */
export function richTextProblems(html: string): string[] {
  const problems = new Set<string>();
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (!allowed.has(name)) problems.add(`<${name}> is not allowed`);
        for (const attribute of Object.keys(attributes))
          problems.add(`the attribute ${attribute} is not allowed`);
      },
      onprocessinginstruction() {
        problems.add('a processing instruction is not allowed');
      },
      oncomment() {
        problems.add('a comment is not allowed');
      },
      oncdatastart() {
        problems.add('CDATA is not allowed');
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true, recognizeCDATA: true },
  );
  parser.write(html);
  parser.end();
  return [...problems];
}

export const notePassageSchema = z.strictObject({
  section: noteSectionSchema,
  /** Rich text within the allow-list (richTextTags). */
  html: z.string().min(1).max(50_000),
  attribution: attributionSchema,
});

export const newNoteSchema = z.strictObject({
  sessionId: z.uuid(),
  passages: z.array(notePassageSchema).min(1).max(500),
});

export const noteDraftSchema = z.strictObject({
  passages: z.array(notePassageSchema).min(1).max(500),
});

export const newAddendumSchema = z.strictObject({
  reason: z.string().trim().min(3).max(2000),
  passages: z.array(notePassageSchema).min(1).max(500),
});

/** Allow-listed markup as plain text: paragraphs and line breaks kept, entities undone. */
export function htmlToText(html: string): string {
  return (
    html
      .replace(/<br\s*\/?>/g, '\n')
      .replace(/<\/(p|li|blockquote)>/g, '\n\n')
      .replace(/<li>/g, '• ')
      // A tag ends before the next '<': linear however many stray '<' the text holds (a
      // pattern of `<[^>]*>` scanned to the end of the text from each one: quadratic).
      .replace(/<[^<>]*>/g, '')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&quot;', '"')
      .replaceAll('&#39;', "'")
      .replaceAll('&nbsp;', ' ')
      .replaceAll('&amp;', '&')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  );
}

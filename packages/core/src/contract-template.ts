import { z } from 'zod';
import { codeSections, hasSection } from './code/contracts.ts';
import { overrideSchema } from './profile.ts';
import type { CaseFormat, CaseKind } from './records.ts';

/**
 * Contract templates. A practice keeps its own, versioned; a case's contract is generated
 * from one and then edited before anyone signs. Every template and every contract version is
 * checked for the Code's own sections, as headings on a line of their own (`codeSections`,
 * code/contracts.ts: GT-36b and GT-36c); one without them goes ahead only with the
 * practitioner's reason. The standard template's other headings are Alcove's suggestions,
 * which a practice may leave out:
 */
export const suggestedSections = [
  'Confidentiality and its limits',
  'Sharing within a team',
  'Fees and cancellations',
  'Working online',
] as const;
/** What a template may name; anything else in double braces is left as written. */
export const templatePlaceholders = {
  clients: 'The clients of the case, by name',
  practitioner: 'The practitioner’s name',
  practice: 'The practice’s name',
  kind: 'Individual, couple, family or group therapy',
  format: 'In person, online or by phone',
} as const;
export type TemplateValues = Record<keyof typeof templatePlaceholders, string>;

/**
 * The practitioner's reasons for going ahead without one of the Code's sections: one for
 * each clause refused (a text may lack both GT-36b's section and GT-36c's).
 */
export const contractOverridesSchema = z.array(overrideSchema).min(1).max(codeSections.length);

export const contractTemplateSchema = z.strictObject({
  name: z.string().trim().min(1).max(120),
  body: z.string().trim().min(100).max(50_000),
  overrides: contractOverridesSchema.optional(),
});

/** A new version of a case's contract, offered for signature as it is saved. */
export const newContractSchema = z.strictObject({
  text: z.string().trim().min(20).max(50_000),
  /** The template it was drafted from, if any. */
  templateId: z.uuid().optional(),
  overrides: contractOverridesSchema.optional(),
});

/** The Code's sections a text lacks, each with the clause that asks for it. */
export function missingSections(body: string): (typeof codeSections)[number][] {
  return codeSections.filter((s) => !hasSection(body, s.heading));
}

export function renderTemplate(body: string, values: TemplateValues): string {
  return body.replace(/\{\{\s*([a-z]+)\s*\}\}/g, (whole, key: string) =>
    Object.hasOwn(values, key) ? values[key as keyof TemplateValues] : whole,
  );
}

const kindWords: Record<CaseKind, string> = {
  individual: 'individual therapy',
  couple: 'couple therapy',
  family: 'family therapy',
  group: 'group therapy',
};
const formatWords: Record<CaseFormat, string> = {
  'in-person': 'in person',
  online: 'online, by video',
  phone: 'by telephone',
};

export function templateValues(input: {
  clients: readonly string[];
  practitioner: string;
  practice: string;
  kind: CaseKind;
  format: CaseFormat;
}): TemplateValues {
  const names =
    input.clients.length <= 1
      ? (input.clients[0] ?? '')
      : `${input.clients.slice(0, -1).join(', ')} and ${input.clients.at(-1)}`;
  return {
    clients: names,
    practitioner: input.practitioner,
    practice: input.practice,
    kind: kindWords[input.kind],
    format: formatWords[input.format],
  };
}

/** Alcove's own starting template, which a practice copies and edits. */
export const STANDARD_TEMPLATE_NAME = 'Standard therapy contract';
export const STANDARD_TEMPLATE = `Therapy contract

This agreement is between you, {{clients}}, and your therapist, {{practitioner}} of {{practice}}, for {{kind}} held {{format}}.

Rights and responsibilities
You can expect your therapist to keep to the COSRT Code of Ethics and Practice, to start and end sessions on time, and to tell you in good time of any change to arrangements. You agree to come to sessions on time, to let your therapist know if you cannot attend, and to tell them of anything that affects your safety or theirs. Each of you may ask questions about the therapy at any time.

Aims of therapy
We will agree the aims of our work at the assessment and review them together regularly. Aims agreed at the assessment:

How and when therapy ends
We will agree the number of sessions and review progress every six sessions. Either of us may end the therapy; we will aim to end with a planned final session. If sessions are missed without notice for four weeks, your therapist will write to ask whether you wish to continue.

Confidentiality and its limits
What you say in therapy is confidential. Your therapist discusses their work in supervision without your name. Confidentiality may be broken without your consent only where the law requires it, or where there is a serious risk of harm to you or to others; where possible your therapist will talk with you first. In couple or family work, what one of you tells the therapist alone is not shared with the other without that person's agreement.

Sharing within a team
Your therapist works with the team named here, who may see your record only where you have consented:

Fees and cancellations
Each session lasts ___ minutes and costs £___. Sessions cancelled with less than 48 hours' notice are charged in full.

Working online
Online sessions use a secure video service your therapist names; please join from a private place. Payment is taken through a secure method only. If a call fails, your therapist will call you back on the number you have agreed.
`;

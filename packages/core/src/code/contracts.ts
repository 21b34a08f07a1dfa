import { defineCommand } from './pipeline.ts';

/**
 * Contracts and their templates (GT-36 to GT-36d). GT-36 says a contract "should" be
 * written and signed (GT-36a), establish the rights and responsibilities of both parties
 * (GT-36b) and outline the aims of therapy and how and when it will end (GT-36c): a text
 * without one of those sections is refused unless the practitioner records why it goes
 * ahead. A contract with blanks left unfilled ("costs £___") is no agreement at all: a
 * version is never offered for signature with one (GT-36, a "must").
 */
export const codeSections = [
  { heading: 'Rights and responsibilities', clause: 'GT-36b', rule: 'contract-section-rights' },
  { heading: 'Aims of therapy', clause: 'GT-36c', rule: 'contract-section-aims' },
  { heading: 'How and when therapy ends', clause: 'GT-36c', rule: 'contract-section-ending' },
] as const;

/** Whether the text has the heading on a line of its own (Markdown `#` allowed). */
export function hasSection(text: string, heading: string): boolean {
  return text.split(/\r?\n/).some(
    (line) =>
      line
        .replace(/^#+\s*/, '')
        .trim()
        .toLowerCase() === heading.toLowerCase(),
  );
}

/**
 * The blanks a text still holds: a run of three or more underscores (a form's blank), or a
 * template placeholder in double braces that nothing filled. Each with the line it is on.
 */
export function unfilledBlanks(text: string): { line: number; blank: string }[] {
  const found: { line: number; blank: string }[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    for (const match of line.matchAll(/_{3,}|\{\{\s*[^{}]*\}\}/g))
      found.push({ line: i + 1, blank: match[0] });
  });
  return found;
}

export interface ContractTextFacts {
  readonly text: string;
  /** A template may keep its blanks (each contract fills them); a version may not. */
  readonly template: boolean;
}

const sectionRules = codeSections.map((s) => ({
  id: s.rule,
  clause: s.clause,
  check: (f: ContractTextFacts) =>
    hasSection(f.text, s.heading)
      ? undefined
      : `The ${f.template ? 'template' : 'contract'} has no “${s.heading}” section. Add it as a heading on a line of its own, or record why it goes ahead without one.`,
}));

/** Saving a practice's contract template. */
export const saveTemplateCommand = defineCommand<ContractTextFacts>({
  name: 'template.save',
  summary: 'Save a contract template',
  rules: sectionRules,
});

/** Offering a contract version for signature: in person, or in the client portal. */
export const offerContractCommand = defineCommand<ContractTextFacts>({
  name: 'contract.offer',
  summary: 'Offer a contract version for signature',
  rules: [
    {
      id: 'contract-without-blanks',
      clause: 'GT-36',
      check(f) {
        const blanks = unfilledBlanks(f.text);
        if (blanks.length === 0) return undefined;
        const lines = [...new Set(blanks.map((b) => b.line))].slice(0, 5).join(', ');
        return `The contract still has blanks to fill (line ${lines}). Fill them in before it is offered for signature.`;
      },
    },
    ...sectionRules,
  ],
});

export interface SignatureFacts {
  readonly signerKind: 'client' | 'practitioner';
  /** The version carries the organisation's conditions (GT-36d). */
  readonly conditions: boolean;
  readonly acknowledged: boolean;
}

/**
 * GT-36d: where the organisation is responsible for the contract, the client signs only
 * having been shown its conditions and acknowledged them.
 */
export const signContractCommand = defineCommand<SignatureFacts>({
  name: 'contract.sign',
  summary: 'Sign a contract version',
  rules: [
    {
      id: 'organisation-conditions-acknowledged',
      clause: 'GT-36d',
      check: (f) =>
        f.signerKind === 'client' && f.conditions && !f.acknowledged
          ? 'The organisation holds this contract: the client reads its conditions and acknowledges them before signing.'
          : undefined,
    },
  ],
});

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

/** A line as a heading reads: numbering, Markdown marks and a closing colon gone, "&" read as "and". */
function headingOf(line: string): string {
  return line
    .replace(/^\s*#+\s*/, '')
    .replace(/^\s*(?:\d+|[a-z]|[ivx]+)[.)]\s+/i, '')
    .replace(/^\s*(?:\*\*|__)(.*?)(?:\*\*|__)\s*$/, '$1')
    .replace(/[:.]\s*$/, '')
    .replace(/\s*&\s*/g, ' and ')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/**
 * Whether the text has the heading on a line of its own ("3. Aims of therapy:",
 * "## Rights & responsibilities" and "**Aims of therapy**" all count).
 */
export function hasSection(text: string, heading: string): boolean {
  const wanted = headingOf(heading);
  return text.split(/\r?\n/).some((line) => headingOf(line) === wanted);
}

/** A line a signature or a date is written on by hand: its blanks are meant to stay. */
const HAND_LINE = /^\s*(?:signed|signature|date|name|print(?:ed)? name)\b/i;

/**
 * What still needs filling in a text: a form's blank (two or more underscores, also full
 * width or spaced out), a fee left as "£XX" or "£…", a placeholder in square brackets
 * ("[amount]", "[insert length]"), or a template placeholder in double braces that
 * nothing filled. A line of underscores alone (a rule) and the lines a signature or date is
 * written on by hand are not blanks. Each with the line it is on.
 */
const BLANKS = [
  /(?<![\p{L}\p{N}_])_{2,}(?![\p{L}\p{N}_])/gu,
  /＿{2,}/gu,
  /(?<![\p{L}\p{N}])_(?: _){2,}(?![\p{L}\p{N}])/gu,
  /£\s*(?:[Xx]{2,}|…|\.{2,}|\?{1,})/gu,
  /\[\s*(?:insert|amount|fee|fees|cost|price|length|minutes|number|date|day|time|name|notice|hours)\b[^\]]*\]/giu,
  /\{\{\s*[^{}]*\}\}/gu,
];

export function unfilledBlanks(text: string): { line: number; blank: string }[] {
  const found: { line: number; blank: string }[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (/^\s*[_＿\s]+$/.test(line) || HAND_LINE.test(line)) return;
    for (const pattern of BLANKS)
      for (const match of line.matchAll(pattern)) found.push({ line: i + 1, blank: match[0] });
  });
  return found.sort((a, b) => a.line - b.line);
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

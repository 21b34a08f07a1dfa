import { describe, expect, it } from 'vitest';
import { renderTemplate, STANDARD_TEMPLATE, templateValues } from '../contract-template.ts';
import { clause } from '../testing.ts';
import { hasSection, offerContractCommand, saveTemplateCommand, unfilledBlanks } from './contracts.ts';
import { gate } from './pipeline.ts';

const values = templateValues({
  clients: ['Wren (fictional)'],
  practitioner: 'Sam (fictional)',
  practice: 'Juniper Lane (fictional)',
  kind: 'individual',
  format: 'in-person',
});
const filled = renderTemplate(STANDARD_TEMPLATE, values)
  .replace('___ minutes', '50 minutes')
  .replace('£___', '£80');
const clausesOf = (result: ReturnType<typeof gate>) =>
  result.refusals.map((r) => [r.clause.id, r.overridable]);

describe('a contract offered for signature (contract.offer)', () => {
  clause('GT-36', 'refuses a version with its blanks unfilled, with no way round', () => {
    const result = gate(
      offerContractCommand,
      { text: STANDARD_TEMPLATE, template: false },
      new Set(['GT-36']),
    );
    expect(clausesOf(result)).toEqual([['GT-36', false]]);
    expect(result.refusals[0]?.detail).toContain('line');
    expect(gate(offerContractCommand, { text: filled, template: false }).refusals).toEqual([]);
  });

  clause(
    ['GT-36b', 'GT-36c'],
    'refuses a version without the Code’s sections, each answered by a reason',
    () => {
      const text = 'We meet weekly. Fees are £80.';
      const refused = gate(offerContractCommand, { text, template: false });
      expect(clausesOf(refused)).toEqual([
        ['GT-36b', true],
        ['GT-36c', true],
        ['GT-36c', true],
      ]);
      const answered = gate(offerContractCommand, { text, template: false }, new Set(['GT-36b', 'GT-36c']));
      expect(answered.refusals).toEqual([]);
      expect(answered.overridden.map((r) => r.rule)).toEqual([
        'contract-section-rights',
        'contract-section-aims',
        'contract-section-ending',
      ]);
    },
  );
});

describe('a template saved (template.save)', () => {
  clause(
    ['GT-36b', 'GT-36c'],
    'keeps its blanks, and is refused without a section of the Code unless answered',
    () => {
      expect(gate(saveTemplateCommand, { text: STANDARD_TEMPLATE, template: true }).refusals).toEqual([]);
      const body = STANDARD_TEMPLATE.replace('How and when therapy ends\n', '');
      expect(clausesOf(gate(saveTemplateCommand, { text: body, template: true }))).toEqual([
        ['GT-36c', true],
      ]);
      expect(gate(saveTemplateCommand, { text: body, template: true }, new Set(['GT-36c'])).refusals).toEqual(
        [],
      );
      // Alcove's own suggested headings are not the Code's: a template without them is saved.
      const lean = STANDARD_TEMPLATE.replace('Sharing within a team\n', '').replace('Working online\n', '');
      expect(gate(saveTemplateCommand, { text: lean, template: true }).refusals).toEqual([]);
    },
  );
});

describe('the text checks', () => {
  clause(
    'GT-36',
    'finds blanks and unfilled placeholders by line, and headings on a line of their own',
    () => {
      expect(unfilledBlanks('One\nCosts £___ for ___ minutes\n{{ clients }}')).toEqual([
        { line: 2, blank: '___' },
        { line: 2, blank: '___' },
        { line: 3, blank: '{{ clients }}' },
      ]);
      expect(unfilledBlanks('A_b, snake_case and __init__')).toEqual([]);
      expect(hasSection('## Aims of therapy\nWe agree them.', 'Aims of therapy')).toBe(true);
      expect(hasSection('We discuss the aims of therapy.', 'Aims of therapy')).toBe(false);
    },
  );
});

describe('what a contract still needs filling, and its headings as people write them', () => {
  it('finds the blanks a therapist’s own document leaves', () => {
    for (const blank of [
      'costs £___ a session',
      'costs £__ a session',
      'costs £XX a session',
      'costs £… a session',
      'costs £... a session',
      'lasts [insert length] minutes',
      'costs [amount]',
      'lasts ＿＿＿ minutes',
      'lasts _ _ _ minutes',
      '{{ clients }} agree',
    ])
      expect(unfilledBlanks(`Fees\n${blank}\n`), blank).toHaveLength(1);
  });

  it('leaves alone a rule line, a line signed by hand, and underscores inside a word', () => {
    for (const text of [
      '___',
      '________________',
      'Signed: ________  Date: ________',
      'snake_case and __init__ and a___b',
    ])
      expect(unfilledBlanks(text), text).toEqual([]);
  });

  it('reads a heading numbered, emphasised, with a colon, or with "&"', () => {
    for (const line of [
      'Rights and responsibilities',
      '## Rights and responsibilities',
      '3. Rights and responsibilities:',
      'b) Rights and responsibilities',
      '**Rights and responsibilities**',
      'Rights & responsibilities',
      'RIGHTS AND RESPONSIBILITIES.',
    ])
      expect(hasSection(`Intro\n${line}\nBody`, 'Rights and responsibilities'), line).toBe(true);
    expect(hasSection('We discuss rights and responsibilities weekly.', 'Rights and responsibilities')).toBe(
      false,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { missingSections, renderTemplate, STANDARD_TEMPLATE, templateValues } from './contract-template.ts';

describe('contract templates', () => {
  it('the standard template keeps every section the Code asks for', () => {
    expect(missingSections(STANDARD_TEMPLATE)).toEqual([]);
  });

  it('names the clause behind each missing section of the Code, and asks nothing of Alcove’s suggested headings', () => {
    const body = STANDARD_TEMPLATE.replace('Sharing within a team\n', '').replace('Aims of therapy\n', '');
    expect(missingSections(body).map((s) => s.clause)).toEqual(['GT-36c']);
    const suggestedOnly = STANDARD_TEMPLATE.replace('Working online\n', '').replace(
      'Fees and cancellations\n',
      '',
    );
    expect(missingSections(suggestedOnly)).toEqual([]);
  });

  it('fills the placeholders it knows and leaves others as written', () => {
    const values = templateValues({
      clients: ['Wren (fictional)', 'Ilex (fictional)'],
      practitioner: 'Sam (fictional)',
      practice: 'Juniper Lane (fictional)',
      kind: 'couple',
      format: 'online',
    });
    expect(renderTemplate('{{clients}} see {{ practitioner }} {{format}}; {{unknown}}', values)).toBe(
      'Wren (fictional) and Ilex (fictional) see Sam (fictional) online, by video; {{unknown}}',
    );
  });
});

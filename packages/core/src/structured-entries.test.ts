import { describe, expect, it } from 'vitest';
import { richTextProblems } from './notes.ts';
import { structuredProblems, textToHtml } from './structured-entries.ts';

describe('structured entries', () => {
  it('names the fields an assessment lacks, and any it does not know', () => {
    expect(structuredProblems('assessment', { presenting: 'Low desire (fictional)', mood: 'x' })).toEqual([
      { field: 'mood', detail: 'Not a field of assessment' },
      { field: 'history', detail: 'History is needed' },
    ]);
    expect(structuredProblems('risk', { level: 'Low', concerns: 'None', steps: 'Safety plan' })).toEqual([]);
  });

  it('turns plain text into allow-listed markup, escaping everything', () => {
    const html = textToHtml('A <script>x</script> & more\nnext line\n\nSecond');
    expect(html).toBe('<p>A &lt;script&gt;x&lt;/script&gt; &amp; more<br>next line</p><p>Second</p>');
    expect(richTextProblems(html)).toEqual([]);
  });
});

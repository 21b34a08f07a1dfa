/**
 * Reads the two seed documents into clauses. Pure (text in, clauses out), so the
 * generator and the catalogue test share it, and the browser never needs it.
 *
 * Numbering follows the seed exactly: GT-1 to GT-114 as printed, lettered sub-clauses
 * as printed (the lettering runs on across some lists: GT-84d, GT-89f), and PG5's two
 * clauses numbered 6 as PG5-6a and PG5-6b.
 */
export type SeedSource = 'GT' | 'PG5';
export type Duty = 'must' | 'should' | 'principle';

export interface ClauseText {
  readonly id: string;
  readonly source: SeedSource;
  readonly section: string;
  readonly heading: string;
  readonly duty: Duty;
  readonly text: string;
  readonly parent?: string;
}

/** White space folded, markdown links reduced to their text. */
export function normaliseClauseText(text: string): string {
  return text
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

function dutyOf(text: string, inherited: Duty | undefined): Duty {
  const must = /\bmust\b/i.test(text);
  const should = /\bshould\b/i.test(text);
  if (must) return 'must';
  if (should) return 'should';
  return inherited ?? 'principle';
}

/** The modal verb a list's lead-in ends with ("…This should:" makes its items "should"). */
function trailingDuty(text: string): Duty | undefined {
  const modals = [...text.matchAll(/\b(must|should)\b/gi)];
  const last = modals.at(-1)?.[1]?.toLowerCase();
  return last === 'must' || last === 'should' ? last : undefined;
}

interface Draft {
  id: string;
  number: number;
  section: string;
  heading: string;
  lines: string[];
  parent?: string;
}

export function parseSeed(source: SeedSource, raw: string): ClauseText[] {
  const drafts: Draft[] = [];
  let section = source === 'PG5' ? 'Practice Guideline 5 – Confidentiality' : '';
  let heading = section;
  let started = source === 'PG5';
  let current: Draft | undefined;
  let parent: Draft | undefined;
  const seenNumbers = new Map<number, number>();

  for (const rawLine of raw.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line === '---' || line.startsWith('## ')) continue;
    if (!started) {
      // GT: the clauses begin at "Good therapy in action", after the contents list.
      if (line === 'Good therapy in action') {
        started = true;
        section = line;
        heading = line;
      }
      continue;
    }
    const numbered = /^(?:-\s*)?(\d+)\.\s+(.*)$/.exec(line);
    const lettered = /^(?:-\s*)?([a-z])\.\s+(.*)$/.exec(line);
    if (numbered?.[1] !== undefined && numbered[2] !== undefined) {
      const n = Number(numbered[1]);
      const times = (seenNumbers.get(n) ?? 0) + 1;
      seenNumbers.set(n, times);
      let id = `${source}-${n}`;
      if (source === 'PG5' && n === 6) id = `${source}-6${times === 1 ? 'a' : 'b'}`;
      current = { id, number: n, section, heading, lines: [numbered[2]] };
      parent = current;
      drafts.push(current);
    } else if (lettered?.[1] !== undefined && lettered[2] !== undefined && parent !== undefined) {
      current = {
        id: `${parent.id}${lettered[1]}`,
        number: parent.number,
        section,
        heading,
        lines: [lettered[2]],
        parent: parent.id,
      };
      drafts.push(current);
    } else if (line.startsWith('- ') && current !== undefined) {
      // An unlettered bullet belongs to the clause it follows (GT-5's two meanings).
      current.lines.push(line);
    } else {
      // Anything else is a heading.
      if (
        /^Section \d+:/.test(line) ||
        line === 'Underlying principles' ||
        line === 'Good therapy in action'
      ) {
        section = line;
      }
      heading = line;
      current = undefined;
      parent = undefined;
    }
  }

  const byId = new Map<string, ClauseText>();
  for (const draft of drafts) {
    const text = normaliseClauseText(draft.lines.join(' '));
    const parentText = draft.parent === undefined ? undefined : byId.get(draft.parent);
    const duty: Duty =
      source === 'GT' && draft.number <= 11
        ? 'principle'
        : dutyOf(text, parentText === undefined ? undefined : trailingDuty(parentText.text));
    const clause: ClauseText = {
      id: draft.id,
      source,
      section: draft.section,
      heading: draft.heading,
      duty,
      text,
      ...(draft.parent === undefined ? {} : { parent: draft.parent }),
    };
    byId.set(clause.id, clause);
  }
  return [...byId.values()];
}

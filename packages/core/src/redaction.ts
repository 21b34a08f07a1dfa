import { enGB } from 'date-fns/locale/en-GB';
import {
  type ClientIdentity,
  type IdentifierKind,
  type IdentityFieldRedaction,
  identityFieldRedaction,
} from './records.ts';

/**
 * Redaction (PG5-1): every identifier of the other people in a case, found in free text
 * however it is written, replaced in place by the person's place in the case and the kind of
 * identifier ("[Partner B]", "[Partner B’s address]"). What is redacted is driven by the
 * field declarations beside the identity schema (`identityFieldRedaction` in records.ts):
 * every field declared as an identifier, of every other client and every non-client person
 * recorded against them, now and any added later.
 *
 * Text is compared as tokens (runs of letters and digits, lower-cased, accents folded), so
 * case, spacing and punctuation do not matter; an identifier matches a run of whole tokens
 * whose letters and digits, run together, are the identifier's ("TE1 2ST" and "te12st",
 * "O'Brien" and "OBrien", "07700 900456" and "07700-900-456"). At each place the longest
 * match wins; a value the requester shares (their own name, address, GP…) is theirs too and
 * is never taken out.
 *
 * No paraphrase can be found ("her flat near the station"): the preview lists every passage
 * where something was taken out, for the practitioner to read in context.
 */

export interface PersonToRedact {
  /** Their place, as the marker shows it: "Partner B", "Partner B’s appropriate adult". */
  readonly label: string;
  readonly identity: Partial<ClientIdentity>;
}

export interface Redaction {
  readonly label: string;
  readonly kind: IdentifierKind;
  readonly marker: string;
  /** How many places in the text this marker replaced. */
  readonly count: number;
}

export interface RedactedText {
  readonly text: string;
  readonly redactions: readonly Redaction[];
}

export interface Redactor {
  redact(text: string): RedactedText;
}

/** The identity fields that are identifiers, and of which kind: derived from the declaration. */
export const redactedIdentityFields: readonly {
  readonly field: keyof ClientIdentity;
  readonly kind: IdentifierKind;
}[] = (Object.entries(identityFieldRedaction) as [keyof ClientIdentity, IdentityFieldRedaction][]).flatMap(
  ([field, how]) => ('redact' in how ? [{ field, kind: how.redact }] : []),
);

const kindWords: Record<Exclude<IdentifierKind, 'name'>, string> = {
  email: 'e-mail',
  phone: 'phone number',
  'date-of-birth': 'date of birth',
  address: 'address',
  gp: 'GP',
  'emergency-contact': 'emergency contact',
};

/** "[Partner B]" for a name, "[Partner B’s address]" and so on for the rest. */
export function redactionMarker(label: string, kind: IdentifierKind): string {
  return kind === 'name' ? `[${label}]` : `[${label}’s ${kindWords[kind]}]`;
}

// ------------------------------------------------------------------ tokens

interface Token {
  readonly start: number;
  readonly end: number;
  readonly norm: string;
}

/** Letters and digits only, lower-cased, accents folded: "José" and "JOSE" are "jose". */
function fold(text: string): string {
  return text
    .normalize('NFKD')
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^\p{L}\p{N}]/gu, '');
}

function tokenise(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(/[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu)) {
    const norm = fold(m[0]);
    if (norm !== '') out.push({ start: m.index, end: m.index + m[0].length, norm });
  }
  return out;
}

const words = (text: string): string[] => tokenise(text).map((t) => t.norm);

// ------------------------------------------------------------------ word lists

/** Alcove's own labels name nobody ("Partner A", "the client", "Member 2"). */
const LABEL_WORDS = new Set(['partner', 'client', 'member']);
/**
 * Two-letter English words: a name part that is one ("Do", "An") is taken out only with the
 * rest of the name, or every "do" would go.
 */
const COMMON_SHORT = new Set(
  'am an as at be by do go he hi if in is it me my no of oh ok on or so to up us we ye'.split(' '),
);
/** Name particles, taken out alone only as a first name; always with the rest of the name. */
const PARTICLES = new Set('da de del della der den di du la le van von bin ibn al el ter ten st'.split(' '));
const TITLES = new Set('dr doctor mr mrs ms miss mx prof professor rev sir dame'.split(' '));
/**
 * Words that name nobody on their own: relations, the words of a surgery's or a firm's name,
 * annotations and countries. A line of a free-text field made only of these is not matched
 * alone ("(sister)", "the surgery", "United Kingdom", "(fictional)").
 */
const GENERIC = new Set(
  [
    'mother mum mom mam father dad sister brother wife husband partner spouse friend son daughter',
    'aunt auntie uncle grandmother grandfather gran granny grandma grandad grandpa grandparent',
    'cousin neighbour neighbor parent parents carer guardian colleague niece nephew stepmother',
    'stepfather stepmum stepdad flatmate housemate fiance fiancee girlfriend boyfriend ex next kin',
    'gp surgery medical health healthcare centre center practice clinic hospital nhs group partnership',
    'the of and at a an in on for my her his their',
    'fictional mobile home work landline tel telephone phone email mail',
    'uk united kingdom great britain gb england scotland wales northern ireland',
    'co ltd llp plc inc limited solicitors solicitor associates partners team unit services service',
    'council trust police',
  ]
    .join(' ')
    .split(' '),
);
/** Street words and their usual abbreviations: "Example Road" is also "Example Rd". */
const STREET_ABBREVIATIONS: Record<string, string> = {
  road: 'rd',
  street: 'st',
  avenue: 'ave',
  lane: 'ln',
  drive: 'dr',
  close: 'cl',
  court: 'ct',
  place: 'pl',
  crescent: 'cres',
  gardens: 'gdns',
  terrace: 'ter',
  square: 'sq',
  grove: 'gr',
  park: 'pk',
  mount: 'mt',
  apartment: 'apt',
};
const STREET_FULL = new Map(Object.entries(STREET_ABBREVIATIONS).map(([full, short]) => [short, full]));

// ------------------------------------------------------------------ patterns

interface Pattern {
  /** The identifier's letters and digits, run together. */
  readonly joined: string;
  /** Numeric dates: these tokens exactly, separated only by date punctuation. */
  readonly exact: readonly string[] | null;
  /**
   * Where, in `joined`, the identifier itself breaks between two digits ("TE1 2ST" at 3):
   * text may run digits together, but may break between digits only there, so "Flat 3, 8"
   * is never "Flat 38". A phone number is grouped any way ('anywhere').
   */
  readonly breaks: readonly number[] | 'anywhere';
}

/** An identifier made of these parts (tokens, or words of a name). */
function partsPattern(parts: readonly string[]): Pattern {
  const breaks: number[] = [];
  let at = 0;
  let previous = '';
  for (const part of parts) {
    if (part === '') continue;
    if (/\d$/.test(previous) && /^\d/.test(part)) breaks.push(at);
    at += part.length;
    previous = part;
  }
  return { joined: parts.join(''), exact: null, breaks };
}
const textPattern = (text: string): Pattern => partsPattern(words(text));
const digitsPattern = (joined: string): Pattern => ({ joined, exact: null, breaks: 'anywhere' });

function nameWords(value: string): string[] {
  return value
    .replace(/\([^)]*\)|\[[^\]]*\]/g, ' ')
    .split(/[\s,\-–‐]+/)
    .map(fold)
    .filter((w) => w !== '');
}

function standsAlone(word: string, index: number): boolean {
  if (word.length < 2 || /^\d+$/.test(word)) return false;
  if (LABEL_WORDS.has(word) || COMMON_SHORT.has(word) || TITLES.has(word)) return false;
  return !(index > 0 && PARTICLES.has(word));
}

/**
 * A person's names: each part on its own (a part with a digit too: "Tester1"), the whole name,
 * first and last, initials ("S. Tester1", "Sam T."), a preferred name with the family name,
 * and a title with the family name ("Dr Example").
 */
function namePatterns(values: readonly string[]): Pattern[] {
  const out: string[][] = [];
  const all = values.map(nameWords).filter((ws) => ws.length > 0);
  const seqs = all.map((ws) => {
    const titles = ws.filter((w, i) => i < ws.length - 1 && TITLES.has(w));
    return { titles, ws: ws.filter((w) => !titles.includes(w)) };
  });
  for (const [i, { titles, ws }] of seqs.entries()) {
    ws.forEach((w, index) => {
      if (standsAlone(w, index)) out.push([w]);
    });
    const first = ws[0];
    const last = ws.at(-1);
    if (first === undefined || last === undefined) continue;
    const initial = (w: string) => w.slice(0, 1);
    for (const title of titles) {
      const forms = title === 'dr' || title === 'doctor' ? ['dr', 'doctor'] : [title];
      for (const t of forms) out.push([t, last], [t, ...ws]);
    }
    const together: string[][] = [];
    if (ws.length >= 2) {
      together.push(
        ws,
        [first, last],
        [initial(first), last],
        [...ws.slice(0, -1).map(initial), last],
        [last, first],
      );
      if (first.length >= 2) together.push([first, initial(last)]);
    }
    // A preferred name with another value's family name: "Sammy Tester1".
    for (const [j, other] of seqs.entries()) {
      const family = other.ws.at(-1);
      if (j === i || other.ws.length < 2 || family === undefined) continue;
      together.push([first, family]);
      if (first.length >= 2) together.push([first, initial(family)]);
    }
    out.push(...together.filter((parts) => parts.join('').length >= 3));
  }
  return out.map(partsPattern);
}

/** A phone number in the ways it is written: 07…, +44 7…, +44 (0)7…, 0044 7…, 7…. */
function phoneForms(value: string): string[] {
  const international = /^\s*(\+|00)/.test(value);
  let digits = value.replace(/\D/g, '');
  if (digits.startsWith('00')) digits = digits.slice(2);
  let national: string | null = null;
  if (international || (digits.startsWith('44') && digits.length >= 12)) {
    if (digits.startsWith('44')) national = digits.slice(2).replace(/^0/, '');
  } else if (digits.startsWith('0')) {
    national = digits.slice(1);
  }
  if (national !== null && national.length >= 7) {
    return [
      `0${national}`,
      `44${national}`,
      `440${national}`,
      `0044${national}`,
      `00440${national}`,
      national,
    ];
  }
  return digits.length >= 6 ? [digits, `00${digits}`] : [];
}

const month = (index: number, width: 'wide' | 'abbreviated'): string =>
  String(enGB.localize.month(index as Parameters<typeof enGB.localize.month>[0], { width }));

/**
 * A date of birth (yyyy-MM-dd) in the ways it is written: 2 March 1990, 2 Mar 1990,
 * 2nd March 1990, 2nd of March 1990, March 2, 1990, 02/03/1990, 2/3/1990, 2/3/90, 1990-03-02,
 * 02.03.1990 (date-fns's English month names and ordinals; no Date, so no zone moves it).
 */
function datePatterns(value: string): Pattern[] {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  if (m === null) return [textPattern(value)];
  const [year, mm, dd] = [m[1] ?? '', m[2] ?? '', m[3] ?? ''];
  const monthIndex = Number(mm) - 1;
  const day = String(Number(dd));
  const ordinal = String(enGB.localize.ordinalNumber(Number(dd)));
  const names = [month(monthIndex, 'wide'), month(monthIndex, 'abbreviated')];
  if (monthIndex === 8) names.push('Sept');
  const years = [year, year.slice(2)];
  const written: string[] = [];
  for (const name of names) {
    for (const y of years) {
      for (const d of [day, ordinal]) {
        written.push(`${d} ${name} ${y}`, `${d} of ${name} ${y}`, `${name} ${d} ${y}`);
      }
    }
  }
  const mShort = String(Number(mm));
  const numeric: string[][] = [];
  for (const d of [dd, day]) {
    for (const mo of [mm, mShort]) {
      for (const y of years) numeric.push([d, mo, y]);
    }
  }
  numeric.push([year, mm, dd], [year, mShort, day], [`${dd}${mm}${year}`], [`${year}${mm}${dd}`]);
  return [
    ...written.map(textPattern),
    ...numeric.map((parts) => ({ joined: parts.join(''), exact: parts, breaks: [] })),
  ];
}

const EMAIL_IN = /[^\s@,;:()<>[\]]+@[^\s@,;:()<>[\]]+\.[^\s@,;:()<>[\]]+/g;
const POSTCODE_IN = /(?<![\p{L}\p{N}])[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}(?![\p{L}\p{N}])/giu;
const PHONE_IN = /\+?\(?\d[\d\s().\-–]{5,}\d/g;

/** Variants of a line with street words abbreviated or spelt out ("Example Rd", "Example Road"). */
function streetVariants(ws: readonly string[]): Pattern[] {
  let variants: string[][] = [[]];
  for (const w of ws) {
    const alternatives = [w];
    const other = STREET_ABBREVIATIONS[w] ?? STREET_FULL.get(w);
    if (other !== undefined) alternatives.push(other);
    variants = variants.flatMap((v) => alternatives.map((a) => [...v, a])).slice(0, 16);
  }
  return variants.map(partsPattern);
}

/** A person's name as a line of free text is written: capitalised words, perhaps a title. */
function looksLikeName(line: string): boolean {
  const raw = line.split(/\s+/).filter((w) => w !== '');
  if (raw.length === 0 || raw.length > 5) return false;
  let named = false;
  for (const w of raw) {
    const folded = fold(w);
    if (folded === '') return false;
    if (TITLES.has(folded)) continue;
    // An initial ("A") is part of a name; a longer word that names nobody ("Surgery") is not.
    if ((folded.length > 1 && GENERIC.has(folded)) || !/^[^\p{L}\p{N}]*\p{Lu}/u.test(w)) return false;
    if (folded.length >= 2) named = true;
  }
  return named;
}

/**
 * A free-text field (an address, a GP, an emergency contact): each line
 * on its own (split at commas, semicolons, line breaks and brackets); a postcode, e-mail
 * address or phone number inside it on its own, in its written forms; a street without its
 * house number; a line that is a person's name as a name. A line that is only a number goes
 * with the next ("12" then "Example Row"); one made only of words that name nobody is left.
 */
function freeTextPatterns(value: string, withNames: boolean): Pattern[] {
  const out: Pattern[] = [];
  let rest = value.replace(EMAIL_IN, (m) => {
    out.push(textPattern(m));
    return ' , ';
  });
  rest = rest.replace(POSTCODE_IN, (m) => {
    out.push(textPattern(m));
    return ' , ';
  });
  rest = rest.replace(PHONE_IN, (m) => {
    if (m.replace(/\D/g, '').length < 9) return m;
    out.push(...phoneForms(m).map(digitsPattern));
    return ' , ';
  });
  let carry = '';
  for (const raw of rest.split(/[,;\n\r()[\]]+/)) {
    const line = `${carry} ${raw}`.trim();
    if (line === '') continue;
    const ws = words(line);
    if (!ws.some((w) => /\p{L}/u.test(w))) {
      carry = line;
      continue;
    }
    carry = '';
    if (ws.every((w) => GENERIC.has(w) || TITLES.has(w))) continue;
    if (ws.join('').length >= 3) out.push(...streetVariants(ws));
    const lastNumber = ws.findLastIndex((w) => /^\d+[a-z]?$/.test(w));
    const street = ws.slice(lastNumber + 1);
    if (lastNumber >= 0 && street.length > 0 && !street.every((w) => GENERIC.has(w))) {
      out.push(...streetVariants(street));
    }
    if (withNames && looksLikeName(line)) out.push(...namePatterns([line]));
  }
  return out.filter((p) => p.joined.length >= 2);
}

interface KindedPattern extends Pattern {
  readonly kind: IdentifierKind;
}

function patternsOf(identity: Partial<ClientIdentity>): KindedPattern[] {
  const byKind = new Map<IdentifierKind, string[]>();
  for (const { field, kind } of redactedIdentityFields) {
    const value = identity[field];
    if (typeof value !== 'string' || value.trim() === '') continue;
    byKind.set(kind, [...(byKind.get(kind) ?? []), value]);
  }
  const out: KindedPattern[] = [];
  const add = (kind: IdentifierKind, patterns: readonly Pattern[]) => {
    for (const p of patterns) out.push({ ...p, kind });
  };
  // A person's own names first: where one value is two kinds (a sister's family name is the
  // client's), the marker shown is the first.
  add('name', namePatterns(byKind.get('name') ?? []));
  for (const [kind, values] of byKind) {
    switch (kind) {
      case 'name':
        break;
      case 'email':
        add(kind, values.map(textPattern));
        break;
      case 'phone':
        add(
          kind,
          values.flatMap((v) => phoneForms(v).map(digitsPattern)),
        );
        break;
      case 'date-of-birth':
        add(kind, values.flatMap(datePatterns));
        break;
      case 'address':
        add(
          kind,
          values.flatMap((v) => freeTextPatterns(v, false)),
        );
        break;
      case 'gp':
      case 'emergency-contact':
        add(
          kind,
          values.flatMap((v) => freeTextPatterns(v, true)),
        );
        break;
    }
  }
  return out;
}

// ------------------------------------------------------------------ matching

interface Owner {
  /** -1: the requester's own, kept. */
  readonly person: number;
  readonly kind: IdentifierKind;
}

interface Exact {
  readonly parts: readonly string[];
  readonly owner: Owner;
}

/** Between the tokens of one identifier: a little spacing or punctuation, never a blank line. */
const joinable = (gap: string) => gap.length <= 4 && !/\n\s*\n/.test(gap);
const dateSeparator = (gap: string) => /^[ \t./\-–]{1,3}$/.test(gap);
/** Between two markers of the same kind that become one: spacing, commas, dashes, line breaks. */
const mergeable = (gap: string) => /^[\s,\-–]*$/.test(gap) && !/\n\s*\n/.test(gap);

function count(text: string, char: string): number {
  return text.split(char).length - 1;
}

/**
 * A redactor for the given people, keeping what the requester shares with them. Build it
 * once per release: it prepares every written form of every identifier.
 */
export function makeRedactor(input: {
  readonly others: readonly PersonToRedact[];
  /** The person the text is released to: whatever they share with someone else stays. */
  readonly requester?: { readonly identity: Partial<ClientIdentity> } | undefined;
}): Redactor {
  const joined = new Map<string, { owner: Owner; breaks: Set<number> | 'anywhere' }>();
  const prefixes = new Set<string>();
  const exact = new Map<string, Exact[]>();
  const kept = new Set<string>();
  const addPattern = (pattern: Pattern, owner: Owner) => {
    if (owner.person >= 0 && kept.has(pattern.joined)) return;
    if (owner.person < 0) kept.add(pattern.joined);
    if (pattern.exact !== null) {
      const first = pattern.exact[0];
      if (first === undefined) return;
      exact.set(first, [...(exact.get(first) ?? []), { parts: pattern.exact, owner }]);
      return;
    }
    const known = joined.get(pattern.joined);
    if (known !== undefined) {
      // The same letters and digits broken elsewhere ("TE1 2ST", "TE12 ST"): either is theirs.
      if (known.breaks !== 'anywhere') {
        if (pattern.breaks === 'anywhere') known.breaks = 'anywhere';
        else for (const b of pattern.breaks) known.breaks.add(b);
      }
      return;
    }
    joined.set(pattern.joined, {
      owner,
      breaks: pattern.breaks === 'anywhere' ? 'anywhere' : new Set(pattern.breaks),
    });
    for (let i = 1; i <= pattern.joined.length; i += 1) prefixes.add(pattern.joined.slice(0, i));
  };
  if (input.requester !== undefined) {
    for (const p of patternsOf(input.requester.identity)) {
      addPattern(p, { person: -1, kind: p.kind });
    }
  }
  input.others.forEach((person, index) => {
    for (const p of patternsOf(person.identity)) {
      addPattern(p, { person: index, kind: p.kind });
    }
  });

  const longestAt = (text: string, tokens: readonly Token[], i: number) => {
    let best: { end: number; owner: Owner } | null = null;
    let acc = '';
    // Where this run of text breaks between two digits: each must be a break of the identifier.
    const digitBreaks: number[] = [];
    for (let j = i; j < tokens.length; j += 1) {
      const token = tokens[j];
      const previous = tokens[j - 1];
      if (token === undefined) break;
      if (j > i && previous !== undefined) {
        if (!joinable(text.slice(previous.end, token.start))) break;
        if (/\d$/.test(acc) && /^\d/.test(token.norm)) digitBreaks.push(acc.length);
      }
      acc += token.norm;
      if (!prefixes.has(acc)) break;
      const found = joined.get(acc);
      if (found === undefined) continue;
      const { breaks } = found;
      if (breaks === 'anywhere' || digitBreaks.every((b) => breaks.has(b)))
        best = { end: j + 1, owner: found.owner };
    }
    const first = tokens[i];
    for (const candidate of first === undefined ? [] : (exact.get(first.norm) ?? [])) {
      const end = i + candidate.parts.length;
      if (end > tokens.length) continue;
      let matches = true;
      for (let k = 1; k < candidate.parts.length && matches; k += 1) {
        const token = tokens[i + k];
        const previous = tokens[i + k - 1];
        matches =
          token !== undefined &&
          previous !== undefined &&
          token.norm === candidate.parts[k] &&
          dateSeparator(text.slice(previous.end, token.start));
      }
      if (!matches) continue;
      if (best === null || end > best.end || (end === best.end && candidate.owner.person < 0)) {
        best = { end, owner: candidate.owner };
      }
    }
    return best;
  };

  return {
    redact(text: string): RedactedText {
      if (joined.size === 0 && exact.size === 0) return { text, redactions: [] };
      const tokens = tokenise(text);
      const spans: { start: number; end: number; marker: string; label: string; kind: IdentifierKind }[] = [];
      let i = 0;
      while (i < tokens.length) {
        const best = longestAt(text, tokens, i);
        if (best === null) {
          i += 1;
          continue;
        }
        const person = input.others[best.owner.person];
        const first = tokens[i];
        const last = tokens[best.end - 1];
        if (person !== undefined && first !== undefined && last !== undefined) {
          let start = first.start;
          let end = last.end;
          const inside = text.slice(start, end);
          if (text[start - 1] === '+' && /^\d/.test(inside)) start -= 1;
          if (count(inside, ')') > count(inside, '(') && text[start - 1] === '(') start -= 1;
          if (count(inside, '(') > count(inside, ')') && text[end] === ')') end += 1;
          const marker = redactionMarker(person.label, best.owner.kind);
          const previous = spans.at(-1);
          if (
            previous !== undefined &&
            previous.marker === marker &&
            mergeable(text.slice(previous.end, start))
          ) {
            previous.end = end;
          } else {
            spans.push({ start, end, marker, label: person.label, kind: best.owner.kind });
          }
        }
        i = best.end;
      }
      if (spans.length === 0) return { text, redactions: [] };
      let out = '';
      let at = 0;
      const counts = new Map<string, Redaction>();
      for (const span of spans) {
        out += text.slice(at, span.start) + span.marker;
        at = span.end;
        const seen = counts.get(span.marker);
        counts.set(span.marker, {
          label: span.label,
          kind: span.kind,
          marker: span.marker,
          count: (seen?.count ?? 0) + 1,
        });
      }
      return { text: out + text.slice(at), redactions: [...counts.values()] };
    },
  };
}

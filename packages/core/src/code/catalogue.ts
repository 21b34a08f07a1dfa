import { clauseTexts } from './clauses.generated.ts';
import type { ClauseText, Duty } from './seed-parser.ts';

/**
 * The Code as data: every clause of both seed documents, its duty, and what Alcove does
 * about it. The rules that enforce or check a clause are not named here: they declare
 * their clause themselves (registry.ts), and the tests that prove them are tagged with it
 * (`clause()` in @alcove/core/testing). `alcove clauses` prints the three together.
 *
 * - enforced: a command that would break it is refused, or a safeguard holds it on every path;
 * - checked: a finding on the compliance dashboard;
 * - recorded: Alcove keeps the evidence (says where);
 * - planned: a later piece of work will enforce, check or record it (says which);
 * - out-of-scope: software cannot help, with the reason.
 */
export type ClauseStatus = 'enforced' | 'checked' | 'recorded' | 'planned' | 'out-of-scope';

export interface CatalogueEntry extends ClauseText {
  /** The clause as a reader needs it: a lettered sub-clause with its lead-in. */
  readonly quote: string;
  readonly status: ClauseStatus;
  /** recorded: where the evidence is; planned: which capability; out-of-scope: why. */
  readonly note?: string;
}

type Status = Omit<CatalogueEntry, keyof ClauseText | 'quote'>;

const conduct = (
  note = 'A matter of personal and professional conduct that software cannot observe.',
): Status => ({ status: 'out-of-scope', note });
const planned = (note: string): Status => ({ status: 'planned', note });

/** Duty readings where the seed's wording says more than its modal verb (GT-5). */
const dutyReadings: Record<string, { duty: Duty; why: string }> = {
  'PG5-1': { duty: 'must', why: '"may only release" is a prohibition' },
  'PG5-3': { duty: 'must', why: 'sharing within a team only with consent is a condition, not advice' },
};

const statuses: Record<string, Status> = {
  // Good therapy in action, and the underlying principles.
  ...Object.fromEntries(
    ['GT-1', 'GT-2', 'GT-3', 'GT-4', 'GT-5', 'GT-6', 'GT-7', 'GT-8', 'GT-9', 'GT-10', 'GT-11'].map((id) => [
      id,
      conduct('A principle the whole product serves; it has no single command or record of its own.'),
    ]),
  ),
  'GT-12': conduct(),
  'GT-13': {
    status: 'recorded',
    note: 'The CPD log in the professional record keeps each activity (what, when, hours); the obligations page shows the year’s total against the practice’s requirement (GT-15).',
  },
  'GT-14': {
    status: 'recorded',
    note: 'The CPD log in the professional record keeps each activity (what, when, hours); the obligations page shows the year’s total against the practice’s requirement (GT-15).',
  },
  'GT-15': {
    status: 'checked',
  },
  'GT-16': conduct(),
  'GT-17': conduct(),
  'GT-18': conduct(),
  'GT-19': planned('Outcome measures and the yearly self-audit (quality and outcomes).'),
  'GT-20': conduct(),
  'GT-20a': conduct(),
  'GT-21': {
    status: 'recorded',
    note: 'A client’s assessment is a structured entry of the clinical record with a field for each factor GT-21a names; what it finds is the practitioner’s judgement.',
  },
  'GT-21a': {
    status: 'recorded',
    note: 'A client’s assessment has a field for each factor GT-21a names (history, symptoms, psychological, spiritual, social and cultural factors, their views and values); presenting concerns and history are required.',
  },
  'GT-21b': conduct(),
  'GT-21c': {
    status: 'recorded',
    note: 'Whether to refer is the practitioner’s judgement; a referral letter is written from the client’s own record (with their consent to release, PG5-1), kept with their material and listed on the case.',
  },
  'GT-22': conduct(),
  'GT-22a': conduct(),
  'GT-22b': conduct(),
  'GT-22c': conduct(),
  'GT-22d': conduct(),
  'GT-22e': conduct(),
  'GT-22f': conduct(),
  'GT-22g': {
    status: 'recorded',
    note: 'The assessment records other therapies, treatments and medication, and their compatibility with this therapy.',
  },
  'GT-23': conduct(),
  'GT-24': conduct(),
  'GT-25': {
    status: 'recorded',
    note: 'Written consent to a physical examination is recorded as a consent of its own (consent type physical-examination). Alcove does not know when an examination is made, so nothing checks the consent at that moment.',
  },
  'GT-26': {
    status: 'enforced',
  },
  'GT-27': {
    status: 'enforced',
    note: 'Age is taken on the day of the session; a client recorded as a vulnerable adult is treated alike. The consent is a consent of type appropriate-adult in force that day; competence is a recorded assessment.',
  },
  'GT-28': {
    status: 'enforced',
    note: 'Matched on a keyed index of the normalised name and date of birth against the practitioner’s declared connections.',
  },
  'GT-29': conduct(),
  'GT-30': conduct(),
  'GT-31': conduct(),
  'GT-32': {
    status: 'enforced',
  },
  'GT-33': conduct(),
  'GT-34': {
    status: 'recorded',
    note: 'Declaring a dual relationship presents it to the chosen supervisor under the case’s pseudonym at once.',
  },
  'GT-35': {
    status: 'recorded',
    note: 'A declared dual relationship records the day fees stop, moves the case to its ending, and shows a referral still to make until one is written. Alcove does not invoice yet, so no fee can be charged through it after that day.',
  },
  'GT-36': {
    status: 'enforced',
  },
  'GT-36a': {
    status: 'enforced',
    note: 'Signatures keep who, when, how (in person or in the client portal), and the SHA-256 of the text signed.',
  },
  'GT-36b': {
    status: 'enforced',
    note: 'A template, and every contract version before it is offered for signature, keeps a “Rights and responsibilities” section, or the practitioner records why it goes without one (a “should”); what it says is theirs.',
  },
  'GT-36c': {
    status: 'enforced',
    note: 'A template, and every contract version before it is offered for signature, keeps “Aims of therapy” and “How and when therapy ends” sections, or the practitioner records why it goes without them (a “should”).',
  },
  'GT-36d': {
    status: 'enforced',
    note: 'The practice’s conditions are sealed with each contract version, shown on the signing screen and in the portal, and the acknowledgement kept with the signature.',
  },
  'GT-37': {
    status: 'recorded',
    note: 'Written consent to explicit material is recorded as a consent of its own (consent type explicit-material). Alcove does not know when explicit material is used, so nothing checks the consent at that moment.',
  },
  'GT-38': {
    status: 'enforced',
    note: 'Every entry keeps when it happened and when it was written; a note signed more than the practice’s setting (24 hours by default) after its session ended is marked late.',
  },
  'GT-39': {
    status: 'enforced',
    note: 'The audit log is checked daily against its witness outside the database; a log cut or changed since it was witnessed is a finding on the obligations page.',
  },
  'GT-40': {
    status: 'recorded',
    note: 'A session note is written in the sections GT-40a–c name; GT-40d is kept for every entry (author, time written, time signed).',
  },
  'GT-40a': { status: 'recorded', note: 'The note’s “Clinical findings” section.' },
  'GT-40b': {
    status: 'recorded',
    note: 'The note’s “Decisions made and actions agreed, and who is making them” section.',
  },
  'GT-40c': { status: 'recorded', note: 'The note’s “Information given to the client” section.' },
  'GT-40d': {
    status: 'recorded',
    note: 'Every entry keeps its author and the time it was written (entry.author_id, entry.written_at).',
  },
  'GT-41': {
    status: 'checked',
  },
  'GT-42': planned('Quality and outcomes: the yearly self-audit.'),
  'GT-42a': planned('Quality and outcomes: the yearly self-audit.'),
  'GT-42b': planned('Quality and outcomes: the yearly self-audit.'),
  'GT-42c': planned('Quality and outcomes: client feedback.'),
  'GT-43': conduct(),
  'GT-43a': conduct(),
  'GT-43b': planned('The practitioner’s duties: adverse events and candour.'),
  'GT-43c': conduct(),
  'GT-44': planned('Confidential releases: minimal, de-identified disclosure.'),
  'GT-45': {
    status: 'checked',
  },
  'GT-46': conduct(),
  'GT-47': {
    status: 'recorded',
    note: 'A risk assessment records the level of risk and to whom, the concerns, and the steps taken; safeguarding disclosures are recorded under PG5-2.',
  },
  'GT-48': { status: 'recorded', note: 'The risk assessment records who was told, and when.' },
  'GT-49': { status: 'recorded', note: 'The risk assessment’s “Steps taken” is required.' },
  'GT-50': conduct(),
  'GT-51': planned('The clinical record: safeguarding concerns.'),
  'GT-52': conduct(),
  'GT-53': conduct('About the practitioner’s own health; Alcove keeps no health records of practitioners.'),
  'GT-54': conduct('About the practitioner’s own health; Alcove keeps no health records of practitioners.'),
  'GT-55': conduct('About raising concerns with COSRT, outside the practice’s records.'),
  'GT-55a': conduct('About raising concerns with COSRT, outside the practice’s records.'),
  'GT-55b': conduct('About raising concerns with COSRT, outside the practice’s records.'),
  'GT-55c': conduct('About raising concerns with COSRT, outside the practice’s records.'),
  'GT-55d': conduct('About raising concerns with COSRT, outside the practice’s records.'),
  'GT-55e': conduct('About raising concerns with COSRT, outside the practice’s records.'),
  'GT-56': conduct(),
  'GT-57': conduct(),
  'GT-58': planned('Clients and cases: language and communication needs at intake.'),
  'GT-59': conduct(
    'Being considerate to those close to a client, and signposting a partner to a therapist of their own, is the practitioner’s judgement; a referral letter, where one is written, is kept (GT-21c).',
  ),
  'GT-60': conduct(),
  'GT-61': conduct(),
  'GT-62': conduct(),
  'GT-63': planned('Supervision: supervision of staff an organisation manages.'),
  'GT-64': {
    status: 'enforced',
    note: 'Supervision sessions are logged with their length and the supervisor the record named that day; the hours this year show on the obligations page.',
  },
  'GT-65': {
    status: 'enforced',
  },
  'GT-66': {
    status: 'checked',
  },
  'GT-67': planned('Advertising check: in-training status shown on the practitioner’s profile.'),
  'GT-68': conduct(),
  'GT-69': conduct(),
  'GT-70': conduct(),
  'GT-71': conduct(),
  'GT-72': conduct(),
  'GT-73': conduct(),
  'GT-73a': conduct(),
  'GT-73b': conduct(),
  'GT-73c': planned('Consents: teaching and research.'),
  'GT-74': {
    status: 'enforced',
  },
  'GT-75': conduct(),
  'GT-75a': conduct(),
  'GT-75b': conduct(),
  'GT-76': conduct(),
  'GT-77': planned('The practitioner’s duties: adverse events and candour.'),
  'GT-77a': planned('The practitioner’s duties: adverse events and candour.'),
  'GT-77b': planned('The practitioner’s duties: adverse events and candour.'),
  'GT-77c': planned('The practitioner’s duties: adverse events and candour.'),
  'GT-78': conduct(),
  'GT-79': conduct(),
  'GT-80': conduct(),
  'GT-81': conduct(),
  'GT-82': planned('Clients and cases: accessibility adjustments at intake.'),
  'GT-83': planned('The practitioner’s duties: the complaints register.'),
  'GT-84': {
    status: 'recorded',
    note: 'A planned ending records a closing summary, outcomes and next steps, and closes the case; the date it closed is kept for retention.',
  },
  'GT-84d': {
    status: 'recorded',
    note: 'The planned ending records the outcomes and next steps agreed with the client.',
  },
  'GT-84e': conduct(),
  'GT-85': conduct(),
  'GT-86': planned('Advertising check: qualifications and current role.'),
  'GT-87': planned('Advertising check: only valid qualifications displayed.'),
  'GT-88': {
    status: 'enforced',
  },
  'GT-89': planned('Advertising check: words that suggest a medical role.'),
  'GT-89f': planned('Advertising check: job titles.'),
  'GT-89g': planned('Advertising check: biographies.'),
  'GT-89h': planned('Advertising check: unprotected words such as Consultant.'),
  'GT-90': planned('Advertising check: qualifications that read as medical.'),
  'GT-91': {
    status: 'checked',
    note: 'The title Professor comes with the advertising check.',
  },
  'GT-91i': {
    status: 'checked',
  },
  'GT-91j': planned('Advertising check: the title Professor.'),
  'GT-92': {
    status: 'enforced',
  },
  'GT-93': conduct(),
  'GT-94': planned('Clients and cases: monitored channels for children and young people.'),
  'GT-95': conduct(),
  'GT-96': planned('Advertising check.'),
  'GT-97': planned('Advertising check.'),
  'GT-98': {
    status: 'enforced',
    note: 'A signed note is never edited, re-signed or deleted, by any route (refused, and the attempt audited); a correction is a dated addendum with its reason, kept beside the original.',
  },
  'GT-98k': conduct(),
  'GT-98l': conduct(),
  'GT-99': {
    status: 'checked',
  },
  'GT-100': planned('Advertising check: membership as a qualification.'),
  'GT-101': planned('Advertising check: the COSRT logo by membership category.'),
  'GT-102': planned('Advertising check: testimonials.'),
  'GT-103': conduct(),
  'GT-104': conduct(),
  'GT-105': conduct(),
  'GT-106': conduct(),
  'GT-107': {
    status: 'checked',
  },
  'GT-107m': {
    status: 'checked',
  },
  'GT-107n': {
    status: 'checked',
  },
  'GT-107o': {
    status: 'checked',
  },
  'GT-108': {
    status: 'checked',
  },
  'GT-109': planned('Running the practice: invoices and payment status.'),
  'GT-110': conduct(),
  'GT-111': planned('The practitioner’s duties: the conflicts-of-interest register.'),
  'GT-112': planned('The practitioner’s duties: the gifts and hospitality register.'),
  'GT-113': conduct(
    'The research itself, and its ethics approval, are outside Alcove; its exports keep PG5-4 and GT-115.',
  ),
  'GT-114': {
    status: 'recorded',
    note: 'Exports carry structured fields only, never clinical free text, for clients whose written consent covers the use.',
  },
  'GT-115': {
    status: 'enforced',
    note: 'Direct identifiers removed, dates shifted per client, values generalised until every combination is shared by k ≥ 5 clients, or nothing is exported.',
  },
  'PG5-1': {
    status: 'enforced',
    note: 'A release for one client holds their own material, joint material only with every other client’s consent in force that day, and never another client’s identifiers (hidden as “[Partner B]”); a third party only with the client’s consent.',
  },
  'PG5-2': {
    status: 'recorded',
    note: 'Each disclosure without consent keeps who was told, what, when, the legal basis (from a list the practice keeps, started with current law), why consent was not sought and the justification; one the law forbids telling the client of is left out of every client-facing view, and each omission is audited.',
  },
  'PG5-3': {
    status: 'enforced',
    note: 'No colleague reaches a client’s record: nothing is shared within a team, with or without consent, so the condition always holds. Sharing under a recorded consent is not offered yet.',
  },
  'PG5-4': {
    status: 'enforced',
  },
  'PG5-5': {
    status: 'enforced',
    note: 'A case goes to supervision under its pseudonym with the material the practitioner chose; material naming a client is refused, and a supervisor reaches no identity by any route.',
  },
  'PG5-6a': {
    status: 'recorded',
    note: 'A release for a formal accusation holds only the passages the practitioner selects, and the selection is kept with the release.',
  },
  'PG5-6b': planned('Running the practice: a secure payment method for online work.'),
  'PG5-7': {
    status: 'enforced',
    note: 'A closed case’s records stay sealed under their keys and behind the same access rules as an open one: nobody reaches them by its closing. When records are destroyed comes with retention.',
  },
  'PG5-8': {
    status: 'recorded',
    note: 'The insurer’s retention period is kept with each policy (profile insurance retentionYears); retention itself comes later.',
  },
};

const textsById = new Map(clauseTexts.map((text) => [text.id, text]));

export const catalogue: readonly CatalogueEntry[] = clauseTexts.map((text) => {
  const status = statuses[text.id] ?? planned('Not yet assessed.');
  const reading = dutyReadings[text.id];
  const parent = text.parent === undefined ? undefined : textsById.get(text.parent);
  const quote = parent === undefined ? text.text : `${parent.text} … ${text.text}`;
  return { ...text, quote, ...(reading === undefined ? {} : { duty: reading.duty }), ...status };
});

const byId = new Map(catalogue.map((entry) => [entry.id, entry]));

export function clause(id: string): CatalogueEntry | undefined {
  return byId.get(id);
}

export function isClauseId(id: string): boolean {
  return byId.has(id);
}

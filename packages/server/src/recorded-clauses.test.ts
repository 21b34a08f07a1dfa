import { catalogue, consentTypeLabels, htmlToText, noteSections, structuredKinds } from '@alcove/core';
import { clause } from '@alcove/core/testing';
import { testEngines } from '@alcove/store/testing';
import type { LightMyRequestResponse } from 'fastify';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELEASE_SECTIONS } from './release-coverage.ts';
import { addStaff, bearer, startTestApp, type TestApp, type TestStaff } from './testing/app.ts';

/**
 * "Recorded" means a test too (issue 17): for every clause the catalogue marks recorded, the
 * record its note names is kept (read back through the API, every field the note promises),
 * reachable by the practitioner (the route they use), and — where the client has a right to
 * it — in the client's subject access release (preview, PDF and FHIR bundle, and the copy the
 * client downloads in the portal); where the client has no right to it (a disclosure the law
 * forbids telling them of, the practitioner's own professional record), absent from every
 * client-facing view. One rich fictional record is built through the real API, then each row
 * of the table is checked against it.
 */

const ROWAN = {
  name: 'Rowan Ash (fictional)',
  email: 'rowan@example.test',
  dateOfBirth: '1984-03-02',
};
const SUPERVISOR_NAME = 'Supervisor Hale (fictional)';
const GP = 'Dr Okafor GP (fictional)';

/** Assessment fields (GT-21a, GT-22g): every field the kind has, each with a marker. */
const ASSESSMENT: Record<string, string> = Object.fromEntries(
  structuredKinds.assessment.fields.map((f) => [
    f.id,
    `ASSESS-${f.id.toUpperCase()}: ${f.heading} as Rowan tells it (fictional).`,
  ]),
);
const RISK: Record<string, string> = {
  level: 'RISKLEVEL: low, to Rowan only (fictional).',
  concerns: 'RISKCONCERNS: passing low mood after work (fictional).',
  steps: 'RISKSTEPS: a safety plan agreed together (fictional).',
  told: 'RISKTOLD: the GP, by phone on 12 Nov 2026 (fictional).',
};
const ENDING: Record<string, string> = {
  summary: 'ENDSUMMARY: therapy ended as planned (fictional).',
  outcomes: 'ENDOUTCOMES: desire returned, fewer worries (fictional).',
  'next-steps': 'ENDNEXT: a review with the GP in spring (fictional).',
};
const NOTE: Record<'findings' | 'decisions' | 'information', string> = {
  findings: 'NOTEFINDINGS: Rowan describes avoidance after stress (fictional).',
  decisions: 'NOTEDECISIONS: Rowan will keep a diary; I will send a worksheet (fictional).',
  information: 'NOTEINFO: gave Rowan a leaflet on the desire cycle (fictional).',
};
const OPEN_RECIPIENT = 'OPENRECIPIENT duty social worker (fictional)';
const WITHHELD_RECIPIENT = 'WITHHELDRECIPIENT unit (fictional)';
const WITHHOLD_BASIS = 'Terrorism Act 2000, s39 (fictional case)';
const CPD_TITLE = 'CPDTITLE: a day on desire discrepancy (fictional)';
const INSURER = 'INSURERNAME Mutual (fictional)';
const DUAL = 'DUAL1: we turn out to sing in the same fictional choir.';
const RESEARCH_NOTE = 'RESEARCHFREE: free text that no export may hold (fictional).';

const squash = (text: string) => text.replace(/\s+/g, ' ').trim();
async function pdfText(bytes: Buffer): Promise<string> {
  const { text } = await extractText(await getDocumentProxy(new Uint8Array(bytes)), { mergePages: true });
  return squash(text);
}

type Method = 'GET' | 'POST' | 'PUT';
type Reply = LightMyRequestResponse;
interface Section {
  readonly heading: string;
  readonly items: { label: string | null; text: string }[];
}
interface PreviewPassage {
  readonly ref: string;
  readonly what: string;
  readonly text: string;
  readonly included: boolean;
}

/** The record as built, and every view of it the checks read. */
interface World {
  t: TestApp;
  me: TestStaff;
  supervisor: TestStaff;
  portal: TestStaff;
  /** As the practitioner; `expected` asserts the status code. */
  call(method: Method, url: string, payload?: unknown, expected?: number): Promise<Reply>;
  /** As the client, signed in to the portal. */
  asClient(method: Method, url: string, payload?: unknown): Promise<Reply>;
  rowan: string;
  caseId: string;
  participant: string;
  noteId: string;
  assessmentId: string;
  riskId: string;
  endingId: string;
  referralId: string;
  /** Replies to attempts that must be refused, made before the record closed. */
  refused: Record<'noHistory' | 'noSteps' | 'noOutcomes' | 'unknownSection', Reply>;
  /** The dual relationship as the practitioner saw it before any referral was written, and the case. */
  dualBeforeReferral: { dualRelationships: Record<string, unknown>[] };
  statusAfterDual: string;
  accusation: { requestId: string; releaseId: string; selected: string; pdf: string; fhir: string };
  research: Reply;
  /** The client's subject access release, issued last, as every reader of it sees it. */
  release: {
    sections: Section[];
    passages: PreviewPassage[];
    pdf: string;
    fhir: string;
    portalPdf: string;
    portalFhir: string;
  };
  /** Every portal view the client has, as bodies. */
  portalViews: Record<string, string>;
}

type ClientRight =
  | { readonly right: true; readonly check: (w: World) => Promise<void> | void }
  | { readonly right: false; readonly why: string; readonly check: (w: World) => Promise<void> | void };

interface Row {
  readonly clauses: readonly string[];
  /** What record the catalogue's note names. */
  readonly record: string;
  /** Kept, and reachable by the practitioner: read back through the routes they use. */
  readonly kept: (w: World) => Promise<void> | void;
  readonly client: ClientRight;
}

// ------------------------------------------------------------------ helpers for the checks

const section = (w: World, heading: string): string[] => {
  const found = w.release.sections.find((s) => s.heading === heading);
  expect(found, heading).toBeDefined();
  return found?.items.map((i) => squash(`${i.label ?? ''} ${i.text}`)) ?? [];
};
/** Every client-facing view: the release as previewed and issued, the portal copy, the portal. */
const clientViews = (w: World): [string, string][] => [
  ['release sections', JSON.stringify(w.release.sections)],
  ['release PDF', w.release.pdf],
  ['release FHIR', w.release.fhir],
  ['portal PDF', w.release.portalPdf],
  ['portal FHIR', w.release.portalFhir],
  ...Object.entries(w.portalViews).map(([url, body]): [string, string] => [`portal ${url}`, body]),
];
const absentFromClient = (w: World, secrets: readonly string[]) => {
  for (const [where, text] of clientViews(w))
    for (const secret of secrets) expect(text, `${where}: ${secret}`).not.toContain(secret);
};
/** Each text is in the release: previewed as included, in the PDF, the FHIR bundle and the portal copy. */
const released = (w: World, texts: readonly string[]) => {
  for (const text of texts) {
    const words = squash(htmlToText(text));
    expect(w.release.pdf, `PDF: ${text}`).toContain(words);
    expect(w.release.portalPdf, `portal PDF: ${text}`).toContain(words);
    expect(w.release.fhir, `FHIR: ${text}`).toContain(words);
  }
};
type Note = {
  id: string;
  kind: string;
  authorId: string;
  status: string;
  writtenAt: string;
  signedAt: string | null;
  passages: { section: string | null; attribution: string[]; html: string | null }[];
};
const entryOf = async (w: World, id: string): Promise<Note> => {
  const notes = (await w.call('GET', `/cases/${w.caseId}/notes`, undefined, 200)).json().notes as Note[];
  const found = notes.find((n) => n.id === id);
  expect(found, id).toBeDefined();
  return found as Note;
};
/** The entry's passages as the practitioner reads them: section → text. */
const fieldsOf = (note: Note) =>
  Object.fromEntries(note.passages.map((p) => [p.section, squash(htmlToText(p.html ?? ''))]));
/** The release's passages of an entry kind, by the heading its `what` ends with. */
const releasedPassage = (w: World, kind: string, heading: string) => {
  const found = w.release.passages.find(
    (p) => p.what.startsWith(`${kind} of `) && p.what.endsWith(`, ${heading}`),
  );
  expect(found, `${kind}: ${heading}`).toBeDefined();
  expect(found?.included, `${kind}: ${heading}`).toBe(true);
  return found as PreviewPassage;
};

const consentRow = (clauses: string, type: 'physical-examination' | 'explicit-material'): Row => ({
  clauses: [clauses],
  record: `a written consent of its own (${type})`,
  kept: async (w) => {
    const consents = (await w.call('GET', `/clients/${w.rowan}/consents`, undefined, 200)).json().consents;
    expect(consents.filter((c: { type: string }) => c.type === type)).toMatchObject([
      { givenBy: 'client', mode: 'written-in-person', withdrawnOn: null },
    ]);
  },
  client: {
    right: true,
    check: (w) => {
      const line = section(w, RELEASE_SECTIONS.consents).find((l) => l.startsWith(consentTypeLabels[type]));
      expect(line, type).toMatch(/given on \d+ \w+ 2026 by the client, in writing, in person; in force\.$/);
      expect(w.release.pdf).toContain(line);
      expect(w.release.fhir).toContain(consentTypeLabels[type]);
      const mine = JSON.parse(w.portalViews['/portal/consents'] ?? '{}').consents;
      expect(mine.map((c: { type: string }) => c.type)).toContain(type);
    },
  },
});

// ------------------------------------------------------------------ the table

const rows: readonly Row[] = [
  {
    clauses: ['GT-13', 'GT-14'],
    record: 'the CPD log in the professional record (what, when, hours), and the year’s total',
    kept: async (w) => {
      const cpd = (await w.call('GET', '/profile', undefined, 200)).json().profile.cpd;
      expect(cpd).toMatchObject([
        { title: CPD_TITLE, hours: 6.5, sexAndRelationship: true, faceToFace: true },
      ]);
      expect(cpd[0].date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      const compliance = (await w.call('GET', '/compliance', undefined, 200)).json().cpd;
      expect(compliance.totals).toEqual({ total: 6.5, sexAndRelationship: 6.5, faceToFace: 6.5 });
      expect(compliance.requirement.totalHours).toBeGreaterThan(0);
      expect(cpd[0].date >= compliance.year.start && cpd[0].date <= compliance.year.end).toBe(true);
    },
    client: {
      right: false,
      why: 'the practitioner’s own professional record, about no client',
      check: (w) => absentFromClient(w, ['CPDTITLE', 'desire discrepancy']),
    },
  },
  {
    clauses: ['GT-21', 'GT-21a', 'GT-22g'],
    record:
      'a structured assessment with a field for each factor (and other treatments, their compatibility)',
    kept: async (w) => {
      const assessment = await entryOf(w, w.assessmentId);
      expect(assessment).toMatchObject({ kind: 'assessment', status: 'signed' });
      expect(assessment.passages.map((p) => p.section)).toEqual(
        structuredKinds.assessment.fields.map((f) => f.id),
      );
      expect(
        assessment.passages.every((p) => p.attribution.length === 1 && p.attribution[0] === w.participant),
      ).toBe(true);
      expect(fieldsOf(assessment)).toEqual(ASSESSMENT);
      // Presenting concerns and history are required.
      expect(w.refused.noHistory.statusCode).toBe(400);
      expect(w.refused.noHistory.json().errors.map((e: { pointer: string }) => e.pointer)).toEqual([
        '/fields/history',
      ]);
    },
    client: {
      right: true,
      check: (w) => {
        for (const f of structuredKinds.assessment.fields) {
          const passage = releasedPassage(w, 'Assessment', f.heading);
          expect(squash(passage.text)).toBe(ASSESSMENT[f.id]);
        }
        released(w, Object.values(ASSESSMENT));
      },
    },
  },
  {
    clauses: ['GT-21c'],
    record: 'a referral letter written from the client’s own record, kept and listed on the case',
    kept: async (w) => {
      const referrals = (await w.call('GET', `/cases/${w.caseId}/referrals`, undefined, 200)).json()
        .referrals;
      expect(referrals).toHaveLength(1);
      expect(referrals[0]).toMatchObject({ id: w.referralId, clientId: w.rowan, unreadable: null });
      expect(referrals[0].letter).toContain(`Dear ${GP},`);
      expect(referrals[0].letter).toContain('I am writing to refer Rowan Ash (fictional), born 2 Mar 1984');
      expect(referrals[0].letter).toContain(ASSESSMENT.presenting);
      const pdf = await w.call('GET', `/cases/${w.caseId}/referrals/${w.referralId}/pdf`, undefined, 200);
      expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
      expect(await pdfText(pdf.rawPayload)).toContain('LETTER1');
    },
    client: {
      right: true,
      check: (w) => {
        const letters = section(w, RELEASE_SECTIONS.referrals);
        expect(letters).toHaveLength(1);
        expect(letters[0]).toMatch(/^Referral letter of /);
        expect(letters[0]).toContain('LETTER1');
        expect(w.release.pdf).toContain('LETTER1');
        expect(w.release.portalPdf).toContain('LETTER1');
        expect(w.release.fhir).toContain('LETTER1');
      },
    },
  },
  consentRow('GT-25', 'physical-examination'),
  consentRow('GT-37', 'explicit-material'),
  {
    clauses: ['GT-34'],
    record: 'a declared dual relationship, presented to the chosen supervisor under the pseudonym at once',
    kept: async (w) => {
      const declared = (await w.call('GET', `/cases/${w.caseId}/dual-relationships`, undefined, 200)).json()
        .dualRelationships;
      expect(declared).toMatchObject([{ declaredOn: '2026-11-26', description: DUAL, unreadable: null }]);
      const presented = (await w.call('GET', `/cases/${w.caseId}/presentations`, undefined, 200)).json()
        .presentations as {
        pseudonym: string;
        supervisorId: string;
        presentedOn: string;
        material: string;
      }[];
      const telling = presented.find((p) => p.material.includes('(GT-34)'));
      expect(telling).toMatchObject({ supervisorId: w.supervisor.userId, presentedOn: '2026-11-26' });
      expect(telling?.material).toContain(DUAL);
      // The supervisor is told under the case's pseudonym, never a name.
      const told = (
        await w.t.app.inject({
          method: 'GET',
          url: '/api/v1/supervision/presentations',
          headers: bearer(w.supervisor),
        })
      ).json().presentations as { pseudonym: string; presentedOn: string; material: string }[];
      const mine = told.find((p) => p.material.includes(DUAL));
      expect(mine).toMatchObject({ pseudonym: telling?.pseudonym, presentedOn: '2026-11-26' });
      expect(mine?.material).toContain(
        'A relationship other than the clinical one has been declared on this case (GT-34).',
      );
      for (const secret of ['Rowan', 'Ash', ROWAN.email, w.rowan])
        expect(JSON.stringify(told)).not.toContain(secret);
    },
    client: {
      right: true,
      check: (w) => {
        const passage = w.release.passages.find((p) =>
          p.what.startsWith('Dual relationship declared on 26 Nov 2026'),
        );
        expect(passage?.included).toBe(true);
        released(w, [DUAL]);
        expect(w.release.pdf).toContain('Dual relationship declared on 26 Nov 2026');
      },
    },
  },
  {
    clauses: ['GT-35'],
    record:
      'the day fees stop, the case moved to its ending, a referral shown as still to make until written',
    kept: async (w) => {
      expect(w.statusAfterDual).toBe('ending');
      expect(w.dualBeforeReferral.dualRelationships).toMatchObject([
        { declaredOn: '2026-11-26', feesStopOn: '2026-11-26', referralMade: false },
      ]);
      const now = (await w.call('GET', `/cases/${w.caseId}/dual-relationships`, undefined, 200)).json()
        .dualRelationships;
      expect(now).toMatchObject([{ feesStopOn: '2026-11-26', referralMade: true }]);
    },
    client: {
      right: true,
      check: (w) => {
        expect(w.release.pdf).toContain(
          'Dual relationship declared on 26 Nov 2026; fees stop from 26 Nov 2026',
        );
        expect(w.release.portalPdf).toContain('fees stop from 26 Nov 2026');
        expect(w.release.fhir).toContain('fees stop from 26 Nov 2026');
      },
    },
  },
  {
    clauses: ['GT-40', 'GT-40a', 'GT-40b', 'GT-40c'],
    record: 'a session note in the sections the Code names',
    kept: async (w) => {
      const note = await entryOf(w, w.noteId);
      expect(note).toMatchObject({ kind: 'session-note', status: 'signed' });
      expect(note.passages.map((p) => p.section)).toEqual(['findings', 'decisions', 'information']);
      expect(fieldsOf(note)).toEqual(NOTE);
      // Only the Code's sections: a section it does not name is refused.
      expect(w.refused.unknownSection.statusCode).toBe(400);
      expect(noteSections.map((s) => s.clause)).toEqual(['GT-40a', 'GT-40b', 'GT-40c']);
    },
    client: {
      right: true,
      check: (w) => {
        for (const s of noteSections) {
          const passage = releasedPassage(w, 'Session note', s.heading);
          expect(squash(passage.text)).toBe(NOTE[s.id as keyof typeof NOTE]);
          expect(w.release.pdf).toContain(squash(passage.what));
        }
        released(w, Object.values(NOTE));
      },
    },
  },
  {
    clauses: ['GT-40d'],
    record: 'the author and the time written (and signed) of every entry',
    kept: async (w) => {
      const notes = (await w.call('GET', `/cases/${w.caseId}/notes`, undefined, 200)).json().notes as Note[];
      expect(notes.length).toBeGreaterThanOrEqual(4);
      for (const n of notes) {
        expect(n.authorId, n.kind).toBe(w.me.userId);
        expect(Number.isNaN(Date.parse(n.writtenAt)), n.kind).toBe(false);
        expect(n.signedAt, n.kind).not.toBeNull();
      }
      const record = (await w.call('GET', `/clients/${w.rowan}/record`, undefined, 200)).json();
      const entries = record.cases[0].entries as { id: string; authorId: string; writtenAt: string }[];
      expect(entries.map((e) => e.id)).toEqual(expect.arrayContaining([w.noteId, w.assessmentId, w.riskId]));
      for (const e of entries) {
        expect(e.authorId).toBe(w.me.userId);
        expect(Number.isNaN(Date.parse(e.writtenAt))).toBe(false);
      }
    },
    client: {
      right: true,
      // The release dates each entry by when it happened and names the practitioner who
      // issued it; it does not say, entry by entry, who wrote it and when (see the report).
      check: (w) => {
        expect(releasedPassage(w, 'Session note', 'Clinical findings').what).toMatch(
          /^Session note of \d+ Nov 2026, \d\d:\d\d, Clinical findings$/,
        );
        const bundle = JSON.parse(w.release.fhir);
        const composition = bundle.entry.find(
          (e: { resource: { resourceType: string } }) => e.resource.resourceType === 'Composition',
        ).resource;
        expect(composition.author).toEqual([{ display: 'Me (fictional)' }]);
      },
    },
  },
  {
    clauses: ['GT-47', 'GT-48', 'GT-49'],
    record: 'a risk assessment: level and to whom, concerns, steps taken (required), who was told and when',
    kept: async (w) => {
      const risk = await entryOf(w, w.riskId);
      expect(risk).toMatchObject({ kind: 'risk', status: 'signed' });
      expect(risk.passages.map((p) => p.section)).toEqual(['level', 'concerns', 'steps', 'told']);
      expect(fieldsOf(risk)).toEqual(RISK);
      expect(w.refused.noSteps.statusCode).toBe(400);
      expect(w.refused.noSteps.json().errors.map((e: { pointer: string }) => e.pointer)).toEqual([
        '/fields/steps',
      ]);
    },
    client: {
      right: true,
      check: (w) => {
        for (const f of structuredKinds.risk.fields) {
          expect(squash(releasedPassage(w, 'Risk assessment', f.heading).text)).toBe(RISK[f.id]);
        }
        released(w, Object.values(RISK));
      },
    },
  },
  {
    clauses: ['GT-84', 'GT-84d'],
    record:
      'a planned ending (closing summary, outcomes, next steps) that closes the case, with the day it closed',
    kept: async (w) => {
      const ending = await entryOf(w, w.endingId);
      expect(ending).toMatchObject({ kind: 'ending', status: 'signed' });
      expect(fieldsOf(ending)).toEqual(ENDING);
      expect((await w.call('GET', `/cases/${w.caseId}`, undefined, 200)).json().status).toBe('closed');
      expect(w.refused.noOutcomes.statusCode).toBe(400);
      expect(w.refused.noOutcomes.json().errors.map((e: { pointer: string }) => e.pointer)).toEqual([
        '/fields/outcomes',
      ]);
      // The day it closed is kept (for retention); the practitioner reads it in the release.
      expect(w.release.sections.map((s) => s.heading)).toContainEqual(
        expect.stringMatching(/^Individual therapy, from 3 Nov 2026, closed on \d+ \w{3} \d{4}$/),
      );
    },
    client: {
      right: true,
      check: (w) => {
        for (const f of structuredKinds.ending.fields) {
          expect(squash(releasedPassage(w, 'Planned ending', f.heading).text)).toBe(ENDING[f.id]);
        }
        released(w, Object.values(ENDING));
        expect(w.release.pdf).toMatch(/Individual therapy, from 3 Nov 2026, closed on \d+ \w{3} \d{4}/);
      },
    },
  },
  {
    clauses: ['GT-114'],
    record: 'a research export of structured fields only, for clients whose written consent covers it',
    kept: (w) => {
      expect(w.research.statusCode).toBe(200);
      const body = w.research.json();
      // Rowan gave no research consent: left out; the five who did are in.
      expect(body).toMatchObject({ purpose: 'research', k: 5, included: 5, excluded: 1 });
      for (const row of body.rows as Record<string, string>[]) {
        expect(Object.keys(row).sort()).toEqual(['ageBand', 'attendance', 'caseKind', 'sessions', 'started']);
      }
    },
    client: {
      right: false,
      why: 'an export is de-identified and about no one; no clinical free text or identifier is in it',
      check: (w) => {
        for (const secret of ['RESEARCHFREE', 'fictional', 'NOTE', 'ASSESS', 'Rowan', 'Research Person']) {
          expect(w.research.body, secret).not.toContain(secret);
        }
      },
    },
  },
  {
    clauses: ['PG5-2'],
    record: 'each disclosure without consent (who, what, when, legal basis, why no consent, justification)',
    kept: async (w) => {
      const all = (await w.call('GET', `/cases/${w.caseId}/disclosures`, undefined, 200)).json().disclosures;
      expect(all).toMatchObject([
        {
          clientId: w.rowan,
          disclosedOn: '2026-11-18',
          recipient: OPEN_RECIPIENT,
          what: 'OPENWHAT: a risk to Rowan’s safety (fictional).',
          legalBasis: 'serious-harm',
          whyNoConsent: 'OPENWHY: asking would put Rowan at risk (fictional).',
          justification: 'OPENJUST: a serious risk of harm (fictional).',
          withheldFromClient: false,
          withholdBasis: null,
          unreadable: null,
        },
        {
          clientId: w.rowan,
          disclosedOn: '2026-11-19',
          recipient: WITHHELD_RECIPIENT,
          legalBasis: 'terrorism-act-2000-s38b',
          withheldFromClient: true,
          withholdBasis: WITHHOLD_BASIS,
        },
      ]);
      // The legal basis comes from the list the practice keeps, started with current law.
      const bases = (await w.call('GET', '/settings/legal-bases', undefined, 200)).json().bases;
      expect(bases.map((b: { id: string }) => b.id)).toEqual(
        expect.arrayContaining(['serious-harm', 'terrorism-act-2000-s38b']),
      );
    },
    client: {
      right: true,
      check: async (w) => {
        // The one the client may be told of: in the release, with the basis in words.
        const shown = section(w, RELEASE_SECTIONS.disclosures);
        expect(shown).toHaveLength(1);
        expect(shown[0]).toContain(`Shared on 18 Nov 2026 with ${OPEN_RECIPIENT}`);
        expect(shown[0]).toContain('OPENWHY');
        expect(shown[0]).toContain(
          'On what basis: Serious risk of harm to the client or others (public interest)',
        );
        released(w, ['OPENWHAT', 'OPENJUST']);
        expect(JSON.parse(w.portalViews['/portal/disclosures'] ?? '{}').disclosures).toMatchObject([
          { recipient: OPEN_RECIPIENT, legalBasis: 'serious-harm' },
        ]);
        // The one the law forbids telling: in no client-facing view at all, not even by its date.
        absentFromClient(w, [
          'WITHHELDRECIPIENT',
          'WITHHELDWHAT',
          'WITHHELDWHY',
          'WITHHELDJUST',
          's39',
          '19 Nov 2026',
          '2026-11-19',
        ]);
        // Each omission from the client's view of their disclosures is audited.
        const omissions = async () =>
          (
            await w.t.vault.db
              .selectFrom('audit_event')
              .select('action')
              .where('action', '=', 'disclosure.withheld-from-client')
              .execute()
          ).length;
        const before = await omissions();
        expect((await w.asClient('GET', '/portal/disclosures')).statusCode).toBe(200);
        expect(await omissions()).toBe(before + 1);
      },
    },
  },
  {
    clauses: ['PG5-6a'],
    record:
      'a release for a formal accusation holding only the selected passages, the selection kept with it',
    kept: async (w) => {
      const requests = (await w.call('GET', '/release-requests', undefined, 200)).json().requests;
      expect(requests.find((r: { id: string }) => r.id === w.accusation.requestId)).toMatchObject({
        basis: 'formal-accusation',
        requester: 'COSRT conduct panel (fictional)',
        status: 'issued',
        releaseId: w.accusation.releaseId,
      });
      // Produced again exactly as issued: the selected passage and nothing else of the record;
      // every passage not selected is listed as withheld, so the selection is read off the release.
      const again = await w.call('GET', `/releases/${w.accusation.releaseId}/pdf`, undefined, 200);
      const text = await pdfText(again.rawPayload);
      expect(text).toBe(w.accusation.pdf);
      expect(text).toContain('Selected from the record');
      expect(text).toContain(w.accusation.selected);
      for (const other of [
        NOTE.decisions,
        NOTE.information,
        ASSESSMENT.presenting,
        RISK.steps,
        ENDING.outcomes,
      ]) {
        expect(text).not.toContain(other);
        expect(w.accusation.fhir).not.toContain(other);
      }
      expect(text).toContain(
        'not selected: a formal accusation releases the minimum the practitioner selects',
      );
      expect(text).not.toContain(ROWAN.email);
      expect(w.accusation.fhir).toContain(w.accusation.selected);
      expect((await w.call('GET', `/releases/${w.accusation.releaseId}/fhir`, undefined, 200)).body).toBe(
        w.accusation.fhir,
      );
    },
    client: {
      right: true,
      // The client has a right to know of it (the earlier requests for their records); the
      // copy itself is the panel's, never downloadable in the portal.
      check: async (w) => {
        expect(section(w, RELEASE_SECTIONS.releases)).toContainEqual(
          expect.stringMatching(/^Asked on 21 Nov 2026 by COSRT conduct panel \(fictional\): .*Released on /),
        );
        expect(w.release.pdf).toContain('Asked on 21 Nov 2026 by COSRT conduct panel (fictional)');
        expect((await w.asClient('GET', `/portal/releases/${w.accusation.releaseId}/pdf`)).statusCode).toBe(
          404,
        );
        expect(w.portalViews['/portal/releases']).not.toContain(w.accusation.requestId);
      },
    },
  },
  {
    clauses: ['PG5-8'],
    record: 'the insurer’s retention period, kept with each policy',
    kept: async (w) => {
      const insurance = (await w.call('GET', '/profile', undefined, 200)).json().profile.insurance;
      expect(insurance).toMatchObject([
        { insurer: INSURER, startsOn: '2026-01-01', endsOn: '2099-12-31', retentionYears: 12 },
      ]);
    },
    client: {
      right: false,
      why: 'the practitioner’s own insurance, about no client',
      check: (w) => absentFromClient(w, ['INSURERNAME']),
    },
  },
];

it('has a row for every clause the catalogue marks recorded', () => {
  const tested = new Set(rows.flatMap((r) => r.clauses));
  const recorded = catalogue.filter((c) => c.status === 'recorded').map((c) => c.id);
  expect(recorded.length).toBeGreaterThan(0);
  expect(recorded.filter((id) => !tested.has(id))).toEqual([]);
});

// ------------------------------------------------------------------ the record, through the API

describe.each(testEngines)('recorded clauses on $name', (engine) => {
  const w = {} as World;

  beforeAll(async () => {
    const t = await startTestApp(engine);
    w.t = t;
    w.me = await addStaff(t.vault, {
      email: 'me@example.test',
      name: 'Me (fictional)',
      roles: ['practitioner'],
    });
    w.supervisor = await addStaff(t.vault, {
      email: 'sup@example.test',
      name: SUPERVISOR_NAME,
      roles: ['supervisor'],
    });
    const inject = (who: TestStaff) => async (method: Method, url: string, payload?: unknown) =>
      await t.app.inject({
        method,
        url: `/api/v1${url}`,
        headers: bearer(who),
        ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
      });
    w.call = async (method, url, payload, expected) => {
      const response = await inject(w.me)(method, url, payload);
      if (expected !== undefined)
        expect(response.statusCode, `${method} ${url}: ${response.body}`).toBe(expected);
      return response;
    };
    const created = async (url: string, payload: unknown) => (await w.call('POST', url, payload, 201)).json();
    const consent = (clientId: string, type: string, givenOn: string, extra: Record<string, unknown> = {}) =>
      created(`/clients/${clientId}/consents`, {
        type,
        givenOn,
        givenBy: 'client',
        mode: 'written-in-person',
        ...extra,
      });
    const structured = (kind: string, fields: Record<string, string>, attribution: string[]) =>
      w.call('POST', `/cases/${w.caseId}/structured-entries`, { kind, attribution, fields });

    w.rowan = (await created('/clients', { identity: ROWAN })).id;
    w.portal = await addStaff(t.vault, {
      email: 'rowan.portal@example.test',
      name: 'Rowan (fictional)',
      roles: ['client'],
      clientId: w.rowan,
    });
    w.asClient = inject(w.portal);
    w.caseId = (await created('/cases', { kind: 'individual', clientIds: [w.rowan] })).id;
    w.participant = (await w.call('GET', `/cases/${w.caseId}`, undefined, 200)).json().participants[0].id;
    // Sessions (assessment sessions: no contract is needed, and contracts are not what this
    // file proves), and a session note in the Code's three sections (GT-40a–c).
    const session = async (kind: string, startsAt: string) =>
      (
        await created(`/cases/${w.caseId}/sessions`, {
          kind,
          format: 'in-person',
          startsAt,
          minutes: 60,
          attendance: 'attended',
        })
      ).id as string;
    const first = await session('assessment', '2026-11-03T10:00:00Z');
    await session('assessment', '2026-11-10T10:00:00Z');
    w.refused = {} as World['refused'];
    w.refused.unknownSection = await w.call('POST', `/cases/${w.caseId}/notes`, {
      sessionId: first,
      passages: [{ section: 'gossip', html: '<p>x</p>', attribution: [] }],
    });
    w.noteId = (
      await created(`/cases/${w.caseId}/notes`, {
        sessionId: first,
        passages: [
          { section: 'findings', html: `<p>${NOTE.findings}</p>`, attribution: [w.participant] },
          { section: 'decisions', html: `<p>${NOTE.decisions}</p>`, attribution: [w.participant] },
          { section: 'information', html: `<p>${NOTE.information}</p>`, attribution: [] },
        ],
      })
    ).id;
    await w.call('POST', `/notes/${w.noteId}/sign`, {}, 200);

    // The assessment (GT-21a, GT-22g) and the risk assessment (GT-47–GT-49), each with a
    // required field left out first.
    const { history: _history, ...noHistory } = ASSESSMENT;
    w.refused.noHistory = await structured('assessment', noHistory, [w.participant]);
    w.assessmentId = (await structured('assessment', ASSESSMENT, [w.participant])).json().id;
    const { steps: _steps, ...noSteps } = RISK;
    w.refused.noSteps = await structured('risk', noSteps, [w.participant]);
    const risk = await structured('risk', RISK, [w.participant]);
    expect(risk.statusCode, risk.body).toBe(201);
    w.riskId = risk.json().id;

    // Consents of their own (GT-25, GT-37), and the release consent a referral letter needs.
    await consent(w.rowan, 'physical-examination', '2026-11-03');
    await consent(w.rowan, 'explicit-material', '2026-11-04');
    await consent(w.rowan, 'third-party-release', '2026-11-05', { recipient: GP });

    // Disclosures without consent (PG5-2): one the client may be told of, one the law forbids.
    await created(`/cases/${w.caseId}/disclosures`, {
      clientId: w.rowan,
      disclosedOn: '2026-11-18',
      recipient: OPEN_RECIPIENT,
      what: 'OPENWHAT: a risk to Rowan’s safety (fictional).',
      legalBasis: 'serious-harm',
      whyNoConsent: 'OPENWHY: asking would put Rowan at risk (fictional).',
      justification: 'OPENJUST: a serious risk of harm (fictional).',
      withholdFromClient: false,
    });
    await created(`/cases/${w.caseId}/disclosures`, {
      clientId: w.rowan,
      disclosedOn: '2026-11-19',
      recipient: WITHHELD_RECIPIENT,
      what: 'WITHHELDWHAT: information about acts of terrorism (fictional).',
      legalBasis: 'terrorism-act-2000-s38b',
      whyNoConsent: 'WITHHELDWHY: the law forbids tipping off (fictional).',
      justification: 'WITHHELDJUST: a legal duty (fictional).',
      withholdFromClient: true,
      withholdBasis: WITHHOLD_BASIS,
    });

    // A dual relationship (GT-34, GT-35): the case moves to its ending, a referral still to make.
    await created(`/cases/${w.caseId}/dual-relationships`, {
      declaredOn: '2026-11-26',
      description: DUAL,
      supervisorId: w.supervisor.userId,
    });
    w.statusAfterDual = (await w.call('GET', `/cases/${w.caseId}`, undefined, 200)).json().status;
    w.dualBeforeReferral = (
      await w.call('GET', `/cases/${w.caseId}/dual-relationships`, undefined, 200)
    ).json();
    w.referralId = (
      await created(`/cases/${w.caseId}/referrals`, {
        clientId: w.rowan,
        to: GP,
        reason: 'LETTER1: a considered referral after a dual relationship (fictional).',
      })
    ).id;

    // The planned ending (GT-84, GT-84d) closes the case; outcomes are required.
    const { outcomes: _outcomes, ...noOutcomes } = ENDING;
    w.refused.noOutcomes = await structured('ending', noOutcomes, [w.participant]);
    const ending = await structured('ending', ENDING, [w.participant]);
    expect(ending.statusCode, ending.body).toBe(201);
    w.endingId = ending.json().id;

    // The practitioner's own professional record: CPD (GT-13, GT-14), insurance (PG5-8).
    const year = (await w.call('GET', '/compliance', undefined, 200)).json().cpd.year;
    await created('/profile/items', {
      section: 'cpd',
      item: { date: year.start, title: CPD_TITLE, hours: 6.5, sexAndRelationship: true, faceToFace: true },
    });
    await created('/profile/items', {
      section: 'insurance',
      item: { insurer: INSURER, startsOn: '2026-01-01', endsOn: '2099-12-31', retentionYears: 12 },
    });

    // A formal accusation (PG5-6a): only the selected passage is released.
    const accusation = (
      await created('/release-requests', {
        clientId: w.rowan,
        basis: 'formal-accusation',
        requester: 'COSRT conduct panel (fictional)',
        receivedOn: '2026-11-21',
      })
    ).id as string;
    const all = (await w.call('POST', `/release-requests/${accusation}/preview`, {}, 200)).json()
      .passages as PreviewPassage[];
    const chosen = all.find((p) => p.text.includes('NOTEFINDINGS'));
    expect(chosen).toBeDefined();
    const issuedAccusation = await created(`/release-requests/${accusation}/issue`, {
      include: [chosen?.ref],
    });
    w.accusation = {
      requestId: accusation,
      releaseId: issuedAccusation.id,
      selected: NOTE.findings,
      pdf: await pdfText(
        (await w.call('GET', `/releases/${issuedAccusation.id}/pdf`, undefined, 200)).rawPayload,
      ),
      fhir: (await w.call('GET', `/releases/${issuedAccusation.id}/fhir`, undefined, 200)).body,
    };

    // Research (GT-114): five other clients consent in writing; Rowan does not.
    for (const [i, letter] of ['A', 'B', 'C', 'D', 'E'].entries()) {
      const clientId = (
        await created('/clients', {
          identity: { name: `Research Person ${letter} (fictional)`, dateOfBirth: `199${i}-05-0${i + 1}` },
        })
      ).id;
      const caseId = (await created('/cases', { kind: 'individual', clientIds: [clientId] })).id;
      const ids: string[] = [];
      for (const startsAt of ['2026-10-05T10:00:00Z', '2026-10-12T10:00:00Z']) {
        ids.push(
          (
            await created(`/cases/${caseId}/sessions`, {
              kind: 'assessment',
              format: 'in-person',
              startsAt,
              minutes: 50,
              attendance: 'attended',
            })
          ).id,
        );
      }
      const noteId = (
        await created(`/cases/${caseId}/notes`, {
          sessionId: ids[0],
          passages: [{ section: 'findings', html: `<p>${RESEARCH_NOTE}</p>`, attribution: [] }],
        })
      ).id;
      await w.call('POST', `/notes/${noteId}/sign`, {}, 200);
      await consent(clientId, 'research', '2026-10-05');
    }
    w.research = await w.call('POST', '/research-exports', { purpose: 'research', k: 5 });

    // Last, the client's own subject access release, as previewed, issued and downloaded.
    const requestId = (
      await created('/release-requests', {
        clientId: w.rowan,
        basis: 'subject-access',
        receivedOn: '2026-11-28',
      })
    ).id;
    const preview = (await w.call('POST', `/release-requests/${requestId}/preview`, {}, 200)).json();
    const issued = await created(`/release-requests/${requestId}/issue`, {});
    const portalPdf = await w.asClient('GET', `/portal/releases/${issued.id}/pdf`);
    expect(portalPdf.statusCode).toBe(200);
    w.release = {
      sections: preview.sections,
      passages: preview.passages,
      pdf: await pdfText((await w.call('GET', `/releases/${issued.id}/pdf`, undefined, 200)).rawPayload),
      fhir: (await w.call('GET', `/releases/${issued.id}/fhir`, undefined, 200)).body,
      portalPdf: await pdfText(portalPdf.rawPayload),
      portalFhir: (await w.asClient('GET', `/portal/releases/${issued.id}/fhir`)).body,
    };
    w.portalViews = {};
    for (const url of ['/portal', '/portal/consents', '/portal/disclosures', '/portal/releases']) {
      const response = await w.asClient('GET', url);
      expect(response.statusCode, url).toBe(200);
      w.portalViews[url] = response.body;
    }
  }, 180_000);
  afterAll(async () => {
    await w.t?.close();
  });

  for (const row of rows) {
    const where = row.client.right
      ? 'in the client’s release'
      : `absent from every client-facing view (${row.client.why})`;
    clause(
      row.clauses,
      `${row.clauses.join(', ')}: keeps ${row.record}, reachable by the practitioner, ${where}`,
      async () => {
        await row.kept(w);
        await row.client.check(w);
      },
    );
  }
});

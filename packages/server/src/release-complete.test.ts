import {
  consentTypeLabels,
  formatDate,
  formatDateTime,
  formatDay,
  htmlToText,
  sessionKindLabels,
} from '@alcove/core';
import { testEngines } from '@alcove/store/testing';
import { sql } from 'kysely';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELEASE_SECTIONS, TABLE_RELEASE } from './release-coverage.ts';
import { addStaff, bearer, startTestApp, type TestApp, type TestStaff } from './testing/app.ts';
import { contractText } from './testing/contracts.ts';
import { fhirValidator, STANDARD_R4_TYPES } from './testing/fhir.ts';

/**
 * A release compared with the record it came from, entry by entry: a couple's rich record
 * (sessions, one of them without partner A; notes and structured entries; consents given
 * and withdrawn; a contract in two versions; an earlier release; referral letters;
 * disclosures, one withheld by law) and partner A's subject access release of it, as the
 * preview, the PDF and the FHIR bundle.
 */
const ROWAN = {
  name: 'Rowan Ash (fictional)',
  email: 'rowan@example.test',
  dateOfBirth: '1984-03-02',
  pronouns: 'they/them',
};
const SKY = {
  name: 'Sky Birch (fictional)',
  email: 'sky@example.test',
  phone: '07700 900456',
  dateOfBirth: '1986-07-09',
};
/** Partner B's identifiers and own material: none of it may reach partner A's release. */
const B_OWN = [
  'Sky',
  'Birch',
  'sky@example.test',
  '900456',
  '1986-07-09',
  '9 Jul 1986',
  'BOWN',
  'BSOLO',
  'BLETTER',
  'BDISCLOSED',
  'WITHHELD',
  'Research (PG5-4)',
];
/** Every slug Alcove stores, and any lower-case hyphenated word: a person never reads one. */
const SLUG = /(?<![\p{L}\p{N}@.-])[a-z]+(?:-[a-z]+)+(?![\p{L}\p{N}-])/gu;

const FOOTER = /Test Practice \(fictional\) · [^·]+ · page (\d+) of (\d+)/;

interface PdfPages {
  /** Each page's text without its footer. */
  readonly bodies: string[];
  /** The page numbers the footers print, and the total they claim. */
  readonly footers: { page: number; of: number }[];
  /** All pages' bodies, whitespace collapsed: a passage broken across pages reads whole. */
  readonly text: string;
}

async function pdfPages(bytes: Buffer): Promise<PdfPages> {
  const { text } = await extractText(await getDocumentProxy(new Uint8Array(bytes)), { mergePages: false });
  const footers: PdfPages['footers'] = [];
  const bodies = text.map((page) => {
    const footer = page.match(FOOTER);
    if (footer !== null) footers.push({ page: Number(footer[1]), of: Number(footer[2]) });
    return page.replace(FOOTER, '').trim();
  });
  return { bodies, footers, text: squash(bodies.join(' ')) };
}

const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

describe.each(testEngines)('a release against its record on $name', (engine) => {
  let t: TestApp;
  let me: TestStaff;
  let supervisor: TestStaff;
  let rowan: string;
  let sky: string;
  let caseId: string;
  let a: { id: string };
  let b: { id: string };
  const sessions: { id: string; startsAt: string; kind: 'assessment' | 'therapy' }[] = [];
  let earlierReleaseId: string | null;

  const call = async (method: 'GET' | 'POST', url: string, payload?: unknown, expected?: number) => {
    const response = await t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: bearer(me),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
    if (expected !== undefined)
      expect(response.statusCode, `${method} ${url}: ${response.body}`).toBe(expected);
    return response;
  };
  const created = async (url: string, payload: unknown) => (await call('POST', url, payload, 201)).json();
  const consent = (clientId: string, type: string, givenOn: string, extra: Record<string, unknown> = {}) =>
    created(`/clients/${clientId}/consents`, {
      type,
      givenOn,
      givenBy: 'client',
      mode: 'written-in-person',
      ...extra,
    });
  const session = async (
    kind: 'assessment' | 'therapy',
    startsAt: string,
    attendance: string,
    present?: string[],
  ) => {
    const { id } = await created(`/cases/${caseId}/sessions`, {
      kind,
      format: 'in-person',
      startsAt,
      minutes: kind === 'assessment' ? 90 : 60,
      attendance,
      ...(present === undefined ? {} : { present }),
    });
    sessions.push({ id, startsAt, kind });
    return id as string;
  };
  const note = async (sessionId: string, passages: { html: string; attribution: string[] }[]) => {
    const { id } = await created(`/cases/${caseId}/notes`, {
      sessionId,
      passages: passages.map((p) => ({ section: 'findings', ...p })),
    });
    await call('POST', `/notes/${id}/sign`, {}, 200);
    return id as string;
  };
  const contract = async (
    text: string,
    signers: readonly ({ kind: 'practitioner' } | { kind: 'client'; clientId: string })[],
  ) => {
    const version = await created(`/cases/${caseId}/contracts`, { text: contractText(text) });
    for (const signer of signers) {
      await call(
        'POST',
        `/cases/${caseId}/contracts/${version.id}/signatures`,
        { signer, textHash: version.textHash },
        201,
      );
    }
  };

  beforeAll(async () => {
    t = await startTestApp(engine);
    me = await addStaff(t.vault, {
      email: 'me@example.test',
      name: 'Me (fictional)',
      roles: ['practitioner'],
    });
    supervisor = await addStaff(t.vault, {
      email: 'sup@example.test',
      name: 'Supervisor (fictional)',
      roles: ['supervisor'],
    });
    rowan = (await created('/clients', { identity: ROWAN })).id;
    sky = (await created('/clients', { identity: SKY })).id;
    caseId = (await created('/cases', { kind: 'couple', clientIds: [rowan, sky] })).id;
    [a, b] = (await call('GET', `/cases/${caseId}`)).json().participants;

    // The contract, signed by everyone, then a second version partner B has not signed yet.
    await contract('CONTRACT ONE (fictional): we meet weekly for an hour, and what is said stays here.', [
      { kind: 'practitioner' },
      { kind: 'client', clientId: rowan },
      { kind: 'client', clientId: sky },
    ]);
    const first = await session('assessment', '2026-11-03T10:00:00Z', 'attended');
    const withoutA = await session('therapy', '2026-11-10T10:00:00Z', 'attended', [b.id]);
    await session('therapy', '2026-11-17T10:00:00Z', 'did-not-attend');
    const last = await session('therapy', '2026-11-24T10:00:00Z', 'attended', [a.id, b.id]);
    await contract(
      'CONTRACT TWO (fictional): we meet fortnightly for an hour, and what is said stays here.',
      [{ kind: 'practitioner' }, { kind: 'client', clientId: rowan }],
    );

    const firstNote = await note(first, [
      { html: '<p>AOWN1: Rowan feels unheard at home (fictional).</p>', attribution: [a.id] },
      { html: '<p>BOWN1: a matter partner B told me alone (fictional).</p>', attribution: [b.id] },
      { html: '<p>JOINT1: both agree a weekly check in (fictional).</p>', attribution: [a.id, b.id] },
      { html: '<p>FORMULATION1: a pursue and withdraw cycle (fictional).</p>', attribution: [] },
    ]);
    await note(withoutA, [{ html: '<p>BSOLO: partner B came alone (fictional).</p>', attribution: [b.id] }]);
    await note(last, [
      { html: '<p>AOWN2: Rowan noticed the cycle twice (fictional).</p>', attribution: [a.id] },
    ]);
    await created(`/notes/${firstNote}/addenda`, {
      reason: 'A correction (fictional).',
      passages: [
        {
          section: 'findings',
          html: '<p>ADDENDUM1: it was twice a week (fictional).</p>',
          attribution: [a.id],
        },
      ],
    });
    await created(`/cases/${caseId}/structured-entries`, {
      kind: 'assessment',
      attribution: [a.id],
      fields: {
        presenting: 'ASSESSED1: low desire (fictional).',
        history: 'HISTORY1: none of note (fictional).',
      },
    });
    await created(`/cases/${caseId}/structured-entries`, {
      kind: 'risk',
      attribution: [a.id, b.id],
      fields: {
        level: 'RISK1: low, to no one (fictional).',
        concerns: 'RISK2: raised voices (fictional).',
        steps: 'RISK3: asked each alone (fictional).',
      },
    });
    await created(`/cases/${caseId}/entries`, {
      kind: 'contact-note',
      occurredAt: '2026-11-12T09:30:00Z',
      passages: [{ text: 'CONTACT1: Rowan phoned to move a session (fictional).', attribution: [a.id] }],
    });

    // Consents: A's given and withdrawn; both partners' joint-material consent; B's own.
    const team = await consent(rowan, 'team-sharing', '2026-11-03');
    await call('POST', `/clients/${rowan}/consents/${team.id}/withdraw`, { withdrawnOn: '2026-11-20' }, 204);
    await consent(rowan, 'joint-material-release', '2026-11-03');
    await consent(rowan, 'third-party-release', '2026-11-05', { recipient: 'Dr Okafor GP (fictional)' });
    await consent(sky, 'joint-material-release', '2026-11-04');
    await consent(sky, 'research', '2026-11-04');
    await consent(sky, 'third-party-release', '2026-11-05', { recipient: 'BLETTER clinic (fictional)' });
    await created(`/clients/${rowan}/gillick-assessments`, {
      caseId,
      assessedOn: '2026-11-03',
      competent: true,
      notes: 'GILLICK1: understands what therapy involves (fictional).',
    });

    await created(`/cases/${caseId}/referrals`, {
      clientId: rowan,
      to: 'Dr Okafor GP (fictional)',
      reason: 'LETTER1: a medical review of low desire (fictional).',
    });
    await created(`/cases/${caseId}/referrals`, {
      clientId: sky,
      to: 'BLETTER clinic (fictional)',
      reason: 'BLETTER: a matter of partner B’s own (fictional).',
    });
    const disclosure = (clientId: string, recipient: string, withhold: boolean) =>
      created(`/cases/${caseId}/disclosures`, {
        clientId,
        disclosedOn: '2026-11-18',
        recipient,
        what: `${recipient.split(' ')[0]} what (fictional)`,
        legalBasis: withhold ? 'terrorism-act-2000-s38b' : 'serious-harm',
        whyNoConsent: 'DISCLOSEDWHY: asking would put someone at risk (fictional).',
        justification: 'DISCLOSEDJUST: a serious risk of harm (fictional).',
        withholdFromClient: withhold,
        ...(withhold ? { withholdBasis: 'Terrorism Act 2000, s39' } : {}),
      });
    await disclosure(rowan, 'OPENRECIPIENT social worker (fictional)', false);
    await disclosure(rowan, 'WITHHELD unit (fictional)', true);
    await disclosure(sky, 'BDISCLOSED service (fictional)', false);

    await created(`/cases/${caseId}/presentations`, {
      supervisorId: supervisor.userId,
      presentedOn: '2026-11-19',
      material: '<p>SUPERVISED1: I notice I side with one partner (fictional).</p>',
    });
    await created(`/cases/${caseId}/dual-relationships`, {
      declaredOn: '2026-11-26',
      description: 'DUAL1: we sing in the same fictional choir.',
      supervisorId: supervisor.userId,
    });
    // The planned ending closes the case: the release says on which day.
    await created(`/cases/${caseId}/structured-entries`, {
      kind: 'ending',
      attribution: [a.id, b.id],
      fields: {
        summary: 'ENDING1: we ended as planned (fictional).',
        outcomes: 'ENDING2: fewer arguments (fictional).',
      },
    });

    // An earlier release to A, and one to B that A's must not mention.
    const earlier = await created('/release-requests', {
      clientId: rowan,
      basis: 'subject-access',
      receivedOn: '2026-11-15',
    });
    await call('POST', `/release-requests/${earlier.id}/issue`, {}, 201);
    earlierReleaseId = (await call('GET', '/release-requests'))
      .json()
      .requests.find((r: { id: string }) => r.id === earlier.id).releaseId;
    const bRequest = await created('/release-requests', {
      clientId: sky,
      basis: 'subject-access',
      receivedOn: '2026-11-16',
    });
    await call('POST', `/release-requests/${bRequest.id}/issue`, {}, 201);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('holds every session, passage, consent, contract version and earlier release of partner A’s, in words, and nothing of B’s own', async () => {
    const requestId = (
      await created('/release-requests', {
        clientId: rowan,
        basis: 'subject-access',
        receivedOn: '2026-11-28',
      })
    ).id;
    const preview = (await call('POST', `/release-requests/${requestId}/preview`, {}, 200)).json();
    const sections = preview.sections as {
      heading: string;
      items: { label: string | null; text: string }[];
    }[];
    const section = (heading: string) => {
      const found = sections.find((s) => s.heading === heading);
      expect(found, heading).toBeDefined();
      return found?.items.map((i) => `${i.label ?? ''} ${i.text}`.trim()) ?? [];
    };
    const issued = await created(`/release-requests/${requestId}/issue`, {});
    const pdf = await pdfPages((await call('GET', `/releases/${issued.id}/pdf`, undefined, 200)).rawPayload);
    const fhirText = (await call('GET', `/releases/${issued.id}/fhir`, undefined, 200)).body;
    const bundle = JSON.parse(fhirText);
    const validate = fhirValidator();
    expect(validate(bundle), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    const resources = bundle.entry.map((e: { resource: Record<string, unknown> }) => e.resource) as {
      resourceType: string;
      [key: string]: unknown;
    }[];
    expect(resources.every((r) => STANDARD_R4_TYPES.has(r.resourceType))).toBe(true);
    const composition = resources.find((r) => r.resourceType === 'Composition') as unknown as {
      section: { title: string; text: { div: string } }[];
    };
    const fhirSection = (title: string) =>
      squash(
        htmlToText(
          composition.section.find((s) => s.title === title)?.text.div.replaceAll('<br/>', '\n') ?? '',
        ),
      );

    // The therapy, from the day the record holds for its start: the first session held.
    const caseHeading = sections.find((s) => s.heading.startsWith('Couple therapy'))?.heading ?? '';
    expect(caseHeading).toMatch(
      /^Couple therapy, from 3 Nov 2026, closed on \d+ \w{3} \d{4} \(you are Partner A\)$/,
    );
    expect(pdf.text).toContain(caseHeading);

    // Every session of A's, with its day and time in words and its kind; a session held with B
    // alone (10 Nov) is B's, and is not in A's release at all.
    const record = (await call('GET', `/cases/${caseId}`, undefined, 200)).json();
    expect(record.sessions).toHaveLength(sessions.length);
    const aParticipant = (record.participants as { id: string; clientId: string }[]).find(
      (p) => p.clientId === rowan,
    )?.id;
    const mine = (
      record.sessions as {
        startsAt: string;
        kind: 'assessment' | 'therapy';
        attendance: string;
        present: string[] | null;
      }[]
    ).filter(
      (s) => !(s.attendance === 'attended' && s.present !== null && !s.present.includes(aParticipant ?? '')),
    );
    expect(mine).toHaveLength(record.sessions.length - 1);
    const sessionLines = section(caseHeading);
    expect(sessionLines).toHaveLength(mine.length);
    for (const s of mine) {
      const line = sessionLines.find((l) => l.startsWith(`${formatDateTime(s.startsAt)}: `));
      expect(line, s.startsAt).toBeDefined();
      expect(line).toContain(sessionKindLabels[s.kind]);
      expect(pdf.text).toContain(line);
    }
    expect(sessionLines).toEqual([
      '3 Nov 2026, 10:00: Assessment session, in person, 90 minutes: attended',
      '17 Nov 2026, 10:00: Therapy session, in person, 60 minutes: did not attend',
      '24 Nov 2026, 10:00: Therapy session, in person, 60 minutes: attended',
    ]);
    expect(pdf.text).not.toContain('10 Nov 2026');
    const encounters = resources.filter((r) => r.resourceType === 'Encounter');
    expect(encounters.map((e) => (e.period as { start: string }).start).sort()).toEqual(
      mine.map((s) => s.startsAt).sort(),
    );
    for (const e of encounters) expect((e.type as { text: string }[])[0]?.text).toMatch(/^Couple therapy: /);

    // Every passage of the record: A's own and the joint ones (B consented) in, B's own out.
    const entries = (await call('GET', `/clients/${rowan}/record`, undefined, 200)).json().cases[0]
      .entries as {
      id: string;
      passages: { position: number; attribution: string[]; text: string }[];
    }[];
    const refs = new Map(
      (preview.passages as { ref: string; included: boolean; text: string }[]).map((p) => [p.ref, p]),
    );
    let released = 0;
    for (const entry of entries) {
      for (const p of entry.passages) {
        const assembled = refs.get(`${entry.id}:${p.position}`);
        expect(assembled, `${entry.id}:${p.position}`).toBeDefined();
        const allowed = p.attribution.length === 0 || p.attribution.includes(a.id);
        expect(assembled?.included, p.text).toBe(allowed);
        const words = squash(htmlToText(p.text));
        if (allowed) {
          released += 1;
          expect(pdf.text).toContain(words);
          expect(fhirSection(RELEASE_SECTIONS.record)).toContain(words);
        } else {
          expect(pdf.text).not.toContain(words.slice(0, 12));
        }
      }
    }
    expect(released).toBe(13);
    // The record's other clinical items go through the same rules.
    for (const marker of ['GILLICK1', 'SUPERVISED1', 'DUAL1']) expect(pdf.text).toContain(marker);
    expect(pdf.text).toContain(
      'Assessment of competence to consent (Gillick) of 3 Nov 2026: found competent',
    );
    expect(pdf.text).toContain('Presented to supervision on 19 Nov 2026');
    expect(pdf.text).toContain('Dual relationship declared on 26 Nov 2026; fees stop from 26 Nov 2026');

    // Every consent of A's, with its label and the days it was given and withdrawn.
    const consents = (await call('GET', `/clients/${rowan}/consents`, undefined, 200)).json().consents as {
      type: keyof typeof consentTypeLabels;
      givenOn: string;
      withdrawnOn: string | null;
    }[];
    const consentLines = section(RELEASE_SECTIONS.consents);
    expect(consentLines).toHaveLength(consents.length);
    for (const c of consents) {
      const line = consentLines.find((l) => l.startsWith(consentTypeLabels[c.type]));
      expect(line, c.type).toContain(`given on ${formatDay(c.givenOn)}`);
      expect(line).toContain(
        c.withdrawnOn === null ? 'in force' : `withdrawn on ${formatDay(c.withdrawnOn)}`,
      );
      expect(pdf.text).toContain(line);
    }
    expect(consentLines).toContain(
      'Sharing within the team (PG5-3): given on 3 Nov 2026 by the client, in writing, in person; withdrawn on 20 Nov 2026.',
    );
    const fhirConsents = resources.filter((r) => r.resourceType === 'Consent');
    expect(fhirConsents.map((c) => (c.category as { text: string }[])[0]?.text).sort()).toEqual(
      consents.map((c) => consentTypeLabels[c.type]).sort(),
    );

    // Both contract versions, with A's and the practitioner's signatures; B's only by place.
    const contracts = section(RELEASE_SECTIONS.contracts);
    expect(contracts).toHaveLength(2);
    const today = formatDate(new Date());
    expect(contracts[0]).toContain(`Couple therapy: contract version 1 of ${today}, replaced on ${today}`);
    expect(contracts[0]).toContain(`You signed it in person on ${today}.`);
    expect(contracts[0]).toContain(`Your practitioner, Me (fictional), signed it in person on ${today}.`);
    expect(contracts[0]).toContain(`Partner B signed it on ${today}.`);
    expect(contracts[0]).toContain('CONTRACT ONE (fictional)');
    expect(contracts[1]).toContain(`Couple therapy: contract version 2 of ${today}, the current version`);
    expect(contracts[1]).toContain(`You signed it in person on ${today}.`);
    expect(contracts[1]).not.toContain('Partner B');
    expect(contracts[1]).toContain('CONTRACT TWO (fictional)');
    for (const c of contracts) expect(pdf.text).toContain(squash(c).slice(0, 120));

    // The earlier release to A; B's is not A's to see.
    const log = section(RELEASE_SECTIONS.releases);
    expect(earlierReleaseId).toBeTruthy();
    expect(log).toEqual([
      `Asked on 15 Nov 2026: The client’s right of access (UK GDPR, Article 15). Released on ${today}.`,
    ]);
    expect(pdf.text).toContain(log[0]);

    // Referral letters about A, and the disclosure A may be told of, never the withheld one.
    expect(section(RELEASE_SECTIONS.referrals)).toHaveLength(1);
    expect(pdf.text).toContain('LETTER1');
    const disclosures = section(RELEASE_SECTIONS.disclosures);
    expect(disclosures).toHaveLength(1);
    expect(disclosures[0]).toContain('Shared on 18 Nov 2026 with OPENRECIPIENT social worker (fictional)');
    expect(disclosures[0]).toContain(
      'On what basis: Serious risk of harm to the client or others (public interest)',
    );

    // Nothing of B's own, anywhere.
    for (const secret of [...B_OWN, sky]) {
      expect(pdf.text, secret).not.toContain(secret);
      expect(fhirText, secret).not.toContain(secret);
      expect(JSON.stringify(preview.sections), secret).not.toContain(secret);
    }

    // Kinds in words: no slug in the PDF, nor in the bundle's words for people.
    expect(pdf.text.match(SLUG) ?? []).toEqual([]);
    expect(JSON.stringify(preview.sections).match(SLUG) ?? []).toEqual([]);
    for (const r of fhirConsents) expect(JSON.stringify(r.category).match(SLUG) ?? []).toEqual([]);
    for (const r of encounters) expect(JSON.stringify(r.type).match(SLUG) ?? []).toEqual([]);

    // Every section in the PDF and the Composition; every page has content (no trailing blank).
    for (const heading of sections.map((s) => s.heading)) {
      expect(pdf.text).toContain(heading);
      expect(composition.section.map((s) => s.title)).toContain(heading);
    }
    expect(pdf.bodies.length).toBeGreaterThan(1);
    for (const [i, body] of pdf.bodies.entries()) expect(body.length, `page ${i + 1}`).toBeGreaterThan(0);
    expect(pdf.footers).toEqual(pdf.bodies.map((_, i) => ({ page: i + 1, of: pdf.bodies.length })));
  });

  it('exercises every kind of record declared released, and each fills its section', async () => {
    const requestId = (
      await created('/release-requests', {
        clientId: rowan,
        basis: 'subject-access',
        receivedOn: '2026-11-29',
      })
    ).id;
    const preview = (await call('POST', `/release-requests/${requestId}/preview`, {}, 200)).json();
    const filled = (heading: string) =>
      (preview.sections as { heading: string; count: number }[]).some(
        (s) =>
          (s.heading === heading ||
            (heading === RELEASE_SECTIONS.sessions && / therapy, /.test(s.heading))) &&
          s.count > 0,
      );
    for (const [table, treatment] of Object.entries(TABLE_RELEASE)) {
      if (!treatment.released) continue;
      const rows = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(
        t.vault.db,
      );
      expect(Number(rows.rows[0]?.n), `${table}: the rich record holds none`).toBeGreaterThan(0);
      expect(filled(RELEASE_SECTIONS[treatment.section]), `${table} → ${treatment.section}`).toBe(true);
    }
  });
});

import {
  attendanceLabels,
  type ClientIdentity,
  Confidential,
  caseKindLabels,
  consentGivenByLabels,
  consentModeLabels,
  consentTypeLabels,
  contactChannelLabels,
  DEFAULT_LEGAL_BASES,
  type FhirReleaseInput,
  formatDate,
  formatDateTime,
  formatDay,
  htmlToText,
  labelOf,
  lawfulBasisLabels,
  releaseBasisLabels,
  sessionFormatLabels,
  sessionKindLabels,
  signingModeLabels,
  specialCategoryConditionLabels,
} from '@alcove/core';
import {
  type ConsentView,
  type ContractVersionView,
  consentsOf,
  contractVersions,
  type DisclosureView,
  type DualRelationshipView,
  disclosuresOf,
  dualRelationshipsOf,
  type GillickAssessmentView,
  gillickAssessmentsOf,
  legalBasesOf,
  listSessions,
  type Opened,
  type Presentation,
  presentations,
  type RecordCase,
  type ReferralView,
  type ReleaseRequestView,
  readableOrThrow,
  referralsOf,
  releaseRequests,
  type TherapySession,
  userNames,
  type Vault,
} from '@alcove/store';
import { RELEASE_SECTIONS } from './release-coverage.ts';

/**
 * What a release reads of the record beyond the entries, and how it writes each part for
 * people: every session, contract version, consent, disclosure the client may be told of,
 * referral letter and earlier release, with the dates the record holds, in words. Which
 * kinds of record a release holds, and why, is `release-coverage.ts`.
 */
export interface ReleaseRecord {
  readonly sessions: ReadonlyMap<string, readonly TherapySession[]>;
  readonly contracts: ReadonlyMap<string, readonly ContractVersionView[]>;
  readonly dualRelationships: ReadonlyMap<string, readonly DualRelationshipView[]>;
  readonly presentations: readonly Presentation[];
  readonly gillick: readonly GillickAssessmentView[];
  readonly consents: readonly ConsentView[];
  /** Never a disclosure withheld from the client (PG5-2): those are not read into a release at all. */
  readonly disclosures: readonly DisclosureView[];
  /** The disclosures left out because the law forbids telling the client (their ids only): each omission is audited when the release is issued. */
  readonly withheldDisclosureIds: readonly string[];
  readonly legalBasisLabels: ReadonlyMap<string, string>;
  /** The client's own referral letters, by case. */
  readonly referrals: readonly (ReferralView & { caseId: string })[];
  /** Every other request for the client's records, oldest first. */
  readonly earlierRequests: readonly ReleaseRequestView[];
  /** The practitioners of the client's cases, by user id. */
  readonly practitionerNames: ReadonlyMap<string, string>;
}

export async function readReleaseRecord(
  vault: Vault,
  practiceId: string,
  clientId: string,
  cases: readonly RecordCase[],
  requestId: string,
): Promise<ReleaseRecord> {
  const { db, keyring } = vault;
  const caseIds = new Set(cases.map((c) => c.id));
  const sessions = new Map<string, TherapySession[]>();
  const contracts = new Map<string, ContractVersionView[]>();
  const dualRelationships = new Map<string, DualRelationshipView[]>();
  const referrals: (ReferralView & { caseId: string })[] = [];
  for (const c of cases) {
    sessions.set(c.id, await listSessions(db, keyring, practiceId, c.id));
    contracts.set(c.id, await contractVersions(db, keyring, practiceId, c.id));
    dualRelationships.set(c.id, await dualRelationshipsOf(db, keyring, practiceId, c.id));
    for (const r of await referralsOf(db, keyring, practiceId, c.id)) {
      if (r.clientId === clientId) referrals.push({ ...r, caseId: c.id });
    }
  }
  const practitionerIds = [...new Set(cases.map((c) => c.practitionerId))];
  // Only the presentations of the client's own cases are read (and decrypted).
  const presented = (await presentations(db, keyring, practiceId, { caseIds: [...caseIds] })).reverse();
  const names = await userNames(db, keyring, practitionerIds);
  const bases = (await legalBasesOf(db, practiceId)) ?? DEFAULT_LEGAL_BASES;
  const disclosures = await disclosuresOf(db, keyring, practiceId, { clientId });
  return {
    sessions,
    contracts,
    dualRelationships,
    presentations: presented,
    gillick: await gillickAssessmentsOf(db, keyring, practiceId, clientId),
    consents: await consentsOf(db, keyring, practiceId, clientId),
    // Withheld disclosures (PG5-2) are left out here, before anything else sees them.
    disclosures: disclosures.filter((d) => !d.withheldFromClient),
    withheldDisclosureIds: disclosures.filter((d) => d.withheldFromClient).map((d) => d.id),
    legalBasisLabels: new Map(bases.map((b) => [b.id, b.label])),
    referrals,
    earlierRequests: (await releaseRequests(db, keyring, practiceId, { clientIds: [clientId] }))
      .filter((r) => r.id !== requestId)
      .reverse(),
    practitionerNames: new Map(
      practitionerIds.map((id) => [id, names.get(id)?.reveal() ?? 'The practitioner']),
    ),
  };
}

/** One item of the record that goes through the passage rules (`decidePassages`). */
export interface ReleaseItem {
  readonly ref: string;
  readonly caseId: string;
  /** Participant ids; empty is the practitioner's own material about the case (joint). */
  readonly attribution: readonly string[];
  /** What it is, with the date the record holds: "Session note of 3 Nov 2026, 10:00". */
  readonly what: string;
  /** As text (markup already turned into text); null where its key was destroyed. */
  readonly text: string | null;
}

/** A sealed field as a store read gives it: opened (sealed.ts), or a value or null. */
export type SealedField<T> = Opened<Confidential<T>> | Confidential<T> | null;

/**
 * The value of a sealed field for a release, which cannot go on without it: undefined when
 * its key was destroyed (crypto-shredded, said so in the release); a field that fails
 * authentication refuses the release (TamperedError) rather than be left out silently.
 */
export function revealSealed<T>(field: SealedField<T>): T | undefined {
  if (field === null) return undefined;
  if (field instanceof Confidential) return field.reveal();
  return readableOrThrow(field)?.reveal();
}

const readable = (field: SealedField<string>, html: boolean): string | null => {
  const text = revealSealed(field);
  return text === undefined ? null : html ? htmlToText(text) : text;
};

/**
 * The items of the record beyond the entries' passages: assessments of the client's
 * competence (their own), material presented to supervision and declared dual
 * relationships (the practitioner's own material about the case: joint).
 */
export function recordItems(
  record: ReleaseRecord,
  cases: readonly RecordCase[],
  clientId: string,
): ReleaseItem[] {
  const items: (ReleaseItem & { at: string })[] = [];
  for (const g of record.gillick) {
    const own = cases.find((c) => c.id === g.caseId)?.participants.find((p) => p.clientId === clientId);
    if (own === undefined) continue;
    items.push({
      ref: `gillick:${g.id}`,
      caseId: g.caseId,
      attribution: [own.id],
      what: `Assessment of competence to consent (Gillick) of ${formatDay(g.assessedOn)}: ${g.competent ? 'found competent' : 'not found competent'}`,
      text: readable(g.notes, false),
      at: g.assessedOn,
    });
  }
  // A dual relationship is told to supervision by a presentation of its own: it is released
  // once, as the declaration below.
  const declaring = new Set([...record.dualRelationships.values()].flat().map((d) => d.presentationId));
  for (const p of record.presentations) {
    if (declaring.has(p.id)) continue;
    items.push({
      ref: `presentation:${p.id}`,
      caseId: p.caseId,
      attribution: [],
      what: `Presented to supervision on ${formatDay(p.presentedOn)}`,
      text: readable(p.material, true),
      at: p.presentedOn,
    });
  }
  for (const [caseId, declared] of record.dualRelationships) {
    for (const d of declared) {
      items.push({
        ref: `dual-relationship:${d.id}`,
        caseId,
        attribution: [],
        what: `Dual relationship declared on ${formatDay(d.declaredOn)}; fees stop from ${formatDay(d.feesStopOn)}`,
        text: readable(d.description, false),
        at: d.declaredOn,
      });
    }
  }
  return items.sort((a, b) => a.at.localeCompare(b.at)).map(({ at: _, ...item }) => item);
}

type Section = { heading: string; items: { label?: string; text: string }[] };

/** The day therapy began, as the record holds it: the first session held. */
export function therapyBegan(sessions: readonly TherapySession[]): string | undefined {
  return sessions.find((s) => s.attendance === 'attended')?.startsAt;
}

/** Whether a session was held with others of the case but not with this client. */
function heldWithout(s: TherapySession, ownParticipantId: string | undefined): boolean {
  return (
    s.attendance === 'attended' &&
    ownParticipantId !== undefined &&
    s.present !== null &&
    !s.present.includes(ownParticipantId)
  );
}

/** A session of this client's in words (kind, format, length, attendance). */
function sessionWords(s: TherapySession): string {
  const attendance = labelOf(attendanceLabels, s.attendance);
  return `${labelOf(sessionKindLabels, s.kind)}, ${labelOf(sessionFormatLabels, s.format)}, ${s.minutes} minutes: ${attendance}`;
}

/** The client's details as held (never the safety flag: see `release-coverage.ts`). */
export function detailsItems(me: ClientIdentity, minimal: boolean): Section['items'] {
  const line = (label: string, value: string | undefined) =>
    value === undefined ? [] : [{ text: `${label}: ${value}` }];
  if (minimal) return [{ text: `Name: ${me.name}` }];
  const channels = me.contactChannels ?? [];
  return [
    { text: `Name: ${me.name}` },
    ...line('Preferred name', me.preferredName),
    ...line('Pronouns', me.pronouns),
    ...line('Date of birth', me.dateOfBirth === undefined ? undefined : formatDay(me.dateOfBirth)),
    ...line('E-mail', me.email),
    ...line('Phone', me.phone),
    ...line('Address', me.address),
    ...line(
      'How you may be contacted',
      channels.length === 0
        ? undefined
        : channels
            .map((c) => `${labelOf(contactChannelLabels, c.channel)}${c.safe ? '' : ' (not safe to use)'}`)
            .join(', '),
    ),
    ...line('Language and communication needs', me.languageNeeds),
    ...line('Adjustments', me.accessNeeds),
    ...line('GP', me.gp),
    ...line('Emergency contact', me.emergencyContact),
    ...line(
      'Why the practice holds your information',
      me.lawfulBasis === undefined ? undefined : labelOf(lawfulBasisLabels, me.lawfulBasis),
    ),
    ...line(
      'Why it may hold information about your health',
      me.specialCategoryCondition === undefined
        ? undefined
        : labelOf(specialCategoryConditionLabels, me.specialCategoryCondition),
    ),
    ...(me.vulnerableAdult === true
      ? [{ text: 'The practice treats you as an adult with particular needs or vulnerabilities.' }]
      : []),
  ];
}

/**
 * The sections of a release after the client's details and before their record (one per
 * case: its sessions), and after the record (contracts, consents, disclosures, referral
 * letters, earlier releases), with the FHIR resources made from the same rows.
 */
export function recordSections(input: {
  readonly clientId: string;
  readonly cases: readonly RecordCase[];
  readonly record: ReleaseRecord;
  /** Replaces another client's identifiers in released text. */
  readonly redact: (text: string) => string;
}): {
  caseSections: Section[];
  laterSections: Section[];
  encounters: FhirReleaseInput['sessions'][number][];
  consents: FhirReleaseInput['consents'][number][];
} {
  const { clientId, cases, record, redact } = input;
  const caseSections: Section[] = [];
  const encounters: FhirReleaseInput['sessions'][number][] = [];
  const contractItems: Section['items'] = [];
  for (const c of cases) {
    const own = c.participants.find((p) => p.clientId === clientId);
    // A session held without this client (Partner B seen alone) is the other client's: it is
    // not listed, and not an Encounter of this client's in the FHIR bundle.
    const sessions = (record.sessions.get(c.id) ?? []).filter((s) => !heldWithout(s, own?.id));
    const began = therapyBegan(sessions);
    const kind = labelOf(caseKindLabels, c.kind);
    caseSections.push({
      heading: `${kind}, ${began === undefined ? 'no session held yet' : `from ${formatDate(began)}`}${
        c.closedAt === null ? '' : `, closed on ${formatDate(c.closedAt)}`
      }${own === undefined || c.participants.length < 2 ? '' : ` (you are ${own.label})`}`,
      items: sessions.map((s) => ({ text: `${formatDateTime(s.startsAt)}: ${sessionWords(s)}` })),
    });
    for (const s of sessions) {
      encounters.push({
        id: s.id,
        startsAt: s.startsAt,
        minutes: s.minutes,
        attendance: s.attendance,
        format: s.format,
        description: `${kind}: ${sessionWords(s)}`,
      });
    }
    const practitioner = record.practitionerNames.get(c.practitionerId) ?? 'The practitioner';
    const versions = record.contracts.get(c.id) ?? [];
    for (const v of versions) {
      const signed = (kindOf: 'client' | 'practitioner', id: string) =>
        v.signatures.find((s) => s.signerKind === kindOf && s.signerId === id);
      const how = (s: ContractVersionView['signatures'][number]) =>
        `${labelOf(signingModeLabels, s.mode)} on ${formatDate(s.signedAt)}${
          s.acknowledgedConditions ? ', having acknowledged the organisation’s conditions' : ''
        }`;
      const mine = signed('client', clientId);
      const theirs = signed('practitioner', c.practitionerId);
      const lines = [
        mine === undefined ? 'You have not signed it.' : `You signed it ${how(mine)}.`,
        theirs === undefined
          ? `Your practitioner, ${practitioner}, has not signed it.`
          : `Your practitioner, ${practitioner}, signed it ${how(theirs)}.`,
        // Another client of the case only by their place in it, and only that they signed.
        ...c.participants
          .filter((p) => p.clientId !== clientId)
          .flatMap((p) => {
            const s = signed('client', p.clientId);
            return s === undefined ? [] : [`${p.label} signed it on ${formatDate(s.signedAt)}.`];
          }),
      ];
      const signedText = revealSealed(v.text);
      const text =
        signedText === undefined
          ? 'Its text can no longer be read: its key was destroyed.'
          : redact(signedText);
      const shownConditions = revealSealed(v.conditions);
      const conditions =
        shownConditions === undefined ? '' : `\n\nThe organisation’s conditions:\n${redact(shownConditions)}`;
      contractItems.push({
        label: `${kind}: contract version ${v.version} of ${formatDate(v.createdAt)}${
          v.withdrawnAt !== null
            ? `, withdrawn on ${formatDate(v.withdrawnAt)} before everyone had signed it`
            : v.supersededAt === null
              ? ', the current version'
              : `, replaced on ${formatDate(v.supersededAt)}`
        }`,
        text: `${lines.join(' ')}\n\n${text}${conditions}`,
      });
    }
  }

  const caseKindOf = (caseId: string | null) => {
    const c = caseId === null ? undefined : cases.find((x) => x.id === caseId);
    return c === undefined ? undefined : labelOf(caseKindLabels, c.kind).toLowerCase();
  };
  const consentItems = record.consents.map((c) => {
    const scope = caseKindOf(c.caseId);
    const recipient = revealSealed(c.recipient);
    return {
      text: `${labelOf(consentTypeLabels, c.type)}${scope === undefined ? '' : `, for ${scope}`}${
        recipient === undefined ? '' : `, to ${redact(recipient)}`
      }: given on ${formatDay(c.givenOn)} by ${labelOf(consentGivenByLabels, c.givenBy)}, ${labelOf(
        consentModeLabels,
        c.mode,
      )}; ${c.withdrawnOn === null ? 'in force' : `withdrawn on ${formatDay(c.withdrawnOn)}`}.`,
    };
  });

  const disclosureItems = record.disclosures.map((d) => {
    const details = revealSealed(d.details);
    const basis =
      d.legalBasis === 'other'
        ? (details?.legalBasisDetail ?? 'another law or duty')
        : (record.legalBasisLabels.get(d.legalBasis) ?? labelOf({}, d.legalBasis));
    return details === undefined
      ? {
          label: `Shared on ${formatDay(d.disclosedOn)}`,
          text: `On what basis: ${basis}. The details can no longer be read: their key was destroyed.`,
        }
      : {
          label: `Shared on ${formatDay(d.disclosedOn)} with ${redact(details.recipient)}`,
          text: [
            `What was shared: ${redact(details.what)}`,
            `On what basis: ${redact(basis)}`,
            `Why your consent was not sought: ${redact(details.whyNoConsent)}`,
            `Why it was justified: ${redact(details.justification)}`,
          ].join('\n'),
        };
  });

  const referralItems = record.referrals.map((r) => {
    const letter = revealSealed(r.letter);
    return {
      label: `Referral letter of ${formatDate(r.writtenAt)}`,
      text: letter === undefined ? 'It can no longer be read: its key was destroyed.' : redact(letter),
    };
  });

  const releaseItems = record.earlierRequests.map((r) => {
    const requester = revealSealed(r.requester);
    return {
      text: `Asked on ${formatDay(r.receivedOn)}${requester === undefined ? '' : ` by ${redact(requester)}`}${
        r.viaPortal ? ' in the client portal' : ''
      }: ${labelOf(releaseBasisLabels, r.basis)}. ${
        r.issuedAt === null ? 'Not answered yet.' : `Released on ${formatDate(r.issuedAt)}.`
      }`,
    };
  });

  return {
    caseSections,
    laterSections: [
      { heading: RELEASE_SECTIONS.contracts, items: contractItems },
      { heading: RELEASE_SECTIONS.consents, items: consentItems },
      { heading: RELEASE_SECTIONS.disclosures, items: disclosureItems },
      { heading: RELEASE_SECTIONS.referrals, items: referralItems },
      { heading: RELEASE_SECTIONS.releases, items: releaseItems },
    ],
    encounters,
    consents: record.consents.map((c) => ({
      id: c.id,
      label: labelOf(consentTypeLabels, c.type),
      givenOn: c.givenOn,
      withdrawnOn: c.withdrawnOn,
    })),
  };
}

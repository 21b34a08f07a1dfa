/**
 * A release as a FHIR R4 Bundle (a document): Patient, Consent, Encounter, Composition and
 * Provenance, every resource carrying security labels (restricted; sexual and reproductive
 * health information). No RelatedPerson is made for anyone the release may not name, so a
 * partner never appears. Only standard R4 resource types are used; tests validate the
 * bundle against the official R4 JSON schema.
 */
export interface FhirReleaseInput {
  readonly releaseId: string;
  /** A UUID of its own for the Provenance resource. */
  readonly provenanceId: string;
  readonly issuedAt: string;
  readonly title: string;
  readonly basisLabel: string;
  readonly practiceName: string;
  readonly practitionerName: string;
  readonly subject: {
    readonly id: string;
    readonly name: string;
    readonly birthDate?: string | undefined;
    readonly email?: string | undefined;
    readonly phone?: string | undefined;
  } | null;
  /** The client's consents, each with its kind in words (`consentTypeLabels`), never a slug. */
  readonly consents: readonly { id: string; label: string; givenOn: string; withdrawnOn: string | null }[];
  readonly sessions: readonly {
    id: string;
    startsAt: string;
    minutes: number;
    attendance: string;
    format: string;
    /** The session in words: its kind, format, attendance and whether the client was there. */
    description: string;
  }[];
  readonly sections: readonly { title: string; items: readonly { label?: string; text: string }[] }[];
  readonly withheld: readonly { what: string; clause: string; reason: string }[];
}

type Json = Record<string, unknown>;

const SECURITY = [
  { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R', display: 'restricted' },
  {
    system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
    code: 'SEX',
    display: 'sexuality and reproductive health information sensitivity',
  },
];

function escapeXhtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function narrative(items: readonly { label?: string; text: string }[]): Json {
  const body =
    items.length === 0
      ? '<p>Nothing to release.</p>'
      : items
          .map(
            (i) =>
              `<p>${i.label === undefined ? '' : `<b>${escapeXhtml(i.label)}</b><br/>`}${escapeXhtml(i.text).replaceAll('\n', '<br/>')}</p>`,
          )
          .join('');
  return { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${body}</div>` };
}

const urn = (id: string) => `urn:uuid:${id}`;

export function releaseBundle(input: FhirReleaseInput): Json {
  const meta = { security: SECURITY };
  const entries: Json[] = [];
  const patientUrl = input.subject === null ? undefined : urn(input.subject.id);
  const compositionId = input.releaseId;
  const sections = [
    ...input.sections.map((s) => ({ title: s.title, text: narrative(s.items) })),
    {
      title: 'What was withheld, and why',
      text: narrative(input.withheld.map((w) => ({ text: `${w.what}: ${w.reason} (${w.clause}).` }))),
    },
  ];
  entries.push({
    fullUrl: urn(compositionId),
    resource: {
      resourceType: 'Composition',
      id: compositionId,
      meta,
      status: 'final',
      type: { text: input.title },
      ...(patientUrl === undefined ? {} : { subject: { reference: patientUrl } }),
      date: input.issuedAt,
      author: [{ display: input.practitionerName }],
      title: input.title,
      confidentiality: 'R',
      custodian: { display: input.practiceName },
      section: sections,
    },
  });
  if (input.subject !== null && patientUrl !== undefined) {
    const telecom = [
      ...(input.subject.email === undefined ? [] : [{ system: 'email', value: input.subject.email }]),
      ...(input.subject.phone === undefined ? [] : [{ system: 'phone', value: input.subject.phone }]),
    ];
    entries.push({
      fullUrl: patientUrl,
      resource: {
        resourceType: 'Patient',
        id: input.subject.id,
        meta,
        name: [{ text: input.subject.name }],
        ...(input.subject.birthDate === undefined ? {} : { birthDate: input.subject.birthDate }),
        ...(telecom.length === 0 ? {} : { telecom }),
      },
    });
    for (const c of input.consents) {
      entries.push({
        fullUrl: urn(c.id),
        resource: {
          resourceType: 'Consent',
          id: c.id,
          meta,
          status: c.withdrawnOn === null ? 'active' : 'inactive',
          scope: {
            coding: [
              { system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' },
            ],
          },
          category: [{ text: c.label }],
          patient: { reference: patientUrl },
          dateTime: `${c.givenOn}T00:00:00Z`,
          policyRule: { text: 'COSRT Code of Ethics and Practice 2019; Practice Guideline 5' },
          provision: {
            type: 'permit',
            period: { start: c.givenOn, ...(c.withdrawnOn === null ? {} : { end: c.withdrawnOn }) },
          },
        },
      });
    }
    for (const s of input.sessions) {
      const end = new Date(Date.parse(s.startsAt) + s.minutes * 60_000).toISOString();
      entries.push({
        fullUrl: urn(s.id),
        resource: {
          resourceType: 'Encounter',
          id: s.id,
          meta,
          status: s.attendance === 'attended' ? 'finished' : 'cancelled',
          class: {
            system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
            code: s.format === 'in-person' ? 'AMB' : 'VR',
          },
          type: [{ text: s.description }],
          subject: { reference: patientUrl },
          period: { start: s.startsAt, end },
          length: { value: s.minutes, unit: 'min', system: 'http://unitsofmeasure.org', code: 'min' },
        },
      });
    }
  }
  entries.push({
    fullUrl: urn(input.provenanceId),
    resource: {
      resourceType: 'Provenance',
      id: input.provenanceId,
      meta,
      target: [{ reference: urn(compositionId) }],
      recorded: input.issuedAt,
      agent: [{ who: { display: input.practitionerName } }],
      reason: [{ text: input.basisLabel }],
    },
  });
  return {
    resourceType: 'Bundle',
    meta,
    identifier: { system: 'urn:ietf:rfc:3986', value: urn(input.releaseId) },
    type: 'document',
    timestamp: input.issuedAt,
    entry: entries,
  };
}

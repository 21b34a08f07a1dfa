import {
  AlcoveError,
  decidePassages,
  entryKindLabels,
  type FhirReleaseInput,
  formatDateTime,
  formatDay,
  htmlToText,
  INTEGRITY_FAILED_TEXT,
  labelOf,
  makeRedactor,
  newId,
  noteSections,
  type Redaction,
  type ReleaseBasis,
  releaseBasisLabels,
  releaseBundle,
  releaseDueOn,
  releaseToThirdPartyCommand,
  structuredKinds,
} from '@alcove/core';
import {
  appendAuditEvent,
  appropriateAdultsOf,
  consentsOf,
  type IssuedRelease,
  issueRelease,
  openClientIdentities,
  type ReleaseRequestView,
  readClientCases,
  readClientIdentities,
  readRelease,
  recordAuditEvent,
  registerRequest,
  releaseRequests,
  type WithheldItem,
} from '@alcove/store';
import { ContextBase } from './context-base.ts';
import { type ReleasePdfInput, releasePdf } from './pdf.ts';
import { RELEASE_SECTIONS } from './release-coverage.ts';
import {
  detailsItems,
  type ReleaseItem,
  readReleaseRecord,
  recordItems,
  recordSections,
  revealSealed,
} from './release-record.ts';

export interface AssembledPassage {
  readonly ref: string;
  readonly what: string;
  readonly about: string;
  readonly text: string;
  /** What redaction took out of the text, each marker once, with how often (PG5-1). */
  readonly redactions: readonly Redaction[];
  readonly included: boolean;
  readonly reason: string | null;
}

export interface Assembly {
  readonly request: ReleaseRequestView;
  readonly passages: readonly AssembledPassage[];
  readonly pdf: ReleasePdfInput;
  readonly consentsRelied: readonly string[];
  readonly withheld: readonly WithheldItem[];
  /** Disclosures the law forbids telling the client of, left out (PG5-2): audited at issue. */
  readonly withheldDisclosureIds: readonly string[];
  readonly fhir: Omit<FhirReleaseInput, 'releaseId' | 'provenanceId' | 'issuedAt'>;
}

function sectionHeading(kind: string, section: string | null): string | null {
  if (section === null) return null;
  const fields: readonly { id: string; heading: string }[] =
    kind in structuredKinds ? structuredKinds[kind as keyof typeof structuredKinds].fields : noteSections;
  return fields.find((f) => f.id === section)?.heading ?? null;
}

/**
 * Confidential releases (PG5-1, PG5-2, PG5-6a): a register of requests; a release assembled
 * from the record through the consents in force on the day, previewed, then issued and
 * kept exactly as issued.
 */
export class ReleasesContext extends ContextBase {
  async #treated(clientId: string): Promise<void> {
    await this.require('client.read-clinical', await this.clientResource(clientId), 'client', clientId);
  }

  async register(input: {
    clientId: string;
    basis: ReleaseBasis;
    requester?: string | undefined;
    receivedOn: string;
  }): Promise<{ id: string }> {
    await this.#treated(input.clientId);
    const problems: { pointer: string; detail: string }[] = [];
    if (input.receivedOn > this.today())
      problems.push({ pointer: '/receivedOn', detail: 'This day has not come yet' });
    if (input.basis !== 'subject-access' && input.requester === undefined) {
      problems.push({ pointer: '/requester', detail: 'Say who asked' });
    }
    if (problems.length > 0) {
      throw new AlcoveError(
        'validation-failed',
        'The request is not complete; nothing was registered.',
        problems.map((p) => ({ location: 'body' as const, ...p })),
      );
    }
    return this.vault.db.transaction().execute(async (trx) => {
      const created = await registerRequest(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        ...input,
        dueOn: releaseDueOn(input.receivedOn, input.basis),
        viaPortal: false,
        createdBy: this.actor.userId,
        now: this.now(),
      });
      await appendAuditEvent(trx, this.event(`release.request:${input.basis}`, 'client', input.clientId));
      return created;
    });
  }

  /** The requests about the practitioner's own clients, newest first. */
  async requests(): Promise<{ request: ReleaseRequestView; clientName: string; overdue: boolean }[]> {
    await this.require('client.list', this.practiceResource(), 'practice', this.actor.practiceId);
    const all = await releaseRequests(this.vault.db, this.vault.keyring, this.actor.practiceId);
    const allowed = await this.clientsAllowed(
      'client.read-clinical',
      all.map((r) => r.clientId),
    );
    const mine = all.filter((r) => allowed.has(r.clientId));
    // A name or requester that fails its integrity check never keeps the register from the rest.
    const names = await openClientIdentities(
      this.vault,
      this.actor.practiceId,
      mine.map((r) => r.clientId),
    );
    await this.reportTampered([...names.values(), ...mine.map((r) => r.requester)]);
    const today = this.today();
    return mine.map((request) => {
      const name = names.get(request.clientId);
      return {
        request,
        clientName:
          name === undefined || (!name.ok && name.reason === 'shredded')
            ? ''
            : name.ok
              ? name.value.reveal().name
              : INTEGRITY_FAILED_TEXT,
        overdue: request.status === 'received' && request.dueOn !== null && request.dueOn < today,
      };
    });
  }

  async #request(requestId: string): Promise<ReleaseRequestView> {
    const [request] = await releaseRequests(this.vault.db, this.vault.keyring, this.actor.practiceId, {
      requestId,
    });
    if (request === undefined) {
      await recordAuditEvent(
        this.vault.db,
        this.event('release.read', 'release-request', requestId, 'denied'),
      );
      throw new AlcoveError('not-found', 'There is no such request.');
    }
    await this.#treated(request.clientId);
    return request;
  }

  /**
   * Assembles the release from the record as it stands today. `withhold` maps passage refs
   * to the practitioner's reasons; for a formal accusation `include` lists the only
   * passages released (the minimum, PG5-6a).
   */
  async assemble(
    requestId: string,
    choices: { withhold?: ReadonlyMap<string, string>; include?: ReadonlySet<string> } = {},
  ): Promise<Assembly> {
    const request = await this.#request(requestId);
    const basis = request.basis as ReleaseBasis;
    const clientId = request.clientId;
    const today = this.today();
    const consentsRelied: string[] = [];
    if (basis === 'third-party-consent') {
      // A release to a third party is a command of the Code (PG5-1): refused, and audited,
      // without the client's own consent in force today.
      const consentId = await this.runCommand({
        command: releaseToThirdPartyCommand,
        record: { type: 'release-request', id: requestId },
        scope: { practiceId: this.actor.practiceId, clientIds: [clientId] },
        facts: async () => {
          const consent = (
            await consentsOf(this.vault.db, this.vault.keyring, this.actor.practiceId, clientId, today)
          ).find((c) => c.type === 'third-party-release');
          return { consentInForce: consent !== undefined, consentId: consent?.id ?? '' };
        },
        work: async (_trx, _answered, facts) => facts.consentId,
      });
      consentsRelied.push(consentId);
    }
    const identities = await readClientIdentities(this.vault, this.actor.practiceId, [clientId]);
    const me = identities.get(clientId)?.reveal();
    if (me === undefined) throw new AlcoveError('conflict', 'This client’s details can no longer be read.');
    const cases = await readClientCases(this.vault, this.actor.practiceId, clientId);
    const participants = cases.flatMap((c) =>
      c.participants.map((p) => ({ id: p.id, caseId: c.id, clientId: p.clientId, label: p.label })),
    );
    const otherIds = [...new Set(participants.filter((p) => p.clientId !== clientId).map((p) => p.clientId))];
    const others = await readClientIdentities(this.vault, this.actor.practiceId, otherIds);
    const caseIds = new Set(cases.map((c) => c.id));
    // Each other client's consents to their joint material being released, in force today: one
    // for a case covers that case only; one with no case covers all of them.
    const jointConsents = new Map<string, { id: string; caseId: string | null }[]>();
    for (const other of otherIds) {
      jointConsents.set(
        other,
        (await consentsOf(this.vault.db, this.vault.keyring, this.actor.practiceId, other, today))
          .filter((c) => c.type === 'joint-material-release' && (c.caseId === null || caseIds.has(c.caseId)))
          .map((c) => ({ id: c.id, caseId: c.caseId })),
      );
    }
    const jointConsentFor = (otherId: string, caseId: string) =>
      (jointConsents.get(otherId) ?? []).find((c) => c.caseId === caseId) ??
      (jointConsents.get(otherId) ?? []).find((c) => c.caseId === null);
    // Redaction (PG5-1, core/redaction.ts): every identity field of every other client in
    // these cases, and of each appropriate adult recorded against any client in them; what
    // the client shares with them (an address, a GP) is theirs too, and stays.
    const placeOf = (id: string) => participants.find((p) => p.clientId === id)?.label ?? 'another client';
    const adults = await appropriateAdultsOf(this.vault.db, this.vault.keyring, this.actor.practiceId, [
      clientId,
      ...otherIds,
    ]);
    const redactor = makeRedactor({
      requester: { identity: me },
      others: [
        ...otherIds.flatMap((id) => {
          const identity = others.get(id)?.reveal();
          return identity === undefined ? [] : [{ label: placeOf(id), identity }];
        }),
        ...adults.map((a) => ({
          label: `${placeOf(a.clientId)}’s appropriate adult`,
          identity: a.person.reveal(),
        })),
      ],
    });
    const redact = (text: string) => redactor.redact(text).text;

    // Everything the passage rules decide: each entry's passages, then the record's other
    // clinical items (competence assessments, supervision material, dual relationships).
    const record = await readReleaseRecord(this.vault, this.actor.practiceId, clientId, cases, requestId);
    const all: ReleaseItem[] = [
      ...cases.flatMap((c) =>
        c.entries.flatMap((e) =>
          e.passages.map((p) => {
            const heading = sectionHeading(e.kind, p.section);
            const text = revealSealed(p.text);
            return {
              ref: `${e.id}:${p.position}`,
              caseId: c.id,
              attribution: p.attribution,
              what: `${labelOf(entryKindLabels, e.kind)} of ${formatDateTime(e.occurredAt)}${heading === null ? '' : `, ${heading}`}`,
              text: text === undefined ? null : htmlToText(text),
            };
          }),
        ),
      ),
      ...recordItems(record, cases, clientId),
    ];
    const withhold = new Map(choices.withhold ?? []);
    if (basis === 'formal-accusation') {
      for (const p of all) {
        if (!(choices.include?.has(p.ref) ?? false)) {
          withhold.set(
            p.ref,
            'not selected: a formal accusation releases the minimum the practitioner selects (PG5-6a)',
          );
        }
      }
    }
    const decisions = decidePassages({
      clientId,
      participants,
      passages: all,
      jointConsent: (id, caseId) => jointConsentFor(id, caseId) !== undefined,
      withheldByPractitioner: withhold,
    });
    const usedJoint = new Set<string>();
    const passages: AssembledPassage[] = all.map((p, i) => {
      const decision = decisions[i];
      const redacted = p.text === null ? null : redactor.redact(p.text);
      const inCase = participants.filter((x) => x.caseId === p.caseId);
      const aboutIds = p.attribution.length === 0 ? inCase.map((x) => x.id) : p.attribution;
      if (decision?.included === true && decision.joint) {
        for (const x of inCase)
          if (aboutIds.includes(x.id) && x.clientId !== clientId) {
            const consent = jointConsentFor(x.clientId, p.caseId);
            if (consent !== undefined) usedJoint.add(consent.id);
          }
      }
      return {
        ref: p.ref,
        what: p.what,
        about:
          p.attribution.length === 0
            ? 'Joint (formulation)'
            : inCase
                .filter((x) => p.attribution.includes(x.id))
                .map((x) => x.label)
                .join(' and '),
        text: redacted?.text ?? '',
        redactions: redacted?.redactions ?? [],
        included: decision?.included === true && p.text !== null,
        reason:
          p.text === null
            ? 'It can no longer be read: its key was destroyed'
            : decision?.included === false
              ? redact(decision.reason)
              : null,
      };
    });
    consentsRelied.push(...usedJoint);
    const withheld: WithheldItem[] = passages
      .filter((p) => !p.included)
      .map((p) => ({ what: p.what, clause: 'PG5-1', reason: p.reason ?? 'Withheld' }));
    // The client's own copy itemises what was withheld from them, but not another client's own
    // material: the date of a passage of Partner B's would itself tell Partner A of it. A case
    // with other clients says so in one line, whether or not there is any such material.
    const othersOwn = new Set(
      decisions.flatMap((d) => (d.included === false && d.othersOwn === true ? [d.ref] : [])),
    );
    const told: WithheldItem[] = [
      ...passages
        .filter((p) => !p.included && !othersOwn.has(p.ref))
        .map((p) => ({ what: p.what, clause: 'PG5-1', reason: p.reason ?? 'Withheld' })),
      ...(cases.some((c) => c.participants.length > 1)
        ? [
            {
              what: 'What another client of your case said or did on their own',
              clause: 'PG5-1',
              reason: 'It is theirs, and never part of your release, whether or not there is any',
            },
          ]
        : []),
    ];

    const minimal = basis === 'formal-accusation';
    const described = recordSections({ clientId, cases, record, redact });
    const sections: ReleasePdfInput['sections'][number][] = [
      { heading: RELEASE_SECTIONS.details, items: detailsItems(me, minimal) },
      ...(minimal ? [] : described.caseSections),
      {
        heading: minimal ? 'Selected from the record' : RELEASE_SECTIONS.record,
        items: passages
          .filter((p) => p.included)
          .map((p) => ({ label: `${p.what} — ${p.about}`, text: p.text })),
      },
      ...(minimal ? [] : described.laterSections),
    ];
    const practiceName = await this.practiceName();
    const title = minimal ? 'Release for a formal accusation' : 'Your records';
    return {
      request,
      passages,
      consentsRelied,
      withheld,
      withheldDisclosureIds: record.withheldDisclosureIds,
      fhir: {
        title,
        basisLabel: releaseBasisLabels[basis],
        practiceName,
        practitionerName: await this.userName(this.actor.userId),
        subject: {
          id: clientId,
          name: me.name,
          ...(minimal ? {} : { birthDate: me.dateOfBirth, email: me.email, phone: me.phone }),
        },
        consents: minimal ? [] : described.consents,
        sessions: minimal ? [] : described.encounters,
        sections: sections.map((s) => ({ title: s.heading, items: s.items })),
        withheld: told,
      },
      pdf: {
        practiceName,
        title,
        subtitle: `${releaseBasisLabels[basis]}. Received ${formatDay(request.receivedOn)}; released ${formatDay(today)}.`,
        sections,
        withheld: told,
      },
    };
  }

  async preview(
    requestId: string,
    choices: Parameters<ReleasesContext['assemble']>[1] = {},
  ): Promise<Assembly> {
    const assembly = await this.assemble(requestId, choices);
    await recordAuditEvent(this.vault.db, this.event('release.preview', 'client', assembly.request.clientId));
    return assembly;
  }

  async issue(
    requestId: string,
    choices: Parameters<ReleasesContext['assemble']>[1] = {},
  ): Promise<{ id: string; sha256: string; fhirSha256: string }> {
    const assembly = await this.assemble(requestId, choices);
    if (assembly.request.status === 'issued')
      throw new AlcoveError('conflict', 'This request has been answered already.');
    const pdf = await releasePdf(assembly.pdf);
    const id = newId();
    const now = this.now();
    const fhir = JSON.stringify(
      releaseBundle({ ...assembly.fhir, releaseId: id, provenanceId: newId(), issuedAt: now }),
    );
    return this.vault.db.transaction().execute(async (trx) => {
      const issued = await issueRelease(trx, this.vault.keyring, {
        id,
        fhir,
        practiceId: this.actor.practiceId,
        requestId,
        clientId: assembly.request.clientId,
        pdf,
        consentsRelied: assembly.consentsRelied,
        withheld: assembly.withheld,
        issuedBy: this.actor.userId,
        now,
      });
      await appendAuditEvent(
        trx,
        this.event(`release.issue:${assembly.request.basis}`, 'client', assembly.request.clientId),
      );
      // Each disclosure left out of what the client receives is audited, as in the portal (PG5-2).
      for (const disclosureId of assembly.withheldDisclosureIds)
        await appendAuditEvent(
          trx,
          this.event('disclosure.withheld-from-client', 'disclosure', disclosureId),
        );
      return issued;
    });
  }

  async release(releaseId: string): Promise<IssuedRelease> {
    const issued = await readRelease(this.vault.db, this.vault.keyring, this.actor.practiceId, releaseId);
    if (issued === undefined) throw new AlcoveError('not-found', 'There is no such release.');
    await this.#treated(issued.clientId);
    await recordAuditEvent(this.vault.db, this.event('release.read', 'client', issued.clientId));
    return issued;
  }
}

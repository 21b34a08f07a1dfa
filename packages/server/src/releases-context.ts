import {
  AlcoveError,
  ClauseRefusalError,
  clause,
  decidePassages,
  type FhirReleaseInput,
  formatDate,
  formatDateTime,
  htmlToText,
  newId,
  noteSections,
  type PersonToHide,
  type ReleaseBasis,
  redactIdentifiers,
  releaseBasisLabels,
  releaseBundle,
  releaseDueOn,
  structuredKinds,
} from '@alcove/core';
import {
  appendAuditEvent,
  consentsOf,
  disclosuresOf,
  type IssuedRelease,
  issueRelease,
  listSessions,
  type ReleaseRequestView,
  readClientCases,
  readClientIdentities,
  readRelease,
  recordAuditEvent,
  referralsOf,
  registerRequest,
  releaseRequests,
  type WithheldItem,
} from '@alcove/store';
import { ContextBase } from './context-base.ts';
import { type ReleasePdfInput, releasePdf } from './pdf.ts';

export interface AssembledPassage {
  readonly ref: string;
  readonly what: string;
  readonly about: string;
  readonly text: string;
  readonly included: boolean;
  readonly reason: string | null;
}

export interface Assembly {
  readonly request: ReleaseRequestView;
  readonly passages: readonly AssembledPassage[];
  readonly pdf: ReleasePdfInput;
  readonly consentsRelied: readonly string[];
  readonly withheld: readonly WithheldItem[];
  readonly fhir: Omit<FhirReleaseInput, 'releaseId' | 'provenanceId' | 'issuedAt'>;
}

const kindLabels: Record<string, string> = {
  'session-note': 'Session note',
  'contact-note': 'Contact note',
  assessment: 'Assessment',
  addendum: 'Addendum',
  risk: 'Risk assessment',
  ending: 'Planned ending',
};

function sectionHeading(kind: string, section: string | null): string | null {
  if (section === null) return null;
  const fields: readonly { id: string; heading: string }[] =
    kind in structuredKinds ? structuredKinds[kind as keyof typeof structuredKinds].fields : noteSections;
  return fields.find((f) => f.id === section)?.heading ?? null;
}

const day = (d: string) => formatDate(`${d}T12:00:00Z`);

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
        now: new Date().toISOString(),
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
    const names = await readClientIdentities(
      this.vault,
      this.actor.practiceId,
      mine.map((r) => r.clientId),
    );
    const today = this.today();
    return mine.map((request) => ({
      request,
      clientName: names.get(request.clientId)?.reveal().name ?? '',
      overdue: request.status === 'received' && request.dueOn !== null && request.dueOn < today,
    }));
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
    const ownConsents = await consentsOf(
      this.vault.db,
      this.vault.keyring,
      this.actor.practiceId,
      clientId,
      today,
    );
    if (basis === 'third-party-consent') {
      const consent = ownConsents.find((c) => c.type === 'third-party-release');
      if (consent === undefined) {
        const entry = clause('PG5-1');
        if (entry === undefined) throw new Error('PG5-1 missing');
        throw new ClauseRefusalError({
          clause: entry,
          overridable: false,
          detail: 'The client has no consent in force to release their information to a third party.',
        });
      }
      consentsRelied.push(consent.id);
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
    const jointConsents = new Map<string, string>();
    for (const other of otherIds) {
      const consent = (
        await consentsOf(this.vault.db, this.vault.keyring, this.actor.practiceId, other, today)
      ).find((c) => c.type === 'joint-material-release' && (c.caseId === null || caseIds.has(c.caseId)));
      if (consent !== undefined) jointConsents.set(other, consent.id);
    }
    const hide: PersonToHide[] = otherIds.flatMap((id) => {
      const who = others.get(id)?.reveal();
      const label = participants.find((p) => p.clientId === id)?.label ?? 'another client';
      return who === undefined
        ? []
        : [
            {
              label,
              name: who.name,
              preferredName: who.preferredName,
              email: who.email,
              phone: who.phone,
              dateOfBirth: who.dateOfBirth,
            },
          ];
    });
    const redact = (text: string) => redactIdentifiers(text, hide);

    const all = cases.flatMap((c) =>
      c.entries.flatMap((e) =>
        e.passages.map((p) => ({
          ref: `${e.id}:${p.position}`,
          caseId: c.id,
          attribution: p.attribution,
          entry: e,
          passage: p,
        })),
      ),
    );
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
      jointConsent: (id) => jointConsents.has(id),
      withheldByPractitioner: withhold,
    });
    const usedJoint = new Set<string>();
    const passages: AssembledPassage[] = all.map((p, i) => {
      const decision = decisions[i];
      const heading = sectionHeading(p.entry.kind, p.passage.section);
      const what = `${kindLabels[p.entry.kind] ?? p.entry.kind} of ${formatDateTime(p.entry.occurredAt)}${heading === null ? '' : `, ${heading}`}`;
      const inCase = participants.filter((x) => x.caseId === p.caseId);
      const aboutIds = p.attribution.length === 0 ? inCase.map((x) => x.id) : p.attribution;
      if (decision?.included === true && decision.joint) {
        for (const x of inCase)
          if (aboutIds.includes(x.id) && x.clientId !== clientId) usedJoint.add(x.clientId);
      }
      return {
        ref: p.ref,
        what,
        about:
          p.attribution.length === 0
            ? 'Joint (formulation)'
            : inCase
                .filter((x) => p.attribution.includes(x.id))
                .map((x) => x.label)
                .join(' and '),
        text: p.passage.text === null ? '' : redact(htmlToText(p.passage.text.reveal())),
        included: decision?.included === true && p.passage.text !== null,
        reason:
          p.passage.text === null
            ? 'It can no longer be read: its key was destroyed'
            : decision?.included === false
              ? decision.reason
              : null,
      };
    });
    for (const id of usedJoint) {
      const consent = jointConsents.get(id);
      if (consent !== undefined) consentsRelied.push(consent);
    }
    const withheld: WithheldItem[] = passages
      .filter((p) => !p.included)
      .map((p) => ({ what: p.what, clause: 'PG5-1', reason: p.reason ?? 'Withheld' }));

    const minimal = basis === 'formal-accusation';
    const sections: ReleasePdfInput['sections'][number][] = [
      {
        heading: 'Details',
        items: [
          { text: `Name: ${me.name}` },
          ...(minimal
            ? []
            : [
                ...(me.preferredName === undefined ? [] : [{ text: `Preferred name: ${me.preferredName}` }]),
                ...(me.dateOfBirth === undefined ? [] : [{ text: `Date of birth: ${day(me.dateOfBirth)}` }]),
                ...(me.email === undefined ? [] : [{ text: `E-mail: ${me.email}` }]),
                ...(me.phone === undefined ? [] : [{ text: `Phone: ${me.phone}` }]),
                ...(me.address === undefined ? [] : [{ text: `Address: ${me.address}` }]),
              ]),
        ],
      },
    ];
    const encounters: FhirReleaseInput['sessions'][number][] = [];
    if (!minimal) {
      for (const c of cases) {
        const own = c.participants.find((p) => p.clientId === clientId);
        const sessions = await listSessions(this.vault.db, this.vault.keyring, this.actor.practiceId, c.id);
        for (const s of sessions) {
          encounters.push({
            id: s.id,
            startsAt: s.startsAt,
            minutes: s.minutes,
            attendance: s.attendance,
            online: s.format === 'online',
          });
        }
        sections.push({
          heading: `${c.kind === 'individual' ? 'Individual' : c.kind === 'couple' ? 'Couple' : c.kind} therapy, from ${formatDate(c.openedAt)}${own === undefined || c.kind === 'individual' ? '' : ` (you are ${own.label})`}`,
          items: sessions.map((s) => ({
            text: `${formatDateTime(s.startsAt)}: ${s.kind}, ${s.minutes} minutes, ${s.attendance.replaceAll('-', ' ')}${
              own !== undefined && s.present !== null && s.attendance === 'attended'
                ? s.present.includes(own.id)
                  ? ''
                  : ' (you were not present)'
                : ''
            }`,
          })),
        });
      }
    }
    sections.push({
      heading: minimal ? 'Selected from the record' : 'Your record',
      items: passages
        .filter((p) => p.included)
        .map((p) => ({ label: `${p.what} — ${p.about}`, text: p.text })),
    });
    if (!minimal) {
      sections.push({
        heading: 'Your consents',
        items: (await consentsOf(this.vault.db, this.vault.keyring, this.actor.practiceId, clientId)).map(
          (c) => ({
            text: `${c.type.replaceAll('-', ' ')}: given ${day(c.givenOn)}${c.withdrawnOn === null ? '' : `, withdrawn ${day(c.withdrawnOn)}`}`,
          }),
        ),
      });
      // Withheld disclosures (PG5-2) are left out entirely: not listed, not mentioned.
      const disclosures = (
        await disclosuresOf(this.vault.db, this.vault.keyring, this.actor.practiceId, { clientId })
      ).filter((d) => !d.withheldFromClient);
      sections.push({
        heading: 'Information shared without your consent',
        items: disclosures.map((d) => ({
          text: `${day(d.disclosedOn)}: shared with ${d.details?.reveal().recipient ?? 'someone'}`,
        })),
      });
      const letters = [];
      for (const c of cases) {
        for (const r of await referralsOf(this.vault.db, this.vault.keyring, this.actor.practiceId, c.id)) {
          if (r.clientId === clientId && r.letter !== null)
            letters.push({ label: `Referral letter of ${formatDate(r.writtenAt)}`, text: r.letter.reveal() });
        }
      }
      sections.push({ heading: 'Referral letters', items: letters });
    }
    const practiceName = await this.practiceName();
    const title = minimal ? 'Release for a formal accusation' : 'Your records';
    return {
      request,
      passages,
      consentsRelied,
      withheld,
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
        consents: minimal
          ? []
          : (await consentsOf(this.vault.db, this.vault.keyring, this.actor.practiceId, clientId)).map(
              (c) => ({
                id: c.id,
                type: c.type,
                givenOn: c.givenOn,
                withdrawnOn: c.withdrawnOn,
              }),
            ),
        sessions: encounters,
        sections: sections.map((s) => ({ title: s.heading, items: s.items })),
        withheld,
      },
      pdf: {
        practiceName,
        title,
        subtitle: `${releaseBasisLabels[basis]}. Received ${day(request.receivedOn)}; released ${day(today)}.`,
        sections,
        withheld,
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
    const now = new Date().toISOString();
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

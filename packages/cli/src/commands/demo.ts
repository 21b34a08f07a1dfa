import fs from 'node:fs';
import path from 'node:path';
import {
  Confidential,
  emptyProfile,
  formatDate,
  newId,
  type Profile,
  portalInvitationMessage,
  releaseDueOn,
} from '@alcove/core';
import { currentTotp, hashPassword, newTotpSecret } from '@alcove/server';
import {
  addConnection,
  addEntry,
  addMembership,
  appendAuditEvent,
  createClient,
  createContractVersion,
  createInvitation,
  createUser,
  describeStore,
  enableTotp,
  enqueueMessage,
  findUserByEmail,
  giveConsent,
  type Keyring,
  listPractices,
  migrateToLatest,
  newKeyFileSecret,
  openAccountField,
  openCase,
  openStore,
  presentCase,
  recordDisclosure,
  recordSession,
  registerRequest,
  type Store,
  type StoreConfig,
  saveProfile,
  sealAccountField,
  setCaseStatus,
  setMailSettings,
  setPendingTotp,
  signContract,
  unlockKeyring,
} from '@alcove/store';
import { CliError, type CliIo, clockFor, defaultDataDir, storeConfigFor } from '../context.ts';
import { setUpInstallation } from '../setup.ts';
import { readKeyFile, writeNewKeyFile } from '../unlock.ts';
import { describeScale, generateScale, SCALES, type ScaleName } from './demo-scale.ts';

/** Clearly fictional: nobody should mistake the demo for a real practice. */
export const DEMO_PRACTICE_NAME = 'Juniper Lane Therapy (demo, fictional)';
export const DEMO_PASSWORD = 'juniper-lane-demo';
export const DEMO_ACCOUNTS = [
  {
    email: 'practitioner@demo.alcove.invalid',
    name: 'Dr Robin Hartley (fictional)',
    roles: ['practitioner'],
  },
  { email: 'admin@demo.alcove.invalid', name: 'Sam Okafor (fictional)', roles: ['administrator'] },
  { email: 'supervisor@demo.alcove.invalid', name: 'Morgan Vale (fictional)', roles: ['supervisor'] },
] as const;

/** A demo client with a portal account of their own. */
export const DEMO_PORTAL_EMAIL = 'alex@demo.alcove.invalid';

/** The demo's key file sits beside its data folder, never inside it. */
export function demoKeyFile(io: CliIo, config: StoreConfig, option: string | undefined): string {
  const explicit = option ?? io.env.ALCOVE_KEY_FILE?.trim();
  if (explicit) return path.resolve(explicit);
  if (config.engine === 'sqlite') return `${path.resolve(config.dataDir)}.key`;
  throw new CliError('On PostgreSQL, say where the demo key file goes: --key-file or ALCOVE_KEY_FILE.', 2);
}

/**
 * Creates the demo practice, or leaves an existing demo as it is. Never touches a
 * database that holds a real practice: demo data must not mix with real records.
 */
export async function demoCommand(
  io: CliIo,
  options: { data?: string; keyFile?: string; scale?: string; seed?: string },
): Promise<void> {
  const scale = parseScale(options.scale);
  const seed = options.seed === undefined ? 1 : Number(options.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new CliError('--seed is a whole number, 0 or more.', 2);
  const config = storeConfigFor(io, options.data);
  const keyFile = demoKeyFile(io, config, options.keyFile);
  const store = await openStore(config);
  try {
    await migrateToLatest(store.db);
    const practices = await listPractices(store.db);
    if (practices.some((p) => !p.demo)) {
      throw new CliError(
        `This database holds a real practice (${describeStore(config)}); the demo is never added to real records. Use another --data folder.`,
      );
    }
    if (practices.length > 0 && scale !== undefined) {
      throw new CliError(
        `The demo practice is already here (${describeStore(config)}); a scaled demo needs a new --data folder or database.`,
      );
    }
    if (practices.length > 0) {
      io.out(`The demo practice is already here: ${describeStore(config)}.`);
    } else {
      const key = newKeyFileSecret();
      writeNewKeyFile(keyFile, key);
      try {
        const seeded = await seedDemo(store, key);
        if (scale !== undefined) {
          const plan = SCALES[scale];
          io.out(`Generating the ${scale} caseload (seed ${seed}): this takes a while at scale.`);
          const bar = io.progress?.('Notes');
          const started = Date.now();
          const result = await generateScale(store, seeded.keyring, {
            practiceId: seeded.practiceId,
            firstPractitionerId: seeded.practitionerId,
            passwordHash: seeded.passwordHash,
            plan,
            seed,
            progress: (done, total) => bar?.update(done, total),
          });
          bar?.stop();
          io.out(`Generated ${describeScale(result)} in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
        }
      } catch (error) {
        fs.rmSync(keyFile, { force: true });
        throw error;
      }
      io.out(
        `Created the demo practice "${DEMO_PRACTICE_NAME}" in ${describeStore(config)}, unlocked by ${keyFile}.`,
      );
    }
    for (const line of signInHelp(demoCodeArguments(io, config, keyFile))) io.out(line);
  } finally {
    await store.close();
  }
}

/** What `demo code` needs to find this demo: its folder (or key file) unless they are the defaults. */
function demoCodeArguments(io: CliIo, config: StoreConfig, keyFile: string): string {
  if (config.engine !== 'sqlite') return ` --key-file ${keyFile}`;
  const dir = path.resolve(config.dataDir);
  if (dir === path.resolve(defaultDataDir(io.env))) return '';
  const relative = path.relative(process.cwd(), dir);
  return ` --data ${relative === '' ? '.' : relative.startsWith('..') ? dir : relative}`;
}

export function signInHelp(codeArguments = ''): string[] {
  return [
    '',
    `Sign in as ${DEMO_ACCOUNTS[0].email} (or ${DEMO_ACCOUNTS[1].email}, ${DEMO_ACCOUNTS[2].email})`,
    `with the password ${DEMO_PASSWORD}. For the authenticator code, run: npm run alcove -- demo code${codeArguments}`,
    `The client portal: ${DEMO_PORTAL_EMAIL}, same password; its code: npm run alcove -- demo code${codeArguments} --email ${DEMO_PORTAL_EMAIL}`,
  ];
}

function parseScale(value: string | undefined): ScaleName | undefined {
  if (value === undefined) return undefined;
  if (value === 'solo' || value === 'organisation') return value;
  throw new CliError('--scale is solo or organisation.', 2);
}

async function seedDemo(
  store: Store,
  key: Buffer,
): Promise<{ keyring: Keyring; practiceId: string; practitionerId: string; passwordHash: string }> {
  const installed = await setUpInstallation(store, {
    practiceName: DEMO_PRACTICE_NAME,
    demo: true,
    unlock: [{ method: 'key-file', key }],
    firstUser: { ...DEMO_ACCOUNTS[0], password: DEMO_PASSWORD },
  });
  const { keyring, practice } = installed;
  const db = store.db;
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const userIds = [installed.userId];
  await db.transaction().execute(async (trx) => {
    for (const account of DEMO_ACCOUNTS.slice(1)) {
      const { id } = await createUser(trx, keyring, {
        email: account.email,
        name: account.name,
        passwordHash,
      });
      for (const role of account.roles)
        await addMembership(trx, { userId: id, practiceId: practice.id, role });
      userIds.push(id);
    }
  });
  // Every demo account has an authenticator already: `alcove demo code` shows its code.
  for (const userId of userIds) await enrolDemoTotp(store, keyring, userId);
  await seedDemoProfile(store, practice.id, installed.userId);

  const practitionerId = installed.userId;
  const practiceId = practice.id;
  const t = (text: string) => new Confidential(text);
  await db.transaction().execute(async (trx) => {
    const audit = (action: string, recordType: string, recordId: string) =>
      appendAuditEvent(trx, {
        actorId: practitionerId,
        practiceId,
        action,
        outcome: 'ok',
        recordType,
        recordId,
        purpose: 'care',
      });
    const alex = await createClient(trx, keyring, {
      practiceId,
      createdBy: practitionerId,
      identity: new Confidential({
        name: 'Alex Demo-Rivers (fictional)',
        pronouns: 'they/them',
        dateOfBirth: '1988-04-12',
        email: 'alex@demo.alcove.invalid',
      }),
    });
    const jordan = await createClient(trx, keyring, {
      practiceId,
      createdBy: practitionerId,
      identity: new Confidential({
        name: 'Jordan Demo-Rivers (fictional)',
        pronouns: 'she/her',
        dateOfBirth: '1986-09-30',
        email: 'jordan@demo.alcove.invalid',
        phone: '07700 900123',
        contactChannels: [
          { channel: 'email', safe: true },
          { channel: 'phone', safe: false },
        ],
      }),
    });
    const casey = await createClient(trx, keyring, {
      practiceId,
      createdBy: practitionerId,
      identity: new Confidential({
        name: 'Casey Demo-Lind (fictional)',
        pronouns: 'he/him',
        dateOfBirth: '1979-01-05',
      }),
    });
    for (const c of [alex, jordan, casey]) await audit('client.create', 'client', c.id);

    const couple = await openCase(trx, keyring, {
      practiceId,
      practitionerId,
      kind: 'couple',
      clientIds: [alex.id, jordan.id],
    });
    const [a, b] = couple.participants;
    if (a === undefined || b === undefined) throw new Error('demo couple');
    // The couple's assessment runs over three sessions (3, 10 and 17 Nov), each with its note:
    // a note of a session is recorded with that session, so a release lists all three.
    const coupleSession = (startsAt: string) =>
      recordSession(trx, keyring, {
        practiceId,
        caseId: couple.caseId,
        kind: 'assessment',
        format: 'in-person',
        startsAt,
        minutes: 60,
        attendance: 'attended',
        present: [a.id, b.id],
        userId: practitionerId,
        now: new Date().toISOString(),
      });
    await addEntry(trx, keyring, {
      practiceId,
      theCase: couple,
      authorId: practitionerId,
      kind: 'session-note',
      occurredAt: '2026-11-10T10:00:00Z',
      sessionId: (await coupleSession('2026-11-10T10:00:00Z')).id,
      passages: [
        {
          text: t('Both describe feeling more like flatmates than partners since the move (fictional).'),
          attribution: [a.id, b.id],
        },
        {
          text: t(
            'Alex says they withdraw when work is stressful and find it hard to ask for closeness (fictional).',
          ),
          attribution: [a.id],
        },
        {
          text: t('Jordan says she reads the withdrawal as rejection and then pursues harder (fictional).'),
          attribution: [b.id],
        },
        {
          text: t(
            'Pursue–withdraw cycle; agreed to notice it at home and bring one example next time (fictional).',
          ),
          attribution: [],
        },
      ],
    });
    await addEntry(trx, keyring, {
      practiceId,
      theCase: couple,
      authorId: practitionerId,
      kind: 'session-note',
      occurredAt: '2026-11-17T10:00:00Z',
      sessionId: (await coupleSession('2026-11-17T10:00:00Z')).id,
      passages: [
        {
          text: t(
            'Each brought an example of the cycle; both were able to name it without blame (fictional).',
          ),
          attribution: [a.id, b.id],
        },
        { text: t('Continue with the cycle map; introduce a weekly check-in (fictional).'), attribution: [] },
      ],
    });
    const solo = await openCase(trx, keyring, {
      practiceId,
      practitionerId,
      kind: 'individual',
      clientIds: [casey.id],
    });
    await addEntry(trx, keyring, {
      practiceId,
      theCase: solo,
      authorId: practitionerId,
      kind: 'assessment',
      occurredAt: '2026-11-12T14:00:00Z',
      passages: [
        {
          text: t(
            'Assessment: presenting concern is performance anxiety since a new relationship began (fictional).',
          ),
          attribution: [solo.participants[0]?.id ?? ''],
        },
      ],
    });
    for (const c of [couple, solo]) await audit('case.open', 'case', c.caseId);

    // Contracts at two stages: the couple's signed by the practitioner and Alex, not yet by Jordan;
    // Casey's signed by everyone, with an assessment and a therapy session recorded.
    const now = new Date().toISOString();
    // With the Code's sections (GT-36b, GT-36c) and no blank left to fill, as `contract.offer` asks.
    const contractText = (who: string) =>
      `Therapy contract for ${who} (demo, fictional).\n\nRights and responsibilities\nWe meet weekly for 60 minutes. What you tell me stays confidential, except where someone is at serious risk of harm or the law requires otherwise. Sessions cancelled with less than 48 hours' notice are charged.\n\nAims of therapy\nWe agree the aims at the assessment and review them every six sessions.\n\nHow and when therapy ends\nEither of us may end therapy; we plan the ending together.`;
    // A contract for the case, signed in person by the parties named.
    const contractSignedBy = async (
      theCase: typeof couple,
      who: string,
      signers: readonly ({ kind: 'practitioner' } | { kind: 'client'; clientId: string })[],
    ) => {
      const contract = await createContractVersion(trx, keyring, {
        practiceId,
        caseId: theCase.caseId,
        text: new Confidential(contractText(who)),
        userId: practitionerId,
        now,
      });
      for (const signer of signers) {
        await signContract(trx, {
          theCase,
          contractId: contract.id,
          signer,
          mode: 'in-person',
          textHash: contract.textHash,
          recordedBy: practitionerId,
          now,
        });
      }
    };
    await contractSignedBy(couple, 'Alex and Jordan', [
      { kind: 'practitioner' },
      { kind: 'client', clientId: alex.id },
    ]);
    await contractSignedBy(solo, 'Casey', [{ kind: 'practitioner' }, { kind: 'client', clientId: casey.id }]);
    await recordSession(trx, keyring, {
      practiceId,
      caseId: solo.caseId,
      kind: 'assessment',
      format: 'in-person',
      startsAt: '2026-11-12T14:00:00Z',
      minutes: 60,
      attendance: 'attended',
      userId: practitionerId,
      now,
    });
    await recordSession(trx, keyring, {
      practiceId,
      caseId: solo.caseId,
      kind: 'therapy',
      format: 'in-person',
      startsAt: '2026-11-19T14:00:00Z',
      minutes: 60,
      attendance: 'attended',
      userId: practitionerId,
      now,
    });
    const coupleAssessment = await recordSession(trx, keyring, {
      practiceId,
      caseId: couple.caseId,
      kind: 'assessment',
      format: 'in-person',
      startsAt: '2026-11-03T10:00:00Z',
      minutes: 90,
      attendance: 'attended',
      userId: practitionerId,
      now,
    });
    // The assessment's note, in the sections GT-40 names, partner by partner, with an addendum.
    const assessmentNote = await addEntry(trx, keyring, {
      practiceId,
      theCase: couple,
      authorId: practitionerId,
      kind: 'session-note',
      occurredAt: '2026-11-03T10:00:00Z',
      sessionId: coupleAssessment.id,
      passages: [
        {
          section: 'findings',
          text: t(
            '<p>Alex describes low desire since a change of job; <em>no</em> pain or medical concerns (fictional).</p>',
          ),
          attribution: [a.id],
        },
        {
          section: 'findings',
          text: t('<p>Jordan feels rejected and has stopped initiating (fictional).</p>'),
          attribution: [b.id],
        },
        {
          section: 'decisions',
          text: t('<p>Both agree to weekly couple sessions; a sensate focus ban for now (fictional).</p>'),
          attribution: [a.id, b.id],
        },
        {
          section: 'information',
          text: t('<p>Gave the <strong>pursue–withdraw</strong> leaflet (fictional).</p>'),
          attribution: [],
        },
      ],
    });
    await addEntry(trx, keyring, {
      practiceId,
      theCase: couple,
      authorId: practitionerId,
      kind: 'addendum',
      occurredAt: now,
      sessionId: coupleAssessment.id,
      amends: {
        entryId: assessmentNote.id,
        reason: t('The job change was Jordan’s, not Alex’s (fictional).'),
      },
      passages: [
        {
          section: 'findings',
          text: t('<p>Correction: Jordan changed job; Alex’s low desire began before it (fictional).</p>'),
          attribution: [a.id, b.id],
        },
      ],
    });
    await addEntry(trx, keyring, {
      practiceId,
      theCase: couple,
      authorId: practitionerId,
      kind: 'risk',
      occurredAt: '2026-11-03T11:30:00Z',
      passages: [
        { section: 'level', text: t('<p>Low, to no one (fictional).</p>'), attribution: [] },
        {
          section: 'concerns',
          text: t(
            '<p>Raised voices at home during arguments; no threats or violence reported (fictional).</p>',
          ),
          attribution: [],
        },
        {
          section: 'steps',
          text: t(
            '<p>Asked each partner alone about safety at home; agreed to ask again each month (fictional).</p>',
          ),
          attribution: [],
        },
      ],
    });
    await presentCase(trx, keyring, {
      practiceId,
      caseId: couple.caseId,
      practitionerId,
      supervisorId: userIds[2] ?? practitionerId,
      presentedOn: '2026-11-05',
      material: t(
        '<p>Partner A withdraws under stress; partner B pursues. I notice I am drawn to side with B (fictional).</p>',
      ),
      now,
    });
    const withheld = await recordDisclosure(trx, keyring, {
      practiceId,
      caseId: solo.caseId,
      clientId: casey.id,
      disclosedOn: '2026-11-19',
      legalBasis: 'poca-2002-part-7',
      details: new Confidential({
        recipient: 'National Crime Agency (fictional)',
        what: 'A disclosure about the source of session fees (fictional).',
        whyNoConsent: 'Telling the client would be tipping off (fictional).',
        justification: 'A legal duty to report (fictional).',
        withholdBasis: 'Proceeds of Crime Act 2002, s333A (fictional case)',
      }),
      withheldFromClient: true,
      recordedBy: practitionerId,
      now,
    });
    await audit('disclosure.withhold', 'disclosure', withheld.id);
    await giveConsent(trx, keyring, {
      practiceId,
      clientId: alex.id,
      type: 'team-sharing',
      givenOn: '2026-11-03',
      givenBy: 'client',
      mode: 'written-in-person',
      recordedBy: practitionerId,
      now,
    });
    await giveConsent(trx, keyring, {
      practiceId,
      clientId: casey.id,
      type: 'research',
      givenOn: '2026-11-12',
      givenBy: 'client',
      mode: 'written-in-person',
      recordedBy: practitionerId,
      now,
    });
    await addConnection(trx, keyring, {
      practiceId,
      userId: practitionerId,
      relation: 'partner',
      name: 'Morgan Demo-Hartley (fictional)',
      dateOfBirth: '1980-02-14',
      now,
    });
    for (const c of [alex, jordan, casey]) await audit('entry.create', 'client', c.id);

    // Where each case stands: the couple assessed, Casey in therapy.
    await setCaseStatus(trx, { caseId: couple.caseId, to: 'assessment', now });
    await setCaseStatus(trx, { caseId: solo.caseId, to: 'active', now });

    // More cases, one at each remaining stage of a case's life.
    const staged = async (
      people: readonly { name: string; dateOfBirth: string }[],
      kind: 'individual' | 'couple',
      status: 'enquiry' | 'contracted' | 'ending' | 'closed',
      format: 'in-person' | 'online' | 'phone',
    ) => {
      const clients = [];
      for (const person of people) {
        const c = await createClient(trx, keyring, {
          practiceId,
          createdBy: practitionerId,
          identity: new Confidential(person),
        });
        await audit('client.create', 'client', c.id);
        clients.push(c);
      }
      const opened = await openCase(trx, keyring, {
        practiceId,
        practitionerId,
        kind,
        clientIds: clients.map((c) => c.id),
        format,
      });
      await audit('case.open', 'case', opened.caseId);
      if (status !== 'enquiry') {
        await contractSignedBy(opened, people.map((p) => p.name).join(' and '), [
          { kind: 'practitioner' },
          ...clients.map((c) => ({ kind: 'client' as const, clientId: c.id })),
        ]);
        await setCaseStatus(trx, { caseId: opened.caseId, to: status, now });
      }
    };
    await staged(
      [{ name: 'Sam Demo-Ashby (fictional)', dateOfBirth: '1992-03-08' }],
      'individual',
      'enquiry',
      'phone',
    );
    await staged(
      [
        { name: 'Robin Demo-Marsh (fictional)', dateOfBirth: '1975-07-19' },
        { name: 'Quinn Demo-Marsh (fictional)', dateOfBirth: '1977-12-02' },
      ],
      'couple',
      'contracted',
      'online',
    );
    await staged(
      [{ name: 'Taylor Demo-Penn (fictional)', dateOfBirth: '1969-05-27' }],
      'individual',
      'ending',
      'in-person',
    );
    await staged(
      [{ name: 'Avery Demo-Stone (fictional)', dateOfBirth: '1983-10-14' }],
      'individual',
      'closed',
      'in-person',
    );

    // E-mail is captured in the demo: every message is kept and listed, none is sent.
    await setMailSettings(trx, keyring, {
      practiceId,
      settings: {
        mode: 'capture',
        from: 'practice@demo.alcove.invalid',
        siteUrl: 'http://127.0.0.1:8080',
      },
      userId: practitionerId,
      now,
    });
    // Casey asked for a copy of their records three weeks ago: due in a week.
    await registerRequest(trx, keyring, {
      practiceId,
      clientId: casey.id,
      basis: 'subject-access',
      receivedOn: '2026-11-01',
      dueOn: releaseDueOn('2026-11-01', 'subject-access'),
      viaPortal: false,
      createdBy: practitionerId,
      now,
    });
    // Alex has a client portal account; Jordan's invitation waits in the outbox.
    const alexAccount = await createUser(trx, keyring, {
      email: DEMO_PORTAL_EMAIL,
      name: 'Alex Demo-Rivers (fictional)',
      passwordHash,
    });
    await addMembership(trx, { userId: alexAccount.id, practiceId, role: 'client', clientId: alex.id });
    userIds.push(alexAccount.id);
    const invitation = await createInvitation(trx, {
      practiceId,
      clientId: jordan.id,
      createdBy: practitionerId,
      now,
    });
    await enqueueMessage(trx, keyring, {
      practiceId,
      clientId: jordan.id,
      purpose: 'portal-invitation',
      envelope: {
        to: 'jordan@demo.alcove.invalid',
        ...portalInvitationMessage({
          recipientName: 'Jordan Demo-Rivers (fictional)',
          practiceName: DEMO_PRACTICE_NAME,
          link: `http://127.0.0.1:8080/portal/join#${invitation.token}`,
          expiresOn: formatDate(invitation.expiresAt),
        }),
      },
      createdBy: practitionerId,
      now,
    });
  });
  await enrolDemoTotp(store, keyring, userIds.at(-1) ?? '');
  return { keyring, practiceId, practitionerId, passwordHash };
}

/** The demo practitioner's professional record: current cover and supervision, some CPD, and no executor yet. */
async function seedDemoProfile(store: Store, practiceId: string, userId: string): Promise<void> {
  const year = new Date().getUTCFullYear();
  const profile: Profile = {
    ...emptyProfile,
    details: {
      ...emptyProfile.details,
      worksWith: { under18s: false, vulnerableAdults: false, online: true },
      membership: {
        category: 'Accredited Member',
        accreditation: 'accredited',
        advertisesAccreditation: true,
      },
      supervisor: {
        name: 'Dr Ash Penrose (fictional)',
        since: '2021-09-01',
        experiencedWithYoungOrVulnerable: false,
      },
      executor: null,
    },
    insurance: [
      {
        id: newId(),
        insurer: 'Hollybush Mutual (fictional)',
        startsOn: `${year}-04-01`,
        endsOn: `${year + 1}-03-31`,
        retentionYears: 10,
      },
    ],
    training: [
      {
        id: newId(),
        kind: 'online-work',
        title: 'Online therapy practice (fictional course)',
        completedOn: '2022-05-14',
      },
    ],
    qualifications: [
      {
        id: newId(),
        kind: 'sex-and-relationship-therapy',
        title: 'PG Dip Sex and Relationship Therapy (fictional)',
        awardedBy: 'University of Northmoor (fictional)',
        awardedOn: '2019-07-01',
        relevantToTherapy: true,
      },
    ],
    cpd: [
      {
        id: newId(),
        date: `${year}-02-10`,
        title: 'Working with desire discrepancy (fictional workshop)',
        hours: 6,
        sexAndRelationship: true,
        faceToFace: true,
      },
      {
        id: newId(),
        date: `${year}-05-22`,
        title: 'Online safeguarding refresher (fictional)',
        hours: 3,
        sexAndRelationship: false,
        faceToFace: false,
      },
      {
        id: newId(),
        date: `${year}-09-15`,
        title: 'Emotionally focused couple therapy reading group (fictional)',
        hours: 8.5,
        sexAndRelationship: true,
        faceToFace: false,
      },
    ],
  };
  await store.db.transaction().execute(async (trx) => {
    await saveProfile(trx, practiceId, userId, profile, new Date().toISOString());
    await appendAuditEvent(trx, {
      actorId: userId,
      practiceId,
      action: 'profile.update-details',
      outcome: 'ok',
      recordType: 'profile',
      recordId: userId,
      purpose: 'setup',
    });
  });
}

async function enrolDemoTotp(store: Store, keyring: Keyring, userId: string): Promise<void> {
  const secret = newTotpSecret();
  await setPendingTotp(store.db, userId, await sealAccountField(store.db, keyring, userId, 'totp', secret));
  await store.db.transaction().execute((trx) => enableTotp(trx, userId, 0, new Date().toISOString()));
}

/** `alcove demo code`: the current authenticator code of a demo account, in the demo only. */
export async function demoCodeCommand(
  io: CliIo,
  options: { data?: string; keyFile?: string; email?: string },
): Promise<void> {
  const config = storeConfigFor(io, options.data);
  const keyFile = demoKeyFile(io, config, options.keyFile);
  const store = await openStore(config, { lock: false });
  try {
    const practices = await listPractices(store.db).catch(() => []);
    if (practices.length === 0 || practices.some((p) => !p.demo)) {
      throw new CliError(
        'Codes are shown for the demo practice only. A real account uses its authenticator app.',
      );
    }
    const keyring = await unlockKeyring(store.db, {
      method: 'key-file',
      key: readKeyFile(keyFile, 'demo key file'),
    });
    const email = options.email ?? DEMO_ACCOUNTS[0].email;
    const user = await findUserByEmail(store.db, keyring, email);
    if (user?.totp_secret_sealed == null) throw new CliError(`No demo account ${email}.`);
    const secret = await openAccountField(store.db, keyring, user.id, 'totp', user.totp_secret_sealed);
    io.out(currentTotp(secret, clockFor(io)().getTime()));
  } finally {
    await store.close();
  }
}

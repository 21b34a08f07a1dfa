import { describe, expect, it } from 'vitest';
import { DEFAULT_CPD_REQUIREMENT, emptyProfile, type Profile } from '../profile.ts';
import { clause } from '../testing.ts';
import { cpdYear, evaluateRules, type Finding, type RuleContext, rules } from './rules.ts';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** A practitioner with everything in order on 22 Nov 2026, varied one thing at a time. */
function fine(): Profile {
  return {
    ...emptyProfile,
    details: {
      ...emptyProfile.details,
      supervisor: {
        name: 'Supervisor (fictional)',
        since: '2020-01-01',
        experiencedWithYoungOrVulnerable: false,
      },
      executor: { name: 'Executor (fictional)', appointedOn: '2020-01-01' },
    },
    insurance: [{ id: id(1), insurer: 'Insurer (fictional)', startsOn: '2026-01-01', endsOn: '2027-06-30' }],
    cpd: [
      {
        id: id(2),
        date: '2025-03-01',
        title: 'Last year',
        hours: 30,
        sexAndRelationship: true,
        faceToFace: true,
      },
      {
        id: id(3),
        date: '2026-03-01',
        title: 'This year',
        hours: 30,
        sexAndRelationship: true,
        faceToFace: true,
      },
    ],
  };
}

function run(rule: string, profile: Profile, today = '2026-11-22', overridden: string[] = []): Finding[] {
  const context: RuleContext = {
    profile,
    cpd: DEFAULT_CPD_REQUIREMENT,
    today,
    practitionerSince: '2020-01-01',
    overridden: new Set(overridden),
  };
  const found = rules.find((r) => r.id === rule);
  if (found === undefined) throw new Error(`no rule ${rule}`);
  return found.evaluate(context);
}

describe('a practitioner with everything in order', () => {
  it('has no findings', () => {
    expect(
      evaluateRules({
        profile: fine(),
        cpd: DEFAULT_CPD_REQUIREMENT,
        today: '2026-11-22',
        practitionerSince: '2020-01-01',
        overridden: new Set(),
      }),
    ).toEqual([]);
  });
});

describe('the rules, as truth tables', () => {
  const withInsurance = (startsOn: string, endsOn: string): Profile => ({
    ...fine(),
    insurance: [{ id: id(9), insurer: 'X', startsOn, endsOn }],
  });

  clause('GT-45', 'insurance-current: cover ending today is still current', () => {
    const findings = run('insurance-current', withInsurance('2026-01-01', '2026-11-22'));
    expect(findings).toMatchObject([
      { clause: 'GT-45', severity: 'medium', title: 'Your insurance cover ends today' },
    ]);
  });

  clause('GT-45', 'insurance-current: cover that ended yesterday is a finding', () => {
    expect(run('insurance-current', withInsurance('2025-11-22', '2026-11-21'))).toMatchObject([
      { clause: 'GT-45', severity: 'high', since: '2026-11-22' },
    ]);
    expect(run('insurance-current', { ...fine(), insurance: [] })).toMatchObject([
      { severity: 'high', since: '2020-01-01' },
    ]);
  });

  clause(
    'GT-45',
    'insurance-current: ending in 31 days is quiet, in 30 days a warning, renewed is quiet',
    () => {
      expect(run('insurance-current', withInsurance('2026-01-01', '2026-12-23'))).toEqual([]);
      expect(run('insurance-current', withInsurance('2026-01-01', '2026-12-22'))).toMatchObject([
        { severity: 'medium' },
      ]);
      const renewed = { ...withInsurance('2026-01-01', '2026-12-22') };
      renewed.insurance = [
        ...renewed.insurance,
        { id: id(10), insurer: 'X', startsOn: '2026-12-23', endsOn: '2027-12-22' },
      ];
      expect(run('insurance-current', renewed)).toEqual([]);
    },
  );

  clause('GT-41', 'executor-appointed: no executor is a finding', () => {
    expect(run('executor-appointed', fine())).toEqual([]);
    expect(
      run('executor-appointed', { ...fine(), details: { ...fine().details, executor: null } }),
    ).toMatchObject([{ clause: 'GT-41', severity: 'high' }]);
  });

  clause('GT-64', 'supervisor-in-place: no supervisor is a finding', () => {
    expect(run('supervisor-in-place', fine())).toEqual([]);
    expect(
      run('supervisor-in-place', { ...fine(), details: { ...fine().details, supervisor: null } }),
    ).toMatchObject([{ clause: 'GT-64' }]);
  });

  const young = (p: Profile): Profile => ({
    ...p,
    details: { ...p.details, worksWith: { ...p.details.worksWith, under18s: true } },
  });

  clause('GT-65', 'supervisor-experience: young or vulnerable clients need an experienced supervisor', () => {
    expect(run('supervisor-experience', fine())).toEqual([]);
    expect(run('supervisor-experience', young(fine()))).toMatchObject([{ clause: 'GT-65' }]);
    const experienced = young(fine());
    experienced.details = {
      ...experienced.details,
      supervisor: { name: 'S', since: '2020-01-01', experiencedWithYoungOrVulnerable: true },
    };
    expect(run('supervisor-experience', experienced)).toEqual([]);
  });

  clause('GT-26', 'dbs-current: a certificate under three years old is current', () => {
    expect(run('dbs-current', fine())).toEqual([]); // no young or vulnerable clients: no rule
    expect(run('dbs-current', young(fine()))).toMatchObject([{ clause: 'GT-26' }]);
    expect(
      run('dbs-current', {
        ...young(fine()),
        dbs: [{ id: id(4), issuedOn: '2024-01-01', fullDisclosure: true }],
      }),
    ).toEqual([]);
    expect(
      run('dbs-current', {
        ...young(fine()),
        dbs: [{ id: id(4), issuedOn: '2024-01-01', fullDisclosure: false }],
      }),
    ).toHaveLength(1);
    expect(
      run('dbs-current', {
        ...young(fine()),
        dbs: [{ id: id(4), issuedOn: '2023-01-01', fullDisclosure: true }],
      }),
    ).toMatchObject([{ since: '2026-01-01' }]);
  });

  clause('GT-26', 'training-for-groups: work with under-18s needs its training', () => {
    expect(run('training-for-groups', young(fine()))).toMatchObject([
      { key: 'training-for-groups:under-18s' },
    ]);
    expect(
      run('training-for-groups', {
        ...young(fine()),
        training: [{ id: id(5), kind: 'under-18s', title: 'T', completedOn: '2025-01-01' }],
      }),
    ).toEqual([]);
  });

  const online = (p: Profile): Profile => ({
    ...p,
    details: { ...p.details, worksWith: { ...p.details.worksWith, online: true } },
  });

  clause('GT-92', 'online-training: online work needs its training', () => {
    expect(run('online-training', online(fine()))).toMatchObject([{ clause: 'GT-92', severity: 'medium' }]);
    expect(
      run('online-training', {
        ...online(fine()),
        training: [{ id: id(6), kind: 'online-work', title: 'T', completedOn: '2025-01-01' }],
      }),
    ).toEqual([]);
    // A recorded override answers it.
    expect(run('online-training', online(fine()), '2026-11-22', ['GT-92'])).toEqual([]);
  });

  const cpd = (hours: number, srt = true, f2f = true): Profile => ({
    ...fine(),
    cpd: [
      {
        id: id(2),
        date: '2025-03-01',
        title: 'Last year',
        hours: 30,
        sexAndRelationship: true,
        faceToFace: true,
      },
      { id: id(7), date: '2026-02-01', title: 'This year', hours, sexAndRelationship: srt, faceToFace: f2f },
    ],
  });

  clause('GT-15', 'cpd-hours: 29.5 hours is short of 30', () => {
    expect(run('cpd-hours', cpd(29.5))).toMatchObject([
      { clause: 'GT-15', title: 'CPD this year so far: 29.5 of 30 hours in all' },
    ]);
  });

  clause('GT-15', 'cpd-hours: 30 hours meets 30', () => {
    expect(run('cpd-hours', cpd(30))).toEqual([]);
  });

  clause(
    'GT-15',
    'cpd-hours: counts sex and relationship therapy and face-to-face hours on their own',
    () => {
      expect(run('cpd-hours', cpd(30, false, true))[0]?.title).toContain(
        '0 of 16 in sex and relationship therapy',
      );
      expect(run('cpd-hours', cpd(30, true, false))[0]?.title).toContain('0 of 6 face to face');
    },
  );

  clause(
    'GT-15',
    'cpd-hours: a year that ended short is high; this year is low until its last 90 days',
    () => {
      const lastYearShort = {
        ...fine(),
        cpd: [
          {
            id: id(3),
            date: '2026-03-01',
            title: 'This year',
            hours: 30,
            sexAndRelationship: true,
            faceToFace: true,
          },
        ],
      };
      expect(run('cpd-hours', lastYearShort)).toMatchObject([
        { severity: 'high', key: 'cpd-hours:2025-01-01', since: '2026-01-01' },
      ]);
      expect(run('cpd-hours', cpd(10), '2026-06-01')).toMatchObject([{ severity: 'low' }]);
      expect(run('cpd-hours', cpd(10), '2026-10-02')).toMatchObject([{ severity: 'medium' }]);
    },
  );

  it('cpd-hours: the CPD year follows the setting', () => {
    expect(cpdYear('2026-11-22', '01-01')).toEqual({ start: '2026-01-01', end: '2026-12-31' });
    expect(cpdYear('2026-03-31', '04-01')).toEqual({ start: '2025-04-01', end: '2026-03-31' });
    expect(cpdYear('2026-04-01', '04-01')).toEqual({ start: '2026-04-01', end: '2027-03-31' });
  });

  clause('GT-66', 'career-break-return: an ended break with no agreed return is a finding', () => {
    const ended = { ...fine(), careerBreaks: [{ id: id(8), from: '2026-01-01', to: '2026-06-30' }] };
    expect(run('career-break-return', ended)).toMatchObject([{ clause: 'GT-66', since: '2026-06-30' }]);
    expect(
      run('career-break-return', {
        ...fine(),
        careerBreaks: [{ id: id(8), from: '2026-01-01', to: '2026-06-30', returnAgreedOn: '2026-06-25' }],
      }),
    ).toEqual([]);
    expect(
      run('career-break-return', { ...fine(), careerBreaks: [{ id: id(8), from: '2026-11-01' }] }),
    ).toEqual([]);
  });

  const notification = (
    occurredOn: string,
    kind: Profile['notifications'][number]['kind'] = 'criminal-charge-or-conviction',
  ): Profile => ({
    ...fine(),
    notifications: [{ id: id(11), kind, occurredOn }],
  });

  clause(['GT-107', 'GT-107n'], 'cosrt-notifications: the 14th day is due, the 15th is overdue', () => {
    // Occurred 8 Nov: the deadline is 22 Nov, the 14th day.
    expect(run('cosrt-notifications', notification('2026-11-08'))).toMatchObject([
      { clause: 'GT-107n', severity: 'medium', title: 'Tell COSRT by 22 Nov 2026 (today)' },
    ]);
    expect(run('cosrt-notifications', notification('2026-11-07'))).toMatchObject([
      { clause: 'GT-107n', severity: 'high', since: '2026-11-22' },
    ]);
    const told = notification('2026-11-07');
    told.notifications = [
      {
        id: id(11),
        kind: 'criminal-charge-or-conviction',
        occurredOn: '2026-11-07',
        notifiedOn: '2026-11-10',
      },
    ];
    expect(run('cosrt-notifications', told)).toEqual([]);
  });

  clause.each([
    { kind: 'police-caution-or-inquiry', cites: 'GT-107m' },
    { kind: 'criminal-charge-or-conviction', cites: 'GT-107n' },
    { kind: 'other-body-proceedings', cites: 'GT-107o' },
  ] as const)(
    (row) => ['GT-107', row.cites],
    'cosrt-notifications: $kind cites $cites',
    ({ kind, cites }) => {
      expect(run('cosrt-notifications', notification('2026-11-20', kind))).toMatchObject([{ clause: cites }]);
    },
  );

  clause('GT-108', 'cosrt-notifications: a suspension cites GT-108', () => {
    expect(run('cosrt-notifications', notification('2026-11-20', 'suspension-or-restriction'))).toMatchObject(
      [{ clause: 'GT-108' }],
    );
  });

  clause(['GT-91', 'GT-91i'], 'doctor-title: Doctor without a relevant doctorate is a finding', () => {
    const doctor = {
      ...fine(),
      details: { ...fine().details, titles: { ...fine().details.titles, usesDoctor: true } },
    };
    expect(run('doctor-title', doctor)).toMatchObject([{ clause: 'GT-91i' }]);
    const qualified = {
      ...doctor,
      qualifications: [
        {
          id: id(12),
          kind: 'doctorate' as const,
          title: 'PhD (fictional)',
          awardedBy: 'U',
          awardedOn: '2010-07-01',
          relevantToTherapy: true,
        },
      ],
    };
    expect(run('doctor-title', qualified)).toEqual([]);
    const irrelevant = qualified.qualifications.map((q) => ({ ...q, relevantToTherapy: false }));
    expect(run('doctor-title', { ...qualified, qualifications: irrelevant })).toHaveLength(1);
  });

  clause('GT-99', 'psychosexual-title: the title needs a qualification', () => {
    const advertises = {
      ...fine(),
      details: {
        ...fine().details,
        titles: { ...fine().details.titles, advertisesAsPsychosexualTherapist: true },
      },
    };
    expect(run('psychosexual-title', advertises)).toMatchObject([{ clause: 'GT-99' }]);
    expect(
      run('psychosexual-title', {
        ...advertises,
        qualifications: [
          {
            id: id(13),
            kind: 'psychosexual-therapy',
            title: 'PG Dip',
            awardedBy: 'U',
            awardedOn: '2015-07-01',
            relevantToTherapy: true,
          },
        ],
      }),
    ).toEqual([]);
  });

  clause('GT-88', 'pending-accreditation: advertised but pending is a finding', () => {
    const pending = {
      ...fine(),
      details: {
        ...fine().details,
        membership: { category: 'Member', accreditation: 'pending' as const, advertisesAccreditation: true },
      },
    };
    expect(run('pending-accreditation', pending)).toMatchObject([{ clause: 'GT-88' }]);
    expect(
      run('pending-accreditation', {
        ...pending,
        details: {
          ...pending.details,
          membership: { ...pending.details.membership, accreditation: 'accredited' },
        },
      }),
    ).toEqual([]);
  });
});

/**
 * Issue 14: with the process in Europe/London and a day in summer, every day derived from
 * a day came out one day early (a CPD year ending on 30 March). CI runs this file under
 * UTC, Europe/London and Pacific/Auckland; the answers are the same in each.
 */
describe('the rules in British Summer Time', () => {
  it('ends an April CPD year on 31 March, not 30 March', () => {
    expect(cpdYear('2026-08-14', '04-01')).toEqual({ start: '2026-04-01', end: '2027-03-31' });
    expect(cpdYear('2026-03-30', '03-30')).toEqual({ start: '2026-03-30', end: '2027-03-29' });
  });

  it('counts the days to an insurance renewal in summer without losing one', () => {
    const ending: Profile = {
      ...fine(),
      insurance: [
        { id: id(1), insurer: 'Insurer (fictional)', startsOn: '2026-01-01', endsOn: '2026-07-15' },
      ],
    };
    expect(run('insurance-current', ending, '2026-07-14')).toMatchObject([
      { title: 'Your insurance cover ends in 1 day', since: '2026-06-15' },
    ]);
    expect(run('insurance-current', ending, '2026-07-16')).toMatchObject([{ since: '2026-07-16' }]);
  });

  it('gives COSRT notifications 14 days, shown as the day in words', () => {
    const notified: Profile = {
      ...fine(),
      notifications: [{ id: id(9), kind: 'criminal-charge-or-conviction', occurredOn: '2026-06-10' }],
    };
    const [finding] = run('cosrt-notifications', notified, '2026-06-20');
    expect(finding?.title).toContain('24 Jun 2026');
    expect(finding?.title).toContain('4 days left');
  });

  it('treats a DBS certificate as current for three calendar years to the day', () => {
    const youngClients = fine();
    const dbs = (issuedOn: string): Profile => ({
      ...youngClients,
      details: { ...youngClients.details, worksWith: { ...youngClients.details.worksWith, under18s: true } },
      dbs: [{ id: id(4), issuedOn, fullDisclosure: true }],
    });
    expect(run('dbs-current', dbs('2023-08-15'), '2026-08-14')).toEqual([]);
    expect(run('dbs-current', dbs('2023-08-14'), '2026-08-14')).toMatchObject([{ since: '2026-08-14' }]);
  });
});

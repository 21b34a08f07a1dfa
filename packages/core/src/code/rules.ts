import { addDays, addYears, dayInYear, daysBetween, formatDay, laterDay, yearOf } from '../days.ts';
import type { CpdRequirement, notificationKinds, Profile } from '../profile.ts';
import { ruleRan } from './trace.ts';

/**
 * The Code's rules over a practitioner's own record: pure functions of the record, the
 * practice's settings and today's date, so a date arriving is a new finding without any
 * edit. Each rule names its clause; the catalogue names the rule and the test that
 * proves it.
 */
export type Severity = 'high' | 'medium' | 'low';

export interface Finding {
  /** Stable: the same shortfall has the same key from day to day. */
  readonly key: string;
  readonly rule: string;
  readonly clause: string;
  readonly severity: Severity;
  readonly title: string;
  /** What to do about it. */
  readonly action: string;
  /** The day the finding began (yyyy-MM-dd). */
  readonly since: string;
  /** Where in the practitioner's record it is put right. */
  readonly section:
    | 'insurance'
    | 'details'
    | 'dbs'
    | 'training'
    | 'qualifications'
    | 'careerBreaks'
    | 'notifications'
    | 'cpd'
    /** Not in the practitioner's record: the installation's audit log (code/audit-witness.ts). */
    | 'audit-log';
}

export interface RuleContext {
  readonly profile: Profile;
  readonly cpd: CpdRequirement;
  /** Today in Europe/London, yyyy-MM-dd. */
  readonly today: string;
  /** When the practitioner's account began (yyyy-MM-dd): "since" for what was always missing. */
  readonly practitionerSince: string;
  /** Clauses the practitioner has departed from, with a recorded reason ("should" only). */
  readonly overridden: ReadonlySet<string>;
}

export interface Rule {
  readonly id: string;
  readonly clause: string;
  /** Every clause the rule's findings cite, where more than `clause` (registry.ts). */
  readonly serves?: readonly string[];
  readonly evaluate: (context: RuleContext) => Finding[];
}

const plusDays = addDays;
const later = laterDay;
/** A calendar day as people read it: 22 Nov 2026. */
const shown = formatDay;

/** Insurance cover ending within this many days is an upcoming expiry. */
export const EXPIRY_WARNING_DAYS = 30;
/** A DBS certificate older than this is treated as not current (a practice policy: DBS certificates carry no expiry date). */
export const DBS_CURRENT_YEARS = 3;
/** GT-107 and GT-108: COSRT must be told within 14 days. */
export const NOTIFICATION_DAYS = 14;

const insuranceCurrent: Rule = {
  id: 'insurance-current',
  clause: 'GT-45',
  evaluate({ profile, today, practitionerSince }) {
    const current = profile.insurance.filter((c) => c.startsOn <= today && today <= c.endsOn);
    if (current.length === 0) {
      const lastEnd = profile.insurance
        .map((c) => c.endsOn)
        .filter((d) => d < today)
        .sort()
        .at(-1);
      return [
        {
          key: 'insurance-current',
          rule: this.id,
          clause: this.clause,
          severity: 'high',
          title: 'No current insurance or indemnity cover',
          action: 'Record the policy that covers you today.',
          since: lastEnd === undefined ? practitionerSince : plusDays(lastEnd, 1),
          section: 'insurance',
        },
      ];
    }
    const coveredUntil =
      current
        .map((c) => c.endsOn)
        .sort()
        .at(-1) ?? today;
    // A policy that starts the day after the current one ends continues the cover.
    const continued = profile.insurance.some(
      (c) => c.startsOn <= plusDays(coveredUntil, 1) && c.endsOn > coveredUntil,
    );
    const left = daysBetween(today, coveredUntil);
    if (!continued && left <= EXPIRY_WARNING_DAYS) {
      return [
        {
          key: `insurance-ending:${coveredUntil}`,
          rule: this.id,
          clause: this.clause,
          severity: 'medium',
          title:
            left === 0
              ? 'Your insurance cover ends today'
              : `Your insurance cover ends in ${left} day${left === 1 ? '' : 's'}`,
          action: 'Renew it, and record the new policy.',
          since: plusDays(coveredUntil, -EXPIRY_WARNING_DAYS),
          section: 'insurance',
        },
      ];
    }
    return [];
  },
};

const singleton = (
  id: string,
  clause: string,
  serves: readonly string[] | undefined,
  missing: (c: RuleContext) => boolean,
  title: string,
  action: string,
): Rule => ({
  id,
  clause,
  ...(serves === undefined ? {} : { serves }),
  evaluate(context) {
    return missing(context)
      ? [
          {
            key: id,
            rule: id,
            clause,
            severity: 'high',
            title,
            action,
            since: context.practitionerSince,
            section: 'details',
          },
        ]
      : [];
  },
});

const executorAppointed = singleton(
  'executor-appointed',
  'GT-41',
  undefined,
  ({ profile }) => profile.details.executor === null,
  'No professional executor appointed',
  'Appoint a professional executor to care for your clients if you end practice without planning, and record them.',
);

const supervisorInPlace = singleton(
  'supervisor-in-place',
  'GT-64',
  undefined,
  ({ profile }) => profile.details.supervisor === null,
  'No supervisor recorded',
  'Record the experienced, qualified supervisor you work with.',
);

const worksWithYoungOrVulnerable = (p: Profile) =>
  p.details.worksWith.under18s || p.details.worksWith.vulnerableAdults;

const supervisorExperience = singleton(
  'supervisor-experience',
  'GT-65',
  undefined,
  ({ profile }) =>
    worksWithYoungOrVulnerable(profile) &&
    profile.details.supervisor !== null &&
    !profile.details.supervisor.experiencedWithYoungOrVulnerable,
  'Your supervisor is not recorded as experienced with young or vulnerable clients',
  'You work with young people or vulnerable adults: your supervisor must have experience of and training in that work.',
);

const dbsCurrent: Rule = {
  id: 'dbs-current',
  clause: 'GT-26',
  evaluate({ profile, today, practitionerSince }) {
    if (!worksWithYoungOrVulnerable(profile)) return [];
    const cutoff = addYears(today, -DBS_CURRENT_YEARS);
    const current = profile.dbs.filter((d) => d.fullDisclosure && d.issuedOn > cutoff && d.issuedOn <= today);
    if (current.length > 0) return [];
    const newest = profile.dbs
      .filter((d) => d.fullDisclosure)
      .map((d) => d.issuedOn)
      .sort()
      .at(-1);
    return [
      {
        key: 'dbs-current',
        rule: this.id,
        clause: this.clause,
        severity: 'high',
        title: 'No current full-disclosure DBS certificate',
        action: `You work with young people or vulnerable adults: record a full-disclosure DBS certificate issued in the last ${DBS_CURRENT_YEARS} years.`,
        since:
          newest === undefined
            ? practitionerSince
            : later(practitionerSince, addYears(newest, DBS_CURRENT_YEARS)),
        section: 'dbs',
      },
    ];
  },
};

const trainingForGroups: Rule = {
  id: 'training-for-groups',
  clause: 'GT-26',
  evaluate({ profile, practitionerSince }) {
    const needed: ('under-18s' | 'vulnerable-adults')[] = [];
    if (profile.details.worksWith.under18s) needed.push('under-18s');
    if (profile.details.worksWith.vulnerableAdults) needed.push('vulnerable-adults');
    return needed
      .filter((kind) => !profile.training.some((t) => t.kind === kind))
      .map((kind) => ({
        key: `training-for-groups:${kind}`,
        rule: this.id,
        clause: this.clause,
        severity: 'high' as const,
        title:
          kind === 'under-18s'
            ? 'No training recorded for work with under-18s'
            : 'No training recorded for work with vulnerable adults',
        action: 'Record the evidenced training you have for this work.',
        since: practitionerSince,
        section: 'training' as const,
      }));
  },
};

const onlineTraining: Rule = {
  id: 'online-training',
  clause: 'GT-92',
  evaluate({ profile, practitionerSince, overridden }) {
    if (!profile.details.worksWith.online || overridden.has('GT-92')) return [];
    if (profile.training.some((t) => t.kind === 'online-work')) return [];
    return [
      {
        key: 'online-training',
        rule: this.id,
        clause: this.clause,
        severity: 'medium',
        title: 'You offer online therapy with no online-work training recorded',
        action: 'Record your training for online work.',
        since: practitionerSince,
        section: 'training',
      },
    ];
  },
};

/** The CPD year that contains `day`, given its start (MM-dd). */
export function cpdYear(day: string, startsOn: string): { start: string; end: string } {
  const year = yearOf(day);
  let start = dayInYear(year, startsOn);
  if (start > day) start = dayInYear(year - 1, startsOn);
  const next = dayInYear(yearOf(start) + 1, startsOn);
  return { start, end: plusDays(next, -1) };
}

export interface CpdTotals {
  readonly total: number;
  readonly sexAndRelationship: number;
  readonly faceToFace: number;
}

export function cpdTotals(profile: Profile, year: { start: string; end: string }): CpdTotals {
  const inYear = profile.cpd.filter((e) => e.date >= year.start && e.date <= year.end);
  const sum = (entries: typeof inYear) => entries.reduce((total, e) => total + e.hours, 0);
  return {
    total: sum(inYear),
    sexAndRelationship: sum(inYear.filter((e) => e.sexAndRelationship)),
    faceToFace: sum(inYear.filter((e) => e.faceToFace)),
  };
}

function shortfalls(totals: CpdTotals, required: CpdRequirement): string[] {
  const gaps: string[] = [];
  if (totals.total < required.totalHours) gaps.push(`${totals.total} of ${required.totalHours} hours in all`);
  if (totals.sexAndRelationship < required.sexAndRelationshipHours) {
    gaps.push(
      `${totals.sexAndRelationship} of ${required.sexAndRelationshipHours} in sex and relationship therapy`,
    );
  }
  if (totals.faceToFace < required.faceToFaceHours)
    gaps.push(`${totals.faceToFace} of ${required.faceToFaceHours} face to face`);
  return gaps;
}

const cpdHours: Rule = {
  id: 'cpd-hours',
  clause: 'GT-15',
  evaluate({ profile, cpd, today, practitionerSince }) {
    const findings: Finding[] = [];
    const current = cpdYear(today, cpd.yearStartsOn);
    const previous = cpdYear(plusDays(current.start, -1), cpd.yearStartsOn);
    // A CPD year that ended short, if the practitioner was here for all of it.
    if (practitionerSince <= previous.start) {
      const gaps = shortfalls(cpdTotals(profile, previous), cpd);
      if (gaps.length > 0) {
        findings.push({
          key: `cpd-hours:${previous.start}`,
          rule: this.id,
          clause: this.clause,
          severity: 'high',
          title: `Your CPD year to ${shown(previous.end)} ended short: ${gaps.join('; ')}`,
          action: 'Record any CPD not yet logged for that year, and agree a plan with your supervisor.',
          since: current.start,
          section: 'cpd',
        });
      }
    }
    const gaps = shortfalls(cpdTotals(profile, current), cpd);
    if (gaps.length > 0) {
      findings.push({
        key: `cpd-hours:${current.start}`,
        rule: this.id,
        clause: this.clause,
        severity: daysBetween(today, current.end) <= 90 ? 'medium' : 'low',
        title: `CPD this year so far: ${gaps.join('; ')}`,
        action: `Your CPD year ends on ${shown(current.end)}.`,
        since: later(current.start, practitionerSince),
        section: 'cpd',
      });
    }
    return findings;
  },
};

const careerBreakReturn: Rule = {
  id: 'career-break-return',
  clause: 'GT-66',
  evaluate({ profile, today }) {
    return profile.careerBreaks
      .filter((b) => b.to !== undefined && b.to <= today && b.returnAgreedOn === undefined)
      .map((b) => ({
        key: `career-break-return:${b.id}`,
        rule: this.id,
        clause: this.clause,
        severity: 'high' as const,
        title: 'Back from a career break with no return agreed with your supervisor',
        action: 'Agree with your supervisor that you are fit to practise, and record the date.',
        since: b.to ?? today,
        section: 'careerBreaks' as const,
      }));
  },
};

/** Each notifiable event cites the clause that names it: GT-107m, n, o, and GT-108. */
export const notificationClauses = {
  'police-caution-or-inquiry': 'GT-107m',
  'criminal-charge-or-conviction': 'GT-107n',
  'other-body-proceedings': 'GT-107o',
  'suspension-or-restriction': 'GT-108',
} as const satisfies Record<(typeof notificationKinds)[number], string>;

const cosrtNotifications: Rule = {
  id: 'cosrt-notifications',
  clause: 'GT-107',
  serves: ['GT-107', 'GT-107m', 'GT-107n', 'GT-107o', 'GT-108'],
  evaluate({ profile, today }) {
    return profile.notifications
      .filter((n) => n.notifiedOn === undefined)
      .map((n) => {
        const clause = notificationClauses[n.kind];
        const deadline = plusDays(n.occurredOn, NOTIFICATION_DAYS);
        const overdue = today > deadline;
        const left = daysBetween(today, deadline);
        return {
          key: `cosrt-notifications:${n.id}`,
          rule: this.id,
          clause,
          severity: overdue ? ('high' as const) : ('medium' as const),
          title: overdue
            ? `COSRT should have been told by ${shown(deadline)}`
            : `Tell COSRT by ${shown(deadline)} (${left === 0 ? 'today' : `${left} day${left === 1 ? '' : 's'} left`})`,
          action: 'Tell COSRT, then record the day you did.',
          since: overdue ? plusDays(deadline, 1) : n.occurredOn,
          section: 'notifications' as const,
        };
      });
  },
};

const doctorTitle = singleton(
  'doctor-title',
  'GT-91i',
  ['GT-91', 'GT-91i'],
  ({ profile }) =>
    profile.details.titles.usesDoctor &&
    !profile.qualifications.some((q) => q.kind === 'doctorate' && q.relevantToTherapy),
  'You use the title Doctor without a recorded doctorate relevant to therapy',
  'Record the doctorate (in a subject directly relevant to therapy, from a UK Chartered University or equivalent), or stop using the title in your therapy work.',
);

const psychosexualTitle = singleton(
  'psychosexual-title',
  'GT-99',
  undefined,
  ({ profile }) =>
    profile.details.titles.advertisesAsPsychosexualTherapist &&
    !profile.qualifications.some(
      (q) => q.kind === 'psychosexual-therapy' || q.kind === 'sex-and-relationship-therapy',
    ),
  'You advertise as a psychosexual or sexual and relationship therapist without a recorded qualification',
  'Record the formal qualification, or stop advertising the title.',
);

const pendingAccreditation = singleton(
  'pending-accreditation',
  'GT-88',
  undefined,
  ({ profile }) =>
    profile.details.membership.advertisesAccreditation &&
    profile.details.membership.accreditation !== 'accredited',
  'Accreditation advertised before it has been granted',
  'Stop advertising accreditation until COSRT grants it.',
);

/** Every finding rule; each reports itself to trace.ts when it is evaluated, however it is called. */
export const rules: readonly Rule[] = (
  [
    insuranceCurrent,
    executorAppointed,
    supervisorInPlace,
    supervisorExperience,
    dbsCurrent,
    trainingForGroups,
    onlineTraining,
    cpdHours,
    careerBreakReturn,
    cosrtNotifications,
    doctorTitle,
    psychosexualTitle,
    pendingAccreditation,
  ] as const
).map((rule) => ({
  ...rule,
  evaluate(context: RuleContext) {
    const findings = rule.evaluate(context);
    ruleRan(
      rule.id,
      findings.map((f) => f.clause),
    );
    return findings;
  },
}));

const severityOrder: Record<Severity, number> = { high: 0, medium: 1, low: 2 };

/** Every open finding for one practitioner, most severe first. */
export function evaluateRules(context: RuleContext): Finding[] {
  return rules
    .flatMap((rule) => rule.evaluate(context))
    .sort((a, b) => severityOrder[a.severity] - severityOrder[b.severity] || a.since.localeCompare(b.since));
}

import { z } from 'zod';
import { daySchema } from './days.ts';

/**
 * The practitioner's own professional record: what the Code asks of them personally
 * (GT-15, GT-26, GT-41, GT-45, GT-64–GT-67, GT-86–GT-92, GT-99, GT-107, GT-108, PG5-8).
 * Dates are calendar days (yyyy-MM-dd), read in Europe/London.
 */
const day = daySchema;
const text = (max: number) => z.string().trim().min(1).max(max);
const id = z.uuid();

export const insuranceSchema = z.strictObject({
  id,
  insurer: text(200),
  startsOn: day,
  endsOn: day,
  /** Years the insurer requires records to be kept, where longer than seven (PG5-8). */
  retentionYears: z.number().int().min(1).max(100).optional(),
});

export const dbsSchema = z.strictObject({ id, issuedOn: day, fullDisclosure: z.boolean() });

export const trainingKinds = ['online-work', 'under-18s', 'vulnerable-adults', 'other'] as const;
export const trainingSchema = z.strictObject({
  id,
  kind: z.enum(trainingKinds),
  title: text(200),
  completedOn: day,
});

export const qualificationKinds = [
  'doctorate',
  'psychosexual-therapy',
  'sex-and-relationship-therapy',
  'other',
] as const;
export const qualificationSchema = z.strictObject({
  id,
  kind: z.enum(qualificationKinds),
  title: text(200),
  awardedBy: text(200),
  awardedOn: day,
  /** For GT-91: in a subject directly relevant to therapy, from a UK Chartered University or equivalent. */
  relevantToTherapy: z.boolean(),
});

export const careerBreakSchema = z.strictObject({
  id,
  from: day,
  to: day.optional(),
  /** GT-66: the day fitness to practise on return was agreed with the supervisor. */
  returnAgreedOn: day.optional(),
});

export const notificationKinds = [
  'police-caution-or-inquiry',
  'criminal-charge-or-conviction',
  'other-body-proceedings',
  'suspension-or-restriction',
] as const;
export const notificationSchema = z.strictObject({
  id,
  kind: z.enum(notificationKinds),
  occurredOn: day,
  notifiedOn: day.optional(),
});

export const cpdEntrySchema = z.strictObject({
  id,
  date: day,
  title: text(300),
  hours: z
    .number()
    .positive('Hours must be more than 0')
    .max(200)
    .multipleOf(0.25, 'Record hours in quarter hours'),
  sexAndRelationship: z.boolean(),
  faceToFace: z.boolean(),
});

export const profileDetailsSchema = z.strictObject({
  worksWith: z.strictObject({ under18s: z.boolean(), vulnerableAdults: z.boolean(), online: z.boolean() }),
  titles: z.strictObject({
    usesDoctor: z.boolean(),
    usesProfessor: z.boolean(),
    advertisesAsPsychosexualTherapist: z.boolean(),
    inTraining: z.boolean(),
  }),
  membership: z.strictObject({
    category: text(120),
    accreditation: z.enum(['none', 'pending', 'accredited']),
    advertisesAccreditation: z.boolean(),
  }),
  supervisor: z
    .strictObject({ name: text(200), since: day, experiencedWithYoungOrVulnerable: z.boolean() })
    .nullable(),
  executor: z.strictObject({ name: text(200), appointedOn: day }).nullable(),
});
export type ProfileDetails = z.infer<typeof profileDetailsSchema>;

export const profileSchema = z.strictObject({
  details: profileDetailsSchema,
  insurance: z.array(insuranceSchema),
  dbs: z.array(dbsSchema),
  training: z.array(trainingSchema),
  qualifications: z.array(qualificationSchema),
  careerBreaks: z.array(careerBreakSchema),
  notifications: z.array(notificationSchema),
  cpd: z.array(cpdEntrySchema),
});
export type Profile = z.infer<typeof profileSchema>;

export const emptyProfile: Profile = {
  details: {
    worksWith: { under18s: false, vulnerableAdults: false, online: false },
    titles: {
      usesDoctor: false,
      usesProfessor: false,
      advertisesAsPsychosexualTherapist: false,
      inTraining: false,
    },
    membership: { category: 'Member', accreditation: 'none', advertisesAccreditation: false },
    supervisor: null,
    executor: null,
  },
  insurance: [],
  dbs: [],
  training: [],
  qualifications: [],
  careerBreaks: [],
  notifications: [],
  cpd: [],
};

/** A new item of one of the profile's lists, as sent by the practitioner. */
export const newProfileItemSchema = z.discriminatedUnion('section', [
  z.strictObject({ section: z.literal('insurance'), item: insuranceSchema.omit({ id: true }) }),
  z.strictObject({ section: z.literal('dbs'), item: dbsSchema.omit({ id: true }) }),
  z.strictObject({ section: z.literal('training'), item: trainingSchema.omit({ id: true }) }),
  z.strictObject({ section: z.literal('qualifications'), item: qualificationSchema.omit({ id: true }) }),
  z.strictObject({ section: z.literal('careerBreaks'), item: careerBreakSchema.omit({ id: true }) }),
  z.strictObject({ section: z.literal('notifications'), item: notificationSchema.omit({ id: true }) }),
  z.strictObject({ section: z.literal('cpd'), item: cpdEntrySchema.omit({ id: true }) }),
]);
export type NewProfileItem = z.infer<typeof newProfileItemSchema>;
export type ProfileListSection = NewProfileItem['section'];

/** A "should" the practitioner chooses to depart from, with their reason (GT-5). */
export const overrideSchema = z.strictObject({
  clause: z.string().regex(/^(GT-\d+[a-z]?|PG5-\d[ab]?)$/, 'A clause id such as GT-92'),
  reason: text(1000),
});

/** Where the requirement comes from is part of the setting (issue 4: never a bare constant). */
export const cpdRequirementSchema = z.strictObject({
  totalHours: z.number().min(0).max(500),
  sexAndRelationshipHours: z.number().min(0).max(500),
  faceToFaceHours: z.number().min(0).max(500),
  /** The CPD year starts on this day of each year (MM-dd). */
  yearStartsOn: z.string().regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'A month and day, MM-dd'),
  source: text(500),
});
export type CpdRequirement = z.infer<typeof cpdRequirementSchema>;

export const DEFAULT_CPD_REQUIREMENT: CpdRequirement = {
  totalHours: 30,
  sexAndRelationshipHours: 16,
  faceToFaceHours: 6,
  yearStartsOn: '01-01',
  source:
    'COSRT CPD policy: 30 hours a year, of which 16 in sex and relationship therapy and at least 6 face to face. Check the current policy and the CPD year COSRT sets for your membership.',
};

import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  type ClientIdentity,
  clientIdentitySchema,
  type IdentifierKind,
  identityFieldRedaction,
} from './records.ts';
import { makeRedactor, redactedIdentityFields, redactionMarker } from './redaction.ts';

/** The schema of a field, without `.optional()`. */
function inner(schema: z.ZodType): z.ZodType {
  const def = schema._zod.def as { type: string; innerType?: z.ZodType };
  return def.type === 'optional' && def.innerType !== undefined ? inner(def.innerType) : schema;
}
const typeOf = (schema: z.ZodType) => (inner(schema)._zod.def as { type: string }).type;

describe('which identity fields are redacted: driven by the declaration beside the schema', () => {
  const shape: Record<string, z.ZodType> = clientIdentitySchema.shape;

  it('declares, for every field of the identity schema, how it is redacted or why it names nobody', () => {
    // A field added to clientIdentitySchema without a line in identityFieldRedaction fails here.
    expect(Object.keys(identityFieldRedaction).sort()).toEqual(Object.keys(shape).sort());
  });

  it('redacts only text fields, and says why of every field it leaves', () => {
    for (const [field, how] of Object.entries(identityFieldRedaction)) {
      const schema = shape[field];
      if (schema === undefined) throw new Error(`no field ${field}`);
      if ('redact' in how) {
        expect(typeOf(schema), field).toBe('string');
      } else {
        expect(how.notAnIdentifier.length, field).toBeGreaterThan(4);
      }
    }
    // Every field that is not text (an enum, a flag, a list) is declared as naming nobody.
    for (const [field, schema] of Object.entries(shape)) {
      if (typeOf(schema) !== 'string') {
        expect(
          redactedIdentityFields.map((f) => f.field),
          field,
        ).not.toContain(field);
      }
    }
  });

  const samples: Record<IdentifierKind, { value: string; written: string }> = {
    name: { value: 'Quill Tester7', written: 'QUILL TESTER7' },
    email: { value: 'quill.tester7@example.test', written: 'Quill.Tester7@example.test' },
    phone: { value: '07700 900777', written: '+44 7700 900777' },
    'date-of-birth': { value: '1979-11-23', written: '23 November 1979' },
    address: { value: '5 Sample Yard, Testborough TB7 7TT', written: '5 Sample Yard, Testborough TB77TT' },
    gp: { value: 'Dr Z Imaginal, Testborough Medical Centre', written: 'Dr Imaginal' },
    'emergency-contact': { value: 'Pat Tester8 (friend), 07700 900888', written: 'Pat Tester8' },
  };

  it('takes every field declared as an identifier out of a text, with a marker of its kind', () => {
    expect(redactedIdentityFields.length).toBeGreaterThan(0);
    for (const { field, kind } of redactedIdentityFields) {
      const sample = samples[kind];
      const identity = { name: 'Zed Placeholder9', [field]: sample.value } as Partial<ClientIdentity>;
      const out = makeRedactor({ others: [{ label: 'Partner B', identity }] }).redact(
        `Before ${sample.written} after.`,
      );
      expect(out.text, field).toBe(`Before ${redactionMarker('Partner B', kind)} after.`);
      expect(out.redactions, field).toEqual([
        { label: 'Partner B', kind, marker: redactionMarker('Partner B', kind), count: 1 },
      ]);
    }
  });
});

const B: Partial<ClientIdentity> = {
  name: 'Sam Tester1 (fictional)',
  preferredName: 'Sammy',
  email: 'sam.tester1@example.test',
  phone: '07700 900456',
  dateOfBirth: '1990-03-02',
  address: 'Flat 3, 12 Example Row\nTestington TE1 2ST',
  gp: 'Dr A Example, Testington Surgery',
  emergencyContact: 'Jo Tester3 (sister), 07700 900333',
};
const redactB = (text: string) =>
  makeRedactor({ others: [{ label: 'Partner B', identity: B }] }).redact(text).text;

describe('finding another client’s details however they are written', () => {
  const cases: [string, string, string][] = [
    // names: case, initials, possessives, a digit, the preferred name
    ['Sam Tester1', 'name', '[Partner B]'],
    ['SAM TESTER1', 'name', '[Partner B]'],
    ['sam tester1', 'name', '[Partner B]'],
    ['Sam', 'name', '[Partner B]'],
    ['Tester1', 'name', '[Partner B]'],
    ['Sam’s', 'name', '[Partner B]’s'],
    ["Sam's", 'name', "[Partner B]'s"],
    ['S. Tester1', 'name', '[Partner B]'],
    ['S Tester1', 'name', '[Partner B]'],
    ['Sam T.', 'name', '[Partner B].'],
    ['Tester1, Sam', 'name', '[Partner B]'],
    ['Sammy', 'name', '[Partner B]'],
    ['Sammy Tester1', 'name', '[Partner B]'],
    // e-mail
    ['SAM.Tester1@Example.TEST', 'email', '[Partner B’s e-mail]'],
    // phone numbers, UK forms
    ['+44 7700 900456', 'phone', '[Partner B’s phone number]'],
    ['+447700900456', 'phone', '[Partner B’s phone number]'],
    ['07700 900456', 'phone', '[Partner B’s phone number]'],
    ['07700-900-456', 'phone', '[Partner B’s phone number]'],
    ['0770 090 0456', 'phone', '[Partner B’s phone number]'],
    ['(07700) 900456', 'phone', '[Partner B’s phone number]'],
    ['+44 (0)7700 900456', 'phone', '[Partner B’s phone number]'],
    ['0044 7700 900456', 'phone', '[Partner B’s phone number]'],
    // dates of birth, written forms
    ['2 March 1990', 'dob', '[Partner B’s date of birth]'],
    ['2 Mar 1990', 'dob', '[Partner B’s date of birth]'],
    ['02/03/1990', 'dob', '[Partner B’s date of birth]'],
    ['2/3/1990', 'dob', '[Partner B’s date of birth]'],
    ['2/3/90', 'dob', '[Partner B’s date of birth]'],
    ['02.03.1990', 'dob', '[Partner B’s date of birth]'],
    ['1990-03-02', 'dob', '[Partner B’s date of birth]'],
    ['March 2, 1990', 'dob', '[Partner B’s date of birth]'],
    ['2nd March 1990', 'dob', '[Partner B’s date of birth]'],
    ['the 2nd of March 1990', 'dob', 'the [Partner B’s date of birth]'],
    // the address, line by line, and its postcode with or without the space
    ['Flat 3, 12 Example Row, Testington TE1 2ST', 'address', '[Partner B’s address]'],
    ['Flat 3\n12 Example Row\nTestington\nTE1 2ST', 'address', '[Partner B’s address]'],
    ['flat 3, 12 example row', 'address', '[Partner B’s address]'],
    ['TE12ST', 'address', '[Partner B’s address]'],
    ['te1 2st', 'address', '[Partner B’s address]'],
    ['Example Row', 'address', '[Partner B’s address]'],
    ['Testington', 'address', '[Partner B’s address]'],
    // the GP and the emergency contact
    ['Dr Example', 'gp', '[Partner B’s GP]'],
    ['Dr. A. Example', 'gp', '[Partner B’s GP]'],
    ['Testington Surgery', 'gp', '[Partner B’s GP]'],
    ['Jo Tester3', 'emergency', '[Partner B’s emergency contact]'],
    ['Jo Tester3, 07700 900 333', 'emergency', '[Partner B’s emergency contact]'],
  ];
  it.each(cases)('%j (%s)', (written, _kind, marker) => {
    expect(redactB(`Before ${written} after.`)).toBe(`Before ${marker} after.`);
  });

  it('abbreviates or spells out street words', () => {
    const out = makeRedactor({
      others: [{ label: 'Partner B', identity: { name: 'Sam Tester1', address: '4 Sample Road, Testby' } }],
    }).redact('At 4 Sample Rd and on Sample Road.');
    expect(out.text).toBe('At [Partner B’s address] and on [Partner B’s address].');
  });

  it('leaves words that only look like a part of the details, and Alcove’s own labels', () => {
    const text =
      'Samuel met Partner A at the surgery; her sister came (fictional). Skyline, Testingtonshire, 12 Row.';
    expect(redactB(text)).toBe(text);
  });

  it('counts each kind once per marker, for the preview', () => {
    const out = makeRedactor({ others: [{ label: 'Partner B', identity: B }] }).redact(
      'Sam and Sam’s GP, Dr Example, at Testington Surgery; Sam lives at TE1 2ST.',
    );
    expect(out.text).toBe(
      '[Partner B] and [Partner B]’s GP, [Partner B’s GP], at [Partner B’s GP]; [Partner B] lives at [Partner B’s address].',
    );
    expect(out.redactions).toEqual([
      { label: 'Partner B', kind: 'name', marker: '[Partner B]', count: 3 },
      { label: 'Partner B', kind: 'gp', marker: '[Partner B’s GP]', count: 2 },
      { label: 'Partner B', kind: 'address', marker: '[Partner B’s address]', count: 1 },
    ]);
  });

  it('labels the people around a client by their place: an appropriate adult', () => {
    const out = makeRedactor({
      others: [
        { label: 'Partner B', identity: B },
        {
          label: 'Partner B’s appropriate adult',
          identity: { name: 'Kit Tester4 (fictional)', email: 'kit.tester4@example.test' },
        },
      ],
    }).redact('Kit Tester4 (kit.tester4@example.test) came with Sam.');
    expect(out.text).toBe(
      '[Partner B’s appropriate adult] ([Partner B’s appropriate adult’s e-mail]) came with [Partner B].',
    );
  });
});

describe('what the requester shares stays theirs', () => {
  const A: Partial<ClientIdentity> = {
    name: 'Alex Tester1 (fictional)',
    phone: '+44 7700 900111',
    address: 'Flat 3, 12 Example Row, Testington TE1 2ST',
    gp: 'Dr A Example, Testington Surgery',
  };
  const B2: Partial<ClientIdentity> = {
    name: 'Sam Tester1 (fictional)',
    address: 'Flat 3\n12 Example Row\nTestington TE1 2ST',
    gp: 'Dr A Example, Testington Surgery',
    emergencyContact: 'Alex Tester1, 07700 900111',
    phone: '07700 900456',
  };
  const redactor = makeRedactor({
    requester: { identity: A },
    others: [{ label: 'Partner B', identity: B2 }],
  });

  it('keeps a shared address, GP, surname and contact, and still takes out what is the other’s alone', () => {
    expect(
      redactor.redact(
        'Sam and Alex Tester1 live at Flat 3, 12 Example Row, Testington TE1 2ST; Tester1 is their name; ' +
          'GP Dr Example. Sam’s emergency contact is Alex on 07700 900111; Sam is on 07700 900456.',
      ).text,
    ).toBe(
      '[Partner B] and Alex Tester1 live at Flat 3, 12 Example Row, Testington TE1 2ST; Tester1 is their name; ' +
        'GP Dr Example. [Partner B]’s emergency contact is Alex on 07700 900111; [Partner B] is on [Partner B’s phone number].',
    );
  });

  it('takes out the other’s full name even where it holds the shared surname', () => {
    expect(redactor.redact('Sam Tester1 said so.').text).toBe('[Partner B] said so.');
  });

  it('never takes out a value that is the requester’s, even where another’s details contain its words', () => {
    const r = makeRedactor({
      requester: { identity: { name: 'Rowan Example (fictional)' } },
      others: [{ label: 'Partner B', identity: { name: 'Sky Birch', address: '7 Example Lane, Testby' } }],
    });
    expect(r.redact('Rowan Example walked down Example Lane.').text).toBe(
      'Rowan Example walked down [Partner B’s address].',
    );
  });
});

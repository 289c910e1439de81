// What a config key expects and what it was given, in words, for errors of type and range: the schema at the
// key's path is followed through the zod definitions (objects, records, lists, unions, optional, transforms) and
// described, a `.describe()` text winning over the generic words.
import type { z } from 'zod';

type Schema = z.core.$ZodType;
interface Def {
  type: string;
  innerType?: Schema;
  in?: Schema;
  out?: Schema;
  shape?: Record<string, Schema>;
  catchall?: Schema;
  valueType?: Schema;
  element?: Schema;
  options?: Schema[];
  values?: unknown[];
  entries?: Record<string, unknown>;
  getter?: () => Schema;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);
const OPEN = new Set(['unknown', 'any']);

const defOf = (s: Schema): Def => s._zod.def as unknown as Def;
const descriptionOf = (s: Schema): string | undefined => (s as { description?: string }).description;

/** The schema one level in: wrappers, transforms and lazy schemas opened. */
function inner(s: Schema): Schema | undefined {
  const d = defOf(s);
  if (WRAPPERS.has(d.type)) return d.innerType;
  if (d.type === 'pipe') return d.in && !OPEN.has(defOf(d.in).type) ? d.in : d.out;
  if (d.type === 'lazy') return d.getter?.();
  return undefined;
}

/** The schema that validates the value at `path`, or undefined where it cannot be told. */
export function schemaAt(schema: Schema, path: readonly PropertyKey[]): Schema | undefined {
  if (!path.length) return schema;
  const [key, ...rest] = path;
  const d = defOf(schema);
  const deeper = inner(schema);
  if (deeper) return schemaAt(deeper, path);
  let next: Schema | undefined;
  if (d.type === 'object') next = d.shape?.[String(key)] ?? d.catchall;
  else if (d.type === 'record') next = d.valueType;
  else if (d.type === 'array' && typeof key === 'number') next = d.element;
  else if (d.type === 'union') {
    for (const option of d.options ?? []) {
      const found = schemaAt(option, path);
      if (found) return found;
    }
  }
  return next && schemaAt(next, rest);
}

const SAFE = Number.MAX_SAFE_INTEGER;

function describeNumber(s: Schema): string {
  const n = s as unknown as { minValue: number | null; maxValue: number | null; isInt: boolean };
  const what = n.isInt ? 'an integer' : 'a number';
  const min = n.minValue !== null && Math.abs(n.minValue) < SAFE && Number.isFinite(n.minValue) ? n.minValue : undefined;
  const max = n.maxValue !== null && Math.abs(n.maxValue) < SAFE && Number.isFinite(n.maxValue) ? n.maxValue : undefined;
  if (min !== undefined && max !== undefined) return `${what} from ${min} to ${max}`;
  if (min !== undefined) return `${what}, ${min} or more`;
  if (max !== undefined) return `${what}, ${max} at most`;
  return what;
}

const SIMPLE: Record<string, string> = { string: 'a string', boolean: 'true or false', array: 'a list', object: 'a map', record: 'a map', null: 'an empty value' };

/** What a schema accepts, in words ("an integer from 0 to 256", "a list"); undefined when it cannot be said. */
export function describeSchema(s: Schema | undefined): string | undefined {
  if (!s) return undefined;
  const own = descriptionOf(s);
  if (own) return own;
  const d = defOf(s);
  const deeper = inner(s);
  if (deeper) return describeSchema(deeper);
  if (d.type === 'number') return describeNumber(s);
  if (d.type === 'literal') return (d.values ?? []).map((v) => JSON.stringify(v)).join(' or ');
  if (d.type === 'enum') return `one of ${Object.values(d.entries ?? {}).join(', ')}`;
  if (d.type === 'union') {
    const parts = (d.options ?? []).map(describeSchema);
    if (parts.some((p) => p === undefined)) return undefined;
    return [...new Set(parts)].join(' or ');
  }
  return SIMPLE[d.type];
}

/** The value given, in words: `a string ("two")`, `a number (80)`, `a list`. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `a string (${JSON.stringify(v)})`;
  if (typeof v === 'number') return `a number (${v})`;
  if (typeof v === 'boolean') return `${v} (true/false)`;
  if (typeof v === 'object') return 'a map';
  return typeof v;
}

/** The value at `path` in the parsed document; `found` false when a key on the way is absent. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): { found: boolean; value?: unknown } {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, key)) return { found: false };
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value: cur };
}

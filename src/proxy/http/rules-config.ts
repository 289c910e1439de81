// HTTP routing and header rules in lbagent.yml, in HAProxy's words: named conditions (`acl`), `use_backend`
// (first match wins, else default_backend), `http-request` and `http-response` actions with `if`/`unless`.
import { isIP } from 'node:net';
import { RE2JS } from 're2js';
import { z } from 'zod';
import { oneOf } from '../../config/index.js';
import { errorMessage } from '../../errors/index.js';

const list = <T extends z.ZodType>(t: T) => z.union([t, z.array(t).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);

/**
 * A user's regex (ACLs `path_reg`, `hdr_reg`), matched against what clients send: RE2 syntax on re2js, linear in
 * the input whatever the pattern (HAProxy's PCRE would let `(a+)+$` backtrack for ever on a crafted path). A
 * leading `(?i)` makes it case-insensitive (HAProxy's -i); look-around and back-references are refused.
 */
export function toRegExp(text: string): { test(input: string): boolean } {
  return RE2JS.compile(text);
}

const RE2_EXPECTED = 'an RE2 regular expression (a leading (?i) makes it case-insensitive)';
const re2 = () =>
  z.string().superRefine((v, ctx) => {
    try {
      RE2JS.compile(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `invalid regex: ${errorMessage(err)}`, params: { expected: RE2_EXPECTED } });
    }
  });

const cidr = () =>
  z.string().superRefine((v, ctx) => {
    const [addr, bits, extra] = v.split('/');
    const fam = isIP(addr ?? '');
    if (!fam || extra !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= (fam === 6 ? 128 : 32)))) {
      ctx.addIssue({ code: 'custom', message: `invalid network '${v}'`, params: { expected: 'an address or CIDR such as 10.0.0.0/8' } });
    }
  });

const headerName = z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'invalid header name');

/** One ACL: a fetch and its patterns (several patterns = any of them, as HAProxy). */
export const aclSchema = z.union([
  z.strictObject({ host: list(z.string().min(1)) }), // hdr(host) -i exact, port ignored
  z.strictObject({ hdr_dom: list(z.string().min(1)) }), // domain suffix of Host, on label boundaries
  z.strictObject({ path_beg: list(z.string().min(1)) }),
  z.strictObject({ path_end: list(z.string().min(1)) }),
  z.strictObject({ path_reg: re2() }),
  z.strictObject({ path: list(z.string().min(1)) }),
  z.strictObject({ method: list(z.string().regex(/^[A-Z]+$/)) }),
  z.strictObject({ src: list(cidr()) }),
  z.strictObject({ hdr: z.strictObject({ name: headerName, value: list(z.string()).optional() }) }), // present, or equals one of
  z.strictObject({ hdr_reg: z.strictObject({ name: headerName, regex: re2() }) }),
]);
export type AclConfig = z.output<typeof aclSchema>;

/**
 * A condition: HAProxy's text ("is_api !is_static", "a || b", "or" also accepted), or one inline anonymous ACL.
 * Terms separated by spaces are ANDed; `!` negates a term; `||`/`or` separates alternatives.
 */
export const conditionSchema = z.union([z.string().min(1), aclSchema]);
export type ConditionConfig = z.output<typeof conditionSchema>;

const guarded = { if: conditionSchema.optional(), unless: conditionSchema.optional() };

export const useBackendSchema = z.strictObject({ backend: z.string().min(1), ...guarded });

const headerValue = z.strictObject({ name: headerName, value: z.string() });

export const MATCH_METHODS = ['str', 'beg', 'end', 'sub', 'reg'] as const;
export type MatchMethod = (typeof MATCH_METHODS)[number];


/** A value test by one of HAProxy's match methods: `{ beg: "IP=" }`, `{ reg: "^IP=" }` … */
const valueMatch = z
  .strictObject({ str: z.string().optional(), beg: z.string().optional(), end: z.string().optional(), sub: z.string().optional(), reg: re2().optional() })
  .refine((m) => Object.values(m).filter((v) => v !== undefined).length === 1, {
    message: 'a value match needs exactly one of str, beg, end, sub, reg',
    params: { expected: '{ beg: TEXT } (or str, end, sub, reg)' },
  });
export type ValueMatch = z.output<typeof valueMatch>;

/**
 * del-header: `match` is HAProxy 2.x's `-m` (how `name` is compared with header names, str by default);
 * `value` keeps the headers whose value does not match (HAProxy 1.x's `rspidel ^Set-Cookie:\ IP=`).
 */
const delHeader = z
  .strictObject({ name: z.string().min(1), match: oneOf(MATCH_METHODS).default('str'), value: valueMatch.optional() })
  .superRefine((d, ctx) => {
    if (d.match !== 'reg') {
      if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(d.name)) ctx.addIssue({ code: 'custom', path: ['name'], message: 'invalid header name', params: { expected: "a header name (or a regex with match: reg)" } });
      return;
    }
    try {
      RE2JS.compile(d.name);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: `invalid regex: ${errorMessage(err)}`, params: { expected: RE2_EXPECTED } });
    }
  });

/** replace-header / replace-value: HAProxy's `NAME REGEX REPLACEMENT` (\1 … back-references, %[…] values). */
const replaceSpec = z.strictObject({ name: headerName, regex: re2(), replace: z.string() });

const headerRules = {
  set: z.strictObject({ 'set-header': headerValue, ...guarded }),
  add: z.strictObject({ 'add-header': headerValue, ...guarded }),
  del: z.strictObject({ 'del-header': delHeader, ...guarded }),
  replaceHeader: z.strictObject({ 'replace-header': replaceSpec, ...guarded }),
  replaceValue: z.strictObject({ 'replace-value': replaceSpec, ...guarded }),
};
const redirectSchema = z
  .strictObject({
    location: z.string().min(1).optional(),
    prefix: z.string().min(1).optional(),
    scheme: z.enum(['http', 'https']).optional(),
    code: z.union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)]).default(302),
  })
  .refine((r) => [r.location, r.prefix, r.scheme].filter((x) => x !== undefined).length === 1, {
    message: 'a redirect needs exactly one of location, prefix, scheme',
    params: { expected: 'location: URL | prefix: /path | scheme: https' },
  });

/**
 * A rule list entry, parsed by the action it names: a plain union would report a mistake in one action's
 * arguments as "Invalid input" for the whole rule; this reports it at its key, with what was expected there.
 */
function byAction<const T extends readonly z.ZodObject[]>(options: T) {
  const actions = options.map((o) => Object.keys(o.shape).find((k) => k !== 'if' && k !== 'unless')!);
  return z.unknown().transform((v, ctx): z.output<T[number]> => {
    const i = v !== null && typeof v === 'object' ? actions.findIndex((k) => k in v) : -1;
    if (i < 0) {
      ctx.addIssue({ code: 'custom', message: 'a rule needs one action', params: { expected: `one of: ${actions.join(', ')}` } });
      return z.NEVER;
    }
    const r = options[i]!.safeParse(v);
    if (r.success) return r.data as z.output<T[number]>;
    for (const issue of r.error.issues) {
      const expected = (issue as { params?: { expected?: string } }).params?.expected;
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path as (string | number)[], params: expected ? { expected } : undefined });
    }
    return z.NEVER;
  });
}

export const httpRequestRuleSchema = byAction([
  headerRules.set,
  headerRules.add,
  headerRules.del,
  headerRules.replaceHeader,
  headerRules.replaceValue,
  z.strictObject({ redirect: redirectSchema, ...guarded }),
  z.strictObject({ deny: z.strictObject({ status: z.number().int().min(200).max(599).default(403) }).default({ status: 403 }), ...guarded }),
]);
export type HttpRequestRule = z.output<typeof httpRequestRuleSchema>;

export const httpResponseRuleSchema = byAction([headerRules.set, headerRules.add, headerRules.del, headerRules.replaceHeader, headerRules.replaceValue]);
export type HttpResponseRule = z.output<typeof httpResponseRuleSchema>;
/** The header-editing rules, on either side. */
export type HeaderRule = HttpResponseRule;

/** The keys a backend takes (HAProxy's backend `acl`, `http-request`, `http-response`; no use_backend). */
export const backendHttpRulesShape = {
  acl: z.record(z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'invalid ACL name'), aclSchema).optional(),
  'http-request': z.array(httpRequestRuleSchema).optional(),
  'http-response': z.array(httpResponseRuleSchema).optional(),
};

/** The frontend keys these rules add. */
export const httpRulesShape = {
  acl: z.record(z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'invalid ACL name'), aclSchema).optional(),
  use_backend: z.array(useBackendSchema).optional(),
  'http-request': z.array(httpRequestRuleSchema).optional(),
  'http-response': z.array(httpResponseRuleSchema).optional(),
};

export interface HttpRulesConfig {
  acl?: Record<string, AclConfig>;
  use_backend?: z.output<typeof useBackendSchema>[];
  'http-request'?: HttpRequestRule[];
  'http-response'?: HttpResponseRule[];
}

/** ACL names a condition text refers to (for cross-checks with positions). */
export function aclNamesIn(cond: ConditionConfig | undefined): string[] {
  if (typeof cond !== 'string') return [];
  return cond
    .split(/\s+/)
    .filter((t) => t && t !== '||' && t !== 'or' && t !== '!')
    .map((t) => t.replace(/^!/, ''));
}

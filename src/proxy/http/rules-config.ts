// HTTP routing and header rules in lbagent.yml, in HAProxy's words: named conditions (`acl`), `use_backend`
// (first match wins, else default_backend), `http-request` and `http-response` actions with `if`/`unless`.
import { isIP } from 'node:net';
import { z } from 'zod';
import { errorMessage } from '../../errors/index.js';

const list = <T extends z.ZodType>(t: T) => z.union([t, z.array(t).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);

const REGEX_EXPECTED = 'a regular expression (a leading (?i) makes it case-insensitive)';

/** A user's regex: JavaScript syntax, plus a leading `(?i)` for case-insensitivity (HAProxy's -i). */
export function toRegExp(text: string): RegExp {
  return text.startsWith('(?i)') ? new RegExp(text.slice(4), 'i') : new RegExp(text);
}

const regex = () =>
  z.string().superRefine((v, ctx) => {
    try {
      toRegExp(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `invalid regex: ${errorMessage(err)}`, params: { expected: REGEX_EXPECTED } });
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
  z.strictObject({ path_reg: regex() }),
  z.strictObject({ path: list(z.string().min(1)) }),
  z.strictObject({ method: list(z.string().regex(/^[A-Z]+$/)) }),
  z.strictObject({ src: list(cidr()) }),
  z.strictObject({ hdr: z.strictObject({ name: headerName, value: list(z.string()).optional() }) }), // present, or equals one of
  z.strictObject({ hdr_reg: z.strictObject({ name: headerName, regex: regex() }) }),
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

export const httpRequestRuleSchema = z.union([
  z.strictObject({ 'set-header': headerValue, ...guarded }),
  z.strictObject({ 'add-header': headerValue, ...guarded }),
  z.strictObject({ 'del-header': z.strictObject({ name: headerName }), ...guarded }),
  z.strictObject({ redirect: redirectSchema, ...guarded }),
  z.strictObject({ deny: z.strictObject({ status: z.number().int().min(200).max(599).default(403) }).default({ status: 403 }), ...guarded }),
]);
export type HttpRequestRule = z.output<typeof httpRequestRuleSchema>;

export const httpResponseRuleSchema = z.union([
  z.strictObject({ 'set-header': headerValue, ...guarded }),
  z.strictObject({ 'add-header': headerValue, ...guarded }),
  z.strictObject({ 'del-header': z.strictObject({ name: headerName }), ...guarded }),
]);
export type HttpResponseRule = z.output<typeof httpResponseRuleSchema>;

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

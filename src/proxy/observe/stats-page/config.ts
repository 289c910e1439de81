// `stats:` section of lbagent.yml, HAProxy's `listen stats` + `stats uri` + `stats auth` + `stats refresh`.
import { z } from 'zod';
import { duration, endpoint } from '../../../config/index.js';

const AUTH_EXPECTED = 'user:password (HAProxy stats auth), or a list of them';
const credential = z.string().transform((v, ctx) => {
  const colon = v.indexOf(':');
  if (colon <= 0) {
    ctx.addIssue({ code: 'custom', message: `invalid credentials '${v.replace(/:.*/, ':…')}'`, params: { expected: AUTH_EXPECTED } });
    return z.NEVER;
  }
  return { user: v.slice(0, colon), password: v.slice(colon + 1) };
});

export const statsPageSchema = z.strictObject({
  bind: endpoint('0.0.0.0'),
  uri: z.string().startsWith('/').default('/'),
  auth: z.union([credential, z.array(credential).min(1)]).transform((a) => (Array.isArray(a) ? a : [a])).optional(),
  /** page auto-refresh period; none by default */
  refresh: duration().optional(),
  realm: z.string().default('lbagent statistics'),
});
export type StatsPageConfig = z.output<typeof statsPageSchema>;

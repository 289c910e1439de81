// The composed schema of the main config file, lbagent.yml. Each part owns its sections and exports a shape;
// this file only puts them together. Sections whose owners have not landed yet are accepted as loose objects.
import { z } from 'zod';
import { crossCheck, proxySectionsShape } from '../proxy/model/config.js';
import { statsPageSchema } from '../proxy/observe/stats-page/config.js';
import { haproxySchema } from '../drivers/haproxy/config.js';
import { loadConfigFile, parseConfigText } from './load.js';
import type { ConfigResult, LoadOptions } from './index.js';

/** Placeholder for a section another part will define: any mapping, validated by its owner later. */
const section = () => z.record(z.string(), z.unknown()).optional();

export const mainShape = {
  ...proxySectionsShape,
  /** builtin (default) or haproxy */
  proxy: z.enum(['builtin', 'haproxy']).optional(),
  gossip: section(),
  roles: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  controller: section(),
  /** with `proxy: haproxy`: HAProxy's runtime API socket and the backends lbagent manages */
  haproxy: haproxySchema.optional(),
  /** HAProxy's stats page (HTML + CSV) on its own bind */
  stats: statsPageSchema.optional(),
};

/** Owners of other sections replace their placeholder with `mainBaseSchema.extend({ gossip: gossipSchema })`. */
export const mainBaseSchema = z.strictObject(mainShape);

/** Adds the cross-section checks (names that refer to each other) so they come back with positions. */
export function withCrossChecks<S extends z.ZodType<z.output<typeof mainBaseSchema>>>(schema: S) {
  return schema.superRefine((cfg, ctx) => {
    for (const issue of crossCheck(cfg)) {
      ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message, params: issue.expected ? { expected: issue.expected } : undefined });
    }
  });
}

export const mainSchema = withCrossChecks(mainBaseSchema);
export type MainConfig = z.output<typeof mainSchema>;

export function loadMainConfig(file: string, opts?: LoadOptions): ConfigResult<MainConfig> {
  return loadConfigFile(file, mainSchema, opts);
}

export function parseMainConfig(file: string, text: string, opts?: LoadOptions): ConfigResult<MainConfig> {
  return parseConfigText(file, text, mainSchema, opts);
}

// The `haproxy:` section of lbagent.yml (with `proxy: haproxy`): where HAProxy's runtime API is and what lbagent manages.
import { z } from 'zod';
import { duration } from '../../config/index.js';

export const haproxySchema = z.strictObject({
  /** the admin stats socket: a unix path, or ipv4@host:port */
  socket: z.string().min(1),
  /** haproxy.cfg: its `server` lines are the static servers lbagent leaves alone */
  config: z.string().min(1).optional(),
  /**
   * backends lbagent may change; `managed: true` makes every server of it lbagent's; `slowstart` for the servers
   * lbagent adds that set none (HAProxy's `add server` ignores the backend's `default-server`)
   */
  backends: z.record(z.string(), z.strictObject({
    managed: z.boolean().default(false),
    slowstart: duration().optional(),
    /** the service's port for servers that come from roles (as `backends.NAME.port` with the built-in proxy) */
    port: z.number().int().min(1).max(65535).optional(),
  })).optional(),
  /** reconcile period (default 10s): rebuilds pools after an HAProxy restart */
  resync: duration().optional(),
  /** how long a removed server may finish its sessions (default 10s) */
  grace: duration().optional(),
});
export type HaproxyConfig = z.output<typeof haproxySchema>;

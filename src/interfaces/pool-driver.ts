// The seam between the controller and a data plane (built-in proxy or HAProxy).
// The controller only ever talks to a PoolDriver; it cannot tell the implementations apart.

/** Administrative state, as HAProxy's `set server … state`. */
export type AdminState = 'ready' | 'drain' | 'maint';

/** Operational status as shown in stats, in HAProxy's words. */
export type ServerStatus = 'UP' | 'DOWN' | 'MAINT' | 'DRAIN' | 'NOLB' | 'no check';

/** Per-server health-check overrides; the backend's check definition (type, path, expect…) applies otherwise. */
export interface ServerCheckOverrides {
  enabled?: boolean;
  /** ms */
  inter?: number;
  rise?: number;
  fall?: number;
  /** check a different port than the traffic port */
  port?: number;
}

/** One desired server in a backend's list. */
export interface ServerSpec {
  /** Stable name: the same member keeps the same name (cookies, stats and logs rely on it). */
  name: string;
  addr: string;
  port: number;
  /** 0..256, default 1 */
  weight?: number;
  backup?: boolean;
  /** Checked and shown in stats, never given traffic. */
  monitorOnly?: boolean;
  check?: ServerCheckOverrides;
  /** Desired admin state; default 'ready'. */
  state?: AdminState;
  /** Why the controller wants this server here (shown by `lbagent servers`). */
  reason?: string;
  /**
   * HAProxy's `slowstart` (ms): after it comes UP (joins, leaves maintenance, passes its checks again) the server's
   * weight and maxconn grow linearly from about 5 % to full over this time. Undefined: the backend's setting.
   */
  slowstart?: number;
}

export interface ServerCheckView {
  status: 'passed' | 'failed' | 'none' | 'pending';
  /** HAProxy-style description, e.g. "Layer7 wrong status, code: 404" */
  lastResult?: string;
  durationMs?: number;
}

export interface ServerView {
  name: string;
  addr: string;
  port: number;
  weight: number;
  backup: boolean;
  monitorOnly: boolean;
  admin: AdminState;
  status: ServerStatus;
  check: ServerCheckView;
  sessions: { current: number; max: number; total: number };
  queue: { current: number; max: number };
  /** ms since epoch */
  lastChange: number;
  /** ms spent DOWN in total */
  downtimeMs: number;
  /** A server removed from the list, still finishing its sessions. */
  removing?: boolean;
  reason?: string;
  /** current effective weight while slow start ramps it (absent at full speed, when it is `weight`) */
  eweight?: number;
}

export interface BackendView {
  name: string;
  servers: ServerView[];
}

export interface ApplyResult {
  added: string[];
  removed: string[];
  changed: string[];
}

export interface SetServersOptions {
  keepStatic?: boolean;
}

export interface PoolDriver {
  readonly kind: 'builtin' | 'haproxy';
  /** Backends the data plane knows (a list may only be set for one of these). */
  backends(): Promise<string[]>;
  /** Replace a backend's server list; the driver applies the difference in place, with no reload. */
  /**
   * The backend's servers in place. `keepStatic`: the list is the servers from roles, and the configuration's
   * own servers of that backend stay whatever it says (the controller's calls). The HAProxy driver always keeps
   * haproxy.cfg's servers unless the backend is `managed`.
   */
  setServers(backend: string, servers: ServerSpec[], opts?: SetServersOptions): Promise<ApplyResult>;
  setState(backend: string, server: string, state: AdminState): Promise<void>;
  setWeight(backend: string, server: string, weight: number): Promise<void>;
  snapshot(): Promise<BackendView[]>;
}

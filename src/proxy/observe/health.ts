// Readiness: is this balancer serving? Answered by GET /v1/health on the admin API for keepalived's vrrp_script, a
// container HEALTHCHECK or an upstream balancer. Each part adds a probe (the data plane its listeners, the control
// plane its gossip node); a stop in progress (SIGTERM's shutdown_delay) makes it unavailable at once while
// everything still serves, so keepalived moves the VIP before anything is refused.
// It says what failed in a word or two and nothing else: the endpoint needs no token (see the README).

/** undefined when all is well, else why not (short, with no addresses or names). */
export type HealthProbe = () => string | undefined | Promise<string | undefined>;

export interface HealthReport {
  status: 'serving' | 'unavailable';
  /** one line per failed probe, and the stop in progress */
  why: string[];
  checks: Record<string, 'ok' | 'failed'>;
}

export class Health {
  private readonly probes = new Map<string, HealthProbe>();
  private stoppingWhy?: string;

  /** Adds (or replaces) a probe by name. */
  add(name: string, probe: HealthProbe): void {
    this.probes.set(name, probe);
  }

  /** From now on unavailable, whatever the probes say. */
  stopping(why: string): void {
    this.stoppingWhy = why;
  }

  get isStopping(): boolean {
    return this.stoppingWhy !== undefined;
  }

  async report(): Promise<HealthReport> {
    const why: string[] = [];
    const checks: Record<string, 'ok' | 'failed'> = {};
    for (const [name, probe] of this.probes) {
      let problem: string | undefined;
      try {
        problem = await probe();
      } catch {
        problem = 'probe failed';
      }
      checks[name] = problem === undefined ? 'ok' : 'failed';
      if (problem !== undefined) why.push(`${name}: ${problem}`);
    }
    if (this.stoppingWhy) why.unshift(`stopping: ${this.stoppingWhy}`);
    return { status: why.length ? 'unavailable' : 'serving', why, checks };
  }
}

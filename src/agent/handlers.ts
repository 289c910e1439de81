// serf's event handlers: `--event-handler [FILTER=]SCRIPT`, run through the system shell with the SERF_*
// environment and the event on stdin, one at a time in arrival order, so serf users keep their scripts.
import { spawn } from 'node:child_process';
import type { Logger } from 'pino';
import type { SerfEvent, SerfMember } from '../gossip/index.js';

const EVENT_TYPES = new Set(['member-join', 'member-leave', 'member-failed', 'member-update', 'member-reap', 'user', 'query']);
const SLOW_HANDLER_MS = 1000;
/** serf's QueryResponseSizeLimit */
const QUERY_RESPONSE_LIMIT = 1024;

export interface EventFilter {
  /** event type, or '*' */
  event: string;
  /** user event or query name ('' = any) */
  name: string;
}

export interface HandlerSpec {
  filters: EventFilter[];
  script: string;
}

/** "member-join,user:deploy=./x.sh" → filters + script; no "=" means every event (serf's rule). */
export function parseHandlerSpec(spec: string): HandlerSpec | { error: string } {
  const eq = spec.indexOf('=');
  const filterText = eq === -1 ? '*' : spec.slice(0, eq);
  const script = eq === -1 ? spec : spec.slice(eq + 1);
  if (!script.trim()) return { error: `event handler '${spec}' has no script` };
  const filters: EventFilter[] = [];
  for (const part of filterText.split(',')) {
    const f = part.trim();
    const colon = f.indexOf(':');
    const event = colon === -1 ? f : f.slice(0, colon);
    const name = colon === -1 ? '' : f.slice(colon + 1);
    if (event !== '*' && !EVENT_TYPES.has(event)) return { error: `unknown event type '${event}' in event handler '${spec}'` };
    if (name && event !== 'user' && event !== 'query') return { error: `only user and query events take a name: '${f}'` };
    filters.push({ event, name });
  }
  return { filters, script };
}

export function filterMatches(filters: EventFilter[], e: SerfEvent): boolean {
  return filters.some((f) => {
    if (f.event === '*') return true;
    if (f.event !== e.type) return false;
    if (!f.name) return true;
    return (e.type === 'user' || e.type === 'query') && e.name === f.name;
  });
}

/** SERF_TAG_<NAME>: upper-cased, everything outside [A-Z0-9_] becomes '_'. */
export function tagEnvName(tag: string): string {
  return `SERF_TAG_${tag.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
}

const escapeField = (s: string) => s.replace(/\t/g, '\\t').replace(/\n/g, '\\n');

/** One line per member: NAME \t ADDR \t ROLE \t k=v,k=v */
export function memberLine(m: SerfMember): string {
  const tags = Object.entries(m.tags).map(([k, v]) => `${k}=${v}`).join(',');
  return `${escapeField(m.name)}\t${m.addr}\t${escapeField(m.tags.role ?? '')}\t${escapeField(tags)}\n`;
}

export function handlerEnv(e: SerfEvent, self: { name: string; tags: Record<string, string> }): Record<string, string> {
  const env: Record<string, string> = {
    SERF_EVENT: e.type,
    SERF_SELF_NAME: self.name,
    SERF_SELF_ROLE: self.tags.role ?? '',
  };
  for (const [k, v] of Object.entries(self.tags)) env[tagEnvName(k)] = v;
  if (e.type === 'user') {
    env.SERF_USER_EVENT = e.name;
    env.SERF_USER_LTIME = String(e.ltime);
  } else if (e.type === 'query') {
    env.SERF_QUERY_NAME = e.name;
    env.SERF_QUERY_LTIME = String(e.ltime);
  }
  return env;
}

export function handlerStdin(e: SerfEvent): Buffer {
  if (e.type === 'user' || e.type === 'query') {
    const p = e.payload;
    return p.length === 0 || p[p.length - 1] === 0x0a ? p : Buffer.concat([p, Buffer.from('\n')]);
  }
  return Buffer.from(e.members.map(memberLine).join(''));
}

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  durationMs: number;
}

/** Run one script through the system shell (/bin/sh -c, or cmd.exe /C on Windows). */
export function runScript(script: string, env: Record<string, string>, stdin: Buffer): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(script, { shell: true, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'], windowsHide: true });
    const out: Buffer[] = [];
    let size = 0;
    child.stdout.on('data', (d: Buffer) => {
      if (size < QUERY_RESPONSE_LIMIT * 4) out.push(d);
      size += d.length;
    });
    child.stdin.on('error', () => {}); // a script that does not read stdin closes it early
    child.stdin.end(stdin);
    child.on('error', () => resolve({ code: null, stdout: Buffer.alloc(0), durationMs: Date.now() - started }));
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), durationMs: Date.now() - started }));
  });
}

/** Runs matching handlers for each event, strictly one after another (serf's order guarantee). */
export class ScriptEventHandlers {
  private specs: HandlerSpec[];
  private chain: Promise<void> = Promise.resolve();
  /** scripts run, by outcome (exit 0 or not), for /metrics */
  readonly runs = { ok: 0, failed: 0 };

  constructor(specs: HandlerSpec[], private readonly self: () => { name: string; tags: Record<string, string> }, private readonly log: Logger) {
    this.specs = specs;
  }

  /** Replace the scripts (SIGHUP reload). */
  update(specs: HandlerSpec[]): void {
    this.specs = specs;
  }

  handle(e: SerfEvent): void {
    const matching = this.specs.filter((s) => filterMatches(s.filters, e));
    if (matching.length === 0) return;
    this.chain = this.chain.then(async () => {
      for (const spec of matching) await this.invoke(spec, e);
    });
  }

  /** Resolves when every queued handler has finished. */
  idle(): Promise<void> {
    return this.chain;
  }

  private async invoke(spec: HandlerSpec, e: SerfEvent): Promise<void> {
    const r = await runScript(spec.script, handlerEnv(e, this.self()), handlerStdin(e));
    if (r.durationMs > SLOW_HANDLER_MS) this.log.warn(`agent: Script '${spec.script}' slow, execution exceeding ${SLOW_HANDLER_MS}ms`);
    this.runs[r.code === 0 ? 'ok' : 'failed']++;
    if (r.code !== 0) this.log.error({ script: spec.script, code: r.code }, `agent: Error invoking script '${spec.script}': exit status ${r.code}`);
    if (e.type === 'query' && r.stdout.length > 0) {
      await e.respond(r.stdout.subarray(0, QUERY_RESPONSE_LIMIT)).catch((err: Error) => this.log.warn(`agent: failed to respond to query '${e.name}': ${err.message}`));
    }
  }
}

// A real DNS server for the DNS SRV member source: Debian's dnsmasq on a loopback port, its records in a config
// file. dnsmasq re-reads hosts files on SIGHUP but not --srv-host/--host-record lines, so new records mean a
// restart on the same port (which is also a name server that stops answering for a moment). `pause()` (SIGSTOP)
// makes it stop answering with the port still open: queries time out.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { requireTool } from './tools.js';
import { waitFor } from './wait.js';

export interface SrvRecord {
  name: string;
  target: string;
  port: number;
  priority?: number;
  weight?: number;
}

export interface DnsRecords {
  srv: SrvRecord[];
  /** A/AAAA records: name → addresses */
  hosts: Record<string, string[]>;
  /** names under this domain that have no record answer NXDOMAIN (default: lab) */
  localDomain?: string;
}

export interface Dnsmasq {
  port: number;
  /** "127.0.0.1:PORT", as a resolver address */
  addr: string;
  /** new records: dnsmasq restarted on the same port; resolves when it answers again */
  setRecords(records: DnsRecords): Promise<void>;
  stop(): Promise<void>;
  /** start again (after stop) with the last records */
  start(): Promise<void>;
  pause(): void;
  resume(): void;
  /** its log (queries are logged) */
  out(): string;
}

function confText(r: DnsRecords): string {
  const lines = [`local=/${r.localDomain ?? 'lab'}/`];
  for (const s of r.srv) lines.push(`srv-host=${s.name},${s.target},${s.port},${s.priority ?? 0},${s.weight ?? 0}`);
  for (const [name, addrs] of Object.entries(r.hosts)) lines.push(`host-record=${name},${addrs.join(',')}`);
  return `${lines.join('\n')}\n`;
}

function exited(p: ChildProcess): Promise<void> {
  return p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', () => r()));
}

/** `ttl`: the TTL of its local records (dnsmasq's --local-ttl; its default is 0). */
export async function startDnsmasq(dir: string, records: DnsRecords, { ttl = 0 }: { ttl?: number } = {}): Promise<Dnsmasq> {
  const bin = requireTool('dnsmasq');
  const port = await freePort();
  const conf = join(dir, `dnsmasq-${port}.conf`);
  let proc: ChildProcess | undefined;
  let log = '';
  let current = records;

  async function start(): Promise<void> {
    writeFileSync(conf, confText(current));
    const args = ['--keep-in-foreground', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts',
      `--conf-file=${conf}`, '--pid-file=', `--local-ttl=${ttl}`, '--log-queries', '--log-facility=-'];
    const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    p.stdout!.on('data', (c: Buffer) => (log += c.toString()));
    p.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    const r = new Resolver({ timeout: 300, tries: 1 });
    r.setServers([`127.0.0.1:${port}`]);
    // answering: any DNS answer (NXDOMAIN included) to a query about its local domain
    await waitFor(`dnsmasq on port ${port} answers`, async () => {
      if (p.exitCode !== null) throw new Error(`dnsmasq exited ${p.exitCode}: ${log}`);
      try {
        await r.resolveSrv(`_probe._tcp.${current.localDomain ?? 'lab'}`);
        return true;
      } catch (err) {
        const code = (err as { code?: string }).code;
        return code === 'ENOTFOUND' || code === 'ENODATA';
      }
    }, { timeoutMs: 30_000 });
  }

  async function stop(): Promise<void> {
    const p = proc;
    if (!p) return;
    proc = undefined;
    p.kill('SIGCONT');
    p.kill('SIGTERM');
    await exited(p);
  }

  await start();
  return {
    port,
    addr: `127.0.0.1:${port}`,
    async setRecords(r) {
      current = r;
      await stop();
      await start();
    },
    stop,
    start,
    pause: () => proc?.kill('SIGSTOP'),
    resume: () => proc?.kill('SIGCONT'),
    out: () => log,
  };
}

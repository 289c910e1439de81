// HAProxy's runtime API (the admin-level `stats socket`): one command per connection, serialised, with HAProxy's
// own answer returned. A command HAProxy refuses raises HaproxyRefused (LBA_ERR_HAPROXY_REFUSED) with HAProxy's
// message; a socket that cannot be reached, HaproxySocket (LBA_ERR_HAPROXY_SOCKET).
import { connect, type Socket } from 'node:net';
import PQueue from 'p-queue';
import { HaproxyRefused, HaproxySocket } from '../../errors/index.js';

/** "/run/haproxy/admin.sock", "unix@/path", "ipv4@127.0.0.1:9999" or "127.0.0.1:9999". */
export function parseSocketAddress(address: string): { path: string } | { host: string; port: number } {
  const a = address.replace(/^unix@/, '');
  const inet = /^(?:ipv4@|ipv6@)?\[?([^\]]+?)\]?:(\d+)$/.exec(a);
  if (inet && !a.startsWith('/')) return { host: inet[1]!, port: Number(inet[2]) };
  return { path: a };
}

export class RuntimeApi {
  private readonly queue = new PQueue({ concurrency: 1 });
  private readonly target: { path: string } | { host: string; port: number };

  constructor(readonly address: string, private readonly timeoutMs = 5000) {
    this.target = parseSocketAddress(address);
  }

  /** Run one command; HAProxy's answer as text. */
  raw(command: string): Promise<string> {
    return this.queue.add(() => this.once(command)) as Promise<string>;
  }

  /**
   * Run a command that must succeed: `ok` is the answer HAProxy gives on success (empty for most `set` and
   * `enable` commands); any other answer is HAProxy refusing, with its reason.
   */
  async run(command: string, ok: RegExp = /^$/): Promise<string> {
    const answer = (await this.raw(command)).trim();
    if (!ok.test(answer)) throw new HaproxyRefused(command, answer.split('\n')[0] ?? answer);
    return answer;
  }

  private once(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const sock: Socket = 'path' in this.target ? connect(this.target.path) : connect(this.target.port, this.target.host);
      let out = '';
      const timer = setTimeout(() => sock.destroy(new Error('timeout')), this.timeoutMs);
      sock.setEncoding('utf8');
      sock.on('connect', () => sock.write(`${command}\n`));
      sock.on('data', (d: string) => (out += d));
      sock.on('end', () => {
        clearTimeout(timer);
        resolve(out);
      });
      sock.on('error', (err) => {
        clearTimeout(timer);
        reject(new HaproxySocket(this.address, err.message));
      });
    });
  }
}

// The CLI's side of the agent RPC.
import { request, type IncomingMessage } from 'node:http';
import { formatHostPort, parseHostPort, DEFAULT_RPC_ADDR } from './options.js';

export class RpcError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export class AgentClient {
  readonly base: { host: string; port: number };

  constructor(rpcAddr: string = process.env.LBAGENT_RPC_ADDR ?? process.env.SERF_RPC_ADDR ?? DEFAULT_RPC_ADDR, private readonly auth = process.env.LBAGENT_RPC_AUTH ?? process.env.SERF_RPC_AUTH) {
    const hp = parseHostPort(rpcAddr, 7373, '127.0.0.1');
    if (!hp) throw new Error(`invalid RPC address '${rpcAddr}'`);
    this.base = hp;
  }

  get address(): string {
    return formatHostPort(this.base);
  }

  call<T>(method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 15_000): Promise<T> {
    return this.request(method, path, body, timeoutMs);
  }

  /** A call whose answer is NDJSON: each object goes to `onLine` as it arrives; resolves when the agent ends it. */
  callStream<T>(method: 'GET' | 'POST', path: string, body: unknown, onLine: (line: T) => void, timeoutMs = 15_000): Promise<void> {
    return this.request(method, path, body, timeoutMs, onLine as (line: unknown) => void);
  }

  private request<T>(method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number, onLine?: (line: unknown) => void): Promise<T> {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise<T>((resolve, reject) => {
      const req = request(
        {
          host: this.base.host,
          port: this.base.port,
          method,
          path,
          timeout: timeoutMs,
          headers: {
            ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}),
            ...(this.auth ? { authorization: `Bearer ${this.auth}` } : {}),
          },
        },
        (res) => {
          if (onLine && res.statusCode === 200) return readLines(res, onLine, () => resolve(undefined as T), reject);
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : {};
            } catch {
              return reject(new RpcError(res.statusCode ?? 0, `unexpected answer from ${this.address}: ${text.slice(0, 200)}`));
            }
            if ((res.statusCode ?? 500) >= 400) return reject(new RpcError(res.statusCode ?? 0, (parsed as { error?: string }).error ?? `HTTP ${res.statusCode}`));
            resolve(parsed as T);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timed out talking to the agent at ${this.address}`)));
      req.on('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'ECONNREFUSED' ? new Error(`Error connecting to lbagent agent: no agent at ${this.address} (dial tcp ${this.address}: connection refused)`) : err),
      );
      req.end(data);
    });
  }

  /** True when an agent answers on the RPC address. */
  async alive(): Promise<boolean> {
    try {
      await this.call('GET', '/v1/info', undefined, 2000);
      return true;
    } catch (err) {
      return err instanceof RpcError; // an answer, even an auth error, means an agent is there
    }
  }
}

/** Split an NDJSON answer into parsed objects (blank lines are keep-alives). */
function readLines(res: IncomingMessage, onLine: (line: unknown) => void, done: () => void, fail: (err: Error) => void): void {
  let pending = '';
  res.setEncoding('utf8');
  res.on('data', (text: string) => {
    pending += text;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (!line) continue;
      try {
        onLine(JSON.parse(line));
      } catch (err) {
        res.destroy();
        return fail(new Error(`unexpected line from the agent: ${line.slice(0, 200)} (${(err as Error).message})`));
      }
    }
  });
  res.on('end', done);
  res.on('error', fail);
}

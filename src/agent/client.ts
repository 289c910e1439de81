// The CLI's side of the agent RPC: lbagent's HTTP RPC, or serf's msgpack RPC when a serf agent is what answers.
// HTTP is tried first (an lbagent agent or balancer answers it); serf's RPC reads the request as msgpack, fails, and
// closes the connection without a byte: only then is serf's handshake sent, and every later call of the same client
// goes to serf at once. (serf logs one "failed to decode request header" line for that first attempt.)
import { request, type IncomingMessage } from 'node:http';
import { AgentAnswer, AgentLost, answeredError, BadAddress, errorMessage, LbaError, NoAgent } from '../errors/index.js';
import { formatHostPort, hostPortProblem, parseHostPort } from '../net/index.js';
import { DEFAULT_RPC_ADDR } from './options.js';
import { SerfRpcAnswer, SerfRpcClient } from './serf-client.js';

/** Calls that connected and got no HTTP at all back: the mark that a serf agent may be listening. */
const noHttpAnswer = new WeakSet<Error>();

/** serf's refusal as the CLI's error: auth as the HTTP RPC's 401, the rest as `Coded` (or a plain answer). */
export function serfAnswerError(err: unknown, Coded?: new (reason: string) => LbaError): unknown {
  if (!(err instanceof SerfRpcAnswer)) return err;
  if (/authentication/i.test(err.message)) return answeredError(401, { error: err.message, code: 'LBA_ERR_API_UNAUTHORIZED' });
  return Coded ? new Coded(err.message) : answeredError(400, { error: err.message });
}

/** True for an error the agent answered with (any HTTP status): an agent is there, whatever it said. */
export function isAnswer(err: unknown): err is LbaError {
  return err instanceof LbaError && (err.status !== undefined || err.code === AgentAnswer.code);
}

/** Where the RPC address came from, so an error can say how to point the command elsewhere. */
function rpcAddrSource(flag: string | undefined): { addr: string; from: string } {
  if (flag !== undefined) return { addr: flag, from: '--rpc-addr' };
  if (process.env.LBAGENT_RPC_ADDR) return { addr: process.env.LBAGENT_RPC_ADDR, from: '$LBAGENT_RPC_ADDR' };
  if (process.env.SERF_RPC_ADDR) return { addr: process.env.SERF_RPC_ADDR, from: '$SERF_RPC_ADDR' };
  return { addr: DEFAULT_RPC_ADDR, from: 'the default' };
}

export class AgentClient {
  readonly base: { host: string; port: number };
  private readonly from: string;
  /** set once serf's msgpack RPC answered where HTTP got nothing */
  speaksSerf = false;

  constructor(rpcAddr?: string, private readonly auth = process.env.LBAGENT_RPC_AUTH ?? process.env.SERF_RPC_AUTH) {
    const { addr, from } = rpcAddrSource(rpcAddr);
    const hp = parseHostPort(addr, 7373, '127.0.0.1');
    if (!hp) throw new BadAddress(`${from === '--rpc-addr' ? '--rpc-addr' : `RPC address from ${from}`}: ${hostPortProblem(addr)} (expected host:port, e.g. 127.0.0.1:7373)`);
    this.base = hp;
    this.from = from;
  }

  /** A network error of a call, as what was tried and how to point the command elsewhere. */
  private unreachable(err: NodeJS.ErrnoException): LbaError {
    const why: Record<string, string> = {
      ECONNREFUSED: 'connection refused: no agent is running there',
      ENOTFOUND: `the name '${this.base.host}' does not resolve`,
      EAI_AGAIN: `the name '${this.base.host}' does not resolve (DNS not answering)`,
      EHOSTUNREACH: 'no route to host',
      ENETUNREACH: 'network unreachable',
      ECONNRESET: 'the connection was reset: is it an lbagent or serf agent RPC address?',
    };
    const reason = why[err.code ?? ''] ?? err.message;
    const where = 'point to the agent with --rpc-addr HOST:PORT or LBAGENT_RPC_ADDR';
    const hint = err.code === 'ECONNREFUSED' ? `Start one with 'lbagent agent' or 'lbagent join ADDR', or ${where}` : `${where[0]!.toUpperCase()}${where.slice(1)}`;
    return new NoAgent(`Error connecting to lbagent agent at ${this.address}`, this.from, reason, hint);
  }

  /**
   * Run `http`, or, when the address answers serf's RPC instead, `serf` on a fresh serf RPC connection (closed
   * after). A serf refusal becomes `Coded` (auth refusals: the HTTP RPC's 401).
   */
  async either<T>(http: () => Promise<T>, serf: (c: SerfRpcClient) => Promise<T>, Coded?: new (reason: string) => LbaError): Promise<T> {
    if (!this.speaksSerf) {
      try {
        return await http();
      } catch (err) {
        if (!(err instanceof Error && noHttpAnswer.has(err))) throw err;
        const c = await this.serfClient(err);
        this.speaksSerf = true;
        return this.onSerf(c, serf, Coded);
      }
    }
    return this.onSerf(await this.serfClient(), serf, Coded);
  }

  private async onSerf<T>(c: SerfRpcClient, fn: (c: SerfRpcClient) => Promise<T>, Coded?: new (reason: string) => LbaError): Promise<T> {
    try {
      return await fn(c);
    } catch (err) {
      throw serfAnswerError(err, Coded);
    } finally {
      c.close();
    }
  }

  /** A handshaken serf RPC connection; `httpErr`: what HTTP got, reported if serf does not answer either. */
  private async serfClient(httpErr?: Error): Promise<SerfRpcClient> {
    try {
      return await SerfRpcClient.connect(this.base, this.auth);
    } catch (err) {
      if (err instanceof SerfRpcAnswer) throw serfAnswerError(err);
      if (httpErr) throw httpErr;
      throw this.unreachable(err as NodeJS.ErrnoException);
    }
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
          responded = true;
          if (onLine && res.statusCode === 200) return readLines(res, onLine, () => resolve(undefined as T), reject);
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : {};
            } catch {
              return reject(new AgentAnswer(this.address, text.slice(0, 200)));
            }
            // The agent's {error, code}: its message and code become this call's error.
            if ((res.statusCode ?? 500) >= 400) return reject(answeredError(res.statusCode ?? 0, parsed as { error?: unknown; code?: unknown }));
            resolve(parsed as T);
          });
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error(`timed out after ${timeoutMs / 1000}s`), { code: 'ETIMEDOUT' })));
      let connected = false;
      let responded = false;
      req.on('socket', (sock) => sock.once('connect', () => (connected = true)));
      // Once connected, the agent was found: its error is not about where to find it.
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (!connected) return reject(this.unreachable(err));
        const lost = new AgentLost(this.address, err.message);
        // Closed without an answer, or answered with something that is not HTTP: serf's RPC, perhaps.
        if (!responded && (err.code === 'ECONNRESET' || err.code?.startsWith('HPE_'))) noHttpAnswer.add(lost);
        reject(lost);
      });
      req.end(data);
    });
  }

  /** True when an agent (lbagent's or serf's) answers on the RPC address. */
  async alive(): Promise<boolean> {
    try {
      await this.either(() => this.call('GET', '/v1/info', undefined, 2000), async () => undefined);
      return true;
    } catch (err) {
      return isAnswer(err); // an answer, even an auth error, means an agent is there
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
        return fail(new AgentAnswer('the agent', `${line.slice(0, 200)} (${errorMessage(err)})`));
      }
    }
  });
  res.on('end', done);
  res.on('error', fail);
}

// The `global` section: process-wide settings. lbagent keeps `maxconn`, `nbthread` (its `workers`), the certificate
// base directory and the default TLS settings of binds; process management (daemon, user, chroot, pidfile) belongs
// to systemd, and HAProxy's runtime socket to lbagent's admin API.
import { dirname, isAbsolute, join } from 'node:path';
import type { PathBase, SslDefaults } from './bind.js';
import { MIN_VERSION, maxVersion } from './bind.js';
import { carried, left, noted, type Directive, type Verdict, type Yaml } from './types.js';
import { logTarget } from './log.js';

export interface GlobalDraft {
  yaml: Yaml;
  paths: PathBase;
  sslDefaults: SslDefaults;
  verdicts: Map<Directive, Verdict>;
}

const SYSTEMD = 'process management belongs to the service manager: run lbagent under systemd (User=, Group=, …)';
const PROCESS = new Set(['daemon', 'user', 'group', 'uid', 'gid', 'chroot', 'pidfile', 'ulimit-n', 'master-worker', 'nbproc', 'node', 'description', 'setenv', 'presetenv', 'resetenv', 'unsetenv']);

export function translateGlobal(directives: Directive[], file: string): GlobalDraft {
  const g: GlobalDraft = { yaml: {}, paths: { dir: dirname(file) }, sslDefaults: {}, verdicts: new Map() };
  for (const d of directives) g.verdicts.set(d, one(g, d, file));
  return g;
}

function one(g: GlobalDraft, d: Directive, file: string): Verdict {
  const [kw, ...args] = d.words as [string, ...string[]];
  if (PROCESS.has(kw)) return left(SYSTEMD);
  const handler = GLOBALS.get(kw);
  if (handler) return handler(g, args, file);
  if (kw.startsWith('tune.')) return left(`${kw}: lbagent has no tuning knob for it`);
  return left(`'${kw}' has no lbagent equivalent`);
}

/** A relative directory of the global section is read from the imported file's directory. */
const baseDir = (dir: string, file: string): string => (isAbsolute(dir) ? dir : join(dirname(file), dir));

/** One handler per global directive lbagent has something to say about (besides the process ones). */
const GLOBALS = new Map<string, (g: GlobalDraft, args: string[], file: string) => Verdict>([
  ['maxconn', (g, args) => {
    const n = Number(args[0]);
    if (!(Number.isInteger(n) && n >= 1)) return left(`maxconn '${args[0] ?? ''}'`);
    return (g.yaml.maxconn = n), carried;
  }],
  ['nbthread', (g, args) => {
    const n = Number(args[0]);
    if (!(Number.isInteger(n) && n >= 1 && n <= 64)) return left(`nbthread '${args[0] ?? ''}'`);
    g.yaml.workers = n;
    return noted('lbagent runs one worker process per thread HAProxy ran');
  }],
  ['crt-base', (g, args, file) => {
    if (!args[0]) return left('crt-base without a directory');
    g.paths.crtBase = baseDir(args[0], file);
    return noted('used to find the certificates of bind lines');
  }],
  ['default-path', (_g, args) => {
    if (args[0] === 'config' || args[0] === 'parent') return carried; // relative paths are read from the config's directory anyway
    return left(`default-path ${args.join(' ')}: relative certificate paths are read from the directory of the imported file`);
  }],
  ['ca-base', (g, args, file) => {
    if (!args[0]) return left('ca-base without a directory');
    g.paths.caBase = baseDir(args[0], file);
    return noted('used to find the ca-file of server lines');
  }],
  ['ssl-default-bind-ciphers', (g, args) => {
    if (!args[0]) return left('no ciphers');
    return (g.sslDefaults.ciphers = args[0]), carried;
  }],
  ['ssl-default-bind-options', sslDefaultBindOptions],
  ['log', (g, args) => {
    const t = logTarget(args);
    if ('left' in t) return left(t.left as string);
    g.yaml.log = [...((g.yaml.log as Yaml[] | undefined) ?? []), t];
    return carried;
  }],
  ['log-send-hostname', () => noted("lbagent's syslog lines always carry the host name")],
  ['log-tag', () => left("lbagent's syslog tag is lbagent[PID]")],
  ['stats', (_g, args) => {
    if (args[0] === 'socket') return left("lbagent's admin API (admin.bind) replaces HAProxy's runtime socket");
    return left(`stats ${args[0] ?? ''} has no lbagent equivalent (the admin API has no session timeout)`);
  }],
]);

/** Of the default bind options, lbagent keeps the TLS minimum version. */
function sslDefaultBindOptions(g: GlobalDraft, args: string[]): Verdict {
  const problems: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    if (w === 'ssl-min-ver' && args[i + 1]) g.sslDefaults.minVersion = maxVersion(g.sslDefaults.minVersion, args[++i]!);
    else if (w in MIN_VERSION) g.sslDefaults.minVersion = maxVersion(g.sslDefaults.minVersion, MIN_VERSION[w]!);
    else problems.push(w === 'ssl-max-ver' ? `${w} ${args[++i] ?? ''}` : w);
  }
  return problems.length ? left(`bind TLS options without lbagent equivalent: ${problems.join(', ')} (the TLS minimum version is carried over)`) : carried;
}

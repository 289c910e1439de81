// The `global` section: process-wide settings. lbagent keeps `maxconn`, `nbthread` (its `workers`), the certificate
// base directory and the default TLS settings of binds; process management (daemon, user, chroot, pidfile) belongs
// to systemd, and HAProxy's runtime socket to lbagent's admin API.
import { dirname, isAbsolute, join } from 'node:path';
import type { PathBase, SslDefaults } from './bind.js';
import { MIN_VERSION, maxVersion } from './bind.js';
import { carried, left, noted, type Directive, type Verdict, type Yaml } from './types.js';

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
  const n = Number(args[0]);
  if (PROCESS.has(kw)) return left(SYSTEMD);
  switch (kw) {
    case 'maxconn':
      if (!(Number.isInteger(n) && n >= 1)) return left(`maxconn '${args[0] ?? ''}'`);
      return (g.yaml.maxconn = n), carried;
    case 'nbthread':
      if (!(Number.isInteger(n) && n >= 1 && n <= 64)) return left(`nbthread '${args[0] ?? ''}'`);
      g.yaml.workers = n;
      return noted('lbagent runs one worker process per thread HAProxy ran');
    case 'crt-base':
      if (!args[0]) return left('crt-base without a directory');
      g.paths.crtBase = isAbsolute(args[0]) ? args[0] : join(dirname(file), args[0]);
      return noted('used to find the certificates of bind lines');
    case 'default-path':
      if (args[0] === 'config' || args[0] === 'parent') return carried; // relative paths are read from the config's directory anyway
      return left(`default-path ${args.join(' ')}: relative certificate paths are read from the directory of the imported file`);
    case 'ca-base':
      if (!args[0]) return left('ca-base without a directory');
      g.paths.caBase = isAbsolute(args[0]) ? args[0] : join(dirname(file), args[0]);
      return noted('used to find the ca-file of server lines');
    case 'ssl-default-bind-ciphers':
      if (!args[0]) return left('no ciphers');
      return (g.sslDefaults.ciphers = args[0]), carried;
    case 'ssl-default-bind-options': {
      const problems: string[] = [];
      for (let i = 0; i < args.length; i++) {
        const w = args[i]!;
        if (w === 'ssl-min-ver' && args[i + 1]) g.sslDefaults.minVersion = maxVersion(g.sslDefaults.minVersion, args[++i]!);
        else if (w in MIN_VERSION) g.sslDefaults.minVersion = maxVersion(g.sslDefaults.minVersion, MIN_VERSION[w]!);
        else problems.push(w === 'ssl-max-ver' ? `${w} ${args[++i] ?? ''}` : w);
      }
      return problems.length ? left(`bind TLS options without lbagent equivalent: ${problems.join(', ')} (the TLS minimum version is carried over)`) : carried;
    }
    case 'log':
      return left('lbagent logs to stdout (JSON); a syslog target is not available yet (issue 19)');
    case 'stats':
      if (args[0] === 'socket') return left("lbagent's admin API (admin.bind) replaces HAProxy's runtime socket");
      return left(`stats ${args[0] ?? ''} has no lbagent equivalent (the admin API has no session timeout)`);
    default:
      if (kw.startsWith('tune.')) return left(`${kw}: lbagent has no tuning knob for it`);
      return left(`'${kw}' has no lbagent equivalent`);
  }
}

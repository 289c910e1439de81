// The access log's directives: `log` (global and proxies), `option httplog/tcplog/dontlognull`, `log-format`,
// `unique-id-format`, `unique-id-header`, `capture request/response header`: each to its lbagent.yml key.
import { compileLogFormat } from '../proxy/model/index.js';
import { carried, left, noted, type Verdict, type Yaml } from './types.js';

const FACILITIES = new Set(['kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'auth2', 'ftp', 'ntp', 'audit', 'alert', 'cron2', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7']);
const LEVELS = new Set(['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug']);
const FORMATS = new Set(['rfc3164', 'rfc5424', 'raw']);

/**
 * `log <target> [len <n>] [format <f>] [sample <r>:<n>] <facility> [<level> [<minlevel>]]` → one target, or why
 * not (a unix socket such as /dev/log, a ring, a format or option lbagent lacks).
 */
export function logTarget(args: string[]): Yaml | { left: string } {
  const [addr, ...rest] = args;
  if (!addr) return { left: 'log without a target' };
  if (addr.startsWith('/') || /^(unix|ring|fd|tcp[46]?)@/.test(addr)) return { left: `log target '${addr}': lbagent sends to stdout, stderr or a syslog server over UDP` };
  const t: Yaml = { target: addr === 'stdout' || addr === 'stderr' ? addr : addr.replace(/^udp[46]?@/, '') };
  let i = 0;
  for (; i < rest.length; i += 2) {
    const [w, v] = [rest[i]!, rest[i + 1]];
    if (w === 'len' && Number.isInteger(Number(v)) && Number(v) >= 80 && Number(v) <= 65535) t.len = Number(v);
    else if (w === 'format' && v && FORMATS.has(v)) t.format = v;
    else if (w === 'format') return { left: `log format '${v ?? ''}': lbagent writes rfc3164, rfc5424 or raw` };
    else if (w === 'sample') return { left: 'log sampling has no lbagent equivalent' };
    else break;
  }
  const [facility, level, minlevel] = rest.slice(i);
  if (!facility || !FACILITIES.has(facility)) return { left: `log facility '${facility ?? ''}' is not one of syslog's` };
  t.facility = facility;
  if (level !== undefined) {
    if (!LEVELS.has(level)) return { left: `log level '${level}' is not one of syslog's` };
    t.level = level;
  }
  if (minlevel !== undefined) return { left: `log minimum level '${minlevel}': lbagent's access lines are all info` };
  return t;
}

/** `log global`, `log <target> …` in a proxy; `no log`. */
export function proxyLog(yaml: Yaml, args: string[]): Verdict {
  if (args[0] === 'global') {
    if (Array.isArray(yaml.log)) return left("'log global' beside targets of the proxy's own: lbagent takes one or the other (the proxy's are kept)");
    return (yaml.log = 'global'), carried;
  }
  const t = logTarget(args);
  if ('left' in t) return left(t.left as string);
  if (yaml.log === 'global') return left("a target beside 'log global': lbagent takes one or the other ('log global' is kept)");
  yaml.log = [...(Array.isArray(yaml.log) ? (yaml.log as Yaml[]) : []), t];
  return carried;
}

/** `option httplog|tcplog|dontlognull` (on) and `no option …` (off); undefined: not one of these. */
export function logOption(yaml: Yaml, name: string | undefined, rest: string[], on: boolean, backend: boolean): Verdict | undefined {
  if (name !== 'httplog' && name !== 'tcplog' && name !== 'dontlognull') return undefined;
  if (backend) return noted(`option ${name} in a backend: HAProxy ignores it there too (the frontend's settings apply)`);
  if (name === 'httplog' && rest[0] === 'clf') return left('option httplog clf: lbagent writes the default httplog format (or a log_format)');
  yaml[name] = on;
  // the last of httplog, tcplog and log-format wins, as in HAProxy
  if (on && name !== 'dontlognull') {
    delete yaml.log_format;
    delete yaml[name === 'httplog' ? 'tcplog' : 'httplog'];
  }
  return carried;
}

/** `log-format`, `unique-id-format`: the string, checked against the variables lbagent has. */
export function logFormatDirective(yaml: Yaml, kw: 'log-format' | 'unique-id-format', args: string[], backend: boolean): Verdict {
  if (backend) return noted(`${kw} in a backend: HAProxy ignores it there too`);
  const text = args.join(' ');
  const r = compileLogFormat(text);
  if (!r.ok) return left(`${kw}: ${r.error}`);
  if (kw === 'log-format') {
    yaml.log_format = text;
    delete yaml.httplog;
    delete yaml.tcplog;
  } else yaml.unique_id_format = text;
  return carried;
}

/** `capture request header NAME len N`, `capture response header NAME len N`. */
export function captureDirective(yaml: Yaml, args: string[], frontend: boolean): Verdict {
  const [dir, what, name, lenKw, len] = args;
  if (!frontend) return left('capture is for frontends and listen sections (HAProxy refuses it elsewhere)');
  if (what === 'cookie' || dir === 'cookie') return left('capture cookie has no lbagent equivalent (%CC and %CS are written -)');
  if ((dir !== 'request' && dir !== 'response') || what !== 'header' || !name || lenKw !== 'len' || !(Number(len) >= 1)) return left(`capture ${args.join(' ')}: expected 'capture request|response header NAME len N'`);
  const capture = (yaml.capture ??= {}) as Yaml;
  capture[dir] = [...((capture[dir] as Yaml[] | undefined) ?? []), { header: name, len: Number(len) }];
  return carried;
}

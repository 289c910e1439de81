// Health checks: `option httpchk [METH] [URI] [VER\r\nHeader: v]`, `http-check send|expect`, `option tcp-check` with
// `tcp-check send|expect` → a backend's `check:` (see src/proxy/config.ts). Check kinds lbagent lacks (mysql,
// ssl-hello …) fall back to its TCP connect check, and say so.
import { escapeRe } from './acl.js';
import { left, noted, carried, type Verdict, type Yaml } from './types.js';

/** Request line pieces of `option httpchk`: the version word may carry headers after \r\n (1.x style). */
export function translateHttpchk(check: Yaml, args: string[]): Verdict {
  let [method, uri, version] = args;
  if (args.length === 1) [method, uri] = ['OPTIONS', args[0]];
  method ??= 'OPTIONS';
  uri ??= '/';
  const problems: string[] = [];
  for (const k of ['send', 'expect']) delete check[k];
  Object.assign(check, { type: 'http', method: method.toUpperCase(), path: uri });
  if (!/^[A-Z]+$/.test(method.toUpperCase())) return left(`check method '${method}'`);
  if (!uri.startsWith('/')) return left(`check URI '${uri}' does not start with /`);
  if (args.length > 3) problems.push(`extra words '${args.slice(3).join(' ')}'`);
  if (version) {
    const [, ...headers] = version.split(/\r?\n/).filter((l) => l !== '');
    for (const h of headers) {
      const colon = h.indexOf(':');
      const name = h.slice(0, colon).trim();
      if (colon > 0 && name.toLowerCase() === 'host') check.host = h.slice(colon + 1).trim();
      else problems.push(`check header '${h.trim()}' (lbagent's http check sends Host only)`);
    }
  }
  return problems.length ? left(problems.join('; ')) : carried;
}

export function translateHttpCheck(check: Yaml, words: string[]): Verdict {
  const [what, ...rest] = words;
  if (what === 'send') {
    const problems: string[] = [];
    for (let i = 0; i < rest.length; i += 2) {
      const [k, v] = [rest[i], rest[i + 1]];
      if (v === undefined) problems.push(`'${k}' without value`);
      else if (k === 'meth') check.method = v.toUpperCase();
      else if (k === 'uri') check.path = v;
      else if (k === 'hdr' && v.toLowerCase() === 'host' && rest[i + 2] !== undefined) {
        check.host = rest[i + 2];
        i++;
      }
      else if (k === 'ver') continue;
      else if (k === 'hdr') {
        problems.push(`header '${v}' (lbagent's http check sends Host only)`);
        i++;
      }
      else problems.push(`'${k} ${v}'`);
    }
    check.type = 'http';
    return problems.length ? left(`http-check send: ${problems.join(', ')} not carried over`) : carried;
  }
  if (what === 'expect') {
    if (rest[0] === '!') return left("a negated expect ('!') has no lbagent equivalent");
    const [kind, ...pattern] = rest;
    const value = pattern.join(' ');
    if (!value) return left('http-check expect without a pattern');
    if (kind === 'status') {
      if (!/^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/.test(value)) return left(`status '${value}' is not a code, a range or a list lbagent reads`);
      check.status = /^\d{3}$/.test(value) ? Number(value) : value;
      return carried;
    }
    if (kind === 'string') return (check.body = escapeRe(value)), carried;
    if (kind === 'rstring') return (check.body = value), noted('the regex is read as JavaScript');
    return left(`http-check expect ${kind} has no lbagent equivalent (status, string and rstring do)`);
  }
  if (what === 'disable-on-404') return left('lbagent does not drain a server that answers its check with 404');
  if (what === 'send-state') return left('lbagent sends no X-Haproxy-Server-State header with its checks');
  return left(`http-check ${what ?? ''} has no lbagent equivalent`);
}

export function translateTcpCheck(check: Yaml, words: string[]): Verdict {
  const [what, ...rest] = words;
  if (what === 'connect' && rest.length === 0) return carried;
  if (what === 'send' && rest.length === 1) return (check.send = rest[0]), carried;
  if (what === 'expect' && (rest[0] === 'string' || rest[0] === 'rstring') && rest.length === 2) {
    check.type = 'tcp-expect';
    check.expect = rest[0] === 'string' ? escapeRe(rest[1]!) : rest[1];
    return carried;
  }
  return left(`tcp-check ${words.join(' ')} has no lbagent equivalent (connect, send STRING, expect string|rstring do)`);
}

/** `option ssl-hello-chk`, `mysql-check` … */
export const OTHER_CHECKS = new Set(['ssl-hello-chk', 'mysql-check', 'pgsql-check', 'redis-check', 'smtpchk', 'ldap-check', 'spop-check', 'external-check', 'lb-agent-chk']);

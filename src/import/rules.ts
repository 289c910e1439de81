// HTTP rules: `use_backend`, `redirect`, `http-request`, `http-response`, `block`, and the 1.x header regexes
// (`reqadd`, `reqdel`/`reqidel`, `reqrep`/`reqirep`, `rspadd`, `rspdel`/`rspidel`, `rsprep`/`rspirep`) → lbagent's
// rule lists (src/proxy/http/rules-config.ts): a 1.x regex on one header becomes del-header with a value match or
// replace-header. What rewrites the request or status line, or needs a fetch lbagent lacks, is left over with why.
import { compileValue } from '../proxy/model/index.js';
import { splitGuard, type AclTable } from './acl.js';
import { re2Problem, splitLineRegex } from './header-regex.js';
import { carried, left, noted, type Verdict, type Yaml } from './types.js';

export interface RuleLists {
  use_backend: Yaml[];
  'http-request': Yaml[];
  'http-response': Yaml[];
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A rule lbagent can hold, with its guard; a guard that can never hold drops the rule (it never applied here). */
function push(list: Yaml[], rule: Yaml, words: string[], acls: AclTable): Verdict {
  const g = splitGuard(words, acls);
  if ('left' in g) return left(`its condition is not carried over: ${g.left}`);
  if ('never' in g) return noted('its condition can never hold on this lbagent frontend (TLS or not), so it is dropped');
  list.push({ ...rule, ...g.guard });
  return carried;
}

function valueProblem(text: string): string | undefined {
  try {
    compileValue(text);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** log-format aliases lbagent's %[…] has no counterpart for (`%ci`, `%H` …). */
function logFormatProblem(text: string): string | undefined {
  const alias = /%(?!\[)\{?[A-Za-z]/.exec(text);
  return alias ? `log-format variable '${alias[0]}' (lbagent reads %[src], %[dst_port], %[path], %[method], %[scheme], %[req.hdr(NAME)])` : valueProblem(text);
}

export function translateUseBackend(lists: RuleLists, words: string[], acls: AclTable): Verdict {
  const [backend, ...rest] = words;
  if (!backend) return left('use_backend without a backend');
  if (backend.includes('%[')) return left(`a backend chosen by a sample expression ('${backend}') has no lbagent equivalent`);
  return push(lists.use_backend, { backend }, rest, acls);
}

const REDIRECT_KINDS = new Set(['location', 'prefix', 'scheme']);

/** `redirect location|prefix|scheme TO [code N] [options] [if …]` (also after `http-request`). */
export function translateRedirect(lists: RuleLists, words: string[], acls: AclTable): Verdict {
  const [kind, to] = words;
  if (!kind || !REDIRECT_KINDS.has(kind) || to === undefined) return left('redirect needs location, prefix or scheme and its value');
  const cut = words.findIndex((w) => w === 'if' || w === 'unless');
  const opts = cut < 0 ? words.slice(2) : words.slice(2, cut);
  const r: Yaml = { [kind]: to };
  const problems: string[] = [];
  for (let i = 0; i < opts.length; i++) {
    if (opts[i] === 'code') {
      const code = Number(opts[++i]);
      if ([301, 302, 303, 307, 308].includes(code)) r.code = code;
      else problems.push(`code ${opts[i]}`);
    } else problems.push(opts[i] === 'set-cookie' || opts[i] === 'clear-cookie' ? `${opts[i]} ${opts[++i] ?? ''}` : opts[i]!);
  }
  if (kind === 'scheme' && to !== 'http' && to !== 'https') return left(`redirect scheme '${to}' (http or https)`);
  if (kind === 'location') {
    const p = logFormatProblem(to);
    if (p) return left(p);
  }
  if (problems.length) return left(`redirect options ${problems.join(', ')} have no lbagent equivalent`);
  return push(lists['http-request'], { redirect: r }, cut < 0 ? [] : words.slice(cut), acls);
}

const MATCH_METHODS = new Set(['str', 'beg', 'end', 'sub', 'reg']);

/** `del-header NAME [-m str|beg|end|sub|reg]`: HAProxy 2.x's -m says how NAME is compared with header names. */
function delHeaderRule(list: Yaml[], words: string[], acls: AclTable): Verdict {
  const [name, flag, method, ...rest] = words;
  if (flag !== '-m') return headerName(name) ?? push(list, { 'del-header': { name } }, words.slice(1), acls);
  if (!method || !MATCH_METHODS.has(method)) return left(`del-header -m '${method ?? ''}' (str, beg, end, sub or reg)`);
  const cut = rest.findIndex((w) => w === 'if' || w === 'unless');
  if ((cut < 0 ? rest.length : cut) > 0) return left(`del-header ${name} -m ${method} ${rest.join(' ')}: HAProxy's -m matches the header name and takes no value (HAProxy 2.6 refuses this line)`);
  if (method === 'reg') {
    const problem = re2Problem(name ?? '');
    if (problem) return left(problem);
  } else {
    const bad = headerName(name);
    if (bad) return bad;
  }
  return push(list, { 'del-header': method === 'str' ? { name } : { name, match: method } }, rest, acls);
}

function headerName(name: string | undefined): Verdict | undefined {
  return name && HEADER_NAME.test(name) ? undefined : left(`header name '${name ?? ''}'`);
}

/** `replace-header|replace-value NAME REGEX REPLACEMENT [cond]`. */
function replaceRule(list: Yaml[], action: string, words: string[], acls: AclTable): Verdict {
  const [name, regex, replace] = words;
  const bad = headerName(name);
  if (bad) return bad;
  if (regex === undefined || replace === undefined || ['if', 'unless'].includes(replace)) return left(`${action} ${name} needs a regex and a replacement`);
  const problem = re2Problem(regex) ?? logFormatProblem(replace);
  if (problem) return left(problem);
  return push(list, { [action]: { name, regex, replace } }, words.slice(3), acls);
}

function headerRule(list: Yaml[], action: string, words: string[], acls: AclTable): Verdict {
  if (action === 'del-header') return delHeaderRule(list, words, acls);
  if (action === 'replace-header' || action === 'replace-value') return replaceRule(list, action, words, acls);
  const [name, value] = words;
  const bad = headerName(name);
  if (bad) return bad;
  if (value === undefined || value === 'if' || value === 'unless') return left(`${action} ${name} without a value`);
  const p = logFormatProblem(value);
  if (p) return left(p);
  return push(list, { [action]: { name, value } }, words.slice(2), acls);
}

const HEADER_ACTIONS = new Set(['set-header', 'add-header', 'del-header', 'replace-header', 'replace-value']);

export function translateHttpRequest(lists: RuleLists, words: string[], acls: AclTable): Verdict {
  const [action, ...rest] = words;
  if (action && HEADER_ACTIONS.has(action)) return headerRule(lists['http-request'], action, rest, acls);
  switch (action) {
    case 'redirect':
      return translateRedirect(lists, rest, acls);
    case 'deny': {
      let status: number | undefined;
      let i = 0;
      if (rest[0] === 'deny_status' || rest[0] === 'status') {
        status = Number(rest[1]);
        if (!(status >= 200 && status <= 599)) return left(`deny status '${rest[1]}'`);
        i = 2;
      }
      const extra = rest.slice(i).findIndex((w) => w === 'if' || w === 'unless');
      if ((extra < 0 ? rest.length - i : extra) > 0) return left(`deny options '${rest.slice(i, extra < 0 ? undefined : i + extra).join(' ')}' have no lbagent equivalent`);
      return push(lists['http-request'], { deny: status ? { status } : {} }, rest.slice(i), acls);
    }
    case 'tarpit':
    case 'reject':
      return left(`http-request ${action} has no lbagent equivalent (http-request deny answers at once)`);
    default:
      return left(`http-request ${action ?? ''} has no lbagent equivalent (set-header, add-header, del-header, replace-header, replace-value, redirect and deny do)`);
  }
}

export function translateHttpResponse(lists: RuleLists, words: string[], acls: AclTable): Verdict {
  const [action, ...rest] = words;
  if (action && HEADER_ACTIONS.has(action)) return headerRule(lists['http-response'], action, rest, acls);
  return left(`http-response ${action ?? ''} has no lbagent equivalent (set-header, add-header, del-header, replace-header, replace-value do)`);
}

/** `reqadd`/`rspadd "Name: value"`, `reqdel`/`reqidel`/`rspdel`/`rspidel`, `reqrep`/`reqirep`/`rsprep`/`rspirep`: HAProxy 1.x. */
export function translateLegacy(lists: RuleLists, keyword: string, words: string[], acls: AclTable): Verdict {
  const response = keyword.startsWith('rsp');
  const list = response ? lists['http-response'] : lists['http-request'];
  const ci = keyword[3] === 'i';
  const op = keyword.slice(ci ? 4 : 3);
  const [first, second] = words;
  const removed = `(removed in HAProxy 2.1)`;
  if (!first) return left(`${keyword} without argument`);
  if (op === 'add') {
    const colon = first.indexOf(':');
    const name = first.slice(0, colon);
    if (colon <= 0 || !HEADER_NAME.test(name)) return left(`${keyword} '${first}' is not 'Name: value'`);
    return headerRule(list, 'add-header', [name, first.slice(colon + 1).trim(), ...words.slice(1)], acls);
  }
  if (op !== 'del' && op !== 'rep') return left(`${keyword} has no lbagent equivalent ${removed}`);
  const line = splitLineRegex(first, ci);
  const what = response ? 'status line' : 'request line';
  if (typeof line === 'string') return left(`${keyword} ${first}: ${line}; lbagent's rules act on one header's value, not on the ${what} ${removed}`);
  if (op === 'del') {
    const rule = line.value === undefined ? { name: line.name } : { name: line.name, value: { reg: line.value } };
    return push(list, { 'del-header': rule }, words.slice(1), acls);
  }
  // The 1.x replacement is the whole new line: it must keep the header's name.
  const m = second !== undefined ? /^([A-Za-z0-9-]+):\s*(.*)$/.exec(second) : null;
  if (!m || m[1]!.toLowerCase() !== line.name.toLowerCase()) {
    return left(`${keyword} turns ${line.name} into '${second ?? ''}': lbagent's replace-header keeps the header's name ${removed}`);
  }
  const p = logFormatProblem(m[2]!);
  if (p) return left(p);
  return push(list, { 'replace-header': { name: line.name, regex: line.value ?? '^.*$', replace: m[2]! } }, words.slice(2), acls);
}

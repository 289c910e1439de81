// HTTP rules: `use_backend`, `redirect`, `http-request`, `http-response`, `block`, and the 1.x header regexes
// (`reqadd`, `reqdel`/`reqidel`, `reqrep`/`reqirep`, `rspadd`, `rspdel`/`rspidel`, `rsprep`) → lbagent's rule lists
// (src/proxy/http/rules-config.ts). What needs a header-value match, a path rewrite or a fetch lbagent lacks is
// left over with that reason.
import { compileValue } from '../proxy/model/index.js';
import { splitGuard, type AclTable } from './acl.js';
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

function headerRule(list: Yaml[], action: string, words: string[], acls: AclTable): Verdict {
  const [name, value] = words;
  if (!name || !HEADER_NAME.test(name)) return left(`header name '${name ?? ''}'`);
  if (action === 'del-header') {
    if (value === '-m') return left(`del-header ${name} -m ${words[2] ?? ''} deletes by value: needs header-value matching, which lbagent does not have yet (issue 19)`);
    return push(list, { 'del-header': { name } }, words.slice(1), acls);
  }
  if (value === undefined || value === 'if' || value === 'unless') return left(`${action} ${name} without a value`);
  const p = logFormatProblem(value);
  if (p) return left(p);
  return push(list, { [action]: { name, value } }, words.slice(2), acls);
}

export function translateHttpRequest(lists: RuleLists, words: string[], acls: AclTable): Verdict {
  const [action, ...rest] = words;
  switch (action) {
    case 'set-header':
    case 'add-header':
    case 'del-header':
      return headerRule(lists['http-request'], action, rest, acls);
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
      return left(`http-request ${action ?? ''} has no lbagent equivalent (set-header, add-header, del-header, redirect and deny do)`);
  }
}

export function translateHttpResponse(lists: RuleLists, words: string[], acls: AclTable): Verdict {
  const [action, ...rest] = words;
  if (action === 'set-header' || action === 'add-header' || action === 'del-header') return headerRule(lists['http-response'], action, rest, acls);
  return left(`http-response ${action ?? ''} has no lbagent equivalent (set-header, add-header, del-header do)`);
}

/** `^Name:` or `^Name:.*` (a whole header, any value) → the header name; else undefined. */
function wholeHeader(regex: string): string | undefined {
  const m = /^\^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):(?:\.\*)?(?:\\? ?\.\*)?$/.exec(regex);
  return m?.[1];
}

/** `reqadd`/`rspadd "Name: value"`, `reqdel`/`reqidel`/`rspdel`/`rspidel ^Name:`, `reqrep`/`rsprep`: HAProxy 1.x. */
export function translateLegacy(lists: RuleLists, keyword: string, words: string[], acls: AclTable): Verdict {
  const response = keyword.startsWith('rsp');
  const list = response ? lists['http-response'] : lists['http-request'];
  const op = keyword.slice(3).replace(/^i/, '');
  const [first, second] = words;
  const removed = `(removed in HAProxy 2.1)`;
  if (!first) return left(`${keyword} without argument`);
  if (op === 'add') {
    const colon = first.indexOf(':');
    const name = first.slice(0, colon);
    if (colon <= 0 || !HEADER_NAME.test(name)) return left(`${keyword} '${first}' is not 'Name: value'`);
    return headerRule(list, 'add-header', [name, first.slice(colon + 1).trim(), ...words.slice(1)], acls);
  }
  if (op === 'del') {
    const name = wholeHeader(first);
    if (name) return headerRule(list, 'del-header', [name, ...words.slice(1)], acls);
    return left(`${keyword} ${first} deletes only the ${headerOf(first)} headers whose value matches: needs header-value matching (del-header -m reg), which lbagent does not have yet (issue 19) ${removed}`);
  }
  if (op === 'rep') {
    const name = wholeHeader(first);
    const m = second !== undefined ? /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):\s*(.*)$/.exec(second) : null;
    if (name && m && m[1]!.toLowerCase() === name.toLowerCase() && !/\\\d/.test(m[2]!)) {
      return headerRule(list, 'set-header', [m[1]!, m[2]!, ...words.slice(2)], acls);
    }
    return left(`${keyword} rewrites ${headerOf(first)} with a regex: lbagent has no replace-header/replace-value or path rewriting yet ${removed}`);
  }
  return left(`${keyword} has no lbagent equivalent ${removed}`);
}

function headerOf(regex: string): string {
  const m = /^\^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):/.exec(regex);
  return m ? m[1]! : 'request line or header';
}

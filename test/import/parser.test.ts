// lbagent import, piece by piece: HAProxy's tokenizer, sections, defaults inheritance and each directive family.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { importHaproxy, parseSections, tokenize } from '../../src/import/index.js';
import { parseMainConfig } from '../../src/main-config/main.js';
import { formatConfigError } from '../../src/config/index.js';
import { tempDir } from '../helpers/tmp.js';
import { ImportNothing, ImportUnreadable, isLbaError } from '../../src/errors/index.js';
import { makeCa } from '../helpers/certs.js';
import { needTool } from '../helpers/tools.js';

type Y = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Imports text; the output must also load as lbagent.yml (the schema check runs, without files or listeners). */
function imp(text: string, env: Record<string, string> = {}) {
  const r = importHaproxy({ file: 'test.cfg', text, env });
  const loaded = parseMainConfig('out.yml', r.yaml);
  assert.ok(loaded.ok, `the import loads as lbagent.yml:\n${r.yaml}\n${loaded.ok ? '' : loaded.errors.map(formatConfigError).join('\n')}`);
  return { ...r, y: parse(r.yaml) as Y, reasons: r.leftovers.map((l) => `${l.line}: ${l.reason}`) };
}

const leftAt = (r: { leftovers: { line: number; reason: string }[] }, line: number) => r.leftovers.find((l) => l.line === line)?.reason;

test('tokenizer: white space, comments, quotes, backslash escapes and ${VAR} as HAProxy reads them', () => {
  assert.deepEqual(tokenize('  server  s1\t10.0.0.1:80 check # a comment'), { words: ['server', 's1', '10.0.0.1:80', 'check'] });
  assert.deepEqual(tokenize('reqrep ^Host:\\ www\\.old\\.com  Host:\\ new'), { words: ['reqrep', '^Host: www\\.old\\.com', 'Host: new'] });
  assert.deepEqual(tokenize('stats realm HAProxy\\ Statistics'), { words: ['stats', 'realm', 'HAProxy Statistics'] });
  assert.deepEqual(tokenize(`x "a b#c" 'it''s' "q\\"uote" \\#not-comment`), { words: ['x', 'a b#c', 'its', 'q"uote', '#not-comment'] });
  assert.deepEqual(tokenize('option httpchk GET / HTTP/1.0\\r\\nHost:\\ a'), { words: ['option', 'httpchk', 'GET', '/', 'HTTP/1.0\r\nHost: a'] });
  assert.deepEqual(tokenize('x \\x41\\x4a'), { words: ['x', 'AJ'] });
  const env = { PORT: '8080', HOST: '10.0.0.1' };
  assert.deepEqual(tokenize('bind "${HOST}:$PORT" \'${HOST}\' ${HOST}', env), { words: ['bind', '10.0.0.1:8080', '${HOST}', '${HOST}'] }, 'expanded in double quotes only');
  assert.deepEqual(tokenize('x "${NOPE-dflt}" "${NOPE}"', env), { words: ['x', 'dflt', ''] });
  assert.deepEqual(tokenize('x ""'), { words: ['x', ''] });
  assert.ok('error' in tokenize('x "open'));
  assert.ok('error' in tokenize("x 'open"));
});

test('sections: keywords open sections, 1.5 addresses stay on the header, foreign sections and stray lines are kept apart', () => {
  const p = parseSections('# top\nmaxconn 1\nglobal\n  maxconn 10\nlisten web :80\n  server a 1.2.3.4:80\ncache c\n  total-max-size 4\n', 'f.cfg');
  assert.deepEqual(p.sections.map((s) => [s.kind, s.keyword, s.name, s.directives.length]), [['global', 'global', '', 1], ['listen', 'listen', 'web', 1], ['foreign', 'cache', 'c', 1]]);
  assert.deepEqual(p.errors.map((e) => [e.directive.line, e.reason]), [[2, 'outside of any section']]);
});

test('bad input never crashes: every unreadable line is a leftover with its line number', () => {
  const garbage = ['global', '  maxconn "unterminated', 'frontend', '  bind', '  bind :::::', '  use_backend', '  acl', '  acl x', '  http-request', '  redirect', '  default_backend', 'backend', '  server', '  server x', '  server x y:z', '  balance', '  timeout', '  timeout connect', '  cookie', '  option', '  stats', '  http-check expect', '\u0000\u0001 \uffff', 'listen l 1.2.3.4:99999'].join('\n');
  const r = importHaproxy({ file: 'bad.cfg', text: garbage });
  assert.ok(r.leftovers.length >= 15, r.leftovers.map((l) => `${l.line} ${l.reason}`).join('\n'));
  assert.equal(leftAt(r, 2), 'cannot read this line: unterminated double quote');
  for (let seed = 1; seed <= 200; seed++) {
    // random words from HAProxy's vocabulary in random order: must never throw
    const words = ['frontend', 'backend', 'listen', 'defaults', 'bind', 'server', 'acl', 'if', 'unless', '{', '}', '!', '||', 'use_backend', 'http-request', 'deny', 'redirect', 'scheme', 'ssl', 'crt', 'check', 'option', 'httpchk', 'cookie', 'timeout', 'balance', ':80', 'a', '"', '\\'];
    let x = seed;
    const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31), x);
    const lines = Array.from({ length: 30 }, () => Array.from({ length: rnd() % 7 }, () => words[rnd() % words.length]).join(' '));
    try {
      importHaproxy({ file: 'fuzz.cfg', text: lines.join('\n') });
    } catch (err) {
      assert.ok(isLbaError(err, ImportNothing), String(err));
    }
  }
});

test('defaults: a proxy takes the last defaults above it, or the one named with from; one shared defaults is written once', () => {
  const one = imp('defaults\n mode http\n timeout connect 5s\n timeout client 30s\n balance leastconn\nfrontend f\n bind :80\n timeout client 10s\n default_backend b\nbackend b\n server s 10.0.0.1:80\n');
  assert.deepEqual(one.y.defaults, { mode: 'http', balance: 'leastconn', timeout: { connect: '5s', client: '30s' } });
  assert.deepEqual(one.y.frontends.f.timeout, { client: '10s' }, 'only the override is written');
  assert.equal(one.y.backends.b.balance, undefined, 'inherited from defaults');

  const two = imp('defaults web\n mode http\n timeout client 1m\ndefaults tcp\n mode tcp\nfrontend f from web\n bind :80\n default_backend b\nbackend b\n server s 10.0.0.1:80\nlisten l\n bind :81\n server s 10.0.0.2:81\n');
  assert.equal(two.y.defaults, undefined, 'two defaults in use: written into each proxy');
  assert.equal(two.y.frontends.f.mode, 'http');
  assert.deepEqual(two.y.frontends.f.timeout, { client: '1m' });
  assert.equal(two.y.backends.b.mode, 'tcp', 'the last defaults above it');
  assert.equal(two.y.listen.l.mode, 'tcp');
  assert.equal(two.y.frontends.f.bind, '*:80');
  assert.equal(two.leftovers.length, 0, two.reasons.join('\n'));

  const none = imp('frontend f\n bind :80\n default_backend b\nbackend b\n server s 10.0.0.1:80\n');
  assert.equal(none.y.frontends.f.mode, 'tcp', "HAProxy's default mode is tcp, lbagent's http: written out");
  const reset = imp('defaults\n mode http\n option redispatch\ndefaults\n mode http\nbackend b\n server s 10.0.0.1:80\nfrontend f\n bind :80\n default_backend b\n');
  assert.equal(reset.y.defaults.redispatch, undefined, 'a new anonymous defaults section starts afresh');
  const unknown = imp('backend b from nope\n server s 10.0.0.1:80\nfrontend f\n bind :80\n default_backend b\n');
  assert.match(leftAt(unknown, 1)!, /defaults 'nope' is not defined/);
});

test('bind and frontend lines: 1.5 addresses, lists, ranges, options lbagent lacks', () => {
  const r = imp('frontend old 127.0.0.1:8080\n default_backend b\nfrontend f\n bind 10.0.0.1:80,:81 name x\n bind ipv6@[::1]:82\n bind :90-91 accept-proxy\n bind /run/x.sock\n default_backend b\nbackend b\n');
  assert.equal(r.y.frontends.old.bind, '127.0.0.1:8080');
  assert.deepEqual(r.y.frontends.f.bind, ['10.0.0.1:80', '*:81', '[::1]:82', '*:90', '*:91']);
  assert.match(leftAt(r, 6)!, /accept-proxy/);
  assert.match(leftAt(r, 7)!, /not a TCP address/);
  assert.equal(leftAt(r, 4), undefined);
});

test('TLS binds: ssl crt carried (crt-base), a frontend mixing TLS and clear binds becomes two, ssl_fc folds, h2 and missing certificates listed', (t) => {
  if (!needTool(t, 'openssl')) return;
  const ca = makeCa('import test', t);
  ca.issue('www', join(ca.dir, 'www.pem'));
  const text = [
    'global', ` crt-base ${ca.dir}`, ' ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets',
    'defaults', ' mode http',
    'frontend pub', ' bind :80', ' bind :443 ssl crt www.pem alpn h2,http/1.1',
    ' http-request redirect scheme https code 301 if !{ ssl_fc }', ' http-request set-header X-Tls yes if { ssl_fc }', ' default_backend b',
    'frontend gone', ' bind :8443 ssl crt missing.pem', ' default_backend b',
    'backend b', ' server s 10.0.0.1:80',
  ].join('\n');
  const r = imp(text);
  assert.equal(r.y.frontends.pub.bind, '*:80');
  assert.deepEqual(r.y.frontends.pub['http-request'], [{ redirect: { scheme: 'https', code: 301 } }], 'on the clear binds ssl_fc is false: always redirect');
  assert.deepEqual(r.y.frontends['pub-tls'].ssl, { crt: join(ca.dir, 'www.pem'), alpn: ['http/1.1'], min_version: 'TLSv1.2' });
  assert.deepEqual(r.y.frontends['pub-tls']['http-request'], [{ 'set-header': { name: 'X-Tls', value: 'yes' } }]);
  assert.match(leftAt(r, 8)!, /alpn h2,http\/1\.1 \(lbagent speaks HTTP\/1\.1 only/);
  assert.match(leftAt(r, 13)!, /TLS bind \*:8443 left out: certificate '.*missing\.pem' not found/);
  assert.match(leftAt(r, 3)!, /no-tls-tickets/);
  assert.equal(r.y.frontends.gone, undefined, 'no address left: the frontend is left out');
  assert.match(leftAt(r, 12)!, /frontend 'gone' has no address lbagent can listen on/);
});

test('servers and default-server: options carried, the ones lbagent lacks named, TLS per backend', () => {
  const r = imp([
    'defaults', ' default-server inter 3s fall 3 rise 2',
    'backend b', ' default-server weight 5', ' server a 10.0.0.1:80 check inter 1000 weight 10 backup maxconn 100 port 8081',
    ' server b host.example:80 check slowstart 30s fastinter 1s', ' server c 10.0.0.3', ' server d ::1:80', ' server e 10.0.0.5:+1',
    'backend t', ' server x 10.0.0.1:443 ssl verify none sni str(api.internal) ca-file /etc/ca.pem', ' server y 10.0.0.2:443',
    'frontend f', ' bind :80', ' default_backend b',
  ].join('\n'));
  const servers = r.y.backends.b.servers;
  assert.deepEqual(servers[0], { name: 'a', addr: '10.0.0.1:80', inter: 1000, fall: 3, rise: 2, weight: 10, check: true, backup: true, maxconn: 100, port: 8081 });
  assert.equal(servers[1].addr, 'host.example:80');
  assert.equal(servers[1].slowstart, '30s');
  assert.match(leftAt(r, 6)!, /: fastinter 1s \(the rest is carried over\)/);
  assert.match(leftAt(r, 7)!, /has no port/);
  assert.equal(servers[2].addr, '[::1]:80');
  assert.match(leftAt(r, 9)!, /offsets and ranges/);
  assert.deepEqual(r.y.backends.t.server_ssl, { verify: 'none', sni: 'api.internal' });
  assert.match(leftAt(r, 11)!, /ca-file '\/etc\/ca\.pem' not found/);
  assert.match(leftAt(r, 12)!, /TLS to servers is set per backend .* plain TCP/);
});

test('timeouts (units, 1.x names), maxconn, retries, mode and the balance algorithms', () => {
  const r = imp([
    'global', ' maxconn 5000', ' nbthread 4',
    'defaults', ' mode http', ' contimeout 5000', ' timeout client 1m', ' timeout tunnel 1h', ' timeout client-fin 1s', ' timeout server 2x',
    'frontend f', ' bind :80', ' maxconn 100', ' default_backend rr',
    ...['roundrobin', 'static-rr', 'leastconn', 'source', 'random', 'random(3)', 'uri whole', 'first', 'url_param id', 'hdr(host)', 'rdp-cookie', 'hash path'].flatMap((b, i) => [`backend b${i}`, ` balance ${b}`]),
    'backend rr', ' retries 5', ' mode health',
  ].join('\n'));
  assert.deepEqual(r.y.global, { maxconn: 5000, workers: 4 });
  assert.deepEqual(r.y.defaults.timeout, { connect: 5000, client: '1m', tunnel: '1h' });
  assert.match(leftAt(r, 9)!, /timeout client-fin has no lbagent equivalent/);
  assert.match(leftAt(r, 10)!, /not a duration/);
  assert.equal(r.y.frontends.f.maxconn, 100);
  const balances = Array.from({ length: 12 }, (_, i) => r.y.backends[`b${i}`].balance);
  assert.deepEqual(balances, ['roundrobin', 'static-rr', 'leastconn', 'source', 'random', 'random(3)', 'uri whole', undefined, undefined, undefined, undefined, undefined]);
  const lacking = r.leftovers.filter((l) => /lbagent lacks it/.test(l.reason)).map((l) => l.text);
  assert.deepEqual(lacking, ['balance first', 'balance url_param id', 'balance hdr(host)', 'balance rdp-cookie', 'balance hash path']);
  assert.equal(r.y.backends.rr.retries, 5);
  assert.match(r.reasons.join('\n'), /mode 'health' has no lbagent equivalent/);
});

test('ACLs and conditions: each fetch lbagent has, -i and -m, anonymous ACLs, OR and negation, repeated names ORed', () => {
  const r = imp([
    'defaults', ' mode http',
    'frontend f', ' bind :80', ' default_backend b',
    ' acl h hdr(host) -i www.example.com', ' acl h hdr(host) -i example.com', ' acl d hdr_dom(host) -i example.org', ' acl hb hdr_beg(host) -i img',
    ' acl pb path_beg /api', ' acl pe path_end .jpg', ' acl p path -i /Login', ' acl pr path_reg ^/v[0-9]+/', ' acl ps path_sub admin',
    ' acl m method get post', ' acl s src 10.0.0.0/8 ::1', ' acl x hdr(X-Debug) -m found', ' acl xv hdr(X-Env) prod', ' acl ub url_beg /static',
    ' acl q url_param(id) 1', ' acl f src -f /etc/haproxy/allow.lst', ' acl twice path_beg /a', ' acl twice method GET',
    ' use_backend b if pb !s || d', ' use_backend b if { path_beg /img /css }', ' use_backend b if { path_beg /x } m', ' use_backend b if q',
    ' http-request deny if TRUE', ' http-request deny if FALSE', ' http-request deny unless LOCALHOST',
    'backend b', ' server s 10.0.0.1:80',
  ].join('\n'));
  const acl = r.y.frontends.f.acl;
  assert.deepEqual(acl.h, { host: ['www.example.com', 'example.com'] });
  assert.deepEqual(acl.d, { hdr_dom: ['example.org'] });
  assert.deepEqual(acl.hb, { hdr_reg: { name: 'host', regex: '(?i)^img' } });
  assert.deepEqual(acl.pb, { path_beg: ['/api'] });
  assert.deepEqual(acl.pe, { path_end: ['.jpg'] });
  assert.deepEqual(acl.p, { path_reg: '(?i)^\\/Login$' });
  assert.deepEqual(acl.pr, { path_reg: '^/v[0-9]+/' });
  assert.deepEqual(acl.ps, { path_reg: 'admin' });
  assert.deepEqual(acl.m, { method: ['GET', 'POST'] });
  assert.deepEqual(acl.s, { src: ['10.0.0.0/8', '::1'] });
  assert.deepEqual(acl.x, { hdr: { name: 'X-Debug' } });
  assert.deepEqual(acl.xv, { hdr: { name: 'X-Env', value: ['prod'] } });
  assert.deepEqual(acl.ub, { path_beg: ['/static'] });
  assert.match(leftAt(r, 20)!, /fetch 'url_param\(id\)' has no lbagent equivalent/);
  assert.match(leftAt(r, 21)!, /patterns read from a file/);
  assert.match(leftAt(r, 23)!, /defined again with another fetch/);
  const ub = r.y.frontends.f.use_backend;
  assert.deepEqual(ub[0], { backend: 'b', if: 'pb !s || d' });
  assert.deepEqual(ub[1], { backend: 'b', if: { path_beg: ['/img', '/css'] } }, 'one anonymous ACL stays inline');
  assert.match(ub[2].if, /^anon_1 m$/, 'an anonymous ACL among others gets a name');
  assert.deepEqual(acl.anon_1, { path_beg: ['/x'] });
  assert.match(leftAt(r, 27)!, /condition is not carried over: ACL 'q'/);
  assert.deepEqual(r.y.frontends.f['http-request'], [{ deny: {} }, { deny: {}, unless: 'LOCALHOST' }], "'if TRUE' always applies, 'if FALSE' never (dropped with a note)");
  assert.deepEqual(acl.LOCALHOST, { src: ['127.0.0.1/8'] }, "HAProxy's predefined ACLs are written out");
  assert.ok(r.notes.some((n) => n.line === 29 && /can never hold/.test(n.reason)));
});

test('HTTP rules: http-request/http-response header actions, deny, redirect, and the 1.x header regexes', () => {
  const r = imp([
    'defaults', ' mode http',
    'frontend f', ' bind :80', ' default_backend b', ' acl api path_beg /api',
    ' http-request set-header X-Client %[src]:%[dst_port]', ' http-request add-header X-A "a b"', ' http-request del-header X-B if api',
    ' http-request deny deny_status 429 if api', ' http-request redirect location https://x.example%[path] code 308',
    ' http-request set-header X-Ci %ci', ' http-request set-header X-Fancy %[ssl_fc_sni]', ' http-request del-header Cookie -m sub session',
    ' http-response del-header Server', ' http-response set-header X-Frame-Options DENY', ' http-response replace-header Set-Cookie (.*) \\1;\\ Secure',
    ' redirect scheme https if !api', ' redirect prefix /new drop-query',
    ' reqadd X-Proto:\\ http', ' reqidel ^X-Debug:.*', ' reqdel ^Referer:', ' reqrep ^Host:\\ .* Host:\\ internal.example', ' reqirep ^([^\\ ]*)\\ /old/(.*) \\1\\ /new/\\2',
    ' rspidel ^Server:', ' rspidel ^Set-cookie:\\ IP=', ' rspadd Strict-Transport-Security:\\ max-age=3600', ' rsprep ^Location:\\ http://(.*) Location:\\ https://\\1',
    ' reqdeny ^User-Agent:\\ bad', ' block if api',
    'backend b', ' server s 10.0.0.1:80',
  ].join('\n'));
  const fe = r.y.frontends.f;
  assert.deepEqual(fe['http-request'], [
    { 'set-header': { name: 'X-Client', value: '%[src]:%[dst_port]' } },
    { 'add-header': { name: 'X-A', value: 'a b' } },
    { 'del-header': { name: 'X-B' }, if: 'api' },
    { deny: { status: 429 }, if: 'api' },
    { redirect: { location: 'https://x.example%[path]', code: 308 } },
    { redirect: { scheme: 'https' }, if: '!api' },
    { 'add-header': { name: 'X-Proto', value: 'http' } },
    { 'del-header': { name: 'X-Debug' } },
    { 'del-header': { name: 'Referer' } },
    { 'replace-header': { name: 'Host', regex: '^.*$', replace: 'internal.example' } },
    { deny: {}, if: 'api' },
  ]);
  assert.deepEqual(fe['http-response'], [
    { 'del-header': { name: 'Server' } },
    { 'set-header': { name: 'X-Frame-Options', value: 'DENY' } },
    { 'replace-header': { name: 'Set-Cookie', regex: '(.*)', replace: '\\1; Secure' } },
    { 'del-header': { name: 'Server' } },
    { 'del-header': { name: 'Set-cookie', value: { reg: '(?i)^IP=' } } },
    { 'add-header': { name: 'Strict-Transport-Security', value: 'max-age=3600' } },
    { 'replace-header': { name: 'Location', regex: '^http://(.*)', replace: 'https://\\1' } },
  ]);
  assert.match(leftAt(r, 12)!, /log-format variable '%c'/);
  assert.match(leftAt(r, 13)!, /unsupported sample fetch %\[ssl_fc_sni\]/);
  assert.match(leftAt(r, 14)!, /HAProxy's -m matches the header name and takes no value \(HAProxy 2\.6 refuses this line\)/);
  assert.match(leftAt(r, 19)!, /drop-query/);
  assert.match(leftAt(r, 24)!, /reqirep .*: it does not start with \^Name: .*not on the request line \(removed in HAProxy 2\.1\)/);
  assert.match(leftAt(r, 29)!, /reqdeny has no lbagent equivalent/);
  assert.equal(r.leftovers.length, 6, r.reasons.join('\n'));
});

test('HTTP rules: del-header -m on names, replace-value, and 1.x regexes that cannot read the same on a value', () => {
  const r = imp([
    'defaults', ' mode http',
    'frontend f', ' bind :80', ' default_backend b',
    ' http-request del-header X-Internal- -m beg', ' http-request del-header ^x-tmp-[0-9]+$ -m reg if { path_beg /a }', ' http-request del-header X-A -m str',
    ' http-request replace-value X-Forwarded-For ^192\\.168\\.(.*)$ 172.16.\\1', ' http-request replace-header X-A (?=x) y', ' http-request del-header X -m glob',
    ' reqidel ^X-A:\\ one|two', ' reqrep ^Host:\\ (.*) X-Host:\\ \\1', ' rspidel ^Set-Cookie:IP=', ' reqdel ^X-Debug:\\ (on|yes)$',
    'backend b', ' server s 10.0.0.1:80',
  ].join('\n'));
  assert.deepEqual(r.y.frontends.f['http-request'], [
    { 'del-header': { name: 'X-Internal-', match: 'beg' } },
    { 'del-header': { name: '^x-tmp-[0-9]+$', match: 'reg' }, if: { path_beg: ['/a'] } },
    { 'del-header': { name: 'X-A' } },
    { 'replace-value': { name: 'X-Forwarded-For', regex: '^192\\.168\\.(.*)$', replace: '172.16.\\1' } },
    { 'del-header': { name: 'X-Debug', value: { reg: '^(on|yes)$' } } },
  ]);
  assert.match(leftAt(r, 10)!, /does not compile in RE2/);
  assert.match(leftAt(r, 11)!, /del-header -m 'glob'/);
  assert.match(leftAt(r, 12)!, /top-level '\|'/);
  assert.match(leftAt(r, 13)!, /turns Host into 'X-Host: \\1': lbagent's replace-header keeps the header's name/);
  assert.match(leftAt(r, 14)!, /does not start with the space before the value/);
});

test("a backend's HTTP rules and forwardfor move to the frontends that reach only it; elsewhere they are listed", () => {
  const r = imp([
    'defaults', ' mode http',
    'frontend only', ' bind :80', ' default_backend b',
    'frontend routed', ' bind :81', ' use_backend c if { path_beg /c }', ' default_backend d',
    'backend b', ' acl get method GET', ' http-request deny unless get', ' option forwardfor', ' http-response del-header Server', ' server s 10.0.0.1:80',
    'backend c', ' http-request set-header X-C 1', ' server s 10.0.0.2:80',
    'backend d', ' server s 10.0.0.3:80',
  ].join('\n'));
  assert.deepEqual(r.y.frontends.only.acl, { get: { method: ['GET'] } });
  assert.deepEqual(r.y.frontends.only['http-request'], [{ deny: {}, unless: 'get' }]);
  assert.deepEqual(r.y.frontends.only['http-response'], [{ 'del-header': { name: 'Server' } }]);
  assert.equal(r.y.frontends.only.forwardfor, true);
  assert.ok(r.notes.some((n) => n.line === 11 && /moved to frontend 'only'/.test(n.reason)));
  assert.equal(leftAt(r, 17), undefined, 'a backend reached by other routes keeps its rules itself');
  assert.deepEqual(r.y.backends.c['http-request'], [{ 'set-header': { name: 'X-C', value: '1' } }]);
  assert.equal(r.y.frontends.routed['http-request'], undefined);
  const o = imp([
    'defaults', ' mode http',
    'frontend a', ' bind :80', ' use_backend b if { path_beg /b }', ' default_backend d',
    'backend b', ' acl tls ssl_fc', ' option forwardfor', ' acl post method POST', ' http-request deny if post', ' http-request set-header X-TLS 1 if tls', ' server s 10.0.0.1:80',
    'backend d', ' server s 10.0.0.3:80',
  ].join('\n'));
  assert.deepEqual(o.y.backends.b.acl, { post: { method: ['POST'] } });
  assert.deepEqual(o.y.backends.b['http-request'], [{ deny: {}, if: 'post' }]);
  assert.match(leftAt(o, 8)!, /ssl_fc in a backend/);
  assert.match(leftAt(o, 9)!, /forwardfor on frontends only/);
  assert.match(leftAt(o, 12)!, /ACL 'tls'/);
});

test("health checks: option httpchk (1.x request line with headers), http-check send/expect, tcp-check, other kinds fall back to TCP", () => {
  const r = imp([
    'backend a', ' option httpchk GET /health HTTP/1.0\\r\\nHost:\\ www.example.com\\r\\nUser-Agent:\\ hc', ' http-check expect status 200-399', ' server s 10.0.0.1:80 check',
    'backend b', ' option httpchk /ping', ' http-check expect string ready.', ' http-check disable-on-404', ' server s 10.0.0.1:80 check',
    'backend c', ' option httpchk', ' http-check send meth HEAD uri /hc ver HTTP/1.1 hdr Host c.example', ' http-check expect ! status 500', ' server s 10.0.0.1:80 check',
    'backend d', ' option tcp-check', ' tcp-check connect', ' tcp-check send PING\\r\\n', ' tcp-check expect string +PONG', ' server s 10.0.0.1:6379 check',
    'backend e', ' option mysql-check user haproxy', ' server s 10.0.0.1:3306 check',
    'frontend f', ' bind :80', ' default_backend a',
  ].join('\n'));
  const be = r.y.backends;
  assert.deepEqual(be.a.check, { type: 'http', method: 'GET', path: '/health', host: 'www.example.com', status: '200-399' });
  assert.match(leftAt(r, 2)!, /check header 'User-Agent: hc'/);
  assert.deepEqual(be.b.check, { type: 'http', method: 'OPTIONS', path: '/ping', body: 'ready\\.' });
  assert.match(leftAt(r, 8)!, /404/);
  assert.deepEqual(be.c.check, { type: 'http', method: 'HEAD', path: '/hc', host: 'c.example' });
  assert.match(leftAt(r, 13)!, /negated expect/);
  assert.deepEqual(be.d.check, { type: 'tcp-expect', send: 'PING\r\n', expect: '\\+PONG' });
  assert.equal(be.e.check, undefined);
  assert.match(leftAt(r, 22)!, /TCP connect instead/);
});

test('options, cookie, stats, log and the sections lbagent has nothing for', () => {
  const r = imp([
    'defaults', ' mode http', ' log global', ' option httplog', ' option dontlognull', ' option redispatch', ' option httpclose', ' option http-server-close', ' option forwardfor except 127.0.0.0/8 header X-Real-IP',
    'frontend f', ' bind :80', ' stats uri /stats', ' default_backend b',
    'backend b', ' cookie SRV insert indirect nocache httponly domain .example.com maxidle 30m', ' no option redispatch', ' server s1 10.0.0.1:80 cookie s1',
    'backend passive', ' cookie JSESSIONID prefix', ' server s 10.0.0.1:80',
    'backend p2', ' cookie JSESSIONID', ' server s 10.0.0.1:80',
    'listen stats', ' bind 127.0.0.1:8404', ' stats enable', ' stats uri /', ' stats auth a:b', ' stats auth c:d', ' stats refresh 5s', ' stats admin if TRUE', ' timeout client 10s',
    'listen stats2', ' bind :8405', ' stats enable',
    'userlist users', ' user u insecure-password p',
  ].join('\n'));
  assert.deepEqual(r.y.defaults, { mode: 'http', redispatch: true, forwardfor: { except: '127.0.0.0/8' }, 'http-server-close': true, log: 'global', httplog: true, dontlognull: true }, 'the last connection option wins, as in HAProxy');
  for (const line of [3, 4, 5]) assert.equal(leftAt(r, line), undefined, `line ${line} carried over`);
  assert.equal(leftAt(r, 7), undefined, 'option httpclose is carried over');
  assert.equal(leftAt(r, 8), undefined, 'option http-server-close too');
  assert.match(leftAt(r, 9)!, /header X-Real-IP/);
  assert.match(leftAt(r, 12)!, /stats page on an address of its own/);
  assert.deepEqual(r.y.backends.b.cookie, { name: 'SRV', mode: 'insert', indirect: true, nocache: true, attributes: ['HttpOnly', 'Domain=.example.com'] });
  assert.match(leftAt(r, 15)!, /maxidle 30m/);
  assert.equal(r.y.backends.b.redispatch, false);
  assert.deepEqual(r.y.backends.passive.cookie, { name: 'JSESSIONID', mode: 'prefix', indirect: false, nocache: false });
  assert.match(leftAt(r, 22)!, /passive cookie/);
  assert.deepEqual(r.y.stats, { bind: '127.0.0.1:8404', uri: '/', auth: ['a:b', 'c:d'], refresh: '5s' });
  assert.match(leftAt(r, 31)!, /read-only/);
  assert.match(leftAt(r, 32)!, /no settings of its own/);
  assert.match(leftAt(r, 35)!, /one stats page/);
  assert.equal(r.y.listen, undefined);
  assert.match(leftAt(r, 36)!, /'userlist' section has no lbagent equivalent/);
  assert.match(leftAt(r, 37)!, /'userlist' section/);
});

test('a frontend without default_backend gets an empty one (503, as HAProxy answers when nothing routes)', () => {
  const r = imp('defaults\n mode http\nfrontend f\n bind :80\n use_backend b if { path_beg /b }\nbackend b\n server s 10.0.0.1:80\n');
  assert.equal(r.y.frontends.f.default_backend, 'no-backend');
  assert.deepEqual(r.y.backends['no-backend'], { mode: 'http' });
  assert.ok(r.notes.some((n) => /503/.test(n.reason)));
});

test('--roles: backends the roles name are kept with no servers; roles: points at a file lbagent accepts, else says why', (t) => {
  const dir = tempDir(t, 'lbagent-import-roles-');
  const cfg = 'defaults\n mode http\nfrontend f\n bind :80\n default_backend webfarm\nbackend webfarm\n server s 10.0.0.1:80\n';
  const good = join(dir, 'roles.yml');
  writeFileSync(good, 'roles:\n  web: { lb: [webfarm] }\n  a: { lb: [service_a], monitor: [{ backend: webfarm }] }\n');
  const ok = importHaproxy({ file: 'x.cfg', text: cfg, roles: good, out: join(dir, 'lbagent.yml') });
  assert.equal(ok.config.roles, './roles.yml');
  assert.deepEqual((ok.config.backends as Y).service_a, { mode: 'http', servers: [] });
  assert.equal(ok.leftovers.length, 0);

  const serf = join(dir, 'role.yml');
  writeFileSync(serf, 'iis:\n  lb: [webfarm]\n  monitor: none\n  interval: 5s\nmongo:\n  lb: none\n  monitor: [mongo]\n');
  const r = importHaproxy({ file: 'x.cfg', text: cfg, roles: serf, out: join(dir, 'lbagent.yml') });
  assert.equal(r.config.roles, './role.yml', "the serf handler's layout is lbagent's too");
  assert.deepEqual(Object.keys(r.config.backends as Y), ['webfarm', 'mongo']);
  assert.equal(r.leftovers.length, 0);
  writeFileSync(serf, 'iis:\n  lb: [webfarm]\n  interval: soon\n');
  const bad = importHaproxy({ file: 'x.cfg', text: cfg, roles: serf, out: join(dir, 'lbagent.yml') });
  assert.equal(bad.config.roles, undefined);
  assert.match(bad.leftovers[0]!.reason, /does not accept this roles file \(1 error, the first: 'iis.interval' invalid duration 'soon'\)/);
  assert.equal(bad.leftovers[0]!.file, serf);

  const broken = join(dir, 'broken.yml');
  writeFileSync(broken, 'roles: [unclosed\n');
  const b = importHaproxy({ file: 'x.cfg', text: cfg, roles: broken });
  assert.match(b.leftovers[0]!.reason, /does not accept this roles file/, 'not YAML: a leftover, not a crash');
  assert.throws(() => importHaproxy({ file: 'x.cfg', text: cfg, roles: join(dir, 'missing.yml') }), (err) => isLbaError(err, ImportUnreadable));
});

test("with forwardfor, lbagent writes X-Forwarded-Proto itself: a 1.x reqadd of the same value is dropped, another listed", () => {
  const r = imp('defaults\n mode http\n option forwardfor\nfrontend f\n bind :80\n reqadd X-Forwarded-Proto:\\ http\n reqadd X-Forwarded-Proto:\\ https\n http-request set-header X-Forwarded-Host a\n default_backend b\nbackend b\n');
  assert.equal(r.y.frontends.f['http-request'], undefined);
  assert.ok(r.notes.some((n) => n.line === 6 && /lbagent adds X-Forwarded-Proto: http itself/.test(n.reason)));
  assert.match(leftAt(r, 7)!, /writes X-Forwarded-Proto itself/);
  assert.match(leftAt(r, 8)!, /writes X-Forwarded-Host itself/);
});

test("stats enable alone serves HAProxy's default URI; an unconditional use_backend is kept (first match wins)", () => {
  const r = imp('defaults\n mode http\nlisten s\n bind 127.0.0.1:8404\n stats enable\nfrontend f\n bind :80\n use_backend a\n default_backend b\nbackend a\nbackend b\n');
  assert.deepEqual(r.y.stats, { bind: '127.0.0.1:8404', uri: '/haproxy?stats' });
  assert.deepEqual(r.y.frontends.f.use_backend, [{ backend: 'a' }]);
  assert.equal(r.leftovers.length, 0, r.reasons.join('\n'));
});

test('X-Forwarded-Proto https set on TLS binds only (2.x habit) is what lbagent writes itself', (t) => {
  if (!needTool(t, 'openssl')) return;
  const ca = makeCa('import xfp', t);
  const pem = ca.issue('www', join(ca.dir, 'www.pem'));
  const r = imp(`defaults\n mode http\n option forwardfor\nfrontend f\n bind :80\n bind :443 ssl crt ${pem}\n http-request set-header X-Forwarded-Proto https if { ssl_fc }\n default_backend b\nbackend b\n`);
  assert.equal(r.y.frontends.f['http-request'], undefined);
  assert.equal(r.y.frontends['f-tls']['http-request'], undefined);
  assert.equal(r.leftovers.length, 0, r.reasons.join('\n'));
  assert.ok(r.notes.some((n) => n.line === 7), 'carried over with a note');
});

test('the access log: log targets, httplog/tcplog/dontlognull, log-format, unique ids and captures carry over', () => {
  const r = imp([
    'global', ' log 127.0.0.1:514 local0 info', ' log stdout format raw local1', ' log /dev/log local0', ' log-tag web',
    'defaults', ' mode http', ' log global', ' option httplog', ' option dontlognull', ' timeout client 5s',
    'frontend f', ' bind :80', ' capture request header Host len 32', ' capture response header Content-Type len 20', ' capture cookie SRV len 8',
    ' unique-id-format %{+X}o\\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid', ' unique-id-header X-Request-ID', ' default_backend b',
    'frontend g', ' bind :81', ' no log', ' log-format "%ci %{+Q}r %[src]"', ' default_backend b',
    'frontend t', ' bind :82', ' mode tcp', ' option tcplog', ' no option dontlognull', ' log 10.0.0.9 len 2048 format rfc5424 local2 notice', ' default_backend b',
    'backend b', ' option httplog', ' server s 10.0.0.1:80',
  ].join('\n'));
  assert.deepEqual(r.y.global.log, [{ target: '127.0.0.1:514', facility: 'local0', level: 'info' }, { target: 'stdout', format: 'raw', facility: 'local1' }]);
  assert.match(leftAt(r, 4)!, /UDP/);
  assert.match(leftAt(r, 5)!, /lbagent\[PID\]/);
  assert.deepEqual(r.y.defaults, { mode: 'http', log: 'global', httplog: true, dontlognull: true, timeout: { client: '5s' } });
  assert.deepEqual(r.y.frontends.f.capture, { request: [{ header: 'Host', len: 32 }], response: [{ header: 'Content-Type', len: 20 }] });
  assert.match(leftAt(r, 16)!, /capture cookie/);
  assert.equal(r.y.frontends.f.unique_id_format, '%{+X}o %ci:%cp_%fi:%fp_%Ts_%rt:%pid');
  assert.equal(r.y.frontends.f.unique_id_header, 'X-Request-ID');
  assert.equal(r.y.frontends.g.log, false);
  assert.match(leftAt(r, 23)!, /sample fetches/);
  assert.equal(r.y.frontends.t.tcplog, true);
  assert.equal(r.y.frontends.t.httplog, undefined, 'the last of httplog and tcplog wins');
  assert.equal(r.y.frontends.t.dontlognull, false);
  assert.equal(leftAt(r, 28), undefined);
  assert.match(leftAt(r, 30)!, /one or the other/, "a target beside the defaults' log global");
  assert.equal(leftAt(r, 33), undefined, 'option httplog in a backend: a note, as HAProxy ignores it');
  assert.ok(r.notes.some((n) => n.line === 33));
  const checked = parseMainConfig('imported.yml', r.yaml);
  assert.ok(checked.ok, checked.ok ? '' : checked.errors.map(formatConfigError).join('\n'));
});

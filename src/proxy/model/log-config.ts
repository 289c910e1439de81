// The access log's settings in lbagent.yml, in HAProxy's words: `log` targets (global, defaults, a frontend or
// listen), `httplog` / `tcplog` / `dontlognull` (HAProxy's options), `log_format`, `unique_id_format`,
// `unique_id_header` and `capture` (request and response headers), and what they resolve to for a frontend.
import { z } from 'zod';
import { oneOf } from '../../config/index.js';
import { hostPortProblem, parseHostPort } from '../../net/index.js';
import { compileLogFormat, HTTPLOG, TCPLOG, type LogFormat } from '../observe/log-format.js';
import { FACILITIES, SEVERITIES, type LogTargetDef } from '../observe/log-sink.js';

const strict = z.strictObject;

const TARGET_EXPECTED = 'stdout, stderr, or a syslog server as host[:port] (UDP, port 514 by default)';

/** `stdout`, `stderr`, `host[:port]`, `udp@host:port` (HAProxy's spellings); UDP port 514 by default. */
const target = z.string().transform((v, ctx): LogTargetDef['target'] => {
  const text = v.trim();
  if (text === 'stdout' || text === 'stderr') return { kind: text };
  const addr = text.replace(/^udp[46]?@/, '');
  const hp = /^(\/|unix@|ring@|fd@|tcp)/.test(addr) ? undefined : parseHostPort(addr, 514, '');
  if (!hp || hp.port === 0) {
    ctx.addIssue({ code: 'custom', message: hp ? `invalid log target '${v}': port 0` : /^(\/|unix@|ring@|fd@|tcp)/.test(addr) ? `log target '${v}' is not supported` : hostPortProblem(addr), params: { expected: TARGET_EXPECTED } });
    return z.NEVER;
  }
  return { kind: 'udp', host: hp.host, port: hp.port };
});

/** One HAProxy `log` line: `log 127.0.0.1:514 len 1024 format rfc5424 local0 info`. */
export const logTargetSchema = strict({
  target,
  facility: oneOf(FACILITIES).optional(),
  /** the most verbose level sent; access lines are `info` */
  level: oneOf(SEVERITIES).optional(),
  format: oneOf(['rfc3164', 'rfc5424', 'raw'] as const).optional(),
  len: z.number().int().min(80).max(65535).optional(),
});
export type LogTargetConfig = z.output<typeof logTargetSchema>;

/** A proxy's `log`: `global` (the global targets, HAProxy's `log global`), a list of targets, or `false` (`no log`). */
const LOG_EXPECTED = "'global', false, or a list of targets ({ target: 127.0.0.1:514, facility: local0 })";
// Each option a type of its own (no literals), so the config loader reports the issues of the one that fits.
export const proxyLogSchema = z.union([
  z.boolean().transform((v, ctx): false => {
    if (v) ctx.addIssue({ code: 'custom', message: 'invalid log true', params: { expected: LOG_EXPECTED } });
    return false;
  }),
  z.array(logTargetSchema),
  z.string().transform((v, ctx): 'global' => {
    if (v !== 'global') ctx.addIssue({ code: 'custom', message: `invalid log '${v}'`, params: { expected: LOG_EXPECTED } });
    return 'global';
  }),
]);

/** A log-format string, checked (unknown variables, bad flags) where it is written. */
const logFormat = z.string().superRefine((v, ctx) => {
  const r = compileLogFormat(v);
  if (!r.ok) ctx.addIssue({ code: 'custom', message: `${r.error} (at character ${r.offset + 1})`, params: { expected: r.expected } });
});

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not a header name');
const captureSchema = strict({ header: headerName, len: z.number().int().min(1).max(65535) });

/** Keys of defaults, frontends and listen. */
export const logKeys = {
  log: proxyLogSchema.optional(),
  /** `option httplog`: HAProxy's HTTP log format (in a TCP proxy, tcplog, as HAProxy falls back) */
  httplog: z.boolean().optional(),
  /** `option tcplog` */
  tcplog: z.boolean().optional(),
  /** `option dontlognull`: no line for a connection that sent nothing */
  dontlognull: z.boolean().optional(),
  log_format: logFormat.optional(),
  unique_id_format: logFormat.optional(),
  unique_id_header: headerName.optional(),
};

/** `capture request header NAME len N` / `capture response header NAME len N` (frontends and listen). */
export const captureKeys = {
  capture: strict({ request: z.array(captureSchema).optional(), response: z.array(captureSchema).optional() }).optional(),
};

/** `global.log`: the process's targets, which proxies use unless they say otherwise. */
export const globalLogKeys = { log: z.array(logTargetSchema).optional() };

export interface Capture {
  /** lower case */
  name: string;
  len: number;
}

/** The access log of a frontend, resolved from its keys, the defaults and global. */
export interface AccessLogDef {
  /** false: `log: false` (HAProxy's `no log`): no line at all */
  enabled: boolean;
  /** where text lines go; none: the JSON access log (pino) */
  targets: LogTargetDef[];
  format: LogFormat;
  dontlognull: boolean;
  uniqueId?: { format: LogFormat; header?: string };
  captures: { request: Capture[]; response: Capture[] };
  /** a format writes the frontend's address (%fi, %fp) */
  usesLocal: boolean;
}

type LogLayer = { [K in keyof typeof logKeys]?: z.output<(typeof logKeys)[K]> } & { capture?: z.output<typeof captureKeys.capture> };

function resolveTarget(t: LogTargetConfig): LogTargetDef {
  return {
    target: t.target,
    facility: FACILITIES.indexOf(t.facility ?? 'local0'),
    level: SEVERITIES.indexOf(t.level ?? 'debug'),
    format: t.format ?? 'rfc3164',
    len: t.len ?? 1024,
  };
}

const compiled = (text: string): LogFormat => {
  const r = compileLogFormat(text);
  if (!r.ok) throw new Error(r.error); // the schema refused it already
  return r.format;
};

/** The line's format: the frontend's own choice, else the defaults' (HAProxy: the last one written wins). */
function lineFormat(mode: 'http' | 'tcp', fe: LogLayer, d: LogLayer): LogFormat {
  if (fe.log_format !== undefined) return compiled(fe.log_format);
  const ownOption = fe.httplog !== undefined || fe.tcplog !== undefined;
  if (!ownOption && d.log_format !== undefined) return compiled(d.log_format);
  const tcplog = ownOption ? fe.tcplog : d.tcplog;
  return mode === 'tcp' || tcplog ? TCPLOG : HTTPLOG;
}

/**
 * A frontend's access log. Unlike HAProxy, a proxy without `log` uses the global targets (as if `log global` were
 * written), and one without any target writes the JSON access log. The line's format: `log_format`, else
 * tcplog in a TCP proxy (also with `httplog`, as HAProxy falls back) or when `tcplog` is set, else httplog.
 */
export function resolveAccessLog(mode: 'http' | 'tcp', fe: LogLayer, d: LogLayer, globalTargets: LogTargetConfig[] | undefined): AccessLogDef {
  const log = fe.log ?? d.log ?? 'global';
  const targets = log === false ? [] : log === 'global' ? (globalTargets ?? []) : log;
  const format = lineFormat(mode, fe, d);
  const uidFormat = fe.unique_id_format ?? d.unique_id_format;
  const uniqueId = uidFormat !== undefined ? { format: compiled(uidFormat), header: fe.unique_id_header ?? d.unique_id_header } : undefined;
  const lower = (c: { header: string; len: number }): Capture => ({ name: c.header.toLowerCase(), len: c.len });
  return {
    enabled: log !== false,
    targets: targets.map(resolveTarget),
    format,
    dontlognull: fe.dontlognull ?? d.dontlognull ?? false,
    uniqueId,
    usesLocal: format.usesLocal || (uniqueId?.format.usesLocal ?? false),
    captures: { request: (fe.capture?.request ?? []).map(lower), response: (fe.capture?.response ?? []).map(lower) },
  };
}

// TLS in HAProxy's terms: `bind … ssl crt FILE|DIR alpn … ssl-min-ver …` on frontends (certificates chosen by
// SNI, reloadable in place) and `server … ssl verify none|required ca-file … sni …` towards servers.
import { createSecureContext, type ConnectionOptions, type SecureContext } from 'node:tls';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { isIP as netIsIP } from 'node:net';
import { z } from 'zod';
import { oneOf } from '../../config/index.js';
import { BadCertificate, errorMessage, NoCertificate } from '../../errors/index.js';


export const bindSslSchema = z.strictObject({
  /** a PEM with certificate + key (+ chain), or a directory of them (chosen by SNI) */
  crt: z.string().min(1),
  /** with a directory: the file served when SNI matches nothing (default: the first file) */
  default_crt: z.string().min(1).optional(),
  alpn: z.array(z.string().min(1)).default(['http/1.1']),
  min_version: oneOf(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const).default('TLSv1.2'),
  ciphers: z.string().optional(),
});
export type BindSsl = z.output<typeof bindSslSchema>;

export const serverSslSchema = z.strictObject({
  verify: oneOf(['none', 'required'] as const).default('required'),
  ca_file: z.string().min(1).optional(),
  /** SNI to send; default: the server address when it is a host name */
  sni: z.string().min(1).optional(),
});
export type ServerSsl = z.output<typeof serverSslSchema>;

/** Certificates of one TLS bind: a default context and the names each certificate covers. */
export interface CertStore {
  default: SecureContext;
  /** exact names first, then "*.domain" wildcards */
  byName: Map<string, SecureContext>;
  files: string[];
  /** the PEM served without SNI or when no name matches */
  defaultFile: string;
}

function pemFiles(crt: string): string[] {
  if (statSync(crt).isDirectory()) {
    return readdirSync(crt)
      .filter((f) => /\.(pem|crt)$/i.test(f))
      .sort()
      .map((f) => join(crt, f));
  }
  return [crt];
}

/** Names a certificate covers: its DNS subjectAltNames, else its CN. */
function namesOf(pem: string): string[] {
  const cert = new X509Certificate(pem);
  const san = (cert.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase());
  if (san.length) return san;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn ? [cn.toLowerCase()] : [];
}

/** Read the PEMs of a bind; throws with the file name on an unreadable or invalid one. */
export function loadCertStore(ssl: BindSsl): CertStore {
  const files = pemFiles(ssl.crt);
  if (files.length === 0) throw new NoCertificate(ssl.crt);
  const byName = new Map<string, SecureContext>();
  let first: SecureContext | undefined;
  let fallback: SecureContext | undefined;
  let fallbackFile: string | undefined;
  for (const file of files) {
    const pem = readFileSync(file, 'utf8');
    let ctx: SecureContext;
    try {
      ctx = createSecureContext({ cert: pem, key: pem, minVersion: ssl.min_version, ciphers: ssl.ciphers });
    } catch (err) {
      throw new BadCertificate(file, errorMessage(err));
    }
    first ??= ctx;
    if (ssl.default_crt && (file === ssl.default_crt || file.endsWith(`/${ssl.default_crt}`))) {
      fallback = ctx;
      fallbackFile = file;
    }
    for (const n of namesOf(pem)) if (!byName.has(n)) byName.set(n, ctx);
  }
  return { default: fallback ?? first!, byName, files, defaultFile: fallbackFile ?? files[0]! };
}

export function contextFor(store: CertStore, servername: string | undefined): SecureContext {
  if (!servername) return store.default;
  const name = servername.toLowerCase();
  const exact = store.byName.get(name);
  if (exact) return exact;
  const dot = name.indexOf('.');
  return (dot > 0 && store.byName.get(`*${name.slice(dot)}`)) || store.default;
}

/** node:tls options for a connection to a server (traffic and health checks alike). */
export function serverTlsOptions(ssl: ServerSsl, addr: string): ConnectionOptions {
  return {
    rejectUnauthorized: ssl.verify === 'required',
    ca: ssl.ca_file ? readFileSync(ssl.ca_file) : undefined,
    servername: ssl.sni ?? (netIsIP(addr) ? undefined : addr),
    ALPNProtocols: ['http/1.1'],
  };
}

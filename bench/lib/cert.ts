// One self-signed certificate and its key in one PEM (as HAProxy's `crt` and lbagent's `ssl.crt` take it), made with openssl.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function selfSignedPem(dir: string, name = 'bench.pem'): string {
  const pem = join(dir, name);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${pem}.key`, '-out', `${pem}.crt`, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  writeFileSync(pem, readFileSync(`${pem}.crt`, 'utf8') + readFileSync(`${pem}.key`, 'utf8'));
  return pem;
}

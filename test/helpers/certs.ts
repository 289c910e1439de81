// Test certificates made with Debian's openssl: a CA and leaf certificates for given names, as PEM files.
// Tests call `needTool(t, 'openssl')` first (skipped without openssl locally, failed under CI); makeCa itself throws
// with the install hint rather than `spawnSync openssl ENOENT`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempDir } from './tmp.js';
import { requireTool } from './tools.js';

export interface Ca {
  dir: string;
  caFile: string;
  /** leaf certificate + key in one PEM (HAProxy's crt format); returns its path */
  issue(name: string, file?: string): string;
}

/** `owner` (a test context): its directory is removed when that test ends (benches remove `dir` themselves). */
export function makeCa(label = 'lbagent test CA', owner?: { after(fn: () => void): void }): Ca {
  const openssl = requireTool('openssl');
  const dir = owner ? tempDir(owner, 'lbagent-ca-') : mkdtempSync(join(tmpdir(), 'lbagent-ca-'));
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.pem');
  execFileSync(openssl, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caFile, '-days', '2', '-subj', `/CN=${label}`], { stdio: 'ignore' });
  return {
    dir,
    caFile,
    issue(name, file = join(dir, `${name}.pem`)) {
      const key = join(dir, `${name}.key`);
      const csr = join(dir, `${name}.csr`);
      const crt = join(dir, `${name}.crt`);
      const ext = join(dir, `${name}.ext`);
      writeFileSync(ext, `subjectAltName=DNS:${name}${/^\d+\.\d+\.\d+\.\d+$/.test(name) ? `,IP:${name}` : ''}\n`);
      execFileSync(openssl, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${name}`], { stdio: 'ignore' });
      execFileSync(openssl, ['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial', '-out', crt, '-days', '2', '-extfile', ext], { stdio: 'ignore' });
      writeFileSync(file, readFileSync(crt, 'utf8') + readFileSync(key, 'utf8'));
      return file;
    },
  };
}

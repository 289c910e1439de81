import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixtures = join(repoRoot, 'test', 'fixtures');
export const lbagentBin = join(repoRoot, 'bin', 'lbagent.js');

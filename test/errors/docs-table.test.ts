// docs/errors.md lists exactly the codes the catalogue defines, as `npm run docs:errors` writes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERRORS_DOC, renderErrorsTable } from '../../src/errors/table.js';

test('docs/errors.md is the table of the catalogue (else: npm run docs:errors)', () => {
  const committed = readFileSync(fileURLToPath(new URL(`../../${ERRORS_DOC}`, import.meta.url)), 'utf8');
  const codes = (text: string) => [...text.matchAll(/^\| `(LBA_ERR_[A-Z0-9_]+)`/gm)].map((m) => m[1]);
  const want = renderErrorsTable();
  const missing = codes(want).filter((c) => !codes(committed).includes(c));
  const stale = codes(committed).filter((c) => !codes(want).includes(c));
  assert.ok(
    committed === want,
    `${ERRORS_DOC} does not match the error catalogue in src/errors/` +
      `${missing.length ? `; missing: ${missing.join(', ')}` : ''}${stale.length ? `; no longer defined: ${stale.join(', ')}` : ''}` +
      '. Run `npm run docs:errors` and commit the result.',
  );
});

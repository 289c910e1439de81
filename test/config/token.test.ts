// Token comparison for the admin API, the agent RPC (HTTP and serf's `auth`) and the stats page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sameToken } from '../../src/config/token.js';

test('sameToken: equal tokens match; a wrong one, a prefix, a longer one and the empty string do not', () => {
  assert.equal(sameToken('s3cret', 's3cret'), true);
  assert.equal(sameToken(Buffer.from('s3cret'), 's3cret'), true);
  assert.equal(sameToken('s3creT', 's3cret'), false);
  assert.equal(sameToken('s3cre', 's3cret'), false, 'a prefix (different length) does not match, and does not throw');
  assert.equal(sameToken('s3cret-and-more', 's3cret'), false);
  assert.equal(sameToken('', 's3cret'), false);
  assert.equal(sameToken('é', 'e\u0301'), false, 'compared as bytes, not as normalised text');
});

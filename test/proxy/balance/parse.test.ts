import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBalance, formatBalance, BALANCE_EXPECTED } from '../../../src/proxy/balance/parse.js';

test('parses every HAProxy balance word we support', () => {
  assert.deepEqual(parseBalance('roundrobin'), { algo: 'roundrobin' });
  assert.deepEqual(parseBalance(' static-rr '), { algo: 'static-rr' });
  assert.deepEqual(parseBalance('leastconn'), { algo: 'leastconn' });
  assert.deepEqual(parseBalance('source'), { algo: 'source' });
  assert.deepEqual(parseBalance('uri'), { algo: 'uri' });
  assert.deepEqual(parseBalance('uri len 10 depth 2 whole'), { algo: 'uri', len: 10, depth: 2, whole: true });
  assert.deepEqual(parseBalance('uri whole depth 3'), { algo: 'uri', depth: 3, whole: true });
  assert.deepEqual(parseBalance('random'), { algo: 'random', draws: 2 });
  assert.deepEqual(parseBalance('random(3)'), { algo: 'random', draws: 3 });
  assert.deepEqual(parseBalance('random(1)'), { algo: 'random', draws: 1 });
});

test('rejects unknown words and bad arguments with the expected list', () => {
  for (const bad of ['', 'first', 'hdr(host)', 'roundrobin extra', 'uri len', 'uri len x', 'uri depth 0', 'uri foo', 'random(0)', 'random(x)', 'random()']) {
    const r = parseBalance(bad);
    assert.ok('error' in r, `'${bad}' should fail`);
    assert.equal(r.expected, BALANCE_EXPECTED);
    assert.ok(r.error.length > 0);
  }
  const r = parseBalance('first');
  assert.ok('error' in r && r.error.includes("'first'"));
});

test('formats back to the same words', () => {
  for (const text of ['roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'uri len 10 depth 2 whole', 'random(2)', 'random(5)']) {
    const spec = parseBalance(text);
    assert.ok(!('error' in spec));
    assert.equal(formatBalance(spec), text);
  }
});

// No import cycle inside src/proxy, type imports included (scripts/import-cycles.mjs does the parsing): each file of
// the proxy reads on its own, definitions at the bottom, observers and sessions on top.
import { test } from 'node:test';
import assert from 'node:assert/strict';
// @ts-expect-error: a plain .mjs script, no declarations
import { cyclesUnder } from '../../scripts/import-cycles.mjs';

test('src/proxy has no import cycle', () => {
  const found = (cyclesUnder as (prefixes: string[]) => string[][])(['src/proxy/']);
  assert.deepEqual(found.map((c) => c.join(' ↔ ')), []);
});

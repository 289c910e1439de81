import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadAddress, NoListener, catalogue, errorCode, errorMessage, isLbaError, LbaError } from '../../src/errors/index.js';

test('a coded error carries its code, part, status and formatted message', () => {
  const err = new BadAddress("port 99999 is out of range in '0.0.0.0:99999'");
  assert.ok(err instanceof LbaError && err instanceof Error);
  assert.equal(err.code, 'LBA_ERR_BAD_ADDRESS');
  assert.equal(err.part, 'config');
  assert.equal(err.status, 400);
  assert.equal(err.message, "an address that cannot work: port 99999 is out of range in '0.0.0.0:99999'");
  assert.ok(isLbaError(err, BadAddress));
  assert.ok(!isLbaError(err, NoListener));
  assert.equal(BadAddress.code, 'LBA_ERR_BAD_ADDRESS');
});

test('the catalogue lists every code once, each LBA_ERR_ with a part and a message', () => {
  const codes = catalogue().map((s) => s.code);
  assert.equal(new Set(codes).size, codes.length);
  assert.ok(codes.includes('LBA_ERR_NO_LISTENER'));
  for (const spec of catalogue()) {
    assert.match(spec.code, /^LBA_ERR_[A-Z0-9_]+$/);
    assert.ok(spec.message.length > 0);
  }
});

test('errorMessage and errorCode read anything thrown', () => {
  assert.equal(errorMessage(new Error('boom')), 'boom');
  assert.equal(errorMessage('plain'), 'plain');
  assert.equal(errorMessage({ a: 1 }), '{ a: 1 }');
  assert.equal(errorCode(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), 'ECONNREFUSED');
  assert.equal(errorCode(null), undefined);
  assert.equal(errorCode(42), undefined);
});

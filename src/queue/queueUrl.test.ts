import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hidePassword, parseQueueUrl } from './queueUrl.js';

test('a queue URL: host, port, db, user, password, TLS; shown with the password hidden, recorded without it', () => {
  const t = parseQueueUrl('rediss://alice:s3cr%40t@redis.example:6380/2', {});
  assert.deepEqual({ ...t }, {
    host: 'redis.example', port: 6380, db: 2, username: 'alice', password: 's3cr@t', tls: true,
    shown: 'rediss://alice:***@redis.example:6380/2', bare: 'rediss://alice@redis.example:6380/2',
  });
  const d = parseQueueUrl('redis://127.0.0.1', {});
  assert.equal(d.port, 6379); assert.equal(d.db, 0); assert.equal(d.password, undefined); assert.equal(d.tls, false);
  assert.equal(d.shown, 'redis://127.0.0.1:6379');
});

test('without a password in the URL it comes from LRLAB_QUEUE_PASSWORD, else REDISCLI_AUTH; the URL\'s own wins', () => {
  assert.equal(parseQueueUrl('redis://h:1', { LRLAB_QUEUE_PASSWORD: 'a', REDISCLI_AUTH: 'b' }).password, 'a');
  assert.equal(parseQueueUrl('redis://h:1', { REDISCLI_AUTH: 'b' }).password, 'b');
  const t = parseQueueUrl('redis://:u@h:1', { LRLAB_QUEUE_PASSWORD: 'a' });
  assert.equal(t.password, 'u');
  assert.equal(parseQueueUrl('redis://h:1', { LRLAB_QUEUE_PASSWORD: 'a' }).shown, 'redis://h:1', 'a password from the environment is not hinted at');
});

test('bad queue URLs: one-line errors that never show the password', () => {
  for (const [url, why] of [
    ['http://:pw@h:1', /scheme must be redis or rediss, got 'http'/],
    ['redis://:pw@h:1/abc', /the path must be a database number/],
    ['redis://:pw@h:1/0?tls=1', /query strings/],
    ['not a url', /not a URL/],
  ] as const) {
    assert.throws(() => parseQueueUrl(url, {}), (e: Error) => why.test(e.message) && !e.message.includes('pw@') && !e.message.includes('\n'), url);
  }
  assert.equal(hidePassword('redis://u:pw@h:1/0'), 'redis://u:***@h:1/0');
  assert.equal(hidePassword('redis://h:1'), 'redis://h:1');
});

import { LogCapture } from '../../../test/support/log-capture';
import { createLogger } from '../src/logging/logger';
import { REDACTED, redact } from '../src/logging/redact';

describe('redact', () => {
  it('masks values under secret-looking keys at any depth, and keeps numbers such as token counts', () => {
    const out = redact({
      headers: { authorization: 'Bearer abc', Cookie: 'sid=1', accept: 'json' },
      body: { email: 'a@b.c', password: 'hunter22', nested: [{ api_key: 'sk-1' }] },
      usage: { prompt_tokens: 12 },
      webhook_secret: 'whsec_x',
    });
    expect(out).toEqual({
      headers: { authorization: REDACTED, Cookie: REDACTED, accept: 'json' },
      body: { email: 'a@b.c', password: REDACTED, nested: [{ api_key: REDACTED }] },
      usage: { prompt_tokens: 12 },
      webhook_secret: REDACTED,
    });
  });

  it('masks bearer credentials and URL passwords inside free text', () => {
    expect(redact('sent Authorization: Bearer eyJ.abc.def to mongodb://user:pa55@db:27017/x')).toBe(
      `sent Authorization: Bearer ${REDACTED} to mongodb://user:${REDACTED}@db:27017/x`,
    );
  });
});

describe('redact: connection-string passwords with URL-special characters (issue 11, finding 15)', () => {
  it.each([
    ['a slash', 'mongodb://app:pa/ss@db:27017/vectort', 'pa/ss'],
    ['several slashes', 'redis://:a/b/c//d@cache:6379/0', 'a/b/c//d'],
    ['a question mark and hash', 'postgres://u:p?x#y@pg/db', 'p?x#y'],
    ['a colon', 'amqp://u:p:q@mq', 'p:q'],
    ['an at sign', 'mongodb://u:p@ss@db/x', 'p@ss'],
    ['percent and brackets', 'rediss://u:%2F[x]!$&@h:1', '%2F[x]!$&'],
  ])('masks a password holding %s', (_label, url, password) => {
    const out = redact(`connect failed: ${url} (retrying)`) as string;
    expect(out).not.toContain(password);
    expect(out).toContain(REDACTED);
    expect(out).toMatch(/\(retrying\)$/);
    // Under a key too, and inside errors.
    expect(JSON.stringify(redact({ mongo_url: url, error: new Error(`at ${url}`) }))).not.toContain(password);
  });

  it('keeps URLs without credentials as they are', () => {
    expect(redact('GET https://example.com/a/b?c=d#e and redis://cache:6379/0')).toBe(
      'GET https://example.com/a/b?c=d#e and redis://cache:6379/0',
    );
  });
});

describe('createLogger', () => {
  it('writes one JSON object per line with timestamp, level, service and redacted fields', () => {
    const capture = new LogCapture();
    const logger = createLogger({ service: 'worker', level: 'info', stream: capture.stream });
    logger.child({ request_id: 'r1' }).info('something_happened', { token: 'secret-token', count: 3 });
    logger.debug('not at this level');
    logger.error('failed', { error: new Error('boom at redis://:pw@host') });

    const [first, second, ...rest] = capture.entries();
    expect(rest).toHaveLength(0);
    expect(first).toEqual({
      level: 'info',
      message: 'something_happened',
      service: 'worker',
      request_id: 'r1',
      token: REDACTED,
      count: 3,
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(second).toMatchObject({ level: 'error', message: 'failed', service: 'worker' });
    expect(JSON.stringify(second)).toContain('boom at');
    expect(capture.text()).not.toContain('secret-token');
    expect(capture.text()).not.toContain(':pw@');
  });
});

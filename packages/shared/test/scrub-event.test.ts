import type { Event } from '@sentry/node';
import { scrubBreadcrumb, scrubEvent } from '../src/observability/scrub-event';

describe('scrubEvent (issue 11, finding 4)', () => {
  it('drops bodies, cookies, headers, query strings and IPs, and keeps the user id and email', () => {
    const event: Event = {
      request: {
        method: 'POST',
        url: 'https://api.example.com/api/auth/login?token=abc',
        data: '{"email":"a@b.c","password":"hunter22"}',
        cookies: { session: 'sid' },
        headers: { authorization: 'Bearer eyJ.x.y', cookie: 'session=sid' },
        query_string: 'token=abc',
        env: { REMOTE_ADDR: '203.0.113.9' },
      },
      user: { id: 'u1', email: 'a@b.c', ip_address: '203.0.113.9', username: 'ada' },
      contexts: { response: { headers: { 'set-cookie': 'x' } }, runtime: { name: 'node' } },
      extra: { mongo_url: 'mongodb://app:pa/ss@db/x', password: 'hunter22' },
      exception: { values: [{ type: 'Error', value: 'connect redis://:s3cr/et@cache:6379 failed' }] },
      breadcrumbs: [{ category: 'http', data: { url: 'https://hook.example/x?key=k', authorization: 'Basic zz' } }],
    };
    const out = JSON.stringify(scrubEvent(event));
    for (const secret of [
      'hunter22',
      'sid',
      'eyJ',
      'token=abc',
      '203.0.113.9',
      'pa/ss',
      's3cr/et',
      'key=k',
      'zz',
      'ada',
    ])
      expect(out).not.toContain(secret);
    expect(event.request).toEqual({ method: 'POST', url: 'https://api.example.com/api/auth/login' });
    expect(event.user).toEqual({ id: 'u1', email: 'a@b.c' });
    expect(event.contexts).toEqual({ runtime: { name: 'node' } });
  });

  it('leaves breadcrumbs without data alone', () => {
    expect(scrubBreadcrumb({ category: 'console', message: 'hello' })).toEqual({
      category: 'console',
      message: 'hello',
      data: undefined,
    });
  });
});

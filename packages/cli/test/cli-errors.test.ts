import { EXIT, apiError } from '../src/cli-errors';

const body = (code: string, message: string, details?: unknown) => ({
  error: { code, message, details },
  request_id: 'r',
});

describe('apiError: the contract error body as a CLI message and exit code', () => {
  it.each([
    [400, 'validation_error', EXIT.usage],
    [401, 'unauthorized', EXIT.auth],
    [402, 'insufficient_credits', EXIT.limited],
    [403, 'forbidden', EXIT.auth],
    [404, 'not_found', EXIT.failed],
    [409, 'conflict', EXIT.failed],
    [422, 'idempotency_key_reused', EXIT.usage],
    [429, 'rate_limited', EXIT.limited],
    [500, 'internal', EXIT.failed],
    [503, 'unavailable', EXIT.failed],
  ])('HTTP %i %s exits %i', (status, code, exit) => {
    const err = apiError(status, body(code, 'The message'));
    expect(err.exitCode).toBe(exit);
    expect(err.message).toBe(`The message [${code}]`);
  });

  it('names the failing fields and when to retry', () => {
    expect(
      apiError(400, body('validation_error', 'Invalid request body', [{ field: 'type', message: 'bad' }])).message,
    ).toBe('Invalid request body (type: bad) [validation_error]');
    expect(apiError(429, body('rate_limited', 'Too many requests'), '42').message).toBe(
      'Too many requests; retry in 42 s [rate_limited]',
    );
  });

  it("copes with a body that is not the contract's", () => {
    expect(apiError(502, '<html>bad gateway</html>').message).toBe('HTTP 502');
  });
});

import request from 'supertest';
import { ADMIN_CLI, runNode } from '../support/admin';
import { startStack, type Stack } from '../support/stack';
import { registerUser } from '../support/users';

// Issue 11, finding 1: registering the address named in ADMIN_EMAILS made anyone an admin.
// Admins are now a stored flag that only the operator's `npm run admin` sets.
let stack: Stack;
const FIRST = `first-${Date.now()}@example.com`;

beforeAll(async () => {
  stack = await startStack('admincmd', { ADMIN_EMAILS: FIRST }, 0);
}, 60_000);
afterAll(() => stack?.stop());

const me = (token: string) => request(stack.apiUrl).get('/api/me').set('Authorization', `Bearer ${token}`);
const patchAs = (token: string, id: string, body: object) =>
  request(stack.apiUrl).patch(`/api/admin/users/${id}`).set('Authorization', `Bearer ${token}`).send(body);

describe('admins are made by the operator, never by registering (finding 1)', () => {
  it('registering the ADMIN_EMAILS address first grants nothing, and the API warns once that ADMIN_EMAILS is ignored', async () => {
    const victim = await registerUser(stack.apiUrl, 'victim');
    const attacker = await request(stack.apiUrl)
      .post('/api/auth/register')
      .send({ email: FIRST, password: 'attacker password' });
    expect(attacker.status).toBe(201);
    expect(attacker.body.user.is_admin).toBe(false);
    const res = await patchAs(attacker.body.token, victim.id, { plan: 'enterprise', credits: 1_000_000 });
    expect(res.status).toBe(403);
    expect((await me(victim.token)).body).toMatchObject({ plan: 'free', credits: 20 });
    // Nor can a client set the flag itself.
    expect((await patchAs(attacker.body.token, attacker.body.user.id, { is_admin: true })).status).toBe(403);
    const selfMade = await request(stack.apiUrl)
      .post('/api/auth/register')
      .send({ email: `self-${FIRST}`, password: 'a long password', is_admin: true });
    expect(selfMade.status).toBe(400);

    const warnings = stack.api.entries().filter((e) => e.message === 'admin_emails_ignored');
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]!.detail)).toContain('npm run admin -- grant');
  });

  it('`npm run admin -- grant|revoke` sets the stored flag while the API runs, and says what changed', async () => {
    const target = await registerUser(stack.apiUrl, 'target');
    const operator = await registerUser(stack.apiUrl, 'operator');
    expect((await patchAs(operator.token, target.id, { plan: 'pro' })).status).toBe(403);

    // The real npm script: deps check, services (the stack's, through its URLs), build, CLI.
    const granted = await runNode(['scripts/admin.mjs', 'grant', operator.email.toUpperCase()], stack.env);
    expect(granted.stderr).not.toMatch(/error/i);
    expect(granted.code).toBe(0);
    expect(granted.stdout).toContain(`${operator.email} (user ${operator.id}) is an admin now`);
    // The running API reads the flag on the next request: no restart, same token.
    expect((await me(operator.token)).body.is_admin).toBe(true);
    expect((await patchAs(operator.token, target.id, { plan: 'pro' })).status).toBe(200);

    const again = await runNode([ADMIN_CLI, 'grant', operator.email], stack.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already is an admin; nothing changed');

    const revoked = await runNode([ADMIN_CLI, 'revoke', operator.email], stack.env);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain('is not an admin now');
    expect((await me(operator.token)).body.is_admin).toBe(false);
    expect((await patchAs(operator.token, target.id, { plan: 'starter' })).status).toBe(403);
  }, 120_000);

  it('exits non-zero for an unknown email or bad usage, changing nothing', async () => {
    const unknown = await runNode([ADMIN_CLI, 'grant', 'nobody@example.com'], stack.env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no account with email nobody@example.com');
    expect(await stack.mongo.db().collection('users').countDocuments({ is_admin: true })).toBe(0);
    const usage = await runNode([ADMIN_CLI, 'promote', 'x@example.com'], stack.env);
    expect(usage.code).toBe(64);
    expect(usage.stderr).toContain('usage: npm run admin -- grant|revoke <email>');
  });
});

import request from 'supertest';

let counter = 0;

export interface TestUser {
  token: string;
  id: string;
  email: string;
  password: string;
}

/** Registers a fresh user over HTTP and returns its token. */
export async function registerUser(baseUrl: string, prefix = 'user'): Promise<TestUser> {
  counter += 1;
  const email = `${prefix}-${process.pid}-${counter}-${Date.now()}@example.com`;
  const password = 'correct horse battery';
  const res = await request(baseUrl).post('/api/auth/register').send({ email, password, full_name: 'Test User' });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { token: res.body.token, id: res.body.user.id, email, password };
}

export function bearer(user: { token: string }): [string, string] {
  return ['Authorization', `Bearer ${user.token}`];
}

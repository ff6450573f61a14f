import request from 'supertest';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { bearer, registerUser, type TestUser } from '../../../test/support/users';

let app: TestApp;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  app = await startTestApp('projects', { RATE_LIMIT_REGISTER_PER_HOUR: '1000' });
  alice = await registerUser(app.baseUrl, 'alice');
  bob = await registerUser(app.baseUrl, 'bob');
});
afterAll(() => app.close());

it('creates, reads, updates and deletes a project', async () => {
  const created = await request(app.baseUrl)
    .post('/api/projects')
    .set(...bearer(alice))
    .send({ name: '  Shop  ', description: 'a shop' });
  expect(created.status).toBe(201);
  expect(created.body).toEqual({
    id: expect.stringMatching(/^[0-9a-f]{24}$/),
    name: 'Shop',
    description: 'a shop',
    created_at: expect.any(String),
    updated_at: expect.any(String),
    latest_generation_id: null,
  });
  const id = created.body.id;

  const got = await request(app.baseUrl)
    .get(`/api/projects/${id}`)
    .set(...bearer(alice));
  expect(got.body).toEqual(created.body);

  const patched = await request(app.baseUrl)
    .patch(`/api/projects/${id}`)
    .set(...bearer(alice))
    .send({ name: 'Shop v2' });
  expect(patched.status).toBe(200);
  expect(patched.body).toMatchObject({ id, name: 'Shop v2', description: 'a shop' });
  expect(Date.parse(patched.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.body.updated_at));

  await request(app.baseUrl)
    .delete(`/api/projects/${id}`)
    .set(...bearer(alice))
    .expect(204);
  await request(app.baseUrl)
    .get(`/api/projects/${id}`)
    .set(...bearer(alice))
    .expect(404);
  await request(app.baseUrl)
    .delete(`/api/projects/${id}`)
    .set(...bearer(alice))
    .expect(404);
});

it("answers 404 for another user's project on every verb, and leaves it untouched", async () => {
  const created = await request(app.baseUrl)
    .post('/api/projects')
    .set(...bearer(alice))
    .send({ name: 'Private' });
  const id = created.body.id;
  for (const res of [
    await request(app.baseUrl)
      .get(`/api/projects/${id}`)
      .set(...bearer(bob)),
    await request(app.baseUrl)
      .patch(`/api/projects/${id}`)
      .set(...bearer(bob))
      .send({ name: 'Stolen' }),
    await request(app.baseUrl)
      .delete(`/api/projects/${id}`)
      .set(...bearer(bob)),
  ]) {
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect(JSON.stringify(res.body)).not.toContain('Private');
  }
  const still = await request(app.baseUrl)
    .get(`/api/projects/${id}`)
    .set(...bearer(alice));
  expect(still.body.name).toBe('Private');
  const bobsList = await request(app.baseUrl)
    .get('/api/projects')
    .set(...bearer(bob));
  expect(bobsList.body.items.map((p: { id: string }) => p.id)).not.toContain(id);
});

it("pages through a user's projects, newest first, with an opaque cursor", async () => {
  const carol = await registerUser(app.baseUrl, 'carol');
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const res = await request(app.baseUrl)
      .post('/api/projects')
      .set(...bearer(carol))
      .send({ name: `P${i}` });
    ids.push(res.body.id);
  }
  const first = await request(app.baseUrl)
    .get('/api/projects?limit=2')
    .set(...bearer(carol));
  expect(first.body.items.map((p: { name: string }) => p.name)).toEqual(['P4', 'P3']);
  expect(first.body.next_cursor).toEqual(expect.any(String));
  const second = await request(app.baseUrl)
    .get(`/api/projects?limit=2&cursor=${first.body.next_cursor}`)
    .set(...bearer(carol));
  expect(second.body.items.map((p: { name: string }) => p.name)).toEqual(['P2', 'P1']);
  const third = await request(app.baseUrl)
    .get(`/api/projects?limit=2&cursor=${second.body.next_cursor}`)
    .set(...bearer(carol));
  expect(third.body.items.map((p: { name: string }) => p.name)).toEqual(['P0']);
  expect(third.body.next_cursor).toBeNull();
});

it.each([
  ['an empty name', { name: '   ' }, 'name'],
  ['a long name', { name: 'x'.repeat(201) }, 'name'],
  ['a wrong type', { name: 42 }, 'name'],
  ['an unknown field', { name: 'ok', owner: 'me' }, 'owner'],
])('rejects %s with 400', async (_label, body, field) => {
  const res = await request(app.baseUrl)
    .post('/api/projects')
    .set(...bearer(alice))
    .send(body);
  expect(res.status).toBe(400);
  expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
});

it('rejects bad pagination queries with 400 and unknown ids with 404', async () => {
  const limit = await request(app.baseUrl)
    .get('/api/projects?limit=1000')
    .set(...bearer(alice));
  expect(limit.status).toBe(400);
  expect(limit.body.error.details[0].field).toBe('limit');
  const cursor = await request(app.baseUrl)
    .get('/api/projects?cursor=!!')
    .set(...bearer(alice));
  expect(cursor.status).toBe(400);
  await request(app.baseUrl)
    .get('/api/projects/not-an-id')
    .set(...bearer(alice))
    .expect(404);
  await request(app.baseUrl)
    .get('/api/projects/0123456789abcdef01234567')
    .set(...bearer(alice))
    .expect(404);
  await request(app.baseUrl).get('/api/projects').expect(401);
});

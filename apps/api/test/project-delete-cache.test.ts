import request from 'supertest';
import { cacheKey, generatorVersion } from '@vectort/shared';
import { createProject, generate } from '../../../test/support/http';
import { seedModelOutput } from '../../../test/support/seed-cache';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { bearer, registerUser, type TestUser } from '../../../test/support/users';

// Issue 11 finding 12: a deleted project's code stayed in the shared cache for 7 days, served
// to anyone who asked for the same thing. No worker runs here: a miss just stays queued.
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp('projdelcache', { RATE_LIMIT_REGISTER_PER_HOUR: '1000' });
});
afterAll(() => app.close());

async function userWithProject(label: string): Promise<TestUser & { projectId: string }> {
  const u = await registerUser(app.baseUrl, label);
  return { ...u, projectId: await createProject(app.baseUrl, u.token) };
}

const keyOf = (description: string) =>
  cacheKey({ description, framework: 'react', type: 'web_app' }, generatorVersion(app.config.llm));

it("removes the cache entries the deleted project's own model calls produced, from Redis and MongoDB; others' stay", async () => {
  const doomed = await userWithProject('doomed');
  const other = await userWithProject('other');
  const reader = await userWithProject('reader');
  const stamp = Date.now();
  const own = `the doomed project's own app ${stamp}`;
  const ownColdOnly = `the doomed project's app only MongoDB still holds ${stamp}`;
  const others = `another project's app ${stamp}`;

  await seedModelOutput(app, { userId: doomed.id, projectId: doomed.projectId }, own);
  await seedModelOutput(app, { userId: doomed.id, projectId: doomed.projectId }, ownColdOnly);
  await seedModelOutput(app, { userId: other.id, projectId: other.projectId }, others);
  // The Redis entry of this one expired: only MongoDB's tier would still serve it.
  await app.redis.del(`${app.config.redisKeyPrefix}:cache:${keyOf(ownColdOnly)}`);
  // The doomed project also holds a copy of the other project's output (a hit of its own).
  expect((await generate(app.baseUrl, doomed.token, doomed.projectId, { description: others })).status).toBe(200);
  // And the reader already got the doomed project's code once, through the cache.
  const earlier = await generate(app.baseUrl, reader.token, reader.projectId, { description: own });
  expect(earlier.status).toBe(200);

  await request(app.baseUrl)
    .delete(`/api/projects/${doomed.projectId}`)
    .set(...bearer(doomed))
    .expect(204);

  // That code is served to no one now: the reader, and anyone else, get a miss (a new model call).
  const stranger = await userWithProject('stranger');
  for (const u of [reader, stranger]) {
    for (const description of [own, ownColdOnly]) {
      const res = await generate(app.baseUrl, u.token, u.projectId, { description });
      expect({ description, status: res.status, cache: res.headers['x-cache'] }).toEqual({
        description,
        status: 202,
        cache: 'MISS',
      });
    }
  }
  for (const description of [own, ownColdOnly]) {
    expect(await app.redis.exists(`${app.config.redisKeyPrefix}:cache:${keyOf(description)}`)).toBe(0);
    expect(await app.db.collection('cache_entries').findOne({ _id: keyOf(description) as never })).toBeNull();
  }
  // The reader's own generation of it is the reader's, and stays theirs.
  await request(app.baseUrl)
    .get(`/api/generations/${earlier.body.generation.id}`)
    .set(...bearer(reader))
    .expect(200);

  // The entry another project's model call produced is still served, copy in the doomed project or not.
  const hit = await generate(app.baseUrl, stranger.token, stranger.projectId, { description: others });
  expect(hit.status).toBe(200);
  expect(hit.headers['x-cache']).toBe('HIT');
  expect(await app.db.collection('cache_entries').findOne({ _id: keyOf(others) as never })).not.toBeNull();
});

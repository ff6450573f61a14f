import request from 'supertest';
import { ObjectId } from 'mongodb';
import { cacheKey, createGenerationStore, generatorVersion, type GenerationStore } from '@vectort/shared';
import { createProject, generate } from '../../../test/support/http';
import { SEED_FILES, seedModelOutput } from '../../../test/support/seed-cache';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { registerUser, type TestUser } from '../../../test/support/users';

// A hit's project pointer is parsed, and the JSON around its files written, once per process
// and pointer text. These check that what is kept never answers for a pointer that changed.
let app: TestApp;
let store: GenerationStore;
let user: TestUser & { projectId: string };

beforeAll(async () => {
  app = await startTestApp('hitpointers');
  store = createGenerationStore({
    db: app.db,
    redis: app.redis,
    keyPrefix: app.config.redisKeyPrefix,
    ttlSeconds: 3600,
  });
  const u = await registerUser(app.baseUrl, 'pointers');
  user = { ...u, projectId: await createProject(app.baseUrl, u.token) };
});
afterAll(() => app.close());

const owner = () => ({ userId: user.id, projectId: user.projectId });
const keyOf = (description: string) =>
  cacheKey({ description, framework: 'react', type: 'web_app' }, generatorVersion(app.config.llm));
const pointerKey = (description: string) =>
  `${app.config.redisKeyPrefix}:cache:${keyOf(description)}:project:${user.projectId}`;
const hit = async (description: string) => {
  const res = await generate(app.baseUrl, user.token, user.projectId, { description });
  expect(res.status).toBe(200);
  expect(res.headers['x-cache']).toBe('HIT');
  return res;
};

it('answers every hit on a pointer with the same bytes, the generation as read by id', async () => {
  await seedModelOutput(app, owner(), 'pointer memo');
  const first = await hit('pointer memo');
  const again = await hit('pointer memo');
  expect(again.text).toBe(first.text);
  const read = await request(app.baseUrl)
    .get(`/api/generations/${first.body.generation.id}`)
    .set('Authorization', `Bearer ${user.token}`);
  expect(read.status).toBe(200);
  expect(first.body).toEqual({ status: 'completed', cached: true, generation: read.body });
});

it('one parsed copy per pointer text, frozen; a rewritten pointer is parsed anew', async () => {
  await seedModelOutput(app, owner(), 'pointer shared');
  const projectId = new ObjectId(user.projectId);
  const [a, b] = [
    await store.probe(keyOf('pointer shared'), projectId),
    await store.probe(keyOf('pointer shared'), projectId),
  ];
  expect(a.copy).not.toBeNull();
  expect(b.copy).toBe(a.copy);
  expect(Object.isFrozen(a.copy) && Object.isFrozen(a.copy!.view)).toBe(true);
  expect(b.hitJson()![0]).toBe(a.hitJson()![0]);

  // A new model output for the same key and project: new entry, new pointer text.
  await seedModelOutput(app, owner(), 'pointer shared');
  const c = await store.probe(keyOf('pointer shared'), projectId);
  expect(c.copy!.view.id).not.toBe(a.copy!.view.id);
  expect(JSON.parse(`${c.hitJson()![0]}[]}`).id).toBe(c.copy!.view.id);
});

it('after a new output for the key, the next hit answers the new generation', async () => {
  await seedModelOutput(app, owner(), 'pointer renewed');
  const before = await hit('pointer renewed');
  await seedModelOutput(app, owner(), 'pointer renewed');
  const after = await hit('pointer renewed');
  expect(after.body.generation.id).not.toBe(before.body.generation.id);
  const read = await request(app.baseUrl)
    .get(`/api/generations/${after.body.generation.id}`)
    .set('Authorization', `Bearer ${user.token}`);
  expect(read.status).toBe(200);
  expect(after.body.generation).toEqual(read.body);
});

it('a pointer written before edits (no lineage) answers as version 1 with every file added, each time', async () => {
  await seedModelOutput(app, owner(), 'pointer old');
  const stored = JSON.parse((await app.redis.get(pointerKey('pointer old')))!);
  for (const field of ['version', 'parent_id', 'instruction', 'changes']) delete stored.view[field];
  await app.redis.set(pointerKey('pointer old'), JSON.stringify(stored), 'EX', 3600);
  for (const res of [await hit('pointer old'), await hit('pointer old')]) {
    expect(res.body.generation).toMatchObject({
      id: stored.view.id,
      version: 1,
      parent_id: null,
      instruction: null,
      changes: { added: SEED_FILES.map((f) => f.path), modified: [], deleted: [] },
    });
    expect(res.body.generation.files).toEqual(SEED_FILES);
  }
});

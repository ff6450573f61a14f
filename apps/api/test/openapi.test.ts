import request from 'supertest';
import { FRAMEWORKS } from '@vectort/shared';
import { BULL_BOARD_PATH } from '../src/admin/bull-board';
import { expressRoutes } from '../../../test/support/express-routes';
import { startTestApp, type TestApp } from '../../../test/support/test-app';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { type: string; scheme: string }> };
}

function documentedRoutes(doc: Doc): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

type Response = { headers?: Record<string, { required?: boolean }>; content?: Record<string, { schema?: unknown }> };
const op = (doc: Doc, method: string, path: string) =>
  doc.paths[path]![method] as {
    responses: Record<string, Response>;
    requestBody?: { content: Record<string, { schema: { properties: Record<string, { enum?: string[] }> } }> };
    'x-sse-events'?: Record<string, unknown>;
  };

describe('GET /api/openapi.json', () => {
  let app: TestApp;
  let doc: Doc;
  beforeAll(async () => {
    // With admin credentials, so the Bull Board mount exists too.
    app = await startTestApp('openapi', { ADMIN_USER: 'ops', ADMIN_PASSWORD: 'a-long-admin-password-for-tests' });
    const res = await request(app.baseUrl).get('/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    doc = res.body as Doc;
  });
  afterAll(() => app?.close());

  it('documents every Express route, and no route Express does not have', () => {
    const routes = expressRoutes(app.app, [BULL_BOARD_PATH]);
    const documented = documentedRoutes(doc);
    expect({ missingFromDocument: routes.filter((r) => !documented.includes(r)) }).toEqual({ missingFromDocument: [] });
    expect({ notInExpress: documented.filter((r) => !routes.includes(r)) }).toEqual({ notInExpress: [] });
    expect(routes.length).toBeGreaterThan(20);
  });

  it('is OpenAPI 3.1 with the security schemes and the error body', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.adminBasic).toMatchObject({ type: 'http', scheme: 'basic' });
    expect(doc.components.schemas.Error).toMatchObject({ required: ['error', 'request_id'] });
    const login = op(doc, 'post', '/api/auth/login');
    expect(login.responses['401']!.content!['application/json']!.schema).toEqual({
      $ref: '#/components/schemas/Error',
    });
  });

  it('describes the headers: X-Cache, Location, Retry-After, RateLimit, X-Request-Id', () => {
    const generate = op(doc, 'post', '/api/projects/{id}/generate');
    expect(Object.keys(generate.responses['200']!.headers!)).toEqual(
      expect.arrayContaining(['X-Cache', 'X-Request-Id']),
    );
    expect(Object.keys(generate.responses['202']!.headers!)).toEqual(
      expect.arrayContaining(['X-Cache', 'Location', 'RateLimit', 'RateLimit-Policy']),
    );
    expect(generate.responses['429']!.headers!['Retry-After']!.required).toBe(true);
    expect(Object.keys(generate.responses['429']!.headers!)).toEqual(expect.arrayContaining(['RateLimit']));
    expect(generate.responses['503']!.headers!['Retry-After']!.required).toBe(true);
  });

  it("takes request bodies from the routes' own zod schemas", () => {
    const generate = op(doc, 'post', '/api/projects/{id}/generate');
    const body = generate.requestBody!.content['application/json']!.schema;
    expect(body.properties.framework!.enum).toEqual([...FRAMEWORKS]);
    expect(body).toMatchObject({ additionalProperties: false, required: ['description'] });
  });

  it('describes the job event stream and its events', () => {
    const events = op(doc, 'get', '/api/jobs/{id}/events');
    expect(Object.keys(events.responses['200']!.content!)).toEqual(['text/event-stream']);
    expect(events['x-sse-events']).toMatchObject({ message: { data: { $ref: '#/components/schemas/Job' } } });
  });

  // Last: it adds a route to the app.
  it('would catch a route added without a document entry', () => {
    app.app.get('/api/undocumented/:id', (_req, res) => res.end());
    const documented = documentedRoutes(doc);
    expect(expressRoutes(app.app, [BULL_BOARD_PATH]).filter((r) => !documented.includes(r))).toEqual([
      'GET /api/undocumented/{id}',
    ]);
  });
});

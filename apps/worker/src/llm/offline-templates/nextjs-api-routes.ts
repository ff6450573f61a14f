import type { GeneratedFile } from '../llm-provider';

const HEALTH_ROUTE = `export function GET() {
  return Response.json({ status: 'ok' });
}
`;

const ITEM_STORE = `// In memory: items reset when the server restarts.
export const items = new Map();
let nextId = 1;

export function createItem(text) {
  const item = { id: nextId++, text };
  items.set(item.id, item);
  return item;
}
`;

const ITEMS_ROUTE = `import { createItem, items } from './store';

export function GET() {
  return Response.json([...items.values()]);
}

export async function POST(request) {
  const body = await request.json().catch(() => null);
  const text = typeof body?.text === 'string' ? body.text.trim() : '';
  if (!text) return Response.json({ error: 'text is required' }, { status: 400 });
  return Response.json(createItem(text), { status: 201 });
}
`;

const ITEM_ROUTE = `import { items } from '../store';

export async function GET(request, { params }) {
  const item = items.get(Number((await params).id));
  if (!item) return Response.json({ error: 'item not found' }, { status: 404 });
  return Response.json(item);
}

export async function DELETE(request, { params }) {
  if (!items.delete(Number((await params).id))) return Response.json({ error: 'item not found' }, { status: 404 });
  return new Response(null, { status: 204 });
}
`;

export const NEXTJS_API_DOC = `## API

- \`GET /api/health\` → \`{"status": "ok"}\`
- \`GET /api/items\` → every item
- \`POST /api/items\` with \`{"text": "..."}\` → 201 and the new item
- \`GET /api/items/:id\` → one item, or 404
- \`DELETE /api/items/:id\` → 204, or 404

Items are kept in memory and reset when the server restarts.`;

/** Route handlers for `/api/health` and an in-memory items resource. */
export const NEXTJS_API_ROUTES: readonly GeneratedFile[] = [
  { path: 'app/api/health/route.js', content: HEALTH_ROUTE },
  { path: 'app/api/items/store.js', content: ITEM_STORE },
  { path: 'app/api/items/route.js', content: ITEMS_ROUTE },
  { path: 'app/api/items/[id]/route.js', content: ITEM_ROUTE },
];

import { jsString } from './template-escaping';
import { NPM_VERSIONS, readme } from './shared-assets';
import { staticSite } from './static-site';
import type { Template, TemplateInput } from './template-input';

/**
 * Express 5, CommonJS, no other dependency. Every type gets `/health`; all but landing pages
 * get an in-memory items resource; all but APIs serve a page from `public/`.
 */
export const expressTemplate: Template = (input) => {
  const instructions = 'npm install && npm start';
  const hasItems = input.type !== 'landing_page';
  const hasPage = input.type !== 'api';
  const packageJson = {
    name: input.slug,
    version: '0.1.0',
    private: true,
    description: input.description,
    main: 'server.js',
    scripts: { start: 'node server.js', dev: 'node --watch server.js' },
    dependencies: { express: NPM_VERSIONS.express },
  };
  return {
    files: [
      { path: 'package.json', content: `${JSON.stringify(packageJson, null, 2)}\n` },
      { path: 'server.js', content: serverJs(input, hasItems, hasPage) },
      ...(hasPage ? staticSite(input, { dir: 'public/', itemsUrl: hasItems ? '/api/items' : undefined }) : []),
      {
        path: 'README.md',
        content: readme(input, {
          instructions,
          url: 'http://localhost:3000',
          sections: hasItems ? [ITEMS_API_DOC] : [],
        }),
      },
    ],
    entrypoint: 'server.js',
    instructions,
  };
};

const ITEMS_API_DOC = `## API

- \`GET /health\` → \`{"status": "ok"}\`
- \`GET /api/items\` → every item
- \`POST /api/items\` with \`{"text": "..."}\` → 201 and the new item
- \`GET /api/items/:id\` → one item, or 404
- \`DELETE /api/items/:id\` → 204, or 404

Items are kept in memory and reset when the server restarts.`;

const ITEMS_ROUTES = `
const items = new Map();
let nextId = 1;

app.get('/api/items', (req, res) => {
  res.json([...items.values()]);
});

app.post('/api/items', (req, res) => {
  const text = typeof req.body?.text === 'string' ? req.body.text.trim() : '';
  if (!text) return res.status(400).json({ error: 'text is required' });
  const item = { id: nextId++, text };
  items.set(item.id, item);
  res.status(201).json(item);
});

app.get('/api/items/:id', (req, res) => {
  const item = items.get(Number(req.params.id));
  if (!item) return res.status(404).json({ error: 'item not found' });
  res.json(item);
});

app.delete('/api/items/:id', (req, res) => {
  if (!items.delete(Number(req.params.id))) return res.status(404).json({ error: 'item not found' });
  res.status(204).end();
});
`;

function serverJs(input: TemplateInput, hasItems: boolean, hasPage: boolean): string {
  const root = hasPage
    ? `app.use(express.static(path.join(__dirname, 'public')));\n`
    : `app.get('/', (req, res) => {
  res.json({ name: TITLE, description: DESCRIPTION, endpoints: ['/health', '/api/items'] });
});\n`;
  return `const path = require('node:path');
const express = require('express');

const TITLE = ${jsString(input.title)};
const DESCRIPTION = ${jsString(input.description)};

const app = express();
app.use(express.json());

app.get('/health', (req, res) => {
  res.json({ status: 'ok' });
});
${hasItems ? ITEMS_ROUTES : ''}
${root}
app.use((req, res) => {
  res.status(404).json({ error: 'not found' });
});

const port = Number(process.env.PORT) || 3000;
app.listen(port, () => {
  console.log(\`\${TITLE} listening on http://localhost:\${port}\`);
});
`;
}

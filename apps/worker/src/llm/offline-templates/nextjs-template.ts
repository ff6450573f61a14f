import type { GeneratedFile } from '../llm-provider';
import { BASE_CSS, NPM_VERSIONS, landingComponent, readme } from './shared-assets';
import { NEXTJS_API_DOC, NEXTJS_API_ROUTES } from './nextjs-api-routes';
import { jsString } from './template-escaping';
import type { Template, TemplateInput } from './template-input';

/**
 * Next.js App Router. Landing pages are one server component; web apps add a client item list;
 * APIs and full-stack apps get route handlers under `app/api/`, which the full-stack list calls.
 */
export const nextjsTemplate: Template = (input) => {
  const instructions = 'npm install && npm run dev';
  const hasApi = input.type === 'api' || input.type === 'fullstack';
  const packageJson = {
    name: input.slug,
    version: '0.1.0',
    private: true,
    description: input.description,
    scripts: { dev: 'next dev', build: 'next build', start: 'next start' },
    dependencies: { next: NPM_VERSIONS.next, react: NPM_VERSIONS.react, 'react-dom': NPM_VERSIONS.react },
  };
  const files: GeneratedFile[] = [
    { path: 'package.json', content: `${JSON.stringify(packageJson, null, 2)}\n` },
    { path: 'app/site.js', content: siteJs(input) },
    { path: 'app/layout.jsx', content: LAYOUT_JSX },
    { path: 'app/globals.css', content: BASE_CSS },
    { path: 'app/page.jsx', content: pageJsx(input) },
  ];
  if (input.type === 'web_app' || input.type === 'fullstack') {
    files.push({ path: 'app/item-list.jsx', content: input.type === 'fullstack' ? API_ITEM_LIST : LOCAL_ITEM_LIST });
  }
  if (hasApi) {
    files.push(...NEXTJS_API_ROUTES);
  }
  files.push({
    path: 'README.md',
    content: readme(input, { instructions, url: 'http://localhost:3000', sections: hasApi ? [NEXTJS_API_DOC] : [] }),
  });
  return { files, entrypoint: 'app/page.jsx', instructions };
};

function siteJs(input: TemplateInput): string {
  return `export const TITLE = ${jsString(input.title)};
export const DESCRIPTION = ${jsString(input.description)};
`;
}

const LAYOUT_JSX = `import './globals.css';
import { DESCRIPTION, TITLE } from './site';

export const metadata = { title: TITLE, description: DESCRIPTION };

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
`;

function pageJsx(input: TemplateInput): string {
  if (input.type === 'landing_page') {
    return `import { DESCRIPTION, TITLE } from './site';

${landingComponent('Home')}`;
  }
  if (input.type === 'api') {
    return `import { DESCRIPTION, TITLE } from './site';

export default function Home() {
  return (
    <main className="container">
      <h1>{TITLE}</h1>
      <p className="lead">{DESCRIPTION}</p>
      <ul>
        <li><code>GET /api/health</code></li>
        <li><code>GET /api/items</code>, <code>POST /api/items</code></li>
        <li><code>GET /api/items/:id</code>, <code>DELETE /api/items/:id</code></li>
      </ul>
    </main>
  );
}
`;
  }
  return `import ItemList from './item-list';
import { DESCRIPTION, TITLE } from './site';

export default function Home() {
  return (
    <main className="container">
      <h1>{TITLE}</h1>
      <p className="lead">{DESCRIPTION}</p>
      <ItemList />
    </main>
  );
}
`;
}

const ITEM_LIST_VIEW = `  return (
    <>
      <form onSubmit={add}>
        <input value={text} onChange={(event) => setText(event.target.value)} placeholder="Add an item" />
        <button type="submit">Add</button>
      </form>
      <ul>
        {items.map((item) => (
          <li key={item.id}>
            <span>{item.text}</span>
            <button onClick={() => remove(item.id)}>Remove</button>
          </li>
        ))}
      </ul>
    </>
  );
}
`;

const LOCAL_ITEM_LIST = `'use client';

import { useState } from 'react';

export default function ItemList() {
  const [items, setItems] = useState([]);
  const [text, setText] = useState('');

  function add(event) {
    event.preventDefault();
    const value = text.trim();
    if (!value) return;
    setItems([...items, { id: Date.now(), text: value }]);
    setText('');
  }

  function remove(id) {
    setItems(items.filter((item) => item.id !== id));
  }

${ITEM_LIST_VIEW}`;

const API_ITEM_LIST = `'use client';

import { useEffect, useState } from 'react';

export default function ItemList() {
  const [items, setItems] = useState([]);
  const [text, setText] = useState('');

  async function refresh() {
    const response = await fetch('/api/items');
    setItems(await response.json());
  }

  useEffect(() => {
    refresh();
  }, []);

  async function add(event) {
    event.preventDefault();
    const value = text.trim();
    if (!value) return;
    await fetch('/api/items', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: value }),
    });
    setText('');
    await refresh();
  }

  async function remove(id) {
    await fetch(\`/api/items/\${id}\`, { method: 'DELETE' });
    await refresh();
  }

${ITEM_LIST_VIEW}`;

import type { GeneratedFile } from '../llm-provider';
import { BASE_CSS, FEATURES } from './shared-assets';
import { htmlText } from './template-escaping';
import type { TemplateInput } from './template-input';

export interface StaticSiteOptions {
  /** Folder the three files go in, e.g. `public/`; empty for the project root. */
  dir: string;
  /** Items endpoint the page talks to; without one, items live in the browser's localStorage. */
  itemsUrl?: string;
}

/**
 * index.html, style.css and script.js: a hero page for landing pages, an item list otherwise.
 * Used as is by the html template and served by the express and fastapi ones. The description
 * reaches only the HTML, escaped; script.js holds none of it.
 */
export function staticSite(input: TemplateInput, options: StaticSiteOptions): GeneratedFile[] {
  const landing = input.type === 'landing_page';
  return [
    { path: `${options.dir}index.html`, content: landing ? landingHtml(input) : appHtml(input) },
    { path: `${options.dir}style.css`, content: BASE_CSS },
    { path: `${options.dir}script.js`, content: landing ? LANDING_SCRIPT : itemsScript(options.itemsUrl) },
  ];
}

function page(input: TemplateInput, body: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <meta name="description" content="${htmlText(input.description)}" />
    <title>${htmlText(input.title)}</title>
    <link rel="stylesheet" href="style.css" />
  </head>
  <body>
${body}
    <script src="script.js"></script>
  </body>
</html>
`;
}

function landingHtml(input: TemplateInput): string {
  const features = FEATURES.map(
    (f) => `        <article class="feature">
          <h3>${htmlText(f.title)}</h3>
          <p>${htmlText(f.text)}</p>
        </article>`,
  ).join('\n');
  return page(
    input,
    `    <header class="hero">
      <h1>${htmlText(input.title)}</h1>
      <p class="lead">${htmlText(input.description)}</p>
      <button id="cta" type="button">Get started</button>
    </header>
    <main class="container" id="features">
      <section class="features">
${features}
      </section>
    </main>
    <footer>&copy; <span id="year"></span> ${htmlText(input.title)}</footer>`,
  );
}

function appHtml(input: TemplateInput): string {
  return page(
    input,
    `    <main class="container">
      <h1>${htmlText(input.title)}</h1>
      <p class="lead">${htmlText(input.description)}</p>
      <form id="item-form">
        <input id="item-text" placeholder="Add an item" autocomplete="off" />
        <button type="submit">Add</button>
      </form>
      <ul id="items"></ul>
    </main>`,
  );
}

const LANDING_SCRIPT = `document.getElementById('year').textContent = String(new Date().getFullYear());
document.getElementById('cta').addEventListener('click', () => {
  document.getElementById('features').scrollIntoView({ behavior: 'smooth' });
});
`;

const RENDER_ITEMS = `function render(items, onRemove) {
  const list = document.getElementById('items');
  list.replaceChildren(
    ...items.map((item) => {
      const li = document.createElement('li');
      const text = document.createElement('span');
      text.textContent = item.text;
      const remove = document.createElement('button');
      remove.textContent = 'Remove';
      remove.addEventListener('click', () => onRemove(item.id));
      li.append(text, remove);
      return li;
    }),
  );
}
`;

function itemsScript(itemsUrl: string | undefined): string {
  if (itemsUrl === undefined) {
    return `${RENDER_ITEMS}
const STORAGE_KEY = 'items';
let items = JSON.parse(localStorage.getItem(STORAGE_KEY) || '[]');

function update(next) {
  items = next;
  localStorage.setItem(STORAGE_KEY, JSON.stringify(items));
  render(items, (id) => update(items.filter((item) => item.id !== id)));
}

document.getElementById('item-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = document.getElementById('item-text');
  const text = input.value.trim();
  if (!text) return;
  update([...items, { id: Date.now(), text }]);
  input.value = '';
});

update(items);
`;
  }
  return `${RENDER_ITEMS}
const ITEMS_URL = ${JSON.stringify(itemsUrl)};

async function refresh() {
  const response = await fetch(ITEMS_URL);
  const items = await response.json();
  render(items, async (id) => {
    await fetch(\`\${ITEMS_URL}/\${id}\`, { method: 'DELETE' });
    await refresh();
  });
}

document.getElementById('item-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = document.getElementById('item-text');
  const text = input.value.trim();
  if (!text) return;
  await fetch(ITEMS_URL, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ text }),
  });
  input.value = '';
  await refresh();
});

refresh();
`;
}

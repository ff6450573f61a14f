import type { Framework } from '@vectort/shared';
import type { GeneratedFile } from '../llm-provider';
import { htmlText, jsString } from './template-escaping';

/** The file each template renders as its main page; other projects' pages are found by `</main>`. */
const MAIN_PAGES: Record<Framework, string[]> = {
  react: ['src/App.jsx'],
  nextjs: ['app/page.jsx'],
  vue: ['src/App.vue'],
  svelte: ['src/App.svelte'],
  html: ['index.html'],
  express: ['public/index.html'],
  fastapi: ['static/index.html'],
};

const LIST_OPEN = '<ul data-vectort="changes">';
const README_HEADING = '## Changes';

/**
 * The offline provider's answer to an edit: the instruction recorded as one more item under a
 * "Changes" heading of README.md (made when missing) and in a "Changes" list on the main page
 * (made before its closing `</main>` the first time). The same parent and instruction always
 * give the same files, and every edit changes something.
 */
export function offlineEdit(files: GeneratedFile[], instruction: string, framework: Framework): GeneratedFile[] {
  const line = instruction.replace(/\s+/g, ' ').trim();
  const changed: GeneratedFile[] = [];
  const readme = files.find((f) => f.path === 'README.md');
  changed.push({ path: 'README.md', content: withReadmeItem(readme?.content ?? '# Project\n', line) });
  const page = mainPage(files, framework);
  if (page) changed.push({ path: page.path, content: withPageItem(page, line) });
  return changed;
}

function withReadmeItem(readme: string, line: string): string {
  const body = readme.trimEnd();
  // The section is kept last, so a later edit's item simply follows the earlier ones.
  const lastHeading = body
    .split('\n')
    .filter((l) => /^#{1,6} /.test(l))
    .pop();
  return lastHeading?.trim() === README_HEADING
    ? `${body}\n- ${line}\n`
    : `${body}\n\n${README_HEADING}\n\n- ${line}\n`;
}

function mainPage(files: GeneratedFile[], framework: Framework): GeneratedFile | undefined {
  const pageLike = (f: GeneratedFile) => /\.(jsx|tsx|vue|svelte|html)$/.test(f.path) && f.content.includes('</main>');
  return (
    MAIN_PAGES[framework].map((p) => files.find((f) => f.path === p)).find((f) => f !== undefined && pageLike(f)) ??
    files.find(pageLike)
  );
}

/** The instruction as inert text where it goes: a JS string in JSX, entities elsewhere (`{` starts Vue and Svelte expressions). */
function itemMarkup(path: string, line: string): string {
  if (/\.(jsx|tsx)$/.test(path)) return `<li>{${jsString(line)}}</li>`;
  return `<li>${htmlText(line).replace(/[{}]/g, (c) => `&#${c.charCodeAt(0)};`)}</li>`;
}

function withPageItem(page: GeneratedFile, line: string): string {
  const item = itemMarkup(page.path, line);
  const list = page.content.indexOf(LIST_OPEN);
  if (list >= 0) {
    const close = page.content.indexOf('</ul>', list);
    if (close >= 0) return `${page.content.slice(0, close)}  ${item}\n      ${page.content.slice(close)}`;
  }
  const end = page.content.lastIndexOf('</main>');
  const klass = /\.(jsx|tsx)$/.test(page.path) ? 'className' : 'class';
  const section = `<section ${klass}="changes">\n        <h2>Changes</h2>\n        ${LIST_OPEN}\n          ${item}\n        </ul>\n      </section>\n    `;
  return `${page.content.slice(0, end)}${section}${page.content.slice(end)}`;
}

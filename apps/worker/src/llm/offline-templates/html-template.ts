import { readme } from './shared-assets';
import { staticSite } from './static-site';
import type { Template } from './template-input';

/** No build step: open index.html. Items, when there are any, stay in localStorage. */
export const htmlTemplate: Template = (input) => {
  const instructions = 'npx serve .';
  return {
    files: [
      ...staticSite(input, { dir: '' }),
      {
        path: 'README.md',
        content: readme(input, { instructions, url: 'http://localhost:3000 (or open index.html directly)' }),
      },
    ],
    entrypoint: 'index.html',
    instructions,
  };
};

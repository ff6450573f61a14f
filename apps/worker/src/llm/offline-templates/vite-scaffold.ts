import type { GeneratedFile } from '../llm-provider';
import { BASE_CSS, NPM_VERSIONS, readme } from './shared-assets';
import { htmlText } from './template-escaping';
import type { ProjectTemplate, TemplateInput } from './template-input';

export interface ViteScaffoldOptions {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  /** The plugin's import line and the call that goes in `plugins`, e.g. `react()`. */
  pluginImport: string;
  pluginCall: string;
  /** Id of the element the app mounts on. */
  mountId: string;
  /** The module index.html loads, e.g. `src/main.jsx`. */
  mainPath: string;
  /** The framework's own files: the main module, the root component. */
  sourceFiles: GeneratedFile[];
}

/** A Vite single-page app: the files every Vite framework shares, around the framework's own. */
export function viteProject(input: TemplateInput, options: ViteScaffoldOptions): ProjectTemplate {
  const instructions = 'npm install && npm run dev';
  const packageJson = {
    name: input.slug,
    private: true,
    version: '0.1.0',
    description: input.description,
    type: 'module',
    scripts: { dev: 'vite', build: 'vite build', preview: 'vite preview' },
    dependencies: options.dependencies,
    devDependencies: { ...options.devDependencies, vite: NPM_VERSIONS.vite },
  };
  const sections = input.type === 'api' || input.type === 'fullstack' ? [BROWSER_ONLY_NOTE] : [];
  return {
    files: [
      { path: 'package.json', content: `${JSON.stringify(packageJson, null, 2)}\n` },
      {
        path: 'vite.config.js',
        content: `import { defineConfig } from 'vite';\n${options.pluginImport}\n\nexport default defineConfig({\n  plugins: [${options.pluginCall}],\n});\n`,
      },
      { path: 'index.html', content: indexHtml(input, options) },
      { path: 'src/styles.css', content: BASE_CSS },
      ...options.sourceFiles,
      { path: 'README.md', content: readme(input, { instructions, url: 'http://localhost:5173', sections }) },
    ],
    entrypoint: options.mainPath,
    instructions,
  };
}

const BROWSER_ONLY_NOTE = `## Backend

This offline template keeps its data in the browser. Put your API behind \`/api\` and point the
app's state at it, or generate the backend with the express or fastapi framework.`;

function indexHtml(input: TemplateInput, options: ViteScaffoldOptions): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <title>${htmlText(input.title)}</title>
  </head>
  <body>
    <div id="${options.mountId}"></div>
    <script type="module" src="/${options.mainPath}"></script>
  </body>
</html>
`;
}

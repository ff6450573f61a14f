import type { ProjectType } from '@vectort/shared';
import type { TemplateInput } from './template-input';

/** Dependency ranges the templates pin, checked against the npm registry when written. */
export const NPM_VERSIONS = {
  vite: '^8.3.8',
  react: '^19.3.1',
  pluginReact: '^6.3.0',
  vue: '^3.5.45',
  pluginVue: '^6.0.11',
  svelte: '^5.57.3',
  pluginSvelte: '^7.3.1',
  next: '^16.4.6',
  express: '^5.3.0',
} as const;

/** Shown on every landing page; the description supplies the specifics. */
export const FEATURES = [
  { title: 'Fast to start', text: 'Open it and get going in seconds, with nothing to configure.' },
  { title: 'Simple by design', text: 'One clear purpose and a layout that stays out of the way.' },
  { title: 'Yours to change', text: 'Plain, readable code that is easy to extend.' },
] as const;

export const BASE_CSS = `:root {
  font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
  color: #1f2937;
  background: #f9fafb;
  line-height: 1.5;
}

body {
  margin: 0;
}

.container {
  max-width: 720px;
  margin: 0 auto;
  padding: 48px 24px;
}

.lead {
  color: #4b5563;
  white-space: pre-line;
}

form {
  display: flex;
  gap: 8px;
  margin: 24px 0;
}

input {
  flex: 1;
  padding: 8px 12px;
  border: 1px solid #d1d5db;
  border-radius: 6px;
  font: inherit;
}

button {
  padding: 8px 16px;
  border: 0;
  border-radius: 6px;
  background: #4f46e5;
  color: #fff;
  font: inherit;
  cursor: pointer;
}

ul {
  list-style: none;
  padding: 0;
}

li {
  display: flex;
  justify-content: space-between;
  align-items: center;
  padding: 8px 0;
  border-bottom: 1px solid #e5e7eb;
}

.hero {
  padding: 96px 24px;
  text-align: center;
  background: linear-gradient(135deg, #eef2ff, #f9fafb);
}

.hero h1 {
  font-size: 2.5rem;
  margin: 0 0 16px;
}

.features {
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(200px, 1fr));
  gap: 24px;
}

.feature {
  padding: 24px;
  border-radius: 12px;
  background: #fff;
  box-shadow: 0 1px 3px rgba(0, 0, 0, 0.08);
}

footer {
  padding: 24px;
  text-align: center;
  color: #6b7280;
}
`;

const TYPE_LABELS: Record<ProjectType, string> = {
  web_app: 'web app',
  api: 'API',
  landing_page: 'landing page',
  fullstack: 'full-stack app',
};

const FRAMEWORK_LABELS: Record<TemplateInput['framework'], string> = {
  react: 'React + Vite',
  vue: 'Vue + Vite',
  svelte: 'Svelte + Vite',
  nextjs: 'Next.js',
  express: 'Express',
  fastapi: 'FastAPI',
  html: 'HTML, CSS and JavaScript',
};

export interface ReadmeParts {
  instructions: string;
  /** Where the running project can be seen, e.g. `http://localhost:5173`. */
  url: string;
  /** Extra Markdown sections, such as the API's endpoints. */
  sections?: string[];
}

/** README.md: the description verbatim (it is Markdown already), how to run, what is inside. */
export function readme(input: TemplateInput, parts: ReadmeParts): string {
  return [
    `# ${input.title}`,
    '',
    input.description,
    '',
    `A ${TYPE_LABELS[input.type]} built with ${FRAMEWORK_LABELS[input.framework]}, written by Vectort's offline`,
    'template generator (no AI model was used). Use it as a starting point.',
    '',
    '## Run it',
    '',
    '```sh',
    parts.instructions,
    '```',
    '',
    `Then open ${parts.url}.`,
    ...(parts.sections ?? []).flatMap((s) => ['', s]),
    '',
  ].join('\n');
}

/**
 * A landing page as a JSX component named `name` (React and Next.js share it); `TITLE` and
 * `DESCRIPTION` must be in scope where it is placed.
 */
export function landingComponent(name: string): string {
  return `const FEATURES = ${JSON.stringify(FEATURES, null, 2)};

export default function ${name}() {
  return (
    <>
      <header className="hero">
        <h1>{TITLE}</h1>
        <p className="lead">{DESCRIPTION}</p>
        <a href="#features">
          <button type="button">Get started</button>
        </a>
      </header>
      <main className="container" id="features">
        <section className="features">
          {FEATURES.map((feature) => (
            <article className="feature" key={feature.title}>
              <h3>{feature.title}</h3>
              <p>{feature.text}</p>
            </article>
          ))}
        </section>
      </main>
      <footer>{TITLE}</footer>
    </>
  );
}
`;
}

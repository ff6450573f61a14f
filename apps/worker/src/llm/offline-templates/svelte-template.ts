import { FEATURES, NPM_VERSIONS } from './shared-assets';
import { jsString } from './template-escaping';
import type { Template, TemplateInput } from './template-input';
import { viteProject } from './vite-scaffold';

/**
 * Svelte 5 (runes) on Vite. The description lives in `<script>` and is shown with `{}`: written
 * into the markup itself, a `{` in it would start an expression.
 */
export const svelteTemplate: Template = (input) =>
  viteProject(input, {
    dependencies: {},
    devDependencies: { svelte: NPM_VERSIONS.svelte, '@sveltejs/vite-plugin-svelte': NPM_VERSIONS.pluginSvelte },
    pluginImport: "import { svelte } from '@sveltejs/vite-plugin-svelte';",
    pluginCall: 'svelte()',
    mountId: 'app',
    mainPath: 'src/main.js',
    sourceFiles: [
      { path: 'src/main.js', content: MAIN_JS },
      { path: 'src/App.svelte', content: input.type === 'landing_page' ? landingApp(input) : itemsApp(input) },
    ],
  });

const MAIN_JS = `import { mount } from 'svelte';
import App from './App.svelte';
import './styles.css';

mount(App, { target: document.getElementById('app') });
`;

function itemsApp(input: TemplateInput): string {
  return `<script>
  const title = ${jsString(input.title)};
  const description = ${jsString(input.description)};
  let items = $state([]);
  let text = $state('');

  function add(event) {
    event.preventDefault();
    const value = text.trim();
    if (!value) return;
    items.push({ id: Date.now(), text: value });
    text = '';
  }

  function remove(id) {
    items = items.filter((item) => item.id !== id);
  }
</script>

<main class="container">
  <h1>{title}</h1>
  <p class="lead">{description}</p>
  <form onsubmit={add}>
    <input bind:value={text} placeholder="Add an item" />
    <button type="submit">Add</button>
  </form>
  <ul>
    {#each items as item (item.id)}
      <li>
        <span>{item.text}</span>
        <button onclick={() => remove(item.id)}>Remove</button>
      </li>
    {/each}
  </ul>
</main>
`;
}

function landingApp(input: TemplateInput): string {
  return `<script>
  const title = ${jsString(input.title)};
  const description = ${jsString(input.description)};
  const features = ${JSON.stringify(FEATURES)};
</script>

<header class="hero">
  <h1>{title}</h1>
  <p class="lead">{description}</p>
  <a href="#features"><button type="button">Get started</button></a>
</header>
<main class="container" id="features">
  <section class="features">
    {#each features as feature (feature.title)}
      <article class="feature">
        <h3>{feature.title}</h3>
        <p>{feature.text}</p>
      </article>
    {/each}
  </section>
</main>
<footer>{title}</footer>
`;
}

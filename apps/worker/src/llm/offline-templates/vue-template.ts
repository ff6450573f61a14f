import { FEATURES, NPM_VERSIONS } from './shared-assets';
import { jsString } from './template-escaping';
import type { Template, TemplateInput } from './template-input';
import { viteProject } from './vite-scaffold';

/**
 * Vue 3 on Vite. The description lives in `<script setup>` and is shown with `{{ }}`: written
 * into the template itself, a `{{` in it would be evaluated.
 */
export const vueTemplate: Template = (input) =>
  viteProject(input, {
    dependencies: { vue: NPM_VERSIONS.vue },
    devDependencies: { '@vitejs/plugin-vue': NPM_VERSIONS.pluginVue },
    pluginImport: "import vue from '@vitejs/plugin-vue';",
    pluginCall: 'vue()',
    mountId: 'app',
    mainPath: 'src/main.js',
    sourceFiles: [
      { path: 'src/main.js', content: MAIN_JS },
      { path: 'src/App.vue', content: input.type === 'landing_page' ? landingApp(input) : itemsApp(input) },
    ],
  });

const MAIN_JS = `import { createApp } from 'vue';
import App from './App.vue';
import './styles.css';

createApp(App).mount('#app');
`;

function itemsApp(input: TemplateInput): string {
  return `<script setup>
import { ref } from 'vue';

const title = ${jsString(input.title)};
const description = ${jsString(input.description)};
const items = ref([]);
const text = ref('');

function add() {
  const value = text.value.trim();
  if (!value) return;
  items.value.push({ id: Date.now(), text: value });
  text.value = '';
}

function remove(id) {
  items.value = items.value.filter((item) => item.id !== id);
}
</script>

<template>
  <main class="container">
    <h1>{{ title }}</h1>
    <p class="lead">{{ description }}</p>
    <form @submit.prevent="add">
      <input v-model="text" placeholder="Add an item" />
      <button type="submit">Add</button>
    </form>
    <ul>
      <li v-for="item in items" :key="item.id">
        <span>{{ item.text }}</span>
        <button @click="remove(item.id)">Remove</button>
      </li>
    </ul>
  </main>
</template>
`;
}

function landingApp(input: TemplateInput): string {
  return `<script setup>
const title = ${jsString(input.title)};
const description = ${jsString(input.description)};
const features = ${JSON.stringify(FEATURES, null, 2)};
</script>

<template>
  <header class="hero">
    <h1>{{ title }}</h1>
    <p class="lead">{{ description }}</p>
    <a href="#features"><button type="button">Get started</button></a>
  </header>
  <main class="container" id="features">
    <section class="features">
      <article v-for="feature in features" :key="feature.title" class="feature">
        <h3>{{ feature.title }}</h3>
        <p>{{ feature.text }}</p>
      </article>
    </section>
  </main>
  <footer>{{ title }}</footer>
</template>
`;
}

import { NPM_VERSIONS, landingComponent } from './shared-assets';
import { jsString } from './template-escaping';
import type { Template, TemplateInput } from './template-input';
import { viteProject } from './vite-scaffold';

/** React 19 on Vite. The description enters JSX only as a string constant rendered with `{}`. */
export const reactTemplate: Template = (input) =>
  viteProject(input, {
    dependencies: { react: NPM_VERSIONS.react, 'react-dom': NPM_VERSIONS.react },
    devDependencies: { '@vitejs/plugin-react': NPM_VERSIONS.pluginReact },
    pluginImport: "import react from '@vitejs/plugin-react';",
    pluginCall: 'react()',
    mountId: 'root',
    mainPath: 'src/main.jsx',
    sourceFiles: [
      { path: 'src/main.jsx', content: MAIN_JSX },
      { path: 'src/App.jsx', content: input.type === 'landing_page' ? landingApp(input) : itemsApp(input) },
    ],
  });

const MAIN_JSX = `import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import App from './App.jsx';
import './styles.css';

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
`;

function constants(input: TemplateInput): string {
  return `const TITLE = ${jsString(input.title)};
const DESCRIPTION = ${jsString(input.description)};`;
}

function itemsApp(input: TemplateInput): string {
  return `import { useState } from 'react';

${constants(input)}

export default function App() {
  const [items, setItems] = useState([]);
  const [text, setText] = useState('');

  function add(event) {
    event.preventDefault();
    const value = text.trim();
    if (!value) return;
    setItems([...items, { id: Date.now(), text: value }]);
    setText('');
  }

  return (
    <main className="container">
      <h1>{TITLE}</h1>
      <p className="lead">{DESCRIPTION}</p>
      <form onSubmit={add}>
        <input value={text} onChange={(event) => setText(event.target.value)} placeholder="Add an item" />
        <button type="submit">Add</button>
      </form>
      <ul>
        {items.map((item) => (
          <li key={item.id}>
            <span>{item.text}</span>
            <button onClick={() => setItems(items.filter((other) => other.id !== item.id))}>Remove</button>
          </li>
        ))}
      </ul>
    </main>
  );
}
`;
}

function landingApp(input: TemplateInput): string {
  return `${constants(input)}
${landingComponent('App')}`;
}

import type { Framework, ProjectType } from '@vectort/shared';
import type { GeneratedFile, GenerationRequest } from '../llm-provider';

/** What every template writes from; all of it derived from the request alone, so output is deterministic. */
export interface TemplateInput {
  /** The user's description with unpaired surrogates replaced, so every encoder accepts it. */
  description: string;
  /** The description's first line, cut to a heading's length. */
  title: string;
  /** An npm-safe package name from the title. */
  slug: string;
  framework: Framework;
  type: ProjectType;
}

export interface ProjectTemplate {
  files: GeneratedFile[];
  entrypoint: string;
  instructions: string;
}

export type Template = (input: TemplateInput) => ProjectTemplate;

const TITLE_MAX = 60;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function templateInput(req: GenerationRequest): TemplateInput {
  const description = req.description.replace(LONE_SURROGATE, '\uFFFD').trim();
  const firstLine = (description.split(/\r?\n/).find((l) => l.trim() !== '') ?? '').replace(/\s+/g, ' ').trim();
  const title = firstLine === '' ? 'Vectort app' : shorten(firstLine);
  const slug =
    title
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40)
      .replace(/-+$/, '') || 'vectort-app';
  return { description, title, slug, framework: req.framework, type: req.type };
}

function shorten(line: string): string {
  if (line.length <= TITLE_MAX) return line;
  const cut = line.slice(0, TITLE_MAX);
  const space = cut.lastIndexOf(' ');
  return `${space > TITLE_MAX / 2 ? cut.slice(0, space) : cut}…`;
}

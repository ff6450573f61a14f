import type { Express } from 'express';

interface Layer {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** `/projects/:id/generate` → `/projects/{id}/generate` (OpenAPI's path template); a router's `/` is its mount path. */
const toTemplate = (path: string) => (path.length > 1 ? path.replace(/\/$/, '') : path).replace(/:(\w+)/g, '{$1}');

/**
 * Every `METHOD /path` the app routes, found by walking Express's router stack (mounted routers
 * included). A mount listed in `opaqueMounts` (a third-party UI with its own internal routes)
 * counts as one `GET` at its mount path.
 */
export function expressRoutes(app: Express, opaqueMounts: readonly string[] = []): string[] {
  const found = new Set<string>();
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const path = String(layer.route.path);
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (on && method !== '_all') found.add(`${method.toUpperCase()} ${toTemplate(prefix + path)}`);
        }
      } else if (layer.handle?.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        if (opaqueMounts.includes(prefix + mount)) found.add(`GET ${prefix + mount}`);
        else walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return [...found].sort();
}

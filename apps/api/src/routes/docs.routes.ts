import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Router } from 'express';
import { NotFoundError } from '@vectort/shared';
import { recordRoute } from '../middleware/request-context';
import type { OpenApiDocument } from '../openapi/openapi-document';

/** The files of swagger-ui-dist the page loads; nothing else of that folder is served. */
const SWAGGER_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

// An external script rather than an inline one, so helmet's default CSP (`script-src 'self'`) holds
// on this page as everywhere; `validatorUrl: null` keeps Swagger UI from calling its online validator.
const INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
  persistAuthorization: false,
  validatorUrl: null,
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Vectort API reference</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/assets/vectort-docs.js"></script>
</body>
</html>
`;

/** `GET /api/openapi.json`, and `GET /docs`: Swagger UI from node_modules, no CDN. */
export function docsRoutes(deps: { document: OpenApiDocument }): Router {
  const router = Router();
  const body = JSON.stringify(deps.document);
  const assetsDir = dirname(require.resolve('swagger-ui-dist/package.json'));
  const assets = new Map<string, Buffer>();

  router.get('/api/openapi.json', recordRoute, (_req, res) => {
    res.type('application/json').send(body);
  });

  router.get('/docs', recordRoute, (_req, res) => {
    res.type('html').send(PAGE);
  });

  router.get('/docs/assets/:file', recordRoute, (req, res) => {
    const file = req.params.file as string;
    if (file === 'vectort-docs.js') {
      res.type('text/javascript; charset=utf-8').send(INIT_SCRIPT);
      return;
    }
    const type = SWAGGER_ASSETS[file];
    if (!type) throw new NotFoundError('Asset');
    let content = assets.get(file);
    if (!content) {
      content = readFileSync(join(assetsDir, file));
      assets.set(file, content);
    }
    res.set('Cache-Control', 'public, max-age=3600').type(type).send(content);
  });

  return router;
}

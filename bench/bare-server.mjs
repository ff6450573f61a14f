// The baselines, in their own process like the API:
//  - POST /bare: a bare Express 5 route returning a ~5 KB JSON body (DESIGN.md's baseline);
//  - POST /floor: the least any cache hit must do on top of that, and nothing else: one Redis
//    round trip fetching the stored ~5 KB body, and one access line through the project's logger
//    (winston, JSON, at info). No auth, no headers, no validation: what is left between the hit
//    and this route is the contract's own work.
// With SERVER_CLASSES=1 the server is the API's own (`createExpressServer`: requests and responses
// born with express's prototypes) instead of `app.listen`'s: the same routes, the stricter baseline.
import express from 'express';
import { Redis } from 'ioredis';
import { createExpressServer } from '../apps/api/dist/http/express-server.js';
import { createLogger } from '../packages/shared/dist/index.js';

const body = {
  status: 'completed',
  cached: true,
  generation: {
    id: 'x',
    files: Array.from({ length: 10 }, (_, i) => ({ path: `src/file${i}.js`, content: 'x'.repeat(450) })),
  },
};
const app = express();
app.use(express.json());
app.post('/bare', (_req, res) => res.json(body));

const redis = process.env.REDIS_URL ? new Redis(process.env.REDIS_URL) : null;
const floorKey = `${process.env.REDIS_KEY_PREFIX ?? 'bench'}:floor`;
if (redis) {
  await redis.set(floorKey, JSON.stringify(body), 'EX', 3600);
  const logger = createLogger({ service: 'bench-floor', level: 'info' });
  app.post('/floor', async (req, res) => {
    const started = process.hrtime.bigint();
    const stored = await redis.getBuffer(floorKey);
    res.on('finish', () =>
      logger.info('request', {
        method: req.method,
        route: '/floor',
        status: res.statusCode,
        duration_ms: Number(process.hrtime.bigint() - started) / 1e6,
      }),
    );
    res.type('application/json').send(stored);
  });
}
const ready = () => process.stdout.write('ready\n');
const server =
  process.env.SERVER_CLASSES === '1'
    ? createExpressServer(app).listen(Number(process.env.PORT), '127.0.0.1', ready)
    : app.listen(Number(process.env.PORT), '127.0.0.1', ready);
process.on('SIGTERM', () => server.close(() => process.exit(0)));

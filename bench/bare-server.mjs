// The baseline: a bare Express 5 route returning a ~5 KB JSON body, in its own process like the API.
import express from 'express';

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
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));

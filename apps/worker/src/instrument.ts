// Loaded first by main.ts, before express and the drivers, so Sentry's instrumentation sees
// them load: the one module here whose import does work.
import { bootstrap } from '@vectort/shared/dist/observability/bootstrap';

export const { config, errorReporter } = bootstrap('worker');

// Loaded first by main.ts, before express and the drivers, so Sentry's instrumentation sees
// them load: the one module here whose import does work. It reads only the config and
// Sentry modules of the shared package for the same reason.
import { ConfigError, loadConfig } from '@vectort/shared/dist/config/config';
import { loadDotenv } from '@vectort/shared/dist/config/dotenv';
import { initErrorReporter } from '@vectort/shared/dist/observability/error-reporter';

function readConfig() {
  loadDotenv();
  try {
    return loadConfig();
  } catch (err) {
    // One line naming the problem, as the contract asks.
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

export const config = readConfig();
export const errorReporter = initErrorReporter(config, 'api');

// Imported (by path, not through the package index) from each app's instrument.ts, first
// thing in main.ts: it loads only the config and Sentry modules, so Sentry's instrumentation is
// in place before express and the drivers load.
import { ConfigError, loadConfig, type Config } from '../config/config';
import { loadDotenv } from '../config/dotenv';
import { initErrorReporter, type ErrorReporter } from './error-reporter';

/**
 * Reads `.env` and the configuration (exiting with the one-line message when it is wrong) and
 * starts error reporting for `service`.
 */
export function bootstrap(service: 'api' | 'worker'): { config: Config; errorReporter: ErrorReporter } {
  loadDotenv();
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  return { config, errorReporter: initErrorReporter(config, service) };
}

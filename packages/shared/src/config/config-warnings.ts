import type { Logger } from '../logging/logger';
import type { Config } from './config';

/**
 * Logs, once at start, the settings that are set but no longer do anything, so an operator
 * relying on them finds out. Called by each process's `main.ts`.
 */
export function logConfigWarnings(logger: Logger, config: Pick<Config, 'adminEmailsIgnored'>): void {
  if (config.adminEmailsIgnored) {
    logger.warn('admin_emails_ignored', {
      detail:
        'ADMIN_EMAILS is no longer read and makes nobody an admin; grant admin rights with `npm run admin -- grant <email>`',
    });
  }
}

import type { Logger } from './logger';

/**
 * Sends Node's process warnings through the JSON logger instead of plain stderr text. The AWS
 * SDK's Node-version notice is logged once at debug level: DESIGN.md already plans for it.
 */
export function logProcessWarnings(logger: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    const level = warning.message.startsWith('NodeVersionSupportWarning') ? 'debug' : 'warn';
    logger.log(level, 'process_warning', { warning_name: warning.name, warning: warning.message });
  });
}

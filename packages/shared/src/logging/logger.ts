import winston from 'winston';
import { redact } from './redact';

export type Logger = winston.Logger;

export interface LoggerOptions {
  /** `api` or `worker`: the `service` field of every line. */
  service: string;
  level: string;
  /** Where lines go. @defaultValue stdout */
  stream?: NodeJS.WritableStream;
}

// winston's info object carries its own symbols (level, message); keep them, redact the rest.
const KEPT = new Set(['level', 'timestamp', 'service']);
const redactFormat = winston.format((info) => {
  const fields = Object.fromEntries(Object.entries(info).filter(([key]) => !KEPT.has(key)));
  Object.assign(info, redact(fields));
  return info;
});

/** A winston logger that writes one JSON object per line, secrets redacted. */
export function createLogger(options: LoggerOptions): Logger {
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  return winston.createLogger({
    level: options.level,
    defaultMeta: { service: options.service },
    format: winston.format.combine(
      winston.format.errors({ stack: true }),
      redactFormat(),
      winston.format.timestamp(),
      winston.format.json(),
    ),
    transports: [transport],
  });
}

import winston from 'winston';
import { REDACTED, isSecretKey, redact, redactString } from './redact';

export type Logger = winston.Logger;

export interface LoggerOptions {
  /** `api` or `worker`: the `service` field of every line. */
  service: string;
  level: string;
  /** Where lines go. @defaultValue stdout */
  stream?: NodeJS.WritableStream;
}

/** triple-beam's symbol (winston's own dependency): where a format leaves the finished line. */
const MESSAGE = Symbol.for('message');

// winston's info object carries its own symbols (level, message); keep them, redact the rest.
const KEPT = new Set(['level', 'timestamp', 'service']);
const redactFormat = winston.format((info) => {
  const fields = Object.fromEntries(Object.entries(info).filter(([key]) => !KEPT.has(key)));
  Object.assign(info, redact(fields));
  return info;
});

/** The general line: errors with their stack, secrets redacted, a timestamp, JSON with sorted keys. */
const generalLine = winston.format.combine(
  winston.format.errors({ stack: true }),
  redactFormat(),
  winston.format.timestamp(),
  winston.format.json(),
);

type Flat = string | number | boolean | null | undefined;
const isFlat = (value: unknown): value is Flat =>
  value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'bigint');

/**
 * {@link generalLine}, byte for byte, for the common line whose fields are all strings, numbers
 * or booleans (every access line): one pass, no per-line stringify set-up, no copies. Anything
 * else (an Error, nested objects, BigInt) takes the general formats.
 */
const lineFormat = winston.format((info) => {
  const keys = Object.keys(info);
  if (info instanceof Error || !keys.every((key) => isFlat(info[key])))
    return generalLine.transform(info, generalLine.options);
  for (const key of keys) {
    const value = info[key] as Flat;
    if (typeof value === 'string' && !KEPT.has(key)) info[key] = isSecretKey(key) ? REDACTED : redactString(value);
  }
  if (!info.timestamp) {
    if (!keys.includes('timestamp')) keys.push('timestamp');
    info.timestamp = new Date().toISOString();
  }
  // logform's json() sorts keys (safe-stable-stringify); so does this, and JSON.stringify then
  // writes flat values exactly as it does (undefined left out, non-finite numbers as null).
  const sorted: Record<string, unknown> = {};
  for (const key of keys.sort()) sorted[key] = info[key];
  (info as Record<symbol, unknown>)[MESSAGE] = JSON.stringify(sorted);
  return info;
});

/**
 * winston formats every line before its transports drop those under their level; a line under
 * the logger's level is dropped here instead, before any of that work (a cache hit's access
 * line at `LOG_LEVEL=warn` cost as much as writing it).
 */
/**
 * Whether `logger` writes lines of `level`: winston's isLevelEnabled for transports without a
 * level of their own (createLogger's), without its per-call lookups.
 */
export const levelEnabled = (logger: Logger, level: string): boolean =>
  (logger.levels[level] ?? Infinity) <= (logger.levels[logger.level] ?? -Infinity);

function skipDisabledLevels(logger: Logger): void {
  const enabled = levelEnabled;
  const levelMethods = logger as unknown as Record<string, (...args: unknown[]) => Logger>;
  for (const level of Object.keys(logger.levels)) {
    const write = levelMethods[level]!;
    levelMethods[level] = function (this: Logger | undefined, ...args: unknown[]) {
      const self = this ?? logger;
      return enabled(self, level) ? write.apply(self, args) : self;
    };
  }
  // Unbound: called on a child, it must write through the child (its fields).
  const log = logger.log as unknown as (this: Logger, ...args: unknown[]) => Logger;
  logger.log = function (this: Logger | undefined, level: unknown, ...rest: unknown[]) {
    const self = this ?? logger;
    if (typeof level === 'string' && !enabled(self, level)) return self;
    return log.call(self, level, ...rest);
  } as Logger['log'];
}

/** A winston logger that writes one JSON object per line, secrets redacted. */
export function createLogger(options: LoggerOptions): Logger {
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  const logger = winston.createLogger({
    level: options.level,
    defaultMeta: { service: options.service },
    format: lineFormat(),
    transports: [transport],
  });
  skipDisabledLevels(logger);
  return logger;
}

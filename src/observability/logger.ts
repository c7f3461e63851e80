/**
 * Structured JSON logs with pino. One root logger per Seamless instance; components take a
 * child named after their stream (`seamless.backfill`, `seamless.gateway`, …) once and keep it.
 */
import { pino } from 'pino';
import type { DestinationStream, Logger, LevelWithSilent } from 'pino';

export type { Logger };

export const LOGGER_NAMES = {
  provider: 'seamless.provider',
  backfill: 'seamless.backfill',
  gateway: 'seamless.gateway',
  storage: 'seamless.storage',
  sla: 'seamless.sla',
  conformance: 'seamless.conformance',
  schema: 'seamless.schema',
  live: 'seamless.live',
} as const;

export function createLogger(options: { level?: LevelWithSilent; destination?: DestinationStream } = {}): Logger {
  const opts = { level: options.level ?? 'info', base: { service: 'seamless' } };
  return options.destination ? pino(opts, options.destination) : pino(opts, pino.destination({ dest: 2, sync: false }));
}

/** A logger that drops everything (tests, benches). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

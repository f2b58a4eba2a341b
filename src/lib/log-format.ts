// How logs are written: human-readable lines (pino-pretty, in pino's worker thread) in development on a
// terminal, JSON lines everywhere else (production, tests, a pipe to a log collector).
import type { Config } from '../config.js'

export function prettyLogs(config: Pick<Config, 'NODE_ENV'>, tty = Boolean(process.stdout.isTTY)): boolean {
  return config.NODE_ENV === 'development' && tty
}

/** Pino options to spread into a logger's: the pretty transport when `prettyLogs`, else nothing. */
export function logTransport(config: Pick<Config, 'NODE_ENV'>, tty?: boolean) {
  if (!prettyLogs(config, tty)) return {}
  // pino-pretty is loaded by name in the worker thread, only when this is used.
  return {
    transport: {
      target: 'pino-pretty',
      options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'hostname', singleLine: false },
    },
  }
}

// One logger for the whole process: pino, JSON lines by default, pretty when stdout is a TTY.
import pino from 'pino';
import type { Logger, LevelWithSilent } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: LevelWithSilent | string;
  /** Force pretty (true) or JSON (false); default: pretty on a TTY, unless LBAGENT_LOG_FORMAT=json. */
  pretty?: boolean;
  name?: string;
  destination?: pino.DestinationStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const envFormat = process.env.LBAGENT_LOG_FORMAT;
  const pretty = opts.pretty ?? (envFormat ? envFormat === 'pretty' : Boolean(process.stdout.isTTY));
  const level = opts.level ?? process.env.LBAGENT_LOG_LEVEL ?? 'info';
  const base = { name: opts.name };
  if (opts.destination) return pino({ level, base }, opts.destination);
  if (pretty) {
    return pino({
      level,
      base,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return pino({ level, base }, pino.destination({ sync: false }));
}

/** A logger that drops everything (library use and tests that do not look at logs). */
export const silentLogger: Logger = pino({ level: 'silent' });

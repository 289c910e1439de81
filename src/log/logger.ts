// One logger for the whole process: pino, JSON lines by default, pretty when stdout is a TTY.
import pino from 'pino';
import type { Logger, LevelWithSilent } from 'pino';
import type { LogTap } from './tap.js';

export type { Logger };

export interface LoggerOptions {
  level?: LevelWithSilent | string;
  /** Force pretty (true) or JSON (false); default: pretty on a TTY, unless LBAGENT_LOG_FORMAT=json. */
  pretty?: boolean;
  name?: string;
  destination?: pino.DestinationStream;
  /** Also write every line at debug or above to this tap (the agent's `monitor`), whatever `level` is. */
  tap?: LogTap;
}

/** pino-pretty's settings, wherever it runs. */
export const PRETTY_OPTIONS = { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' };

let prettyInProcess: (() => pino.DestinationStream) | undefined;

/** Pretty output in this thread instead of pino's transport (a worker thread that loads pino-pretty by name from
 *  node_modules, which a single executable has not got: src/sea/entry.ts sets this). */
export function usePrettyInProcess(make: () => pino.DestinationStream): void {
  prettyInProcess = make;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const envFormat = process.env.LBAGENT_LOG_FORMAT;
  const pretty = opts.pretty ?? (envFormat ? envFormat === 'pretty' : Boolean(process.stdout.isTTY));
  const level = opts.level ?? process.env.LBAGENT_LOG_LEVEL ?? 'info';
  const base = { name: opts.name };
  const out: pino.DestinationStream =
    opts.destination ??
    (pretty
      ? (prettyInProcess?.() ?? pino.transport({ target: 'pino-pretty', options: PRETTY_OPTIONS }))
      : pino.destination({ sync: false }));
  if (!opts.tap) return pino({ level, base }, out);
  // The logger runs at the lower of the two levels; each stream keeps only its own.
  const lowest = pino.levels.values[level]! < pino.levels.values.debug! ? level : 'debug';
  return pino({ level: lowest, base }, pino.multistream([{ level: level as pino.Level, stream: out }, { level: 'debug', stream: opts.tap }]));
}

/** A logger that drops everything (library use and tests that do not look at logs). */
export const silentLogger: Logger = pino({ level: 'silent' });

// A configuration problem, located in its file: what is wrong and what was expected.
import type { ErrorSpec } from '../errors/index.js';

export interface ConfigError {
  file: string;
  line: number; // 1-based
  col: number; // 1-based
  /** Dotted path of the offending key, e.g. "backends.web.servers[2].weight". */
  key: string;
  message: string;
  expected?: string;
  /** the catalogue's LBA_ERR_* code, for the problems scripts and docs refer to (src/errors/config.ts) */
  code?: ErrorSpec['code'];
}

export function formatConfigError(e: ConfigError): string {
  const where = `${e.file}:${e.line}:${e.col}`;
  const key = e.key ? ` '${e.key}'` : '';
  const expected = e.expected ? ` (expected ${e.expected})` : '';
  const code = e.code ? ` [${e.code}]` : '';
  return `${where}:${key} ${e.message}${expected}${code}`;
}

export type ConfigResult<T> = { ok: true; value: T } | { ok: false; errors: ConfigError[] };

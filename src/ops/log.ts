// Structured logging to stderr only: text or one JSON object per line. Callers pass keys, never values.
import { writeOut } from './output.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogFields {
  resource?: string;
  keys?: readonly string[];
  [field: string]: unknown;
}

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  enabled(level: Level): boolean;
}

export interface LoggerOptions {
  level: Level;
  format: 'text' | 'json';
  write?: (line: string) => void;
}

/** A logger at `level` writing text lines or JSON objects (one per line) to `write`, stderr by default. */
export function createLogger({ level, format, write = (line) => writeOut(2, line) }: LoggerOptions): Logger {
  const min = rank[level];
  const emit = (lvl: Level, message: string, fields?: LogFields): void => {
    if (rank[lvl] < min) return;
    if (format === 'json') {
      write(JSON.stringify({ time: new Date().toISOString(), level: lvl, message, ...fields }) + '\n');
      return;
    }
    let line = `keyplate ${lvl.toUpperCase().padEnd(5)} `;
    if (fields?.resource) line += `${fields.resource}: `;
    line += message;
    // Text messages are complete sentences; the structured fields are for --log-format json.
    write(line + '\n');
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    enabled: (lvl) => rank[lvl] >= min,
  };
}

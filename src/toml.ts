// TOML parsing with error locations; @iarna/toml is a full TOML 0.5 parser so we do not hand-write one.
import TOML from '@iarna/toml';

export function parseToml(text: string): Record<string, unknown> {
  return TOML.parse(text) as Record<string, unknown>;
}

/** `:LINE:COL` for a TOML syntax error (1-based), or '' when the error carries no position. */
export function tomlErrorLocation(error: unknown): string {
  const e = error as { line?: number; col?: number };
  return typeof e.line === 'number' ? `:${e.line + 1}:${(e.col ?? 0) + 1}` : '';
}

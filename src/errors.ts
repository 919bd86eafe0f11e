// One error class per layer, each with its documented exit code; the original stays as `cause`.

export const ExitCode = {
  ok: 0,
  /** A resource failed to render, check, write or reload. */
  resourceFailed: 1,
  /** Bad flag, bad config, bad TOML, bad template. */
  usage: 2,
  /** Gave up waiting for keys (--wait-timeout). */
  waitTimeout: 3,
} as const;

export class KeyplateError extends Error {
  readonly exitCode: number = ExitCode.resourceFailed;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A bad flag, environment variable or keyplate.toml entry. */
export class UsageError extends KeyplateError {
  override readonly exitCode = ExitCode.usage;
}

/** A bad resource file or template: found before anything is written. */
export class ConfigError extends KeyplateError {
  override readonly exitCode = ExitCode.usage;
}

/** Rendering a template failed (a helper error such as division by zero). */
export class RenderError extends KeyplateError {}

/** Staging, checking, writing or reloading a destination failed. */
export class WriteError extends KeyplateError {
  constructor(
    message: string,
    options?: { cause?: unknown; output?: string },
  ) {
    super(message, options);
    this.output = options?.output;
  }
  readonly output?: string;
}

export class WaitTimeoutError extends KeyplateError {
  override readonly exitCode = ExitCode.waitTimeout;
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return `\`${value}\` (string)`;
  return `\`${JSON.stringify(value)}\` (${Array.isArray(value) ? 'array' : typeof value})`;
}

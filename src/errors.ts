// One error class per layer, each with its documented exit code; the original stays as `cause`.

/** keyplate's exit codes, as README "Exit codes" documents them. */
export const ExitCode = {
  ok: 0,
  /** A resource failed to render, check, write or reload; or the backend failed (unreachable past a bound, refused). */
  resourceFailed: 1,
  /** Bad flag, bad config, bad TOML, bad template. */
  usage: 2,
  /** Keys were missing: gave up waiting for them (--wait-timeout), or they cannot arrive (--onetime, env). */
  missingKeys: 3,
} as const;

/** Every error keyplate reports to the user; `exitCode` is what the run ends with when the error ends it. */
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

/** Staging, checking, writing or reloading a destination failed; `output` is the command's output, if one ran. */
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

/** check_cmd rejected a staged file: the destination was left as it was. */
export class CheckError extends WriteError {}

/** How a value is quoted in messages: `` `x` (string)``, `` `[1]` (array)``. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `\`${value}\` (string)`;
  return `\`${JSON.stringify(value)}\` (${Array.isArray(value) ? 'array' : typeof value})`;
}

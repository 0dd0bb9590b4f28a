/**
 * The two ways starting the runtime can fail. The CLI maps them to exit codes: a {@link UsageError} (a bad
 * flag) exits 2, a {@link ConfigError} (bad spin.toml, runtime config, variable, migration) exits 1.
 * Messages are one line and name the offending key or flag.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

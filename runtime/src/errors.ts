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

/**
 * `--listen` names an address another process holds. Its own class so that the CLI can add how to choose
 * another address (which depends on how it was started, e.g. through `npm start`).
 */
export class AddressInUseError extends ConfigError {
  /** `host:port` as given. */
  readonly address: string;
  constructor(address: string) {
    super(`--listen ${address}: address already in use (another server is listening there)`);
    this.address = address;
  }
}

/**
 * Typed reads from parsed TOML with errors that name the key, e.g. `component.web.source: expected a string`.
 * Every table is checked for unknown keys too, so a typo is an error rather than silently ignored.
 */
import { ConfigError } from './errors.js';

export type Table = Record<string, unknown>;

export class TomlReader {
  constructor(readonly file: string) {}

  fail(key: string, message: string): never {
    throw new ConfigError(`${this.file}: ${key}: ${message}`);
  }

  isTable(value: unknown): value is Table {
    return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
  }

  table(value: unknown, key: string, allowed?: readonly string[]): Table {
    if (!this.isTable(value)) this.fail(key, 'expected a table');
    if (allowed) {
      const unknown = Object.keys(value).find((k) => !allowed.includes(k));
      if (unknown !== undefined)
        this.fail(key ? `${key}.${unknown}` : unknown, `unknown or unsupported key (supported: ${allowed.join(', ')})`);
    }
    return value;
  }

  string(value: unknown, key: string): string {
    if (typeof value !== 'string') this.fail(key, 'expected a string');
    return value;
  }

  optionalString(value: unknown, key: string): string | undefined {
    return value === undefined ? undefined : this.string(value, key);
  }

  boolean(value: unknown, key: string): boolean {
    if (typeof value !== 'boolean') this.fail(key, 'expected true or false');
    return value;
  }

  stringArray(value: unknown, key: string): string[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) this.fail(key, 'expected an array of strings');
    return value.map((item, i) => this.string(item, `${key}[${i}]`));
  }

  stringMap(value: unknown, key: string): Record<string, string> {
    if (value === undefined) return {};
    const table = this.table(value, key);
    return Object.fromEntries(Object.entries(table).map(([k, v]) => [k, this.string(v, `${key}.${k}`)]));
  }
}

/**
 * `wasi:http/types` `fields`: names checked as tokens and kept lower-case, values checked as field values,
 * as wasmtime-wasi-http checks them (the `http` crate's `HeaderName::from_bytes` and
 * `HeaderValue::from_bytes`): a bad one is `header-error.invalid-syntax`. Immutable once attached.
 *
 * Values cross threads as strings with one character per byte (Latin-1), so every byte a guest wrote
 * reaches the socket unchanged and Node never sees a character it cannot write.
 */

type HeaderError = { tag: 'invalid-syntax' } | { tag: 'forbidden' } | { tag: 'immutable' };

const encoder = new TextEncoder();
/** RFC 9110 token: what `HeaderName::from_bytes` accepts (upper case too: it is lower-cased). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * RFC 9110 field-value as the `http` crate's `HeaderValue::from_bytes` checks it: any byte but the control
 * characters (0x00-0x1F, 0x7F), HTAB excepted; so no CR, LF or NUL. Obs-text (0x80-0xFF) is allowed.
 */
export function isFieldValue(value: Uint8Array): boolean {
  for (const byte of value) {
    if ((byte < 0x20 && byte !== 0x09) || byte === 0x7f) return false;
  }
  return true;
}

export function isFieldName(name: string): boolean {
  return TOKEN.test(name);
}

function checked(value: Uint8Array): Uint8Array {
  if (!isFieldValue(value)) throw { tag: 'invalid-syntax' } satisfies HeaderError;
  return value.slice();
}

/** Bytes to a string of one character per byte (Latin-1), as Node's HTTP parser hands header values over. */
export function latin1(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 4096) text += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return text;
}

/** The reverse of {@link latin1}; a string with characters above U+00FF (from the in-process API) is UTF-8. */
function wireBytes(value: string): Uint8Array {
  // eslint-disable-next-line no-control-regex
  if (/[^\u0000-\u00ff]/.test(value)) return encoder.encode(value);
  return Uint8Array.from(value, (c) => c.charCodeAt(0));
}

export class Fields {
  #entries: [string, Uint8Array][] = [];
  #immutable = false;

  static fromList(entries: [string, Uint8Array][]): Fields {
    const fields = new Fields();
    for (const [name, value] of entries) {
      if (!TOKEN.test(name)) throw { tag: 'invalid-syntax' } satisfies HeaderError;
      fields.#entries.push([name.toLowerCase(), checked(value)]);
    }
    return fields;
  }

  static fromWire(headers: [string, string][]): Fields {
    const fields = new Fields();
    fields.#entries = headers.map(([name, value]) => [name.toLowerCase(), wireBytes(value)]);
    fields.#immutable = true;
    return fields;
  }

  toWire(): [string, string][] {
    return this.#entries.map(([name, value]) => [name, latin1(value)]);
  }

  lock(): void {
    this.#immutable = true;
  }

  #mutate(name: string): string {
    if (this.#immutable) throw { tag: 'immutable' } satisfies HeaderError;
    if (!TOKEN.test(name)) throw { tag: 'invalid-syntax' } satisfies HeaderError;
    return name.toLowerCase();
  }

  get(name: string): Uint8Array[] {
    const key = name.toLowerCase();
    return this.#entries.filter(([n]) => n === key).map(([, v]) => v);
  }

  has(name: string): boolean {
    const key = name.toLowerCase();
    return this.#entries.some(([n]) => n === key);
  }

  set(name: string, values: Uint8Array[]): void {
    const key = this.#mutate(name);
    const copies = values.map(checked);
    this.#entries = this.#entries.filter(([n]) => n !== key);
    for (const value of copies) this.#entries.push([key, value]);
  }

  delete(name: string): void {
    const key = this.#mutate(name);
    this.#entries = this.#entries.filter(([n]) => n !== key);
  }

  append(name: string, value: Uint8Array): void {
    this.#entries.push([this.#mutate(name), checked(value)]);
  }

  entries(): [string, Uint8Array][] {
    return this.#entries.map(([n, v]) => [n, v]);
  }

  clone(): Fields {
    const copy = new Fields();
    copy.#entries = this.entries();
    return copy;
  }
}

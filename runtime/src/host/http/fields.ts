/** `wasi:http/types` `fields`: header names checked as tokens, kept lower-case; immutable once attached. */

type HeaderError = { tag: 'invalid-syntax' } | { tag: 'forbidden' } | { tag: 'immutable' };

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export class Fields {
  #entries: [string, Uint8Array][] = [];
  #immutable = false;

  static fromList(entries: [string, Uint8Array][]): Fields {
    const fields = new Fields();
    for (const [name, value] of entries) {
      if (!TOKEN.test(name)) throw { tag: 'invalid-syntax' } satisfies HeaderError;
      fields.#entries.push([name.toLowerCase(), value.slice()]);
    }
    return fields;
  }

  static fromWire(headers: [string, string][]): Fields {
    const fields = new Fields();
    fields.#entries = headers.map(([name, value]) => [name.toLowerCase(), encoder.encode(value)]);
    fields.#immutable = true;
    return fields;
  }

  toWire(): [string, string][] {
    return this.#entries.map(([name, value]) => [name, decoder.decode(value)]);
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
    this.#entries = this.#entries.filter(([n]) => n !== key);
    for (const value of values) this.#entries.push([key, value.slice()]);
  }

  delete(name: string): void {
    const key = this.#mutate(name);
    this.#entries = this.#entries.filter(([n]) => n !== key);
  }

  append(name: string, value: Uint8Array): void {
    this.#entries.push([this.#mutate(name), value.slice()]);
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

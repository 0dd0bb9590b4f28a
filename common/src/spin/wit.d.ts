// Types of the Spin host interfaces the components import, written from the WIT in /wit/deps/spin (the
// `fermyon:spin@2.0.0` package). The build marks these modules external: componentize-js binds them to the
// component's imports. A WIT `result<T, E>` returns T or throws an Error whose `payload` is E.

declare module 'fermyon:spin/sqlite@2.0.0' {
  export type Value =
    | { tag: 'integer'; val: bigint }
    | { tag: 'real'; val: number }
    | { tag: 'text'; val: string }
    | { tag: 'blob'; val: Uint8Array }
    | { tag: 'null' };
  export type Error =
    | { tag: 'no-such-database' }
    | { tag: 'access-denied' }
    | { tag: 'invalid-connection' }
    | { tag: 'database-full' }
    | { tag: 'io'; val: string };
  export interface RowResult {
    values: Value[];
  }
  export interface QueryResult {
    columns: string[];
    rows: RowResult[];
  }
  export class Connection {
    static open(database: string): Connection;
    execute(statement: string, parameters: Value[]): QueryResult;
  }
}

declare module 'fermyon:spin/key-value@2.0.0' {
  export type Error =
    { tag: 'store-table-full' } | { tag: 'no-such-store' } | { tag: 'access-denied' } | { tag: 'other'; val: string };
  export class Store {
    static open(label: string): Store;
    /** `undefined` when the key does not exist. */
    get(key: string): Uint8Array | undefined;
    set(key: string, value: Uint8Array): void;
    delete(key: string): void;
    exists(key: string): boolean;
    getKeys(): string[];
  }
}

declare module 'fermyon:spin/variables@2.0.0' {
  export type Error =
    | { tag: 'invalid-name'; val: string }
    | { tag: 'undefined'; val: string }
    | { tag: 'provider'; val: string }
    | { tag: 'other'; val: string };
  export function get(name: string): string;
}

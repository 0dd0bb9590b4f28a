// Types of the `fermyon:spin@2.0.0` interfaces for a JavaScript/TypeScript guest built with componentize-js,
// written from Spin's WIT (the app's copy is in /wit/deps/spin). A bundler leaves these modules as imports and
// componentize-js binds them to the component's WIT imports; spin-local supplies them at run time. A WIT
// `result<T, E>` returns T or throws an Error whose `payload` is E. Add this file to a guest's tsconfig `include`
// (`node_modules/spin-local/types/fermyon-spin.d.ts`).

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

// Only the one function the runtime's fixture guest calls, to show the trap: spin-local implements no LLM host.
declare module 'fermyon:spin/llm@2.0.0' {
  export function infer(model: string, prompt: string, params: undefined): { text: string };
}

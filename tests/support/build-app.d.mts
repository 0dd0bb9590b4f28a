/** Builds the app's own components (spin.toml at the root) one at a time; resolves with their .wasm paths. */
export declare function buildAppComponents(options?: { log?: (line: string) => void }): Promise<string[]>;

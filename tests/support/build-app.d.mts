/** Builds the app's own components (spin.toml at the root) one at a time; resolves with their .wasm paths. */
export declare function buildAppComponents(options?: { log?: (line: string) => void }): Promise<string[]>;
/** spin-local's fixture guest built by the old toolchain (SDK 2.0.0 j2w); resolves with its .wasm path. */
export declare function buildSdkFixtureGuest(options?: { log?: (line: string) => void }): Promise<string>;

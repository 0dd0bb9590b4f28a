/** The manifest that declares the guest several times, under different ids and permissions. */
export declare const fixtureManifest: string;
/** The one Wasm file every fixture component loads. */
export declare const guestWasm: string;
/** Builds the guest unless its inputs are unchanged; returns 'built' or 'fresh'. */
export declare function buildFixtures(options?: { log?: (line: string) => void }): Promise<'built' | 'fresh'>;
/** Builds the app's own components (spin.toml at the root) one at a time. */
export declare function buildAppComponents(options?: { log?: (line: string) => void }): Promise<void>;

/** The manifest that declares the guest several times, under different ids and permissions. */
export declare const fixtureManifest: string;
/** The one Wasm file every fixture component loads. */
export declare const guestWasm: string;
/** The same guest built by the old toolchain (@fermyon/spin-sdk 2.0.0's j2w), for the trap regression tests. */
export declare const sdkGuestWasm: string;
/** Builds the guest unless its inputs are unchanged; returns 'built' or 'fresh'. */
export declare function buildFixtures(options?: {
  log?: (line: string) => void;
  toolchain?: 'componentize' | 'sdk';
}): Promise<'built' | 'fresh'>;

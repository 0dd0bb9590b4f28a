/** The one Wasm file every replayed case loads. */
export declare const conformanceWasm: string;
/** Builds the guest unless its inputs are unchanged; returns 'built' or 'fresh'. */
export declare function buildConformanceGuest(options?: { log?: (line: string) => void }): Promise<'built' | 'fresh'>;

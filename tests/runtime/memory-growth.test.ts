/**
 * Regression tests for the memory-growth trap: a guest built with componentize-js 0.10 (the j2w of
 * @fermyon/spin-sdk 2.0.0) executes `unreachable` on any Spin call made after its linear memory grew, on
 * wasmtime as on this runtime (the engine's `GetMemBuffer` re-initialises the buffer; fixed in 0.17). The
 * components are built with componentize-js 0.19.3 now. Each case runs on the fixture guest built both
 * ways: the current build must answer, and the old one must trap, which shows the case really exercises
 * the bug (if a future old build stopped trapping, the case would need a new trigger).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  guestWasm,
  ITEMS_TABLE,
  json,
  loadRuntime,
  tempDir,
  writeManifest,
  type SpinRuntime,
} from '../../runtime/tests/support/runtime';
import { buildSdkFixtureGuest } from '../support/build-app.mjs';

const MANIFEST = `
[variables]
greeting = { default = "hello" }

[[trigger.http]]
route = "/..."
component = "guest"

[component.guest]
source = GUEST_WASM
sqlite_databases = ["default"]
key_value_stores = ["default"]
[component.guest.variables]
greeting = "{{ greeting }}"
`;

interface Started {
  spin: SpinRuntime;
  traps: string[];
  remove(): void;
}

async function start(wasm: string): Promise<Started> {
  const dir = tempDir();
  const { create } = await loadRuntime();
  const traps: string[] = [];
  const spin = await create({
    from: writeManifest(dir.path, MANIFEST, wasm),
    stateDir: join(dir.path, 'state'),
    sqlite: [ITEMS_TABLE, "INSERT INTO items (name) VALUES ('one'), ('two')"],
    log: (line) => {
      if (line.includes('trap')) traps.push(line);
    },
    guestOutput: () => {},
  });
  return { spin, traps, remove: dir.remove };
}

let current: Started;
let old: Started;
beforeAll(async () => {
  // The old toolchain's build of the guest (incremental: ~0 s when unchanged, ~30 s otherwise).
  const sdkGuestWasm = await buildSdkFixtureGuest();
  [current, old] = await Promise.all([start(guestWasm), start(sdkGuestWasm)]);
}, 180_000);
afterAll(async () => {
  for (const started of [current, old]) {
    await started?.spin.dispose();
    started?.remove();
  }
});

/** The old build answers 500 because the guest trapped, and the runtime logs the trap. */
async function expectOldBuildTraps(path: string): Promise<void> {
  const before = old.traps.length;
  const response = await old.spin.fetch(path);
  await response.arrayBuffer();
  expect(response.status).toBe(500);
  expect(old.traps.slice(before).join('\n')).toMatch(/unreachable/);
}

describe('Spin calls after the guest memory grew (componentize-js 0.19.3 vs 0.10.5)', () => {
  it('one execute returning 100,000 rows, then more SQLite, key-value and variables calls', async () => {
    const response = await current.spin.fetch('/grow/rows?rows=100000');
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({
      rows: 100_000,
      last: { x: 100_000, name: 'name-100000' },
      itemsAfter: 2,
      stored: '100000',
      greeting: 'hello',
    });
    await expectOldBuildTraps('/grow/rows?rows=100000');
  }, 60_000);

  it('a Spin call after allocating 16 MB', async () => {
    const response = await current.spin.fetch('/grow/alloc?mb=16');
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({
      allocated: 16 * 1024 * 1024,
      checksum: 7,
      before: 'hello',
      after: 'hello',
      itemsAfter: 2,
      stored: null,
    });
    await expectOldBuildTraps('/grow/alloc?mb=16');
  });

  it('keeps serving normally after the big requests: every request starts from a fresh instance', async () => {
    expect(await json(await current.spin.fetch('/db/count'))).toEqual({ n: 2 });
    expect(await json(await old.spin.fetch('/db/count'))).toEqual({ n: 2 });
  });
});

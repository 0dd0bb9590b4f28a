/**
 * The WASI basics every component imports: `wasi:io` (streams and `poll`), `wasi:cli` (stdio, the
 * component's `environment`), clocks, random and an empty filesystem. From spin.toml it reads `environment`,
 * and refuses `files` (mounting is not supported); `exclude_files` is accepted and has nothing to exclude.
 */
import type { HostApi } from '../api.js';
import { noApp } from '../api.js';
import { cliImports } from './cli.js';
import { InputStream, IoError, OutputStream, Pollable, poll } from './io.js';
import { systemImports } from './system.js';

type Environment = Record<string, string>;

const ioImports: Record<string, object> = {
  'wasi:io/error': { Error: IoError },
  'wasi:io/poll': { Pollable, poll },
  'wasi:io/streams': { InputStream, OutputStream },
};

export const wasi: HostApi<undefined, Environment, Environment, 'wasi'> = {
  name: 'wasi',
  manifestKeys: [],
  componentKeys: ['environment', 'files', 'exclude_files'],
  runtimeConfigKeys: [],
  app: noApp,
  component({ reader }, table, key) {
    if (reader.stringArray(table.files, `${key}.files`).length > 0)
      reader.fail(`${key}.files`, 'mounting files is not supported by this runtime');
    reader.stringArray(table.exclude_files, `${key}.exclude_files`);
    return reader.stringMap(table.environment, `${key}.environment`);
  },
  grants: ({ components }) => components,
  guest(context) {
    const system = systemImports(context.wait);
    return {
      imports: (component, environment) => ({
        ...ioImports,
        ...system,
        ...cliImports(context.output(component, 'stdout'), context.output(component, 'stderr'), environment),
      }),
    };
  },
};

/** `--listen` values: `host:port` or `[ipv6]:port`; port 0 picks a free port. */
import { createServer } from 'node:net';
import { AddressInUseError, UsageError } from './errors.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export function parseListen(value: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new UsageError(`--listen ${value}: expected host:port, e.g. 127.0.0.1:3000`);
  return { host: match[1] ?? match[2] ?? '127.0.0.1', port };
}

/**
 * Throws an {@link AddressInUseError} when `address` is taken now (any other failure is left to the real
 * listen). Checked before the components are transpiled and compiled, which may take a minute on a first start:
 * a taken port should not cost that wait. The real listen still reports a port taken in between.
 */
export async function checkAddressFree(address: ListenAddress, given: string): Promise<void> {
  if (address.port === 0) return;
  const probe = createServer();
  const failure = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    probe.listen({ port: address.port, host: address.host, exclusive: true }, () => resolve(undefined));
  });
  if (failure === undefined) await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (failure?.code === 'EADDRINUSE') throw new AddressInUseError(given);
}

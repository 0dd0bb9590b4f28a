/** `--listen` values: `host:port` or `[ipv6]:port`; port 0 picks a free port. */
import { UsageError } from './errors.js';

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

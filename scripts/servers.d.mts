/** Types of servers.mjs (shared by up-replicas.mjs and tests/support/servers.ts). */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';

export type ServerProgram = 'redis-server' | 'haproxy';

export declare const PACKAGES: Record<ServerProgram, string>;
export declare const HEALTH_PATH: string;
export declare const HEALTH_CHECK_ID: string;

export declare function findProgram(name: string, path?: string): string | undefined;
export declare function missingPrograms<N extends string>(
  names: N[],
  path?: string,
): { found: Partial<Record<N, string>>; missing: N[]; problem: string | undefined; install?: string };

export declare function freePort(host?: string): Promise<number>;
export declare function spawnGroup(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; onLine: (line: string, stream: 'stdout' | 'stderr') => void },
): ChildProcessWithoutNullStreams;
export declare function killGroup(pgid: number, signal?: NodeJS.Signals | 0): boolean;
export declare function livePidsInGroups(pgids: number[]): number[];
export declare function waitForGroupsGone(pgids: number[], timeoutMs: number): Promise<number[]>;
export declare function startGuardian(): {
  pid: number;
  add(pgid: number): void;
  remove(pgid: number): void;
  removeDir(path: string): void;
  close(): void;
};

export declare function redisArgs(port: number, dir: string): string[];
export declare function redisCommand(host: string, port: number, command?: string, timeoutMs?: number): Promise<string>;
export declare function waitForRedis(
  host: string,
  port: number,
  timeoutMs: number,
  exited?: () => boolean,
): Promise<void>;
export declare function waitForHttp(url: string, timeoutMs: number, exited?: () => boolean): Promise<void>;

export declare function haproxyConfig(options: {
  listen: { host: string; port: number };
  servers: { name: string; host: string; port: number }[];
  serverTimeoutMs?: number;
}): string;

/**
 * A component worker thread. It runs one request at a time: the guest executes synchronously here and
 * blocks this thread in `wasi:io/poll` while its outbound calls are served by the main thread (which may
 * hand a chained call to another worker). Each request gets a fresh instance; when the pool asks (the
 * worker fell idle), it prepares one ahead so the next request does not wait for it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isAllowed } from './allowed-hosts.js';
import { Blocker } from './host/blocking.js';
import { closeAll } from './host/databases.js';
import { flushUnsent, IncomingRequest, ResponseOutparam, useOutboundGate, type FutureIncomingResponse } from './host/http.js';
import { componentImports } from './host/imports.js';
import { useBlocker } from './host/io.js';
import { LineSink } from './host/wasi-misc.js';
import type { FromWorker, OutboundReply, ToWorker, WireRequest, WorkerSetup } from './protocol.js';

interface IncomingHandler {
  handle(request: IncomingRequest, outparam: ResponseOutparam): void;
}
type Instantiate = (getCoreModule: (name: string) => WebAssembly.Module, imports: object) => { incomingHandler: IncomingHandler };

if (!parentPort) throw new Error('worker.js must run in a worker thread');
const toMain = parentPort;
const setup = workerData as WorkerSetup;
const post = (message: FromWorker): void => toMain.postMessage(message);

const pendingCalls = new Map<number, FutureIncomingResponse>();
let nextCallId = 0;

const blocker = new Blocker(setup.signal, setup.replies, {
  onReply(reply: OutboundReply) {
    const future = pendingCalls.get(reply.callId);
    // Replies for a request that already ended (trap, time limit) are dropped.
    if (!future) return;
    pendingCalls.delete(reply.callId);
    future.settle('error' in reply ? { error: reply.error } : { response: reply.response });
  },
  expectingReplies: () => pendingCalls.size > 0,
  beforeSleep: flushUnsent,
});
useBlocker(blocker);

const glue = new Map<string, Instantiate>();
for (const [key, module] of Object.entries(setup.modules)) {
  const loaded = (await import(module.glueUrl)) as { instantiate: Instantiate };
  glue.set(key, loaded.instantiate);
}

const sinks = new Map<string, { stdout: LineSink; stderr: LineSink }>();
function sinksFor(component: string): { stdout: LineSink; stderr: LineSink } {
  let entry = sinks.get(component);
  if (!entry) {
    entry = {
      stdout: new LineSink((text) => post({ kind: 'output', component, stream: 'stdout', text })),
      stderr: new LineSink((text) => post({ kind: 'output', component, stream: 'stderr', text })),
    };
    sinks.set(component, entry);
  }
  return entry;
}

function instantiate(componentId: string): IncomingHandler {
  const component = setup.components[componentId];
  const module = component ? setup.modules[component.moduleKey] : undefined;
  const instantiateGlue = component ? glue.get(component.moduleKey) : undefined;
  if (!component || !module || !instantiateGlue) throw new Error(`unknown component '${componentId}'`);
  const { stdout, stderr } = sinksFor(componentId);
  const getCore = (name: string): WebAssembly.Module => {
    const core = module.cores[name];
    if (!core) throw new Error(`missing core module ${name}`);
    return core;
  };
  return instantiateGlue(getCore, componentImports(component, stdout, stderr)).incomingHandler;
}

let prepared: { component: string; handler: IncomingHandler } | undefined;

function takeInstance(component: string): IncomingHandler {
  const ready = prepared;
  prepared = undefined;
  return ready?.component === component ? ready.handler : instantiate(component);
}

function run(requestId: number, componentId: string, wire: WireRequest, injectTrap: boolean): void {
  const component = setup.components[componentId];
  if (!component) {
    post({ kind: 'failed', requestId, error: `unknown component '${componentId}'` });
    return;
  }
  useOutboundGate({
    check: (url) => (isAllowed(component.allowedHosts, url) ? undefined : { tag: 'HTTP-request-denied' }),
    send(request, future: FutureIncomingResponse) {
      const callId = ++nextCallId;
      pendingCalls.set(callId, future);
      post({ kind: 'outbound', requestId, callId, request });
    },
  });
  try {
    const outparam = new ResponseOutparam();
    const handler = takeInstance(componentId);
    // Injected fault: the instance is used up and the error leaves here, exactly where a real trap would.
    if (injectTrap) throw new WebAssembly.RuntimeError('unreachable (injected fault)');
    handler.handle(new IncomingRequest(wire), outparam);
    const result = outparam.result;
    if (!result) post({ kind: 'failed', requestId, error: 'the component returned without setting a response' });
    else if (result.tag === 'err') post({ kind: 'failed', requestId, error: `the component responded with error ${result.val.tag}` });
    else post({ kind: 'done', requestId, response: result.val.toWire() });
  } catch (error) {
    post({ kind: 'failed', requestId, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  } finally {
    useOutboundGate(undefined);
    pendingCalls.clear();
    const { stdout, stderr } = sinksFor(componentId);
    stdout.flush();
    stderr.flush();
  }
}

function prepare(component: string): void {
  if (prepared) return;
  try {
    prepared = { component, handler: instantiate(component) };
  } catch {
    // The request that needs it will instantiate again and report the error.
  }
}

toMain.on('message', (message: ToWorker) => {
  if (message.kind === 'run') {
    run(message.requestId, message.component, message.request, message.trap ?? false);
  } else {
    prepare(message.component);
  }
});
process.on('exit', closeAll);
post({ kind: 'ready' });

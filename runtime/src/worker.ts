/**
 * A component worker thread. It runs one request at a time: the guest executes synchronously here and
 * blocks this thread in `wasi:io/poll` while its outbound calls are served by the main thread (which may
 * hand a chained call to another worker). Each request gets a fresh instance (instances.ts); when the pool
 * asks (the worker fell idle), it prepares one ahead so the next request does not wait for it.
 *
 * The worker's state is this module's: the host APIs reach it only through the {@link GuestHost} made here.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Blocker } from './blocking.js';
import { GuestHost, IncomingRequest, LineSink, ResponseOutparam, SqliteGate } from './host/index.js';
import { InstanceFactory, type ComponentCode, type GlueInstantiate, type Instance } from './instances.js';
import type {
  FromWorker,
  HostCallReply,
  HttpErrorCode,
  OutboundReply,
  ToWorker,
  WireRequest,
  WorkerSetup,
} from './protocol.js';

if (!parentPort) throw new Error('worker.js must run in a worker thread');
const toMain = parentPort;
const setup = workerData as WorkerSetup;
const post = (message: FromWorker): void => toMain.postMessage(message);

/** The request being served, if any: outbound calls belong to it, and their answers are dropped once it ends. */
let current: number | undefined;
const pendingCalls = new Map<number, (reply: OutboundReply) => void>();
let nextCallId = 0;

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

const blocker = new Blocker(setup.signal, setup.replies, {
  onReply(reply: OutboundReply) {
    const settle = pendingCalls.get(reply.callId);
    // Replies for a request that already ended (trap, time limit) are dropped.
    if (!settle) return;
    pendingCalls.delete(reply.callId);
    settle(reply);
  },
  expectingReplies: () => pendingCalls.size > 0,
});

const host = new GuestHost({
  wait: (isReady, deadlineNs, beforeSleep) => blocker.waitUntil(isReady, deadlineNs, beforeSleep),
  send(request, settle) {
    const requestId = current;
    if (requestId === undefined) throw { tag: 'internal-error', val: 'no request in progress' } satisfies HttpErrorCode;
    const callId = ++nextCallId;
    pendingCalls.set(callId, (reply) => {
      if (reply.kind === 'outbound-result')
        settle('error' in reply ? { error: reply.error } : { response: reply.response });
    });
    post({ kind: 'outbound', requestId, callId, request });
  },
  callMain(api, call) {
    const requestId = current;
    if (requestId === undefined) throw new Error('no request in progress');
    const callId = ++nextCallId;
    let answer: HostCallReply | undefined;
    pendingCalls.set(callId, (reply) => {
      if (reply.kind === 'host-result') answer = reply;
    });
    post({ kind: 'host-call', requestId, callId, api, call });
    blocker.waitUntil(
      () => answer !== undefined,
      () => undefined,
      () => {},
    );
    if (!answer) throw new Error('no answer from the main thread');
    if ('error' in answer) throw new Error(answer.error);
    return answer.value;
  },
  output: (component, stream) => sinksFor(component)[stream],
  sqlite: new SqliteGate(setup.gate, setup.maxInstanceMemory),
});

const glue = new Map<string, GlueInstantiate>();
for (const [key, module] of Object.entries(setup.modules)) {
  const loaded = (await import(module.glueUrl)) as { instantiate: GlueInstantiate };
  glue.set(key, loaded.instantiate);
}

/** What building an instance of a component needs, assembled once per component. */
const code = new Map<string, ComponentCode>();
function codeFor(componentId: string): ComponentCode {
  let entry = code.get(componentId);
  if (!entry) {
    const component = setup.components[componentId];
    const module = component ? setup.modules[component.moduleKey] : undefined;
    const instantiate = component ? glue.get(component.moduleKey) : undefined;
    if (!component || !module || !instantiate) throw new Error(`unknown component '${componentId}'`);
    entry = { setup: component, module, instantiate, imports: host.imports(component) };
    code.set(componentId, entry);
  }
  return entry;
}

const instances = new InstanceFactory(codeFor, setup.maxInstanceMemory);

function run(requestId: number, componentId: string, wire: WireRequest): void {
  if (!setup.components[componentId]) {
    post({ kind: 'failed', requestId, error: `unknown component '${componentId}'` });
    return;
  }
  current = requestId;
  let instance: Instance | undefined;
  let answered = false;
  try {
    const outparam = new ResponseOutparam();
    instance = instances.take(componentId);
    instance.handler.handle(new IncomingRequest(wire), outparam);
    const result = outparam.result;
    if (!result) post({ kind: 'failed', requestId, error: 'the component returned without setting a response' });
    else if (result.tag === 'err')
      post({ kind: 'failed', requestId, error: `the component responded with error ${result.val.tag}` });
    else {
      post({ kind: 'done', requestId, response: result.val.toWire() });
      answered = true;
    }
  } catch (error) {
    post({
      kind: 'failed',
      requestId,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
  } finally {
    current = undefined;
    pendingCalls.clear();
    host.endRequest();
    const { stdout, stderr } = sinksFor(componentId);
    stdout.flush();
    stderr.flush();
    // After the answer is posted: resetting the memory (and the instance, when it answered) for the next
    // request is off the response path.
    if (instance) instances.release(instance, answered);
  }
}

toMain.on('message', (message: ToWorker) => {
  if (message.kind === 'run') run(message.requestId, message.component, message.request);
  else instances.prepare(message.component);
});
process.on('exit', () => host.close());
post({ kind: 'ready' });

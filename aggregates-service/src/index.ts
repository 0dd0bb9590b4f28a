// Spin entry point of the aggregates component: the app with Spin's outbound HTTP, variables and
// key-value store wired in. Logic lives in app.ts.
import { Kv, Variables } from '@fermyon/spin-sdk';
import { serve } from '../../common/src/spin-entry';
import { createAggregatesApp } from './app';

serve(
  createAggregatesApp({
    fetch: (url, init) => fetch(url, init),
    getVariable: (name) => Variables.get(name),
    openStore: () => Kv.openDefault(),
  }),
);

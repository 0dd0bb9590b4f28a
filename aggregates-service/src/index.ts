// Spin entry point of the aggregates component: the app with Spin's outbound HTTP, variables and
// key-value store wired in. Logic lives in app.ts.
import { serve } from '@aggregates/common/spin-entry';
import { openSpinStore } from '@aggregates/common/spin/key-value';
import { getSpinVariable } from '@aggregates/common/spin/variables';
import { createAggregatesApp } from './app';

serve(
  createAggregatesApp({
    fetch: (url, init) => fetch(url, init),
    getVariable: getSpinVariable,
    openStore: () => openSpinStore(),
  }),
);

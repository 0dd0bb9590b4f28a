// Spin entry point of the aggregates component. Logic lives in app.ts.
import { serve } from '../../common/src/spin-entry';
import { createAggregatesApp } from './app';

serve(createAggregatesApp());

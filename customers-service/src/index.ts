// Spin entry point of the customers component: the app with Spin's SQLite wired in. Logic lives in app.ts.
import { openSpinDatabase } from '../../common/src/spin-sqlite';
import { serve } from '../../common/src/spin-entry';
import { createCustomersApp } from './app';

serve(createCustomersApp({ openDatabase: () => openSpinDatabase() }));

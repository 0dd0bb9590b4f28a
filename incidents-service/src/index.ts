// Spin entry point of the incidents component: the app with Spin's SQLite wired in. Logic lives in app.ts.
import { openSpinDatabase } from '../../common/src/spin-sqlite';
import { serve } from '../../common/src/spin-entry';
import { createIncidentsApp } from './app';

serve(createIncidentsApp({ openDatabase: () => openSpinDatabase() }));

// Spin entry point of the customers component: the app with Spin's SQLite wired in, creating the schema on
// first use where no `--sqlite @migrations.sql` ran (SpinKube). Logic lives in app.ts.
import migrations from '../../migrations.sql?raw';
import { withSchemaBootstrap } from '../../common/src/schema-bootstrap';
import { serve } from '../../common/src/spin-entry';
import { openSpinDatabase } from '../../common/src/spin/sqlite';
import { getSpinVariable } from '../../common/src/spin/variables';
import { createCustomersApp } from './app';

serve(
  createCustomersApp({
    openDatabase: withSchemaBootstrap(() => openSpinDatabase(), migrations),
    // Read on each write, so a changed secret applies without a rebuild.
    apiToken: () => getSpinVariable('api_token'),
  }),
);

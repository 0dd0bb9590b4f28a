// Spin entry point of the incidents component: the app with Spin's SQLite wired in, creating the schema on
// first use where no `--sqlite @migrations.sql` ran (SpinKube). Logic lives in app.ts.
import migrations from '../../migrations.sql?raw';
import { withSchemaBootstrap } from '@aggregates/common/schema-bootstrap';
import { serve } from '@aggregates/common/spin-entry';
import { openSpinDatabase } from '@aggregates/common/spin/sqlite';
import { getSpinVariable } from '@aggregates/common/spin/variables';
import { createIncidentsApp } from './app';

serve(
  createIncidentsApp({
    openDatabase: withSchemaBootstrap(() => openSpinDatabase(), migrations),
    // Read on each write, so a changed secret applies without a rebuild.
    apiToken: () => getSpinVariable('api_token'),
  }),
);

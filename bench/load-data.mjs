#!/usr/bin/env node
// Bulk loader: fills a database with generated customers and incidents, fast, with a progress bar.
//
//   node bench/load-data.mjs --incidents 1000000 [--customers 1000] [--db .spin/sqlite_db.db] [--seed 1]
//
// Incidents are added to what is there (ids continue), so a database can be grown step by step. To be fast it
// drops the totals triggers, inserts in large transactions, then lets migrations.sql rebuild the totals from the
// table and recreate the triggers, exactly as it does for a database from an earlier version.
import Database from 'better-sqlite3';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { progress } from './http-load.mjs';
import { prng } from './prng.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const MIGRATIONS = readFileSync(join(root, 'migrations.sql'), 'utf8');
const TRIGGERS = ['TR_Incidents_Totals_Insert', 'TR_Incidents_Totals_Delete', 'TR_Incidents_Totals_Update'];
const BATCH = 50_000;

export const customerName = (i) => `Customer ${String(i).padStart(5, '0')}`;

/** Opens (creating if needed) a database with the app's schema, WAL mode as the runtime uses. */
export function openDatabase(path) {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: 10_000 });
  db.pragma('journal_mode = WAL');
  db.exec(MIGRATIONS);
  return db;
}

/** Adds `count` generated customers (ids `cust-<n>`, scorings 1-10, many ties); existing rows are kept. */
export function loadCustomers(db, count, seed = 1) {
  const random = prng(seed);
  const insert = db.prepare(
    'INSERT OR IGNORE INTO Customers (Id, Name, City, Country, Scoring) VALUES (?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (let i = 0; i < count; i++)
      insert.run(`cust-${i}`, customerName(i), 'Bergen', 'Norway', 1 + Math.floor(random() * 10));
  })();
}

/**
 * Appends `count` incidents spread over `customers` names, skewed so a few customers have many incidents;
 * about 1 in 50 names has no customer row. Returns the seconds it took.
 */
export function loadIncidents(db, count, { customers = 1000, seed = 1, label = 'incidents' } = {}) {
  const random = prng(seed + db.prepare('SELECT COUNT(*) AS n FROM Incidents').get().n);
  const first = db.prepare('SELECT COUNT(*) AS n FROM Incidents').get().n;
  const insert = db.prepare('INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES (?, ?, ?, ?)');
  const bar = progress(label, count);
  for (const trigger of TRIGGERS) db.exec(`DROP TRIGGER IF EXISTS ${trigger}`);
  const batch = db.transaction((from, to) => {
    for (let i = from; i < to; i++) {
      const who = Math.floor(customers * random() ** 2);
      const name = random() < 0.02 ? `Former customer ${who}` : customerName(who);
      const amount = Math.floor(random() * 999_900 + 100) / 100;
      insert.run(`inc-${String(first + i).padStart(8, '0')}`, amount, name, 'ABCDEF'[i % 6]);
    }
  });
  for (let done = 0; done < count; done += BATCH) {
    batch(done, Math.min(count, done + BATCH));
    bar.update(Math.min(count, done + BATCH));
  }
  // Rebuild the totals from the table and recreate the triggers, in one transaction.
  db.transaction(() => {
    db.exec("DELETE FROM AppMigrations WHERE Name = 'incident-totals-v1'");
    db.exec(MIGRATIONS);
  })();
  return bar.done();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      incidents: { type: 'string', default: '100000' },
      customers: { type: 'string', default: '1000' },
      db: { type: 'string', default: join(root, '.spin/sqlite_db.db') },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(`Usage: node bench/load-data.mjs [--incidents N] [--customers N] [--db path] [--seed N]

Adds N generated incidents (default 100000) to the database (default .spin/sqlite_db.db, the one
npm start uses), spread over --customers generated customer names (default 1000), whose customer
rows are added too. Existing rows are never changed. Safe to run while the app runs.`);
    process.exit(0);
  }
  const count = Number(values.incidents);
  const customers = Number(values.customers);
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(customers) || customers < 1) {
    console.error('error: --incidents and --customers must be positive whole numbers');
    process.exit(2);
  }
  const db = openDatabase(values.db);
  loadCustomers(db, customers, Number(values.seed));
  const seconds = loadIncidents(db, count, { customers, seed: Number(values.seed) });
  const total = db.prepare('SELECT COUNT(*) AS n FROM Incidents').get().n;
  console.log(
    `added ${count} incidents in ${seconds.toFixed(1)} s (${Math.round(count / seconds)} rows/s); ${values.db} now holds ${total}`,
  );
  db.close();
}

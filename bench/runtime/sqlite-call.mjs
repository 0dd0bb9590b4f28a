#!/usr/bin/env node
// What the deadline machinery costs one guest SQLite call (runtime/src/host/sqlite-gate.ts): the same
// statement run as the host ran it before (better-sqlite3's all(), no gate) and as it runs it now (through
// the gate's handshake, on a connection with the progress and busy handlers, rows read one by one against
// the result limit). In-process, no Wasm: only the host's side of a call. Median of three rounds.
//
//   npm run build:runtime && node bench/runtime/sqlite-call.mjs
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SqliteGate, allocateGate } from '../../runtime/dist/host/sqlite-gate.js';
import { execute, fromColumn } from '../../runtime/dist/host/sqlite/values.js';
import { openDatabase } from '../../runtime/dist/host/labelled-files.js';
const file = join(mkdtempSync(join(tmpdir(), 'sqlite-call-')), 'bench.db');
const setup = openDatabase(file);
setup.exec('CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, name TEXT)');
if (setup.prepare('SELECT count(*) n FROM t').get().n === 0) {
  const ins = setup.prepare('INSERT INTO t(name) VALUES (?)');
  for (let i = 0; i < 1000; i++) ins.run('name-' + i);
}
setup.close();
const gate = new SqliteGate(allocateGate(5000), undefined);
const watched = gate.open(file);
const plain = openDatabase(file);
function bench(fn, n = 20000) {
  for (let i = 0; i < 2000; i++) fn();
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - started) / n / 1000;
}
const params = [];
for (const [name, sql] of [
  ['1 row', 'SELECT count(*) AS n FROM t'],
  ['50 rows', 'SELECT id, name FROM t ORDER BY id LIMIT 50'],
]) {
  const sw = watched.prepare(sql),
    sp = plain.prepare(sql);
  // The host's execute before this change: all rows at once, converted after.
  const oldExec = (st) => {
    st.safeIntegers(true);
    const columns = st.columns().map((c) => c.name);
    const rows = st.raw(true).all();
    return { columns, rows: rows.map((row) => ({ values: row.map(fromColumn) })) };
  };
  const results = [];
  for (let round = 0; round < 3; round++) {
    results.push({
      before: bench(() => oldExec(sp)),
      gateOnly: bench(() => gate.run(() => oldExec(sw))),
      after: bench(() => gate.run(() => execute(sw, sql, params, gate.resultLimit))),
    });
  }
  const med = (k) => results.map((r) => r[k]).sort((a, b) => a - b)[1];
  console.log(
    `${name}: before ${med('before').toFixed(1)} µs/call; gate + hooks, all() ${med('gateOnly').toFixed(1)} µs; now (gate + hooks + rows one by one against the limit) ${med('after').toFixed(1)} µs; now/before ${(med('after') / med('before')).toFixed(2)}`,
  );
}

-- Schema and sample data for the aggregates dashboard.
--
-- Run on every start (`spin up --sqlite @migrations.sql`, `npm start`), so every statement is idempotent
-- and nothing here deletes or rewrites existing rows:
--   * tables and indexes use IF NOT EXISTS, so a database made by an earlier version (or by the upstream
--     Fermyon sample, which has the same table and column names) is kept as it is;
--   * the sample rows go only into a new database (no customers and no incidents yet), once: the
--     `AppMigrations` marker row records it, so sample rows you delete stay deleted after a restart, and a
--     database that already holds data (yours, or the upstream sample's) gets none.
--
-- Rows added later with plain SQL (these columns, in any order, any ids) show up in every endpoint.

CREATE TABLE IF NOT EXISTS Customers (
    Id TEXT NOT NULL PRIMARY KEY,
    Name TEXT NOT NULL,
    City TEXT,
    Country TEXT,
    Scoring INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS Incidents (
    Id TEXT NOT NULL PRIMARY KEY,
    Amount REAL NOT NULL,
    CustomerName TEXT NOT NULL,
    Category TEXT
);

-- Ids are matched case-insensitively (/customers/items/:id, /incidents/items/:id); when ids differ only in case,
-- the first in binary order answers.
CREATE INDEX IF NOT EXISTS IX_Customers_Id_NoCase ON Customers (Id COLLATE NOCASE, Id COLLATE BINARY);
CREATE INDEX IF NOT EXISTS IX_Incidents_Id_NoCase ON Incidents (Id COLLATE NOCASE, Id COLLATE BINARY);
-- /customers/items (ordered by name, then id) and /customers/top/:limit (scoring desc, name, id).
CREATE INDEX IF NOT EXISTS IX_Customers_Name ON Customers (Name COLLATE BINARY, Id COLLATE BINARY);
CREATE INDEX IF NOT EXISTS IX_Customers_Scoring ON Customers (Scoring DESC, Name COLLATE BINARY, Id COLLATE BINARY);
-- /incidents/grouped-by-customer (ordered by customer name, then id).
CREATE INDEX IF NOT EXISTS IX_Incidents_CustomerName ON Incidents (CustomerName COLLATE BINARY, Id COLLATE BINARY);

CREATE TABLE IF NOT EXISTS AppMigrations (
    Name TEXT NOT NULL PRIMARY KEY,
    AppliedAt TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Per-customer incident totals, kept exact by triggers, so the dashboard's incident rankings cost the same
-- at a million incidents as at a thousand (/incidents/top/by-count/:limit, /incidents/top/by-volume/:limit).
--
-- Volumes are counted in integer micro-units (amount x 1e6, rounded half away from zero) so sums are exact
-- and independent of order; VolumeCents rounds the sum once, half away from zero. Non-numeric amounts count 0.
--
-- IncidentLedger remembers what each incident contributed. Triggers subtract that, not OLD.Amount, which
-- also keeps the totals exact when `INSERT OR REPLACE` / `UPDATE OR REPLACE` delete a row without firing
-- the delete trigger (SQLite fires it only with recursive_triggers on, which a user's shell does not set).
CREATE TABLE IF NOT EXISTS IncidentTotals (
    CustomerName TEXT NOT NULL PRIMARY KEY,
    IncidentCount INTEGER NOT NULL,
    VolumeMicros INTEGER NOT NULL,
    VolumeCents INTEGER NOT NULL GENERATED ALWAYS AS (
        CASE WHEN VolumeMicros >= 0 THEN (VolumeMicros + 5000) / 10000 ELSE -((5000 - VolumeMicros) / 10000) END
    ) VIRTUAL
);
CREATE INDEX IF NOT EXISTS IX_IncidentTotals_Count ON IncidentTotals (IncidentCount DESC, CustomerName COLLATE BINARY);
CREATE INDEX IF NOT EXISTS IX_IncidentTotals_Volume ON IncidentTotals (VolumeCents DESC, CustomerName COLLATE BINARY);

CREATE TABLE IF NOT EXISTS IncidentLedger (
    Id TEXT NOT NULL PRIMARY KEY,
    CustomerName TEXT NOT NULL,
    Micros INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER IF NOT EXISTS TR_Incidents_Totals_Insert AFTER INSERT ON Incidents
BEGIN
    -- A row with this id in the ledger was deleted by INSERT OR REPLACE: take its contribution out first.
    UPDATE IncidentTotals
       SET IncidentCount = IncidentCount - 1,
           VolumeMicros = VolumeMicros - (SELECT Micros FROM IncidentLedger WHERE Id = NEW.Id)
     WHERE CustomerName = (SELECT CustomerName FROM IncidentLedger WHERE Id = NEW.Id);
    DELETE FROM IncidentTotals
     WHERE IncidentCount <= 0 AND CustomerName = (SELECT CustomerName FROM IncidentLedger WHERE Id = NEW.Id);
    DELETE FROM IncidentLedger WHERE Id = NEW.Id;

    INSERT INTO IncidentLedger (Id, CustomerName, Micros)
    VALUES (NEW.Id, NEW.CustomerName,
            CASE WHEN typeof(NEW.Amount) IN ('integer', 'real') THEN CAST(ROUND(NEW.Amount * 1000000) AS INTEGER) ELSE 0 END);
    INSERT INTO IncidentTotals (CustomerName, IncidentCount, VolumeMicros)
    SELECT CustomerName, 1, Micros FROM IncidentLedger WHERE Id = NEW.Id
    ON CONFLICT (CustomerName) DO UPDATE
       SET IncidentCount = IncidentCount + 1, VolumeMicros = VolumeMicros + excluded.VolumeMicros;
END;

CREATE TRIGGER IF NOT EXISTS TR_Incidents_Totals_Delete AFTER DELETE ON Incidents
BEGIN
    UPDATE IncidentTotals
       SET IncidentCount = IncidentCount - 1,
           VolumeMicros = VolumeMicros - (SELECT Micros FROM IncidentLedger WHERE Id = OLD.Id)
     WHERE CustomerName = (SELECT CustomerName FROM IncidentLedger WHERE Id = OLD.Id);
    DELETE FROM IncidentTotals
     WHERE IncidentCount <= 0 AND CustomerName = (SELECT CustomerName FROM IncidentLedger WHERE Id = OLD.Id);
    DELETE FROM IncidentLedger WHERE Id = OLD.Id;
END;

CREATE TRIGGER IF NOT EXISTS TR_Incidents_Totals_Update AFTER UPDATE OF Id, Amount, CustomerName ON Incidents
BEGIN
    -- Out with the old row, and with a row that UPDATE OR REPLACE deleted to make room for the new id.
    UPDATE IncidentTotals
       SET IncidentCount = IncidentCount - 1,
           VolumeMicros = VolumeMicros - (SELECT Micros FROM IncidentLedger WHERE Id = OLD.Id)
     WHERE CustomerName = (SELECT CustomerName FROM IncidentLedger WHERE Id = OLD.Id);
    DELETE FROM IncidentTotals
     WHERE IncidentCount <= 0 AND CustomerName = (SELECT CustomerName FROM IncidentLedger WHERE Id = OLD.Id);
    DELETE FROM IncidentLedger WHERE Id = OLD.Id;
    UPDATE IncidentTotals
       SET IncidentCount = IncidentCount - 1,
           VolumeMicros = VolumeMicros - (SELECT Micros FROM IncidentLedger WHERE Id = NEW.Id)
     WHERE CustomerName = (SELECT CustomerName FROM IncidentLedger WHERE Id = NEW.Id);
    DELETE FROM IncidentTotals
     WHERE IncidentCount <= 0 AND CustomerName = (SELECT CustomerName FROM IncidentLedger WHERE Id = NEW.Id);
    DELETE FROM IncidentLedger WHERE Id = NEW.Id;

    -- In with the new one.
    INSERT INTO IncidentLedger (Id, CustomerName, Micros)
    VALUES (NEW.Id, NEW.CustomerName,
            CASE WHEN typeof(NEW.Amount) IN ('integer', 'real') THEN CAST(ROUND(NEW.Amount * 1000000) AS INTEGER) ELSE 0 END);
    INSERT INTO IncidentTotals (CustomerName, IncidentCount, VolumeMicros)
    SELECT CustomerName, 1, Micros FROM IncidentLedger WHERE Id = NEW.Id
    ON CONFLICT (CustomerName) DO UPDATE
       SET IncidentCount = IncidentCount + 1, VolumeMicros = VolumeMicros + excluded.VolumeMicros;
END;

-- Customers and incidents as versioned aggregates (the write API of both data components).
--
-- SQLite has no `ADD COLUMN IF NOT EXISTS`, and a statement that fails stops `spin up --sqlite`, so what the
-- aggregates add lives in new tables that `CREATE TABLE IF NOT EXISTS` can add to any database at every start,
-- without touching a row of Customers or Incidents:
--   * CustomerMeta / IncidentMeta: one row per aggregate id with its version (1 on create, +1 on every change),
--     CreatedAt and UpdatedAt (UTC, RFC 3339 with milliseconds) and, for an incident, the customer it refers to.
--     A deleted aggregate keeps its row, marked Deleted, so an id used again goes on from the next version and
--     an old ETag never matches a new row;
--   * CustomerEvents / IncidentEvents: the outbox, one event per change, numbered in commit order (Seq).
-- Rows without an id (the upstream sample's schema allows a NULL one) are no aggregates: no versions, no events.
-- The triggers are dropped and created again at every start, so a corrected trigger reaches every database.
-- Triggers write both, in the statement that changes the row, so there is no change without its event and no
-- event without its change, whether the change came through the API or from plain SQL (the sqlite3 shell,
-- a bulk load). A change that leaves every column as it was is no change: no new version, no event.
-- An event's Diff holds each changed field as {"old": ..., "new": ...}; a creation's has every field with
-- "old" null, a deletion's every field with "new" null. Amounts are written with 17 significant digits, so a
-- consumer reads back exactly the double the row holds (json_object alone would round REALs to 15).
CREATE TABLE IF NOT EXISTS CustomerMeta (
    Id TEXT NOT NULL PRIMARY KEY,
    Version INTEGER NOT NULL,
    CreatedAt TEXT NOT NULL,
    UpdatedAt TEXT NOT NULL,
    Deleted INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
-- /customers/items?updatedSince=
CREATE INDEX IF NOT EXISTS IX_CustomerMeta_UpdatedAt ON CustomerMeta (UpdatedAt, Id);

-- CustomerId: the customer the incident refers to (an aggregate reference), or NULL when none does.
CREATE TABLE IF NOT EXISTS IncidentMeta (
    Id TEXT NOT NULL PRIMARY KEY,
    Version INTEGER NOT NULL,
    CreatedAt TEXT NOT NULL,
    UpdatedAt TEXT NOT NULL,
    Deleted INTEGER NOT NULL DEFAULT 0,
    CustomerId TEXT
) WITHOUT ROWID;
-- /incidents/items?updatedSince=, and the incidents of a customer (renames, deletes, ?customerId=).
CREATE INDEX IF NOT EXISTS IX_IncidentMeta_UpdatedAt ON IncidentMeta (UpdatedAt, Id);
CREATE INDEX IF NOT EXISTS IX_IncidentMeta_CustomerId ON IncidentMeta (CustomerId, Id);
-- /incidents/latest?customerId= (a customer's newest incidents, for the overview of the aggregates component).
CREATE INDEX IF NOT EXISTS IX_IncidentMeta_CustomerId_CreatedAt ON IncidentMeta (CustomerId, CreatedAt, Id);

-- AUTOINCREMENT: a sequence number is never used twice, even after the newest events are deleted.
CREATE TABLE IF NOT EXISTS CustomerEvents (
    Seq INTEGER PRIMARY KEY AUTOINCREMENT,
    Type TEXT NOT NULL,
    AggregateId TEXT NOT NULL,
    Version INTEGER NOT NULL,
    At TEXT NOT NULL,
    Diff TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS IncidentEvents (
    Seq INTEGER PRIMARY KEY AUTOINCREMENT,
    Type TEXT NOT NULL,
    AggregateId TEXT NOT NULL,
    Version INTEGER NOT NULL,
    At TEXT NOT NULL,
    Diff TEXT NOT NULL
);

-- List filters: /customers/items?country= and /incidents/items?category= (?customerName= uses
-- IX_Incidents_CustomerName, ?minScoring= IX_Customers_Scoring).
CREATE INDEX IF NOT EXISTS IX_Customers_Country ON Customers (Country COLLATE BINARY, Name COLLATE BINARY, Id COLLATE BINARY);
CREATE INDEX IF NOT EXISTS IX_Incidents_Category ON Incidents (Category COLLATE BINARY, Id COLLATE BINARY);

-- A conflict on the meta row is a row with this id that existed before: deleted (a tombstone), or taken over by
-- INSERT OR REPLACE (which deletes without firing the delete trigger). Either way the aggregate goes on from
-- the next version; a deleted one starts a new life (CreatedAt).
DROP TRIGGER IF EXISTS TR_Customers_Aggregate_Insert;
CREATE TRIGGER TR_Customers_Aggregate_Insert AFTER INSERT ON Customers
WHEN NEW.Id IS NOT NULL
BEGIN
    INSERT INTO CustomerMeta (Id, Version, CreatedAt, UpdatedAt)
    VALUES (NEW.Id, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (Id) DO UPDATE
       SET Version = Version + 1, UpdatedAt = excluded.UpdatedAt, CreatedAt = iif(Deleted, excluded.CreatedAt, CreatedAt), Deleted = 0;
    INSERT INTO CustomerEvents (Type, AggregateId, Version, At, Diff)
    SELECT 'CustomerCreated', NEW.Id, Version, UpdatedAt,
           json_object('name', json_object('old', NULL, 'new', NEW.Name), 'city', json_object('old', NULL, 'new', NEW.City),
                       'country', json_object('old', NULL, 'new', NEW.Country), 'scoring', json_object('old', NULL, 'new', NEW.Scoring))
      FROM CustomerMeta WHERE Id = NEW.Id;
    -- INSERT OR REPLACE may rename a customer: its incidents follow, as with UPDATE (none for a new id).
    UPDATE Incidents SET CustomerName = NEW.Name
     WHERE CustomerName IS NOT NEW.Name AND Id IN (SELECT Id FROM IncidentMeta WHERE CustomerId = NEW.Id);
END;

DROP TRIGGER IF EXISTS TR_Customers_Aggregate_Update;
CREATE TRIGGER TR_Customers_Aggregate_Update AFTER UPDATE ON Customers
WHEN NEW.Id IS NOT NULL AND OLD.Id IS NEW.Id
 AND (OLD.Name IS NOT NEW.Name OR OLD.City IS NOT NEW.City OR OLD.Country IS NOT NEW.Country OR OLD.Scoring IS NOT NEW.Scoring)
BEGIN
    INSERT INTO CustomerMeta (Id, Version, CreatedAt, UpdatedAt)
    VALUES (NEW.Id, 2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (Id) DO UPDATE SET Version = Version + 1, UpdatedAt = excluded.UpdatedAt;
    INSERT INTO CustomerEvents (Type, AggregateId, Version, At, Diff)
    SELECT 'CustomerUpdated', NEW.Id, Version, UpdatedAt,
           (SELECT json_group_object(Field, json(Change)) FROM (
                      SELECT 'name' AS Field, json_object('old', OLD.Name, 'new', NEW.Name) AS Change WHERE OLD.Name IS NOT NEW.Name
            UNION ALL SELECT 'city', json_object('old', OLD.City, 'new', NEW.City) WHERE OLD.City IS NOT NEW.City
            UNION ALL SELECT 'country', json_object('old', OLD.Country, 'new', NEW.Country) WHERE OLD.Country IS NOT NEW.Country
            UNION ALL SELECT 'scoring', json_object('old', OLD.Scoring, 'new', NEW.Scoring) WHERE OLD.Scoring IS NOT NEW.Scoring))
      FROM CustomerMeta WHERE Id = NEW.Id;
    -- An incident carries its customer's name (the dashboard groups by it): a rename takes the customer's
    -- incidents with it, each recorded as an IncidentUpdated by the incidents' own triggers.
    UPDATE Incidents SET CustomerName = NEW.Name
     WHERE OLD.Name IS NOT NEW.Name AND Id IN (SELECT Id FROM IncidentMeta WHERE CustomerId = NEW.Id);
END;

-- A customer deleted (or given another id) with plain SQL: its incidents keep their name, and so their place
-- in the dashboard; they no longer refer to it (an IncidentUpdated each). The API refuses such a delete (409).
DROP TRIGGER IF EXISTS TR_Customers_Aggregate_Delete;
CREATE TRIGGER TR_Customers_Aggregate_Delete AFTER DELETE ON Customers
WHEN OLD.Id IS NOT NULL
BEGIN
    INSERT INTO CustomerMeta (Id, Version, CreatedAt, UpdatedAt, Deleted)
    VALUES (OLD.Id, 2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 1)
    ON CONFLICT (Id) DO UPDATE SET Version = Version + 1, UpdatedAt = excluded.UpdatedAt, Deleted = 1;
    INSERT INTO CustomerEvents (Type, AggregateId, Version, At, Diff)
    SELECT 'CustomerDeleted', OLD.Id, Version, UpdatedAt,
           json_object('name', json_object('old', OLD.Name, 'new', NULL), 'city', json_object('old', OLD.City, 'new', NULL),
                       'country', json_object('old', OLD.Country, 'new', NULL), 'scoring', json_object('old', OLD.Scoring, 'new', NULL))
      FROM CustomerMeta WHERE Id = OLD.Id;
    INSERT INTO IncidentEvents (Type, AggregateId, Version, At, Diff)
    SELECT 'IncidentUpdated', Id, Version + 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), json_object('customerId', json_object('old', CustomerId, 'new', NULL))
      FROM IncidentMeta WHERE CustomerId = OLD.Id AND NOT Deleted ORDER BY Id;
    UPDATE IncidentMeta SET Version = Version + 1, UpdatedAt = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), CustomerId = NULL
     WHERE CustomerId = OLD.Id AND NOT Deleted;
END;

-- A new id is a new aggregate: recorded as the old one deleted and the new one created.
DROP TRIGGER IF EXISTS TR_Customers_Aggregate_Rekey;
CREATE TRIGGER TR_Customers_Aggregate_Rekey AFTER UPDATE OF Id ON Customers
WHEN OLD.Id IS NOT NEW.Id AND OLD.Id IS NOT NULL AND NEW.Id IS NOT NULL
BEGIN
    INSERT INTO CustomerMeta (Id, Version, CreatedAt, UpdatedAt, Deleted)
    VALUES (OLD.Id, 2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 1)
    ON CONFLICT (Id) DO UPDATE SET Version = Version + 1, UpdatedAt = excluded.UpdatedAt, Deleted = 1;
    INSERT INTO CustomerEvents (Type, AggregateId, Version, At, Diff)
    SELECT 'CustomerDeleted', OLD.Id, Version, UpdatedAt,
           json_object('name', json_object('old', OLD.Name, 'new', NULL), 'city', json_object('old', OLD.City, 'new', NULL),
                       'country', json_object('old', OLD.Country, 'new', NULL), 'scoring', json_object('old', OLD.Scoring, 'new', NULL))
      FROM CustomerMeta WHERE Id = OLD.Id;
    INSERT INTO CustomerMeta (Id, Version, CreatedAt, UpdatedAt)
    VALUES (NEW.Id, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (Id) DO UPDATE
       SET Version = Version + 1, UpdatedAt = excluded.UpdatedAt, CreatedAt = iif(Deleted, excluded.CreatedAt, CreatedAt), Deleted = 0;
    INSERT INTO CustomerEvents (Type, AggregateId, Version, At, Diff)
    SELECT 'CustomerCreated', NEW.Id, Version, UpdatedAt,
           json_object('name', json_object('old', NULL, 'new', NEW.Name), 'city', json_object('old', NULL, 'new', NEW.City),
                       'country', json_object('old', NULL, 'new', NEW.Country), 'scoring', json_object('old', NULL, 'new', NEW.Scoring))
      FROM CustomerMeta WHERE Id = NEW.Id;
    INSERT INTO IncidentEvents (Type, AggregateId, Version, At, Diff)
    SELECT 'IncidentUpdated', Id, Version + 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), json_object('customerId', json_object('old', CustomerId, 'new', NULL))
      FROM IncidentMeta WHERE CustomerId = OLD.Id AND NOT Deleted ORDER BY Id;
    UPDATE IncidentMeta SET Version = Version + 1, UpdatedAt = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), CustomerId = NULL
     WHERE CustomerId = OLD.Id AND NOT Deleted;
END;

-- The customer an incident written with plain SQL refers to: the one customer with its name, if exactly one
-- has it. (The API names the customer by id and stages the IncidentMeta row, version 0, before the insert.)
-- INSERT OR REPLACE over an existing incident refers it anew when its name is no longer its customer's.
DROP TRIGGER IF EXISTS TR_Incidents_Aggregate_Insert;
CREATE TRIGGER TR_Incidents_Aggregate_Insert AFTER INSERT ON Incidents
WHEN NEW.Id IS NOT NULL
BEGIN
    INSERT INTO IncidentMeta (Id, Version, CreatedAt, UpdatedAt, CustomerId)
    VALUES (NEW.Id, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
            (SELECT CASE WHEN COUNT(*) = 1 THEN MIN(Id) END FROM (SELECT Id FROM Customers WHERE Name = NEW.CustomerName LIMIT 2)))
    ON CONFLICT (Id) DO UPDATE
       SET Version = Version + 1, UpdatedAt = excluded.UpdatedAt,
           CreatedAt = iif(Version = 0 OR Deleted, excluded.CreatedAt, CreatedAt),
           CustomerId = CASE WHEN Version = 0 THEN CustomerId
                             WHEN NOT Deleted AND NEW.CustomerName IS (SELECT Name FROM Customers WHERE Id = IncidentMeta.CustomerId) THEN CustomerId
                             ELSE excluded.CustomerId END,
           Deleted = 0;
    INSERT INTO IncidentEvents (Type, AggregateId, Version, At, Diff)
    SELECT 'IncidentCreated', NEW.Id, Version, UpdatedAt,
           json_object('amount', json_object('old', NULL, 'new', CASE WHEN typeof(NEW.Amount) = 'real' THEN json(printf('%!.17g', NEW.Amount)) ELSE NEW.Amount END),
                       'customerName', json_object('old', NULL, 'new', NEW.CustomerName),
                       'category', json_object('old', NULL, 'new', NEW.Category), 'customerId', json_object('old', NULL, 'new', CustomerId))
      FROM IncidentMeta WHERE Id = NEW.Id;
END;

-- A new CustomerName that is not the name of the referred customer (plain SQL) refers the incident anew, by name.
DROP TRIGGER IF EXISTS TR_Incidents_Aggregate_Update;
CREATE TRIGGER TR_Incidents_Aggregate_Update AFTER UPDATE ON Incidents
WHEN NEW.Id IS NOT NULL AND OLD.Id IS NEW.Id
 AND (OLD.Amount IS NOT NEW.Amount OR OLD.CustomerName IS NOT NEW.CustomerName OR OLD.Category IS NOT NEW.Category)
BEGIN
    INSERT OR IGNORE INTO IncidentMeta (Id, Version, CreatedAt, UpdatedAt, CustomerId)
    VALUES (NEW.Id, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NULL);
    INSERT INTO IncidentEvents (Type, AggregateId, Version, At, Diff)
    SELECT 'IncidentUpdated', NEW.Id, Version + 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
           (SELECT json_group_object(Field, json(Change)) FROM (
                      SELECT 'amount' AS Field,
                             json_object('old', CASE WHEN typeof(OLD.Amount) = 'real' THEN json(printf('%!.17g', OLD.Amount)) ELSE OLD.Amount END,
                                         'new', CASE WHEN typeof(NEW.Amount) = 'real' THEN json(printf('%!.17g', NEW.Amount)) ELSE NEW.Amount END) AS Change
                       WHERE OLD.Amount IS NOT NEW.Amount
            UNION ALL SELECT 'customerName', json_object('old', OLD.CustomerName, 'new', NEW.CustomerName) WHERE OLD.CustomerName IS NOT NEW.CustomerName
            UNION ALL SELECT 'category', json_object('old', OLD.Category, 'new', NEW.Category) WHERE OLD.Category IS NOT NEW.Category
            UNION ALL SELECT 'customerId', json_object('old', Linked.CustomerId, 'new', Linked.NewCustomerId) FROM (
                      SELECT m.CustomerId,
                             CASE WHEN NEW.CustomerName IS (SELECT Name FROM Customers WHERE Id = m.CustomerId) THEN m.CustomerId
                                  ELSE (SELECT CASE WHEN COUNT(*) = 1 THEN MIN(Id) END FROM (SELECT Id FROM Customers WHERE Name = NEW.CustomerName LIMIT 2)) END AS NewCustomerId
                        FROM IncidentMeta m WHERE m.Id = NEW.Id) AS Linked
                      WHERE Linked.CustomerId IS NOT Linked.NewCustomerId))
      FROM IncidentMeta WHERE Id = NEW.Id;
    UPDATE IncidentMeta
       SET Version = Version + 1, UpdatedAt = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
           CustomerId = CASE WHEN NEW.CustomerName IS (SELECT Name FROM Customers WHERE Id = IncidentMeta.CustomerId) THEN CustomerId
                             ELSE (SELECT CASE WHEN COUNT(*) = 1 THEN MIN(Id) END FROM (SELECT Id FROM Customers WHERE Name = NEW.CustomerName LIMIT 2)) END
     WHERE Id = NEW.Id;
END;

DROP TRIGGER IF EXISTS TR_Incidents_Aggregate_Delete;
CREATE TRIGGER TR_Incidents_Aggregate_Delete AFTER DELETE ON Incidents
WHEN OLD.Id IS NOT NULL
BEGIN
    INSERT INTO IncidentMeta (Id, Version, CreatedAt, UpdatedAt, Deleted)
    VALUES (OLD.Id, 2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 1)
    ON CONFLICT (Id) DO UPDATE SET Version = Version + 1, UpdatedAt = excluded.UpdatedAt, Deleted = 1;
    INSERT INTO IncidentEvents (Type, AggregateId, Version, At, Diff)
    SELECT 'IncidentDeleted', OLD.Id, Version, UpdatedAt,
           json_object('amount', json_object('old', CASE WHEN typeof(OLD.Amount) = 'real' THEN json(printf('%!.17g', OLD.Amount)) ELSE OLD.Amount END, 'new', NULL),
                       'customerName', json_object('old', OLD.CustomerName, 'new', NULL),
                       'category', json_object('old', OLD.Category, 'new', NULL), 'customerId', json_object('old', CustomerId, 'new', NULL))
      FROM IncidentMeta WHERE Id = OLD.Id;
    -- A tombstone refers to no customer: it must not hold a customer's delete back.
    UPDATE IncidentMeta SET CustomerId = NULL WHERE Id = OLD.Id;
END;

DROP TRIGGER IF EXISTS TR_Incidents_Aggregate_Rekey;
CREATE TRIGGER TR_Incidents_Aggregate_Rekey AFTER UPDATE OF Id ON Incidents
WHEN OLD.Id IS NOT NEW.Id AND OLD.Id IS NOT NULL AND NEW.Id IS NOT NULL
BEGIN
    INSERT INTO IncidentMeta (Id, Version, CreatedAt, UpdatedAt, Deleted)
    VALUES (OLD.Id, 2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 1)
    ON CONFLICT (Id) DO UPDATE SET Version = Version + 1, UpdatedAt = excluded.UpdatedAt, Deleted = 1;
    INSERT INTO IncidentEvents (Type, AggregateId, Version, At, Diff)
    SELECT 'IncidentDeleted', OLD.Id, Version, UpdatedAt,
           json_object('amount', json_object('old', CASE WHEN typeof(OLD.Amount) = 'real' THEN json(printf('%!.17g', OLD.Amount)) ELSE OLD.Amount END, 'new', NULL),
                       'customerName', json_object('old', OLD.CustomerName, 'new', NULL),
                       'category', json_object('old', OLD.Category, 'new', NULL), 'customerId', json_object('old', CustomerId, 'new', NULL))
      FROM IncidentMeta WHERE Id = OLD.Id;
    UPDATE IncidentMeta SET CustomerId = NULL WHERE Id = OLD.Id;
    INSERT INTO IncidentMeta (Id, Version, CreatedAt, UpdatedAt, CustomerId)
    VALUES (NEW.Id, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
            (SELECT CASE WHEN COUNT(*) = 1 THEN MIN(Id) END FROM (SELECT Id FROM Customers WHERE Name = NEW.CustomerName LIMIT 2)))
    ON CONFLICT (Id) DO UPDATE
       SET Version = Version + 1, UpdatedAt = excluded.UpdatedAt, CreatedAt = iif(Deleted, excluded.CreatedAt, CreatedAt),
           CustomerId = iif(Deleted, excluded.CustomerId, CustomerId), Deleted = 0;
    INSERT INTO IncidentEvents (Type, AggregateId, Version, At, Diff)
    SELECT 'IncidentCreated', NEW.Id, Version, UpdatedAt,
           json_object('amount', json_object('old', NULL, 'new', CASE WHEN typeof(NEW.Amount) = 'real' THEN json(printf('%!.17g', NEW.Amount)) ELSE NEW.Amount END),
                       'customerName', json_object('old', NULL, 'new', NEW.CustomerName),
                       'category', json_object('old', NULL, 'new', NEW.Category), 'customerId', json_object('old', NULL, 'new', CustomerId))
      FROM IncidentMeta WHERE Id = NEW.Id;
END;

-- Rows that existed before the aggregates did (a database from an earlier version or from the upstream
-- sample): version 1 and one Created event each, once, so the event feed followed from the start rebuilds
-- every aggregate. Rows are read, never rewritten.
INSERT INTO CustomerEvents (Type, AggregateId, Version, At, Diff)
SELECT 'CustomerCreated', Id, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
       json_object('name', json_object('old', NULL, 'new', Name), 'city', json_object('old', NULL, 'new', City),
                   'country', json_object('old', NULL, 'new', Country), 'scoring', json_object('old', NULL, 'new', Scoring))
  FROM Customers
 WHERE Id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM AppMigrations WHERE Name = 'aggregates-v1')
   AND NOT EXISTS (SELECT 1 FROM CustomerMeta m WHERE m.Id = Customers.Id)
 ORDER BY Id;
INSERT INTO CustomerMeta (Id, Version, CreatedAt, UpdatedAt)
SELECT Id, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  FROM Customers
 WHERE Id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM AppMigrations WHERE Name = 'aggregates-v1')
   AND NOT EXISTS (SELECT 1 FROM CustomerMeta m WHERE m.Id = Customers.Id);
INSERT INTO IncidentEvents (Type, AggregateId, Version, At, Diff)
SELECT 'IncidentCreated', Id, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
       json_object('amount', json_object('old', NULL, 'new', CASE WHEN typeof(Amount) = 'real' THEN json(printf('%!.17g', Amount)) ELSE Amount END),
                   'customerName', json_object('old', NULL, 'new', CustomerName), 'category', json_object('old', NULL, 'new', Category),
                   'customerId', json_object('old', NULL, 'new',
                       (SELECT CASE WHEN COUNT(*) = 1 THEN MIN(Id) END FROM (SELECT Id FROM Customers WHERE Name = Incidents.CustomerName LIMIT 2))))
  FROM Incidents
 WHERE Id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM AppMigrations WHERE Name = 'aggregates-v1')
   AND NOT EXISTS (SELECT 1 FROM IncidentMeta m WHERE m.Id = Incidents.Id)
 ORDER BY Id;
INSERT INTO IncidentMeta (Id, Version, CreatedAt, UpdatedAt, CustomerId)
SELECT Id, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
       (SELECT CASE WHEN COUNT(*) = 1 THEN MIN(Id) END FROM (SELECT Id FROM Customers WHERE Name = Incidents.CustomerName LIMIT 2))
  FROM Incidents
 WHERE Id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM AppMigrations WHERE Name = 'aggregates-v1')
   AND NOT EXISTS (SELECT 1 FROM IncidentMeta m WHERE m.Id = Incidents.Id);
INSERT OR IGNORE INTO AppMigrations (Name) VALUES ('aggregates-v1');

-- Sample data, decided once: only a database with neither customers nor incidents gets it.
INSERT OR IGNORE INTO AppMigrations (Name)
SELECT 'sample-data-pending'
 WHERE NOT EXISTS (SELECT 1 FROM AppMigrations WHERE Name = 'sample-data-v1')
   AND NOT EXISTS (SELECT 1 FROM Customers) AND NOT EXISTS (SELECT 1 FROM Incidents);

-- Sample data: 40 customers and 100 incidents. Some scorings and incident counts tie at the top-5 boundary,
-- some names need Unicode and quoting, and 'Wrenfield Partners' has incidents but no customer row.
INSERT OR IGNORE INTO Customers (Id, Name, City, Country, Scoring)
SELECT column1, column2, column3, column4, column5 FROM (VALUES
  ('E194669B-D11A-C3FF-FCFD-4C41B1B927C4', 'Alder Freight', 'Leeds', 'New Zealand', 4),
  ('E2516B95-4BF7-5943-D8B4-7A28B5B68B22', 'Birchwood Analytics', 'Graz', 'Portugal', 6),
  ('4C721A44-00AC-4C00-96D5-06E352580DA3', 'Copperline Foods', 'Porto', 'Portugal', 8),
  ('776A484A-54FF-5385-7016-E9FE3A792C2F', 'Dunmore Textiles', 'Quito', 'Germany', 6),
  ('20782887-463D-41EB-7B16-8CD8CD5C5D5E', 'Elmstead Energy', 'Malmö', 'United Kingdom', 7),
  ('93EABC1E-E503-065C-79BA-29480263C5B6', 'Fjordvik Shipping', 'Quito', 'Germany', 6),
  ('9C0CBB15-7309-E256-D013-7929BA35854D', 'Greystone Mills', 'Dunedin', 'Austria', 8),
  ('FE86FA5A-428F-26A2-6C67-CC2947B1BF74', 'Harbourlight Media', 'Malmö', 'Spain', 5),
  ('8FA65961-0A7A-69D2-F6AF-355461E64256', 'Ironbridge Tools', 'Porto', 'United Kingdom', 10),
  ('B3FCA15B-3255-1A38-C284-13455CE28935', 'Juniper Health', 'Lyon', 'France', 1),
  ('037887D1-A87F-97AF-640E-276447FFF1F9', 'Kestrel Aviation', 'Porto', 'Norway', 7),
  ('E4A34EBB-6CB8-EB88-FC12-DD05762F680B', 'Larkspur Logistics', 'Kraków', 'Portugal', 2),
  ('B8AFC5EB-2EF6-15BE-F92D-F520B86C6C67', 'Moorgate Capital', 'Malmö', 'Austria', 7),
  ('269C54D9-5BF7-949B-2C07-D3DC570C6014', 'Northwind Ceramics', 'Leeds', 'Japan', 4),
  ('B900AFE8-B6B7-5CD5-720E-6DBC2AABF320', 'O''Hara & Daughters', 'Osaka', 'Portugal', 6),
  ('2325D45B-F5CD-BAF5-37BC-2F6072D7D2FC', 'Pinecrest Dairy', 'Graz', 'Spain', 5),
  ('4FE6EE2D-C4FD-A85E-CEC5-62C478752A49', 'Quillfeather Press', 'Quito', 'Portugal', 3),
  ('587F10D4-7134-F05A-F623-D231EA036671', 'Redfern Robotics', 'Leeds', 'United Kingdom', 3),
  ('0782E9E0-1155-688A-5DBF-C847333E47F2', 'Saltmarsh Wines', 'Dunedin', 'Portugal', 4),
  ('716FC931-46FA-E812-19EC-BAB7F2947B83', 'Thornbury Glass', 'Tromsø', 'Portugal', 6),
  ('6BB08CDF-192A-0DC6-B384-A43D0F6F161E', 'Umberfield Farms', 'Porto', 'Germany', 3),
  ('84A0019B-5FCE-186A-E348-E4314AAD4353', 'Valemont Pharma', 'Dunedin', 'Norway', 6),
  ('9A7888FC-491B-6463-5913-DFE0A4919A87', 'Westbrook Cycles', 'Kraków', 'Austria', 4),
  ('2B92706A-2284-13C8-6B89-1D9EB324DCA1', 'Yarrow Bio', 'Quito', 'Germany', 4),
  ('BFD250A2-E06D-E462-8027-F16623BE21EE', 'Zephyr Telecom', 'Dunedin', 'Japan', 3),
  ('7E297F9C-21C0-2F2C-AA59-D06FD9D0A741', 'Ashcombe Insurance', 'Quito', 'Norway', 5),
  ('A4195B14-87E0-904C-18B8-BB04ACEB0F1F', 'Brackenridge Steel', 'Leeds', 'Norway', 7),
  ('F8FB47D1-5176-E502-F3FB-AA18871EF302', 'Coldharbour Studios', 'Malmö', 'France', 2),
  ('59FD1DE2-1AD3-AC93-26DC-6727E75FB36F', 'Driftwood Outdoor', 'Bergen', 'Poland', 5),
  ('E0BC5900-3674-C343-6678-722D61F45C6A', 'Eastleigh Motors', 'Bergen', 'Portugal', 1),
  ('DB38C77F-42B5-311B-E2B2-184E1F296628', 'Foxglove Cosmetics', 'Kraków', 'Japan', 3),
  ('478B5F0E-A21F-AE04-D27E-C4753D621CE1', 'Gallowhill Games', 'Leeds', 'Sweden', 5),
  ('5DF74963-D7D8-E7CE-819C-925272C96B68', 'Hawthorne Legal', 'Leeds', 'France', 2),
  ('B7ACC080-4C0D-C9C9-9917-C58D8362FDA6', 'Inverness Timber', 'Quito', 'Portugal', 2),
  ('4863BE62-791D-B4AF-CC2F-2A5B73359611', 'Jasper Creek Mining', 'Porto', 'Sweden', 9),
  ('D1FA6D00-4EF3-9A55-427F-915E0A71040B', 'Ålesund Seafood', 'Tromsø', 'Austria', 3),
  ('37FE3EB3-68BA-1A5F-3E28-C31C9478D014', 'Zürich Präzision AG', 'Córdoba', 'Austria', 2),
  ('5FA89A28-9A7E-2DA1-56FE-5DB4254ABCCC', 'Café Lumière SARL', 'Córdoba', 'United Kingdom', 2),
  ('C1BAFF20-3691-5937-85C0-9FB1B6CE51E4', '東京 Components', 'Córdoba', 'New Zealand', 2),
  ('7E4E6B80-E3E4-1CCE-A0DE-1F029FCF9203', 'Nørrebro Bikes', 'Leeds', 'Norway', 3)
) WHERE EXISTS (SELECT 1 FROM AppMigrations WHERE Name = 'sample-data-pending');

INSERT OR IGNORE INTO Incidents (Id, Amount, CustomerName, Category)
SELECT column1, column2, column3, column4 FROM (VALUES
  ('13FB2DE3-113B-F18D-4042-6B42DE0D7034', 8673.08, 'Ashcombe Insurance', 'B'),
  ('050F3B2F-A3BF-FCE0-F2F8-F35573C29355', 1937.79, 'Larkspur Logistics', 'F'),
  ('F762CB81-D608-49CB-2349-0E89D10CB138', 7548.49, 'Driftwood Outdoor', 'C'),
  ('0E4538B4-A2E0-3928-B61A-4DF73E01591D', 1041.56, 'Fjordvik Shipping', 'C'),
  ('F2E445B3-A6EA-74F9-EDF2-1857C2FCDD31', 8990.07, 'Ålesund Seafood', 'E'),
  ('616BDF67-AAEA-EAC0-E0CB-728FA094BD27', 5923.29, 'Thornbury Glass', 'A'),
  ('FD9C4506-1CB5-FA21-B7A5-C962F5D9E7FC', 5005.27, 'Harbourlight Media', 'C'),
  ('78E80784-1F2F-843B-27B5-A30E70AFF381', 1590.32, '東京 Components', 'E'),
  ('45F1228C-2858-C5DD-5F23-63BE14321156', 2431.71, 'Driftwood Outdoor', 'C'),
  ('D2E59009-3F51-7544-B87E-5CD13A875A88', 3952.39, 'Kestrel Aviation', 'F'),
  ('769DFC66-35F4-E467-CF6E-0E30E84C0E0B', 748.23, 'Foxglove Cosmetics', 'E'),
  ('4BADA54F-D432-7D30-1C1D-AFBAEF8B9A65', 5557.10, 'Eastleigh Motors', 'C'),
  ('638578D4-AEDE-6272-39DC-19D1353C9BC1', 7990.18, 'Coldharbour Studios', 'D'),
  ('95B73DFB-5C2B-1B9A-09D2-FBF6DB2A0134', 1603.19, 'Zephyr Telecom', 'A'),
  ('68B57E4B-2DDB-87C9-2765-FFA0802B1C45', 1529.50, 'Jasper Creek Mining', 'E'),
  ('1F85C8E3-2541-4128-5758-2DAA5EAC53E7', 4722.50, 'Foxglove Cosmetics', 'B'),
  ('7605449A-B091-65F7-4901-10615B155146', 289.74, 'Fjordvik Shipping', 'A'),
  ('7E567261-A937-91E3-AD4C-403F1B534137', 2079.36, 'O''Hara & Daughters', 'E'),
  ('AFDDC3A7-164A-1A85-7240-47062DADA076', 8376.48, 'Birchwood Analytics', 'C'),
  ('EAFBA992-4303-E8BC-5280-36E602E3E636', 4076.22, 'Zürich Präzision AG', 'F'),
  ('7CA8901E-9F2A-927A-A730-EFFD1D014956', 6986.41, 'Brackenridge Steel', 'F'),
  ('CE2FDAB2-0B1A-A07B-5EE1-980D538CAFB7', 7902.14, 'Foxglove Cosmetics', 'B'),
  ('5B207D14-4083-8430-6AB2-48038E668CE7', 5622.88, '東京 Components', 'A'),
  ('F1D3B525-9722-357A-23B7-22636F0A1554', 5850.93, 'Dunmore Textiles', 'B'),
  ('D9EB3448-D5C5-1038-6C26-5D00CACD813F', 4929.40, 'Kestrel Aviation', 'D'),
  ('24ADA5DF-6480-1672-65BD-A22A45B44CD2', 2590.81, 'Foxglove Cosmetics', 'D'),
  ('6326D339-ACC5-00A6-4354-4B5E14469376', 1261.08, 'Saltmarsh Wines', 'B'),
  ('DF6AE9B5-D9C9-DB80-8AE6-C0CFF2AC7288', 4341.69, 'Moorgate Capital', 'C'),
  ('D1EE290F-9169-1D83-FF3C-DCBA67646637', 2639.91, 'Moorgate Capital', 'D'),
  ('0A607C18-23B4-0C54-EF60-970CE076EA70', 4603.11, 'Valemont Pharma', 'E'),
  ('D0887C4A-5ED3-8178-AEB2-82028C55FF0F', 4624.00, 'O''Hara & Daughters', 'A'),
  ('E941DFC6-78D3-E640-F7BF-EC34C4D7C9D4', 5543.89, 'Alder Freight', 'B'),
  ('1AC7D57F-3146-3381-61FF-578DDE822848', 5523.58, 'Quillfeather Press', 'B'),
  ('7C825383-E513-0A00-17F6-85E652C9F64B', 5180.39, 'Copperline Foods', 'E'),
  ('53F294C9-1A25-7922-DCF9-2A22736E3993', 4334.26, 'O''Hara & Daughters', 'A'),
  ('2104BEC9-95BF-BDA3-070D-8E883AEC5936', 7783.18, 'Moorgate Capital', 'A'),
  ('69680D06-4C1C-C3CB-94FE-98C36905CF44', 2882.51, 'Ålesund Seafood', 'D'),
  ('EDF34DAC-1E76-5629-39EA-333DF3C6D365', 1749.59, 'Café Lumière SARL', 'F'),
  ('2D1AA7CA-56F5-5C65-0CB9-A37196C72C0C', 8522.54, 'Redfern Robotics', 'E'),
  ('ED0375AA-B55F-30FA-8C6C-6B6292E61589', 6503.78, 'Zürich Präzision AG', 'E'),
  ('7A7E6860-96A7-C822-7C34-BA73D678486D', 6568.08, 'Hawthorne Legal', 'A'),
  ('3CBA893F-930E-B874-A558-7687BDFFE86F', 6290.52, 'Brackenridge Steel', 'A'),
  ('F81593B1-D9B4-FFA6-69CD-9C9F824BBF29', 4432.41, 'Ironbridge Tools', 'A'),
  ('BDF80EFD-B500-0E29-7CF3-85F722ADF894', 4151.24, 'Gallowhill Games', 'D'),
  ('A0693E34-92B3-8E93-1AA3-44B07FC3BA54', 4233.55, 'Jasper Creek Mining', 'C'),
  ('BA8F0DB8-060D-C51B-68CC-AB60B13A7C97', 1712.95, 'Nørrebro Bikes', 'F'),
  ('F5F772AB-6DF3-FB8B-5743-D8A92C1CC475', 7450.94, 'Kestrel Aviation', 'E'),
  ('4CF422EC-C341-5701-97FC-4F04AF7D15DD', 3418.70, 'Nørrebro Bikes', 'F'),
  ('F58AD733-BDE4-6A0A-49D3-D3155354C8BF', 2734.46, 'Hawthorne Legal', 'D'),
  ('919474B2-CADF-40DF-9C7B-39E8E0ED9643', 8437.80, 'Inverness Timber', 'F'),
  ('5FC60438-60AE-ACB7-DE3E-582B5ACCB3E3', 2199.20, 'Juniper Health', 'D'),
  ('E9477314-10FD-C55A-A666-4708D38FBFE0', 2661.07, 'Zürich Präzision AG', 'E'),
  ('EB068311-280F-C970-BB14-92738F76535F', 5773.41, 'Birchwood Analytics', 'A'),
  ('FB966375-1C09-5230-C04C-871ECF346D40', 5957.32, 'Ironbridge Tools', 'E'),
  ('30CB9D7E-067B-05D3-2EF1-4C9937A0867E', 8558.69, 'Wrenfield Partners', 'F'),
  ('F9119827-2319-0EF9-1A06-A08BCCAE9C19', 7212.44, 'Inverness Timber', 'C'),
  ('E627D6E0-6822-F0E8-9C52-0074F3B7A652', 1280.92, 'Juniper Health', 'C'),
  ('C55D9CDB-0DA7-157B-AF5E-96CC3FBF3A82', 8558.08, 'Driftwood Outdoor', 'C'),
  ('9A741D85-AD4E-7FE2-61D5-5C7157F39F99', 6315.60, 'Umberfield Farms', 'B'),
  ('5EE6879C-8E58-8534-4F0F-4B76768EB26E', 8689.72, 'Jasper Creek Mining', 'B'),
  ('B0B704C8-597E-3E7B-394B-1192A20ED9F5', 6104.98, 'Zürich Präzision AG', 'E'),
  ('58C552F1-3C22-B47F-4855-71AFA29D3B98', 6320.72, 'Juniper Health', 'F'),
  ('8A5CC2CC-D217-7650-6F8A-C2EDF621637F', 5386.24, 'Copperline Foods', 'B'),
  ('AEAB59A2-6AC2-02EC-073C-0CA6B893E00B', 8470.60, '東京 Components', 'A'),
  ('0ED56DC8-28D1-D4FC-7662-AFBFF9B32777', 9218.20, 'Wrenfield Partners', 'E'),
  ('59025B3B-F1FF-79E4-A8E0-27BFD8B0F329', 6101.05, 'Alder Freight', 'D'),
  ('E601004B-4D01-BF24-CCB0-F4433D2D740B', 6915.22, 'Northwind Ceramics', 'C'),
  ('28121EC3-1D25-7565-6677-5D4DE7309E4F', 7767.52, 'Quillfeather Press', 'B'),
  ('02EE9968-755A-6DD9-88AE-DF06134C51DF', 6670.29, 'Thornbury Glass', 'B'),
  ('1804D610-F363-DF47-A390-805EC8FCF710', 1186.75, 'Driftwood Outdoor', 'C'),
  ('5313274F-76E5-F89A-2060-90F63BACC2E0', 8766.25, 'Birchwood Analytics', 'E'),
  ('242E42EC-6014-8B35-3D94-EC645BA94D83', 1592.07, 'Quillfeather Press', 'A'),
  ('E0C06C0D-7470-BD81-06A1-C09F2FB6B6EB', 7872.45, 'Greystone Mills', 'D'),
  ('0464190B-6A92-B247-8045-207AF76FBEAA', 4005.75, 'Ålesund Seafood', 'F'),
  ('22EF4513-9685-FDC5-3704-0E9018AEF589', 7037.70, 'Fjordvik Shipping', 'B'),
  ('45F9FCF4-BF8B-5122-8C45-F3B63CB3E17B', 8850.77, 'Ålesund Seafood', 'C'),
  ('2156F5A7-1327-27D9-34E8-4AC5AD2EF17C', 2246.13, 'Zürich Präzision AG', 'D'),
  ('25A3BE8A-EE30-8D14-5BCD-555276647160', 6376.67, 'Harbourlight Media', 'C'),
  ('7F7276B7-874A-39C7-1BEC-7E30E098CB63', 8826.86, 'Yarrow Bio', 'E'),
  ('6B08137C-018D-6C84-A0BF-94FFE063F4DF', 168.48, 'Kestrel Aviation', 'E'),
  ('F1E377B0-A2E2-DA73-10F8-6844CCC0930C', 7672.23, 'Fjordvik Shipping', 'A'),
  ('3B7BE7EE-2944-8D62-8E51-99B47F4D0384', 9597.54, 'Inverness Timber', 'C'),
  ('E45CEF25-E23C-3A0D-F251-976304AB923D', 1114.57, 'Juniper Health', 'E'),
  ('65259A4F-FCF9-259D-C1B8-F04299E0DAD9', 9882.97, 'Moorgate Capital', 'C'),
  ('E5B0AE1D-B528-758B-C9F3-C4B81CF78AD1', 7223.77, 'Hawthorne Legal', 'E'),
  ('1783BC90-D0AF-1A61-A16F-0539DE57D8FA', 697.98, 'Larkspur Logistics', 'F'),
  ('E03C80E9-35D4-4641-8FA9-D4A30EAA6063', 4689.39, 'O''Hara & Daughters', 'A'),
  ('63CB9598-23FA-EB42-759E-7DC9C8B8527F', 6674.53, 'Hawthorne Legal', 'C'),
  ('AC0B62C7-1999-D034-CC06-2B9F2F974DC8', 7225.04, 'O''Hara & Daughters', 'F'),
  ('244ADF2C-111D-0213-7E05-645DC5A278A2', 23.40, 'Birchwood Analytics', 'E'),
  ('CDD0BBBA-D675-6459-E199-01A027DFDA13', 9460.42, 'Birchwood Analytics', 'E'),
  ('DBE03287-F0B7-020B-1479-907C3E798BA1', 703.62, 'Fjordvik Shipping', 'B'),
  ('726BE858-8663-FA11-2E35-09371507FD82', 8009.18, 'Wrenfield Partners', 'D'),
  ('548F0DF7-3DCF-03CB-80E8-2FB2DC5E42AC', 6228.85, 'Brackenridge Steel', 'D'),
  ('C97DB924-7DC9-4A25-7DCA-673EEB90F653', 5099.06, 'Ålesund Seafood', 'B'),
  ('A0869B5B-5556-28E1-B3AF-AEA82D91820E', 1149.93, 'Umberfield Farms', 'A'),
  ('E99DB59D-67EA-CF9B-661E-6E67B38C4335', 3033.83, 'Valemont Pharma', 'B'),
  ('8951C9D1-945E-6DDA-8DD7-0621D506F84E', 9233.63, 'Elmstead Energy', 'A'),
  ('EF30E26D-E8D9-A950-5115-8C2720A2EA99', 5241.45, 'Valemont Pharma', 'D'),
  ('A0EA3632-0561-FE87-FE40-3B7A736005F0', 9542.32, 'Jasper Creek Mining', 'D')
) WHERE EXISTS (SELECT 1 FROM AppMigrations WHERE Name = 'sample-data-pending');

DELETE FROM AppMigrations WHERE Name = 'sample-data-pending';
INSERT OR IGNORE INTO AppMigrations (Name) VALUES ('sample-data-v1');

-- Totals for incidents that existed before the triggers did (a database from an earlier version or from
-- the upstream sample): rebuilt from the table once, then kept by the triggers.
DELETE FROM IncidentLedger WHERE NOT EXISTS (SELECT 1 FROM AppMigrations WHERE Name = 'incident-totals-v1');
DELETE FROM IncidentTotals WHERE NOT EXISTS (SELECT 1 FROM AppMigrations WHERE Name = 'incident-totals-v1');
INSERT INTO IncidentLedger (Id, CustomerName, Micros)
SELECT Id, CustomerName,
       CASE WHEN typeof(Amount) IN ('integer', 'real') THEN CAST(ROUND(Amount * 1000000) AS INTEGER) ELSE 0 END
  FROM Incidents
 WHERE NOT EXISTS (SELECT 1 FROM AppMigrations WHERE Name = 'incident-totals-v1');
INSERT INTO IncidentTotals (CustomerName, IncidentCount, VolumeMicros)
SELECT CustomerName, COUNT(*), SUM(Micros) FROM IncidentLedger
 WHERE NOT EXISTS (SELECT 1 FROM AppMigrations WHERE Name = 'incident-totals-v1')
 GROUP BY CustomerName;
INSERT OR IGNORE INTO AppMigrations (Name) VALUES ('incident-totals-v1');

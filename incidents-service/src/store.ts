/**
 * The write side of the incidents component, driven by the shared write API (common/src/write-api.ts): the
 * SQL of a create, an update and a delete, and the checks that need the database (the customer an incident
 * refers to).
 */
import type { AggregateStore } from '@aggregates/common/write-api';
import { throwIfInvalid } from '@aggregates/common/field-rules';
import { textColumn, type Database, type SqlParam } from '@aggregates/common/sql';
import type { Incident } from '@aggregates/common/wire/incident';
import type { IncidentFields } from './fields';
import { createIncidentsRepository } from './repository';

const sameId = (a: string | null, b: string | null) =>
  a === b || (a !== null && b !== null && a.toLowerCase() === b.toLowerCase());

/**
 * The write side (write-api.ts): the triggers of migrations.sql keep the version, the events and the
 * per-customer totals. An incident takes its customer's name, and keeps following it (a rename moves it).
 */
export function createIncidentsStore(db: Database): AggregateStore<IncidentFields, Incident> {
  const repository = createIncidentsRepository(db);
  /** The customer with this id (ASCII case ignored): its id as stored, and its name. */
  const findCustomer = (id: string): { id: string; name: string | null } | null => {
    const [row] = db.query(
      'SELECT Id, Name FROM Customers WHERE Id = ?1 COLLATE NOCASE ORDER BY Id COLLATE BINARY LIMIT 1',
      [id],
    );
    return row ? { id: textColumn(row, 'Id') ?? id, name: textColumn(row, 'Name') } : null;
  };
  return {
    find: (id) => repository.find(id),
    createErrors(valid) {
      // Absent or null is refused by the field's own rule (setOnce: required on create).
      if (valid.customerId === undefined || valid.customerId === null) return [];
      return findCustomer(valid.customerId)
        ? []
        : [{ field: 'customerId', message: `refers to no customer (${JSON.stringify(valid.customerId)})` }];
    },
    create(id, values) {
      const customer = values.customerId === null ? null : findCustomer(values.customerId);
      if (!customer)
        throwIfInvalid([
          { field: 'customerId', message: `refers to no customer (${JSON.stringify(values.customerId)})` },
        ]);
      // Staged at version 0 with its customer; the insert trigger makes it version 1 and records the event.
      db.query("INSERT INTO IncidentMeta (Id, Version, CreatedAt, UpdatedAt, CustomerId) VALUES (?1, 0, '', '', ?2)", [
        id,
        customer?.id ?? null,
      ]);
      db.query('INSERT INTO Incidents (Id, Amount, CustomerName, Category) VALUES (?1, ?2, ?3, ?4)', [
        id,
        values.amount,
        customer?.name ?? null,
        values.category,
      ]);
    },
    update(current, values) {
      if (values.customerId !== undefined && !sameId(values.customerId, current.customerId)) {
        throwIfInvalid([
          {
            field: 'customerId',
            message: `cannot change: an incident stays with its customer (${JSON.stringify(current.customerId)}); delete it and create another`,
          },
        ]);
      }
      const assignments: string[] = [];
      const params: SqlParam[] = [current.id];
      if (values.amount !== undefined) assignments.push(`Amount = ?${params.push(values.amount)}`);
      if (values.category !== undefined) assignments.push(`Category = ?${params.push(values.category)}`);
      if (assignments.length > 0) db.query(`UPDATE Incidents SET ${assignments.join(', ')} WHERE Id = ?1`, params);
    },
    remove(current) {
      db.query('DELETE FROM Incidents WHERE Id = ?1', [current.id]);
    },
  };
}

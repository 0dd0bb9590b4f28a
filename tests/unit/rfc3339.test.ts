/** `parseRfc3339`, behind `?updatedSince=`: every RFC 3339 date-time, and nothing else. */
import { describe, expect, it } from 'vitest';
import { filters, parseRfc3339 } from '@aggregates/common/params';

const iso = (raw: string) => {
  const time = parseRfc3339(raw);
  return time === null ? null : new Date(time).toISOString();
};

describe('parseRfc3339', () => {
  it.each([
    ['2026-11-30T08:00:00Z', '2026-11-30T08:00:00.000Z'],
    ['2026-11-30t08:00:00z', '2026-11-30T08:00:00.000Z'],
    ['2026-11-30T08:00:00.123456789Z', '2026-11-30T08:00:00.123Z'],
    ['2026-11-30T09:30:00+01:30', '2026-11-30T08:00:00.000Z'],
    ['2026-11-29T23:00:00-09:00', '2026-11-30T08:00:00.000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['0099-12-31T23:59:59Z', '0099-12-31T23:59:59.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    // A leap second reads as the second after it.
    ['2016-12-31T23:59:60Z', '2017-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
  ])('reads %s as %s', (raw, expected) => {
    expect(iso(raw)).toBe(expected);
  });

  it.each([
    '2026-11-30',
    '2026-11-30T08:00:00',
    '2026-11-30 08:00:00Z',
    '2025-02-29T00:00:00Z',
    '2026-02-30T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-11-30T24:00:00Z',
    '2026-11-30T08:60:00Z',
    '2026-11-30T08:00:61Z',
    '2026-11-30T08:00:00+24:00',
    '2026-11-30T08:00:00+01:60',
    '+12026-11-30T08:00:00Z',
    // Outside years 0000-9999 once in UTC: the stored text form would no longer sort.
    '9999-12-31T23:00:00-02:00',
    '0000-01-01T00:30:00+01:00',
    'yesterday',
  ])('refuses %s', (raw) => {
    expect(parseRfc3339(raw)).toBeNull();
  });

  it('gives ?updatedSince= the stored text form, or a 400 naming the parameter', () => {
    expect(filters.timestamp('updatedSince', 'Only items changed since').parse('2026-11-30T09:30:00+01:30')).toBe(
      '2026-11-30T08:00:00.000Z',
    );
    expect(() =>
      filters.timestamp('updatedSince', 'Only items changed since').parse('9999-12-31T23:00:00-02:00'),
    ).toThrow(/updatedSince must be an RFC 3339 date-time/);
  });
});

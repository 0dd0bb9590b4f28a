/**
 * Turns the parts' outcomes into the answer, following the failure policy:
 *
 * - every part fresh or cached: `200`, the document exactly (four members), `Cache-Control: no-cache`;
 * - some part served stale or missing: `200` (unless `strict` and a section is missing), failed sections
 *   `null`, plus `errors` and `sources`; `Cache-Control: no-store`, and `Dashboard-Incomplete` /
 *   `Dashboard-Stale` headers listing the sections concerned;
 * - no section at all, or `strict` with a section missing: `504` when every failure was a timeout,
 *   `502` otherwise, as problem+json naming each failed call.
 *
 * Every answer carries `Server-Timing` with each source's latency.
 */
import { json } from '../../common/src/http';
import { HttpError } from '../../common/src/problem';
import type { FailurePolicy } from './config';
import type { Dashboard } from './dashboard';
import type { DownstreamError, FailureCode, Source } from './downstream';
import type { PartOutcome } from './fetch-parts';
import { SECTIONS, type Section } from './parts';

export const INCOMPLETE_HEADER = 'dashboard-incomplete';
export const STALE_HEADER = 'dashboard-stale';

/** Short names of the sources in the `sources` block and in `Server-Timing`. */
const SOURCE_NAMES: Record<Source, 'customers' | 'incidents'> = { 'customers-service': 'customers', 'incidents-service': 'incidents' };

export interface SectionError {
  section: Section;
  source: Source;
  /** The status the data component answered with, or `null` when it did not answer. */
  status: number | null;
  code: FailureCode;
  detail: string;
}

export interface SourceStatus {
  /** `ok`: every call answered (or a fresh cache entry served); `timeout`: calls failed only by timing out. */
  status: 'ok' | 'timeout' | 'error';
  /** The slowest of this source's calls in this request, in ms (0 when served from a fresh cache entry). */
  latencyMs: number;
  /** Whether some section from this source is a stale cached copy. */
  stale: boolean;
}

type Sections = { [K in keyof Dashboard]: Dashboard[K] | null };

/** The document when some part failed: sections (`null` when missing), then `errors` and `sources`. */
export type PartialDashboard = Sections & {
  errors: SectionError[];
  sources: Record<'customers' | 'incidents', SourceStatus>;
};

const describeFailure = (error: DownstreamError) => `${error.source} GET ${error.path} ${error.publicDetail}`;

function sourceStatuses(outcomes: PartOutcome[]): Record<'customers' | 'incidents', SourceStatus> {
  const ok = (): SourceStatus => ({ status: 'ok', latencyMs: 0, stale: false });
  const statuses = { customers: ok(), incidents: ok() };
  for (const outcome of outcomes) {
    const status = statuses[SOURCE_NAMES[outcome.part.source]];
    status.latencyMs = Math.max(status.latencyMs, Math.round(outcome.latencyMs));
    status.stale ||= outcome.state === 'stale';
    if (outcome.error) {
      const kind = outcome.error.code === 'timeout' ? 'timeout' : 'error';
      status.status = status.status === 'ok' || status.status === kind ? kind : 'error';
    }
  }
  return statuses;
}

function serverTiming(outcomes: PartOutcome[]): string {
  return outcomes
    .map((o) => `${SOURCE_NAMES[o.part.source]};dur=${Math.round(o.latencyMs)};desc="${o.state} ${o.part.path}"`)
    .join(', ');
}

export function assemble(outcomes: PartOutcome[], policy: FailurePolicy): Response {
  const document: Sections = { customerCount: null, topCustomers: null, customersWithMostIncidents: null, customersWithHighestIncidentVolume: null };
  const missing: Section[] = [];
  const stale: Section[] = [];
  const errors: SectionError[] = [];
  for (const outcome of outcomes) {
    if (outcome.value !== undefined) Object.assign(document, outcome.part.fill(outcome.value));
    else missing.push(...outcome.part.sections);
    if (outcome.state === 'stale') stale.push(...outcome.part.sections);
    const { error } = outcome;
    if (error) {
      const servedStale = outcome.state === 'stale' ? `; a cached copy ${Math.round((outcome.ageMs ?? 0) / 1000)} s old was served instead` : '';
      for (const section of outcome.part.sections) {
        errors.push({ section, source: error.source, status: error.status, code: error.code, detail: `${describeFailure(error)}${servedStale}` });
      }
    }
  }
  const timing = { 'server-timing': serverTiming(outcomes) };

  if (missing.length === SECTIONS.length || (policy === 'strict' && missing.length > 0)) {
    const failed = outcomes.flatMap((o) => (o.state === 'failed' && o.error ? [o.error] : []));
    const allTimedOut = failed.every((e) => e.code === 'timeout');
    const what = missing.length === SECTIONS.length ? 'No part of the dashboard could be computed' : 'The dashboard could not be composed';
    throw new HttpError(allTimedOut ? 504 : 502, allTimedOut ? 'gateway-timeout' : 'bad-gateway', `${what}: ${failed.map(describeFailure).join('; ')}.`, timing, {
      failures: failed.map((e) => ({ source: e.source, path: e.path, status: e.status, code: e.code })),
    });
  }
  if (errors.length === 0) {
    // Exactly the documented shape, in order, so the same data always gives the same bytes (and ETag).
    const { customerCount, topCustomers, customersWithMostIncidents, customersWithHighestIncidentVolume } = document;
    if (customerCount === null || topCustomers === null || customersWithMostIncidents === null || customersWithHighestIncidentVolume === null) {
      throw new Error(`assemble: no errors, yet a section is missing (parts: ${outcomes.map((o) => o.part.path).join(', ')})`);
    }
    const complete: Dashboard = { customerCount, topCustomers, customersWithMostIncidents, customersWithHighestIncidentVolume };
    return json(complete, { headers: timing });
  }
  const partial: PartialDashboard = { ...document, errors, sources: sourceStatuses(outcomes) };
  const headers: Record<string, string> = { ...timing, 'cache-control': 'no-store' };
  if (missing.length > 0) headers[INCOMPLETE_HEADER] = missing.join(', ');
  if (stale.length > 0) headers[STALE_HEADER] = stale.join(', ');
  return json(partial, { headers });
}

/**
 * The dashboard's answer from its parts' outcomes (the rules are compose.ts's): complete, exactly the four
 * documented members in order, so the same data always gives the same bytes (and ETag); or, when some part
 * failed, the sections that could be computed plus `errors` and `sources`, with `Dashboard-Incomplete` /
 * `Dashboard-Stale` headers; or the 502/504 problem. Every one of them says how the cache made it
 * (`Cache-Status`, and `Age` when some part was served without asking: cache-status.ts).
 */
import { HttpError } from '@aggregates/common/problem';
import { json } from '@aggregates/common/responses';
import { cacheHeaders } from './cache-status';
import { compose, type Composed, type SectionError, type Sections, type SourceStatus } from './compose';
import type { DashboardConfig, FailurePolicy } from './config';
import type { Dashboard } from './dashboard';
import type { PartOutcome } from './fetch-parts';
import { SECTIONS } from './parts';

/** The composition's name: its headers are `Dashboard-Incomplete` and `Dashboard-Stale`. */
export const DASHBOARD = 'dashboard';

export type { SectionError, SourceStatus };

/** The document when some part failed: sections (`null` when missing), then `errors` and `sources`. */
export type PartialDashboard = Sections<Dashboard> & {
  errors: SectionError[];
  sources: Record<'customers' | 'incidents', SourceStatus>;
};

export function assemble(
  outcomes: PartOutcome[],
  policy: FailurePolicy,
  config: Pick<DashboardConfig, 'cacheTtlMs'>,
): Response {
  const caching = cacheHeaders(outcomes, config);
  let composed: Composed<Dashboard>;
  try {
    composed = compose(outcomes, policy, { name: DASHBOARD, sections: SECTIONS });
  } catch (error) {
    // The 502/504 says how it was made too (the parts that did come may have come from the cache).
    if (error instanceof HttpError) Object.assign(error.headers, caching);
    throw error;
  }
  const { document, complete, errors, sources } = composed;
  const headers = { ...composed.headers, ...caching };
  if (complete) {
    const { customerCount, topCustomers, customersWithMostIncidents, customersWithHighestIncidentVolume } = document;
    if (
      customerCount === null ||
      topCustomers === null ||
      customersWithMostIncidents === null ||
      customersWithHighestIncidentVolume === null
    ) {
      throw new Error(
        `assemble: no errors, yet a section is missing (parts: ${outcomes.map((o) => o.part.path).join(', ')})`,
      );
    }
    const exact: Dashboard = {
      customerCount,
      topCustomers,
      customersWithMostIncidents,
      customersWithHighestIncidentVolume,
    };
    return json(exact, { headers });
  }
  const partial = { ...document, errors, sources } as PartialDashboard;
  return json(partial, { headers });
}

/**
 * Turns the outcomes of a composed operation's parts into its document, following the failure policy. The
 * dashboard, the customer overview, incidents by country and the operation catalog are all composed this way:
 *
 * - every part fresh or cached: the document, complete (`Cache-Control: no-cache`);
 * - some part served stale or missing: the sections that could be filled (`null` for the others), plus
 *   `errors` and `sources`; `Cache-Control: no-store`, and `<Name>-Incomplete` / `<Name>-Stale` headers
 *   listing the sections concerned;
 * - no section at all, an essential section missing, or `strict` with any section missing: `504` when every
 *   failure was a timeout, `502` otherwise, as problem+json naming each failed call.
 *
 * Every answer carries `Server-Timing` with each call's latency.
 */
import { HttpError } from '@aggregates/common/problem';
import type { FailurePolicy } from './config';
import type { DownstreamError, FailureCode, Source } from './downstream';
import type { PartOutcome } from './fetch-parts';

/** Short names of the sources in the `sources` block and in `Server-Timing`, in the order they are listed. */
const SOURCE_NAMES: Record<Source, string> = {
  'customers-service': 'customers',
  'incidents-service': 'incidents',
  'page-service': 'page',
  'docs-service': 'docs',
};

export interface SectionError {
  section: string;
  source: Source;
  /** The status the component answered with, or `null` when it did not answer. */
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

export type Sections<D> = { [K in keyof D]: D[K] | null };

export interface Composition<D> {
  /** What is composed, in words (`dashboard`): the problem's detail and the headers' names (`Dashboard-Incomplete`). */
  name: string;
  /** Every section, in document order. */
  sections: readonly (keyof D & string)[];
  /** Sections without which there is nothing worth answering. */
  essential?: readonly (keyof D & string)[];
  /** Answer even when no section could be filled (the operation has something of its own to say). */
  answerWhenNothing?: boolean;
}

export interface Composed<D> {
  /** Each section, `null` when missing. */
  document: Sections<D>;
  /** No part failed (none missing, none stale). */
  complete: boolean;
  errors: SectionError[];
  sources: Record<string, SourceStatus>;
  /** `Server-Timing`, and for an answer that is not complete, `Cache-Control: no-store` and the section headers. */
  headers: Record<string, string>;
}

export const describeFailure = (error: DownstreamError) => `${error.source} GET ${error.path} ${error.publicDetail}`;

function sourceStatuses<D>(outcomes: PartOutcome<D>[]): Record<string, SourceStatus> {
  const statuses: Record<string, SourceStatus> = {};
  const present = new Set(outcomes.map((o) => o.part.source));
  for (const source of Object.keys(SOURCE_NAMES) as Source[]) {
    if (present.has(source)) statuses[SOURCE_NAMES[source]] = { status: 'ok', latencyMs: 0, stale: false };
  }
  for (const outcome of outcomes) {
    const status = statuses[SOURCE_NAMES[outcome.part.source]];
    if (!status) continue;
    status.latencyMs = Math.max(status.latencyMs, Math.round(outcome.latencyMs));
    status.stale ||= outcome.state === 'stale';
    if (outcome.error) {
      const kind = outcome.error.code === 'timeout' ? 'timeout' : 'error';
      status.status = status.status === 'ok' || status.status === kind ? kind : 'error';
    }
  }
  return statuses;
}

const serverTiming = <D>(outcomes: PartOutcome<D>[]): string =>
  outcomes
    .map((o) => `${SOURCE_NAMES[o.part.source]};dur=${Math.round(o.latencyMs)};desc="${o.state} ${o.part.path}"`)
    .join(', ');

/**
 * The headers that name a composition's missing and stale sections: `dashboard` -> `Dashboard-Incomplete` and
 * `Dashboard-Stale`, `incidents by country` -> `Incidents-By-Country-Incomplete`... (the documents list them too).
 */
export function sectionHeaders(name: string): { incomplete: string; stale: string } {
  const prefix = name
    .split(' ')
    .map((word) => `${word.charAt(0).toUpperCase()}${word.slice(1)}`)
    .join('-');
  return { incomplete: `${prefix}-Incomplete`, stale: `${prefix}-Stale` };
}

/** The outcomes as one document, or the 502/504 problem when the policy says there is nothing to answer. */
export function compose<D>(outcomes: PartOutcome<D>[], policy: FailurePolicy, spec: Composition<D>): Composed<D> {
  const document = Object.fromEntries(spec.sections.map((section) => [section, null])) as Sections<D>;
  const missing: string[] = [];
  const stale: string[] = [];
  const errors: SectionError[] = [];
  for (const outcome of outcomes) {
    if (outcome.value !== undefined) Object.assign(document as object, outcome.part.fill(outcome.value));
    else missing.push(...outcome.part.sections);
    if (outcome.state === 'stale') stale.push(...outcome.part.sections);
    const { error } = outcome;
    if (error) {
      const servedStale =
        outcome.state === 'stale'
          ? `; a cached copy ${Math.round((outcome.ageMs ?? 0) / 1000)} s old was served instead`
          : '';
      for (const section of outcome.part.sections) {
        errors.push({
          section,
          source: error.source,
          status: error.status,
          code: error.code,
          detail: `${describeFailure(error)}${servedStale}`,
        });
      }
    }
  }
  // In document order, whatever the order the calls were made in.
  const order = (section: string) => spec.sections.indexOf(section as keyof D & string);
  missing.sort((a, b) => order(a) - order(b));
  stale.sort((a, b) => order(a) - order(b));
  errors.sort((a, b) => order(a.section) - order(b.section));
  const timing = { 'server-timing': serverTiming(outcomes) };
  const nothing = missing.length === spec.sections.length && !spec.answerWhenNothing;
  const essentialMissing = (spec.essential ?? []).some((section) => missing.includes(section));
  if (nothing || essentialMissing || (policy === 'strict' && missing.length > 0)) {
    const failed = outcomes.flatMap((o) => (o.state === 'failed' && o.error ? [o.error] : []));
    const allTimedOut = failed.every((e) => e.code === 'timeout');
    const what = nothing ? `No part of the ${spec.name} could be computed` : `The ${spec.name} could not be composed`;
    throw new HttpError(
      allTimedOut ? 504 : 502,
      allTimedOut ? 'gateway-timeout' : 'bad-gateway',
      `${what}: ${failed.map(describeFailure).join('; ')}.`,
      timing,
      {
        failures: failed.map((e) => ({ source: e.source, path: e.path, status: e.status, code: e.code })),
      },
    );
  }
  const complete = errors.length === 0;
  const headers: Record<string, string> = { ...timing };
  if (!complete) {
    headers['cache-control'] = 'no-store';
    const names = sectionHeaders(spec.name);
    if (missing.length > 0) headers[names.incomplete.toLowerCase()] = missing.join(', ');
    if (stale.length > 0) headers[names.stale.toLowerCase()] = stale.join(', ');
  }
  return { document, complete, errors, sources: sourceStatuses(outcomes), headers };
}

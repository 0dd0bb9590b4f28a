/**
 * The JSON Schemas of the aggregates component's answers, for its OpenAPI document. Each composed operation
 * answers either its complete document or, when some part failed, the partial one: every section may be
 * `null`, and `errors` and `sources` say why (compose.ts).
 */
import { CACHE_NAME, CACHE_STATUS_VALUES } from './cache-status';
import { sectionHeaders } from './compose';
import { arrayOf, named, objectSchema, type JsonSchema, type ResponseDoc } from '@aggregates/common/openapi';
import { CustomerShape } from '@aggregates/common/wire/customer';
import { IncidentShape } from '@aggregates/common/wire/incident';
import { bare } from '@aggregates/common/wire/shape';

const name = { type: 'string' };
const count = { type: 'integer', minimum: 0 };
const money = { type: 'number', description: 'Rounded once to cents (exact sum of micro-units)' };

const SectionErrorSchema = named(
  'SectionError',
  objectSchema({
    section: { type: 'string' },
    source: { enum: ['customers-service', 'incidents-service', 'page-service', 'docs-service'] },
    status: { type: ['integer', 'null'], description: 'What the component answered; null when it did not answer' },
    code: { enum: ['timeout', 'unreachable', 'bad-status', 'malformed'] },
    detail: { type: 'string' },
  }),
);

const SourcesSchema = named('Sources', {
  type: 'object',
  description:
    'Per component called: ok, timeout or error; the slowest call in ms; whether a stale cached copy stood in',
  additionalProperties: objectSchema({
    status: { enum: ['ok', 'timeout', 'error'] },
    latencyMs: count,
    stale: { type: 'boolean' },
  }),
});

/** The complete document and the partial one, named `<Title>` and `Partial<Title>`. */
function complete(
  title: string,
  properties: Record<string, JsonSchema>,
  description: string,
): { full: JsonSchema; partial: JsonSchema } {
  const partialProperties = Object.fromEntries(
    Object.entries(properties).map(([key, schema]) => [key, { anyOf: [schema, { type: 'null' }] }]),
  );
  return {
    full: named(title, objectSchema(properties, description)),
    partial: named(
      `Partial${title}`,
      objectSchema(
        { ...partialProperties, errors: arrayOf(SectionErrorSchema), sources: SourcesSchema },
        `${description}; when some part failed`,
      ),
    ),
  };
}

export const DashboardSchema = complete(
  'Dashboard',
  {
    customerCount: count,
    topCustomers: arrayOf(
      objectSchema({
        customerId: {
          type: ['string', 'null'],
          description: 'Its id: the customer overview is /aggregates/customers/{id}/overview',
        },
        customerName: name,
        scoring: { type: 'number' },
      }),
    ),
    customersWithMostIncidents: arrayOf(objectSchema({ customerName: name, numberOfIncidents: count })),
    customersWithHighestIncidentVolume: arrayOf(objectSchema({ customerName: name, incidentVolume: money })),
  },
  'The dashboard; each list holds the top top_n, ties broken by name in code-point order',
);

const StandingSchema = named(
  'Standing',
  objectSchema({
    rank: { type: 'integer', minimum: 1, description: "1-based position in the list's full order" },
    of: count,
    inDashboard: { type: 'boolean', description: 'rank <= top_n' },
  }),
);

const text = { type: ['string', 'null'] };
/** The customer and its incidents as the data components answered them (common/src/wire/). */
const OverviewCustomer = bare(CustomerShape);
const OverviewIncident = bare(IncidentShape);

export const OverviewSchema = complete(
  'CustomerOverview',
  {
    customer: OverviewCustomer,
    topCustomers: StandingSchema,
    incidents: objectSchema({
      numberOfIncidents: count,
      incidentVolume: money,
      customersWithMostIncidents: {
        anyOf: [StandingSchema, { type: 'null' }],
        description: 'null when the name has no incidents',
      },
      customersWithHighestIncidentVolume: {
        anyOf: [StandingSchema, { type: 'null' }],
        description: 'null when the name has no incidents',
      },
    }),
    latestIncidents: arrayOf(OverviewIncident, 'The incidents that refer to the customer, newest first (at most 5)'),
  },
  'One customer and where it stands in the dashboard',
);

const Bucket = { numberOfIncidents: count, incidentVolume: money, customerNames: count };
export const ByCountrySchema = complete(
  'IncidentsByCountry',
  {
    countries: arrayOf(
      objectSchema({ country: text, ...Bucket }),
      'By number of incidents (descending), then country (code-point order), null last',
    ),
    withoutCustomer: objectSchema(Bucket, 'Incidents whose customer name no customer has'),
    ambiguous: objectSchema(Bucket, 'Incidents whose customer name customers in different countries share'),
  },
  'Incidents per customer country',
);

/** The catalog is an OpenAPI document; a partial one adds x-errors and x-sources. */
export const CatalogSchema = {
  full: named('Catalog', {
    type: 'object',
    required: ['openapi', 'info', 'paths'],
    properties: {
      openapi: { type: 'string', pattern: '^3\\.1\\.' },
      info: { type: 'object' },
      paths: { type: 'object' },
      components: { type: 'object' },
    },
  }),
  partial: named('PartialCatalog', {
    type: 'object',
    required: ['openapi', 'info', 'paths', 'x-errors', 'x-sources'],
    properties: {
      openapi: { type: 'string', pattern: '^3\\.1\\.' },
      'x-errors': arrayOf(SectionErrorSchema),
      'x-sources': SourcesSchema,
    },
  }),
};

/** The headers that say how the cache made a dashboard answer (cache-status.ts); a 304 carries them too. */
export const CACHE_HEADERS: NonNullable<ResponseDoc['headers']> = {
  'Cache-Status': {
    description: `How the cache ${CACHE_NAME} made this answer (RFC 9211): hit (detail=unchecked: every part served without asking; detail=revalidated: some after its data version was checked), fwd=partial (some parts called), fwd=stale (every part called, its copy too old or outdated), fwd=miss (some part had no copy), fwd=request (cache_ttl_ms is 0). A 304 carries the same value.`,
    schema: { enum: [...CACHE_STATUS_VALUES] },
  },
  Age: {
    description:
      'Seconds (rounded down) since the oldest part served without asking anything was read (RFC 9111); only when some part was, which needs cache_max_age_ms',
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
};

/**
 * The 200 of the composition `name` (compose.ts): complete or partial, with the headers that tell them apart,
 * and `extraHeaders` of its own.
 */
export function composedResponse(
  schema: { full: JsonSchema; partial: JsonSchema },
  name: string,
  extraHeaders: ResponseDoc['headers'] = {},
): ResponseDoc {
  const headers = sectionHeaders(name);
  return {
    description: 'The document; when some part failed, the partial document (Cache-Control: no-store)',
    content: { 'application/json': { anyOf: [schema.full, schema.partial] } },
    headers: {
      'Server-Timing': {
        description: 'Each call: source, latency, whether cached, fresh, stale or failed',
        schema: { type: 'string' },
      },
      [headers.incomplete]: { description: 'The sections that are missing', schema: { type: 'string' } },
      [headers.stale]: { description: 'The sections served from a stale cached copy', schema: { type: 'string' } },
      ...extraHeaders,
    },
  };
}

/**
 * A customer's overview page, `/overview/{id}`, rendered to HTML text from an answer of
 * `GET /aggregates/customers/{id}/overview`: who the customer is, where it stands in each of the dashboard's
 * lists, and its newest incidents. The answer is read defensively, as the dashboard's is (view.ts): a part of the
 * wrong shape is shown as missing, never trusted. Every value from the data is escaped; nothing here touches
 * the DOM, and the page has no script (it is not polled: one customer's page is read, then left).
 */
import {
  dataTimeLine,
  escapeHtml,
  formatInteger,
  formatMoney,
  noticeHeading,
  renderNotices,
  renderShell,
  sentence,
  type Notice,
} from './view';

export type OverviewSection = 'customer' | 'topCustomers' | 'incidents' | 'latestIncidents';

export const OVERVIEW_LABELS: Record<OverviewSection, string> = {
  customer: 'The customer',
  topCustomers: 'Its place by scoring',
  incidents: 'Its incidents',
  latestIncidents: 'Its newest incidents',
};

/** Where the customer stands in one of the dashboard's lists. */
export interface Standing {
  rank: number;
  of: number;
  inDashboard: boolean;
}

export interface OverviewCustomer {
  id: string;
  name: string | null;
  city: string | null;
  country: string | null;
  scoring: number | null;
}

export interface OverviewIncident {
  id: string;
  amount: number | null;
  category: string | null;
  createdAt: string | null;
}

export interface OverviewIncidents {
  numberOfIncidents: number;
  incidentVolume: number;
  mostIncidents: Standing | null;
  highestVolume: Standing | null;
}

/** What the overview page shows; `kind` says which of its three pages it is. */
export type OverviewView =
  | {
      kind: 'customer';
      customer: OverviewCustomer;
      topCustomers: Standing | null;
      incidents: OverviewIncidents | null;
      latestIncidents: OverviewIncident[] | null;
      notices: Notice<OverviewSection>[];
    }
  /** No customer has this id (or none could: the id is malformed). */
  | { kind: 'not-found'; id: string; reason: string }
  /** The overview could not be had: the reason, in words. */
  | { kind: 'unavailable'; id: string; reason: string };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const textOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const numberOrNull = (value: unknown): number | null => (typeof value === 'number' ? value : null);

function standing(value: unknown): Standing | null {
  if (!isRecord(value)) return null;
  const { rank, of, inDashboard } = value;
  if (typeof rank !== 'number' || typeof of !== 'number' || typeof inDashboard !== 'boolean') return null;
  return { rank, of, inDashboard };
}

function customerOf(value: unknown): OverviewCustomer | null {
  if (!isRecord(value) || typeof value.id !== 'string') return null;
  return {
    id: value.id,
    name: textOrNull(value.name),
    city: textOrNull(value.city),
    country: textOrNull(value.country),
    scoring: numberOrNull(value.scoring),
  };
}

function incidentsOf(value: unknown): OverviewIncidents | null {
  if (!isRecord(value) || typeof value.numberOfIncidents !== 'number' || typeof value.incidentVolume !== 'number')
    return null;
  return {
    numberOfIncidents: value.numberOfIncidents,
    incidentVolume: value.incidentVolume,
    mostIncidents: standing(value.customersWithMostIncidents),
    highestVolume: standing(value.customersWithHighestIncidentVolume),
  };
}

function latestOf(value: unknown): OverviewIncident[] | null {
  if (!Array.isArray(value)) return null;
  const list: OverviewIncident[] = [];
  for (const item of value) {
    if (!isRecord(item) || typeof item.id !== 'string') return null;
    list.push({
      id: item.id,
      amount: numberOrNull(item.amount),
      category: textOrNull(item.category),
      createdAt: textOrNull(item.createdAt),
    });
  }
  return list;
}

const problemDetail = (body: unknown): string | null =>
  isRecord(body) && typeof body.detail === 'string' ? body.detail : null;

/** What to show for an answer of the aggregates component about customer `id`: its status and parsed body. */
export function toOverviewView(id: string, status: number, body: unknown): OverviewView {
  // 404: no such customer; 400: an id no customer can have. Either way there is no customer to show.
  if (status === 404 || status === 400)
    return { kind: 'not-found', id, reason: problemDetail(body) ?? `There is no customer with id ${id}` };
  const customer = status === 200 && isRecord(body) ? customerOf(body.customer) : null;
  if (!isRecord(body) || customer === null)
    return { kind: 'unavailable', id, reason: problemDetail(body) ?? `the overview answered ${status}` };
  const view = {
    kind: 'customer' as const,
    customer,
    topCustomers: standing(body.topCustomers),
    incidents: incidentsOf(body.incidents),
    latestIncidents: latestOf(body.latestIncidents),
    notices: [] as Notice<OverviewSection>[],
  };
  const reasons = new Map<OverviewSection, string>();
  if (Array.isArray(body.errors)) {
    for (const error of body.errors) {
      if (isRecord(error) && typeof error.section === 'string' && typeof error.detail === 'string')
        if (error.section in OVERVIEW_LABELS) reasons.set(error.section as OverviewSection, error.detail);
    }
  }
  const present: Record<OverviewSection, boolean> = {
    customer: true,
    topCustomers: view.topCustomers !== null,
    incidents: view.incidents !== null,
    latestIncidents: view.latestIncidents !== null,
  };
  for (const section of Object.keys(OVERVIEW_LABELS) as OverviewSection[]) {
    const reason = reasons.get(section);
    if (!present[section])
      view.notices.push({ section, state: 'missing', reason: reason ?? 'the answer did not include it' });
    else if (reason) view.notices.push({ section, state: 'stale', reason });
  }
  return view;
}

/** Markup written in pieces that fit a line, joined with nothing between them. */
const join = (...parts: string[]): string => parts.join('');

/** The name a customer is shown by: its own, or words saying it has none. */
export const displayName = (customer: OverviewCustomer): string => customer.name ?? 'A customer without a name';

/** A place in one of the dashboard's lists, in words: `9 of 40, not on the dashboard`. */
function placeText(place: Standing | null): string {
  if (place === null) return 'not in this list (no incidents under its name)';
  const where = place.inDashboard ? 'on the dashboard' : 'not on the dashboard';
  return `${formatInteger(place.rank)} of ${formatInteger(place.of)}, ${where}`;
}

/** One row of the standings list: a term and its value, both already escaped or made of numbers. */
const row = (id: string, term: string, value: string): string =>
  `<div id="${id}"><dt>${term}</dt><dd>${value}</dd></div>`;

const missingSection = (section: OverviewSection): string =>
  join(
    `<p class="missing" data-section="${section}">`,
    `${escapeHtml(OVERVIEW_LABELS[section])}: not available right now.</p>`,
  );

function standings(view: Extract<OverviewView, { kind: 'customer' }>): string {
  const { customer, topCustomers, incidents } = view;
  const rows = [
    row('scoring', 'Scoring', customer.scoring === null ? 'none' : formatInteger(customer.scoring)),
    topCustomers === null ? '' : row('rank-scoring', 'By scoring', escapeHtml(placeText(topCustomers))),
  ];
  if (incidents !== null) {
    rows.push(
      row('incident-count', 'Incidents', formatInteger(incidents.numberOfIncidents)),
      row('incident-volume', 'Incident volume', formatMoney(incidents.incidentVolume)),
      row('rank-count', 'By incidents', escapeHtml(placeText(incidents.mostIncidents))),
      row('rank-volume', 'By volume', escapeHtml(placeText(incidents.highestVolume))),
    );
  }
  const missing = incidents === null ? missingSection('incidents') : '';
  return join(
    `<section id="standing"><h2>Where it stands</h2>`,
    `<dl class="standing">${rows.join('')}</dl>${missing}</section>`,
  );
}

/** `2026-11-30T09:25:48.693Z` -> `2026-11-30 09:25` (UTC, as the column heading says). */
const createdText = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;

function latest(incidents: OverviewIncident[]): string {
  const body = incidents
    .map((incident) =>
      join(
        `<tr><td>${escapeHtml(incident.createdAt === null ? 'unknown' : createdText(incident.createdAt))}</td>`,
        `<td class="name">${escapeHtml(incident.category ?? 'none')}</td>`,
        `<td class="value">${incident.amount === null ? 'none' : formatMoney(incident.amount)}</td></tr>`,
      ),
    )
    .join('');
  return join(
    '<table id="latest-incidents"><caption>Its newest incidents</caption>',
    '<thead><tr><th scope="col">Created (UTC)</th><th scope="col">Category</th><th scope="col">Amount</th></tr></thead>',
    `<tbody>${body || '<tr><td colspan="3">None yet</td></tr>'}</tbody></table>`,
  );
}

/** The inside of `<main id="overview">`. "Data as of" only with data: the other pages have none to date. */
export function renderOverviewMain(view: OverviewView, dataTime: string): string {
  if (view.kind === 'not-found') {
    return join(
      '<section id="not-found" role="alert"><h2>No such customer</h2>',
      `<p>${escapeHtml(sentence(view.reason))}</p><p><a href="/">Back to the dashboard</a></p></section>`,
    );
  }
  if (view.kind === 'unavailable') {
    return join(
      '<section id="error" role="alert"><h2>The overview is not available</h2>',
      `<p>${escapeHtml(sentence(view.reason))}</p><p>Reload the page to try again.</p></section>`,
    );
  }
  const notice = renderNotices(
    view.notices,
    OVERVIEW_LABELS,
    noticeHeading(view.notices, Object.keys(OVERVIEW_LABELS).length, 'the overview'),
  );
  const newest = view.latestIncidents === null ? missingSection('latestIncidents') : latest(view.latestIncidents);
  return join(
    notice,
    '<div class="grid">',
    standings(view),
    `<section>${newest}</section></div>`,
    dataTimeLine(dataTime),
  );
}

export interface OverviewDocumentOptions {
  dataTime: string;
  styleUrl: string;
  iconUrl: string;
}

/** The whole overview page. */
export function renderOverviewDocument(view: OverviewView, options: OverviewDocumentOptions): string {
  const id = view.kind === 'customer' ? view.customer.id : view.id;
  const jsonPath = `/aggregates/customers/${encodeURIComponent(id)}/overview`;
  let heading = '<h1>Customer overview</h1>';
  let intro = `Customer id <code>${escapeHtml(id)}</code>.`;
  if (view.kind === 'customer') {
    const { customer } = view;
    const place = [customer.city, customer.country].filter((part) => part !== null).join(', ');
    heading = `<h1 id="customer-name">${escapeHtml(displayName(customer))}</h1>`;
    intro = join(place === '' ? '' : `${escapeHtml(place)}. `, `Customer id <code>${escapeHtml(customer.id)}</code>.`);
  }
  return renderShell({
    title: view.kind === 'customer' ? `${displayName(view.customer)}: customer overview` : 'Customer overview',
    heading: `<nav><a href="/">Dashboard</a></nav>${heading}`,
    intro,
    main: `<main id="overview">${renderOverviewMain(view, options.dataTime)}</main>`,
    jsonPath,
    styleUrl: options.styleUrl,
    iconUrl: options.iconUrl,
  });
}

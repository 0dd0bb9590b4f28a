/**
 * The dashboard page's content, rendered to HTML text from an answer of `GET /aggregates/dashboard`. Shared by
 * the server (the page as first sent, which works without JavaScript) and the browser script (each refresh),
 * so both show exactly the same thing. Every value from the data is escaped; nothing here touches the DOM.
 */

/** One entry of a ranked list: who, and the number shown for them. */
export interface Entry {
  name: string;
  value: number;
}

export type SectionName =
  'customerCount' | 'topCustomers' | 'customersWithMostIncidents' | 'customersWithHighestIncidentVolume';

/** A section the answer lacks or serves from an old copy, and why. */
export interface Notice {
  section: SectionName;
  state: 'missing' | 'stale';
  reason: string;
}

export interface View {
  customerCount: number | null;
  topCustomers: Entry[] | null;
  mostIncidents: Entry[] | null;
  highestVolume: Entry[] | null;
  notices: Notice[];
  /** Set when there is nothing to show: the reason, in words. */
  failure: string | null;
}

export const SECTION_LABELS: Record<SectionName, string> = {
  customerCount: 'Customer count',
  topCustomers: 'Top customers by scoring',
  customersWithMostIncidents: 'Customers with the most incidents',
  customersWithHighestIncidentVolume: 'Customers with the highest incident volume',
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A ranked list of the answer, or `null` when it is missing or not the shape it should be. */
function entries(value: unknown, valueKey: string): Entry[] | null {
  if (!Array.isArray(value)) return null;
  const list: Entry[] = [];
  for (const item of value) {
    if (!isRecord(item) || typeof item.customerName !== 'string' || typeof item[valueKey] !== 'number') return null;
    list.push({ name: item.customerName, value: item[valueKey] });
  }
  return list;
}

/** What to show for an answer of the aggregates component: its status and parsed body (`null` if not JSON). */
export function toView(status: number, body: unknown): View {
  const empty: View = {
    customerCount: null,
    topCustomers: null,
    mostIncidents: null,
    highestVolume: null,
    notices: [],
    failure: null,
  };
  if (status !== 200 || !isRecord(body)) {
    const detail = isRecord(body) && typeof body.detail === 'string' ? body.detail : `the dashboard answered ${status}`;
    return { ...empty, failure: detail };
  }
  const view: View = {
    ...empty,
    customerCount: typeof body.customerCount === 'number' ? body.customerCount : null,
    topCustomers: entries(body.topCustomers, 'scoring'),
    mostIncidents: entries(body.customersWithMostIncidents, 'numberOfIncidents'),
    highestVolume: entries(body.customersWithHighestIncidentVolume, 'incidentVolume'),
  };
  const reasons = new Map<SectionName, string>();
  if (Array.isArray(body.errors)) {
    for (const error of body.errors) {
      if (
        isRecord(error) &&
        typeof error.section === 'string' &&
        error.section in SECTION_LABELS &&
        typeof error.detail === 'string'
      ) {
        reasons.set(error.section as SectionName, error.detail);
      }
    }
  }
  const present: Record<SectionName, boolean> = {
    customerCount: view.customerCount !== null,
    topCustomers: view.topCustomers !== null,
    customersWithMostIncidents: view.mostIncidents !== null,
    customersWithHighestIncidentVolume: view.highestVolume !== null,
  };
  for (const section of Object.keys(SECTION_LABELS) as SectionName[]) {
    const reason = reasons.get(section);
    if (!present[section])
      view.notices.push({ section, state: 'missing', reason: reason ?? 'the answer did not include it' });
    else if (reason) view.notices.push({ section, state: 'stale', reason });
  }
  if (view.notices.length === Object.keys(SECTION_LABELS).length && view.notices.every((n) => n.state === 'missing')) {
    return { ...empty, failure: 'no part of the dashboard could be computed' };
  }
  return view;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML content and double- or single-quoted attribute values. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/** `1234567` -> `1,234,567`. The components' engine has no Intl, so grouping is done by hand. */
export function formatInteger(value: number): string {
  const digits = Math.trunc(Math.abs(value)).toString();
  return `${value < 0 ? '-' : ''}${digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;
}

/** An amount with two decimals and grouped thousands: `32399.96` -> `32,399.96`. */
export function formatMoney(value: number): string {
  const [whole = '0', cents = '00'] = Math.abs(value).toFixed(2).split('.');
  return `${value < 0 ? '-' : ''}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${cents}`;
}

/** Markup written in pieces that fit a line, joined with nothing between them. */
const join = (...parts: string[]): string => parts.join('');

function table(
  id: string,
  caption: string,
  valueHeading: string,
  rows: Entry[],
  format: (value: number) => string,
): string {
  const body = rows
    .map((row, i) =>
      join(
        `<tr><th scope="row">${i + 1}</th>`,
        `<td class="name">${escapeHtml(row.name)}</td>`,
        `<td class="value" data-value="${row.value}">${format(row.value)}</td></tr>`,
      ),
    )
    .join('');
  return join(
    `<table id="${id}"><caption>${escapeHtml(caption)}</caption>`,
    `<thead><tr><th scope="col">#</th><th scope="col">Customer</th><th scope="col">${valueHeading}</th></tr></thead>`,
    `<tbody>${body || '<tr><td colspan="3">None yet</td></tr>'}</tbody></table>`,
  );
}

/** A horizontal bar chart, with its values in its title and description for assistive technology. */
function chart(id: string, label: string, rows: Entry[], format: (value: number) => string): string {
  const max = Math.max(0, ...rows.map((r) => r.value));
  const rowHeight = 28;
  const height = Math.max(1, rows.length) * rowHeight;
  const summary = rows.map((r) => `${r.name}: ${format(r.value)}`).join('; ') || 'no data';
  const bars = rows
    .map((row, i) => {
      const width = max > 0 ? Math.max(1, Math.round((row.value / max) * 240)) : 1;
      const y = i * rowHeight;
      const name = row.name.length > 24 ? `${row.name.slice(0, 23)}…` : row.name;
      return join(
        `<text x="0" y="${y + 18}" class="label">${escapeHtml(name)}</text>`,
        `<rect x="150" y="${y + 5}" width="${width}" height="18" rx="3" class="bar"></rect>`,
        `<text x="${150 + width + 6}" y="${y + 18}" class="amount">${format(row.value)}</text>`,
      );
    })
    .join('');
  return join(
    `<svg class="chart" id="${id}" role="img" aria-labelledby="${id}-title ${id}-desc"`,
    ` viewBox="0 0 480 ${height}" preserveAspectRatio="xMinYMin meet">`,
    `<title id="${id}-title">${escapeHtml(label)}</title><desc id="${id}-desc">${escapeHtml(summary)}</desc>`,
    `${bars}</svg>`,
  );
}

function missing(section: SectionName): string {
  const label = escapeHtml(SECTION_LABELS[section]);
  return `<p class="missing" data-section="${section}">${label}: not available right now.</p>`;
}

/** `2026-11-30T09:25:48.693Z` -> `09:25:48 UTC, 2026-11-30`. */
export const readableTime = (iso: string): string => `${iso.slice(11, 19)} UTC, ${iso.slice(0, 10)}`;

/** The inside of `<main id="dashboard">`: everything that changes with the data. */
export function renderMain(view: View, dataTime: string): string {
  const time = join(
    `<p class="time">Data as of <time id="data-time" datetime="${escapeHtml(dataTime)}">`,
    `${escapeHtml(readableTime(dataTime))}</time></p>`,
  );
  if (view.failure !== null) {
    return join(
      `<section id="error" role="alert"><h2>The dashboard is not available</h2>`,
      `<p>${escapeHtml(view.failure)}.</p><p>The page tries again every few seconds.</p></section>${time}`,
    );
  }
  const notice = view.notices.length
    ? `<section id="notice" role="status"><h2>Part of the dashboard is incomplete</h2><ul>${view.notices
        .map((n) =>
          join(
            `<li data-section="${n.section}" data-state="${n.state}">`,
            `<strong>${escapeHtml(SECTION_LABELS[n.section])}</strong> `,
            `${n.state === 'stale' ? 'is an older copy' : 'is missing'}: ${escapeHtml(n.reason)}</li>`,
          ),
        )
        .join('')}</ul></section>`
    : '';
  const count =
    view.customerCount === null
      ? missing('customerCount')
      : `<p class="count">Customers <strong id="customer-count">${formatInteger(view.customerCount)}</strong></p>`;
  const top =
    view.topCustomers === null
      ? missing('topCustomers')
      : table('top-customers', SECTION_LABELS.topCustomers, 'Scoring', view.topCustomers, formatInteger);
  const most =
    view.mostIncidents === null
      ? missing('customersWithMostIncidents')
      : join(
          table(
            'most-incidents',
            SECTION_LABELS.customersWithMostIncidents,
            'Incidents',
            view.mostIncidents,
            formatInteger,
          ),
          chart('most-incidents-chart', 'Incidents per customer', view.mostIncidents, formatInteger),
        );
  const volume =
    view.highestVolume === null
      ? missing('customersWithHighestIncidentVolume')
      : join(
          table(
            'highest-volume',
            SECTION_LABELS.customersWithHighestIncidentVolume,
            'Volume',
            view.highestVolume,
            formatMoney,
          ),
          chart('highest-volume-chart', 'Incident volume per customer', view.highestVolume, formatMoney),
        );
  return join(
    `${notice}${count}<div class="grid">`,
    `<section>${top}</section><section>${most}</section><section>${volume}</section></div>${time}`,
  );
}

export interface DocumentOptions {
  /** The dashboard answer's ETag, for the script's conditional requests ('' when it had none). */
  etag: string;
  dataTime: string;
  scriptUrl: string;
  styleUrl: string;
  iconUrl: string;
}

/** The whole page. */
export function renderDocument(view: View, { etag, dataTime, scriptUrl, styleUrl, iconUrl }: DocumentOptions): string {
  return join(
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    '<title>Aggregates dashboard</title>',
    `<link rel="icon" href="${escapeHtml(iconUrl)}" type="image/svg+xml">`,
    `<link rel="stylesheet" href="${escapeHtml(styleUrl)}"><script src="${escapeHtml(scriptUrl)}" defer></script>`,
    '</head><body><header><h1>Aggregates dashboard</h1>',
    '<p>Customers and incidents, composed by the aggregates component.</p></header>',
    `<main id="dashboard" data-etag="${escapeHtml(etag)}" aria-live="polite">${renderMain(view, dataTime)}</main>`,
    '<footer><p>Also as JSON: <a href="/aggregates/dashboard">/aggregates/dashboard</a></p></footer></body></html>',
  );
}

/**
 * The dashboard page's content, rendered to HTML text from an answer of `GET /aggregates/dashboard`. Shared by
 * the server (the page as first sent, which works without JavaScript) and the browser script (each refresh),
 * so both show exactly the same thing. Every value from the data is escaped; nothing here touches the DOM.
 */

/** One entry of a ranked list: who, and the number shown for them. */
export interface Entry {
  name: string;
  value: number;
  /** The customer's id when the answer names one: the name then links to its overview page. */
  id?: string;
}

export type SectionName =
  'customerCount' | 'topCustomers' | 'customersWithMostIncidents' | 'customersWithHighestIncidentVolume';

/** A section the answer lacks or serves from an old copy, and why. */
export interface Notice<S extends string = SectionName> {
  section: S;
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
    const entry: Entry = { name: item.customerName, value: item[valueKey] };
    if (typeof item.customerId === 'string') entry.id = item.customerId;
    list.push(entry);
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

/** A reason made a sentence: a full stop added only when it does not already end with one (or ! or ?). */
export const sentence = (text: string): string => (/[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`);

/** Where a customer's overview page is. */
export const overviewPath = (id: string): string => `/overview/${encodeURIComponent(id)}`;

/** A customer's name, escaped, and a link to its overview page when its id is known. */
export const customerLink = (name: string, id: string | undefined): string =>
  id === undefined ? escapeHtml(name) : `<a href="${escapeHtml(overviewPath(id))}">${escapeHtml(name)}</a>`;

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
        `<td class="name">${customerLink(row.name, row.id)}</td>`,
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

/**
 * The room of a chart's label line, in widths of an average Latin letter: a label wider than this is shortened,
 * with the full name as its tooltip.
 */
export const LABEL_MAX = 44;

/** How wide a character is drawn, in average Latin letters: East Asian wide characters and emoji take two. */
function charWidth(char: string): number {
  const code = char.codePointAt(0) ?? 0;
  const wide =
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1faff) ||
    (code >= 0x20000 && code <= 0x3fffd);
  return wide ? 2 : 1;
}

/**
 * `name` made to fit `max` (in {@link charWidth}s) with an ellipsis, cut between characters (code points, so no
 * character is split): at the last space when that keeps most of it, so no word the reader sees is cut in half;
 * inside a word only when the first word alone is too long.
 */
export function shortenLabel(name: string, max = LABEL_MAX): string {
  const chars = Array.from(name);
  if (chars.reduce((sum, char) => sum + charWidth(char), 0) <= max) return name;
  let width = 0;
  let count = 0;
  // Room for the ellipsis.
  while (count < chars.length && width + charWidth(chars[count] ?? '') <= max - 1)
    width += charWidth(chars[count++] ?? '');
  const head = chars.slice(0, count).join('');
  // The head ends where a word does: keep it whole. Else back to the last space, if that keeps most of it.
  const space = head.lastIndexOf(' ');
  const cut = chars[count] === ' ' || space < head.length / 2 ? head : head.slice(0, space);
  return `${cut.trimEnd()}…`;
}

/** The width of a chart's drawing, in its own units: about the width of one column of the grid, in pixels. */
const CHART_WIDTH = 400;
/** Room right of the longest bar for its amount (`32,399.96` and then some). */
const AMOUNT_ROOM = 96;

/**
 * A horizontal bar chart, with its values in its title and description for assistive technology. Each name
 * has a line of its own above its bar, so a long name never runs into a bar, whatever the width it is drawn at.
 */
function chart(id: string, label: string, rows: Entry[], format: (value: number) => string): string {
  const max = Math.max(0, ...rows.map((r) => r.value));
  const rowHeight = 46;
  const height = Math.max(1, rows.length) * rowHeight;
  const summary = rows.map((r) => `${r.name}: ${format(r.value)}`).join('; ') || 'no data';
  const bars = rows
    .map((row, i) => {
      const width = max > 0 ? Math.max(1, Math.round((row.value / max) * (CHART_WIDTH - AMOUNT_ROOM))) : 1;
      const y = i * rowHeight;
      const name = shortenLabel(row.name);
      // The whole name as the tooltip of a shortened one (the description above has it for screen readers).
      const title = name === row.name ? '' : `<title>${escapeHtml(row.name)}</title>`;
      return join(
        `<text x="0" y="${y + 15}" class="label">${title}${escapeHtml(name)}</text>`,
        `<rect x="0" y="${y + 21}" width="${width}" height="18" rx="3" class="bar"></rect>`,
        `<text x="${width + 6}" y="${y + 35}" class="amount">${format(row.value)}</text>`,
      );
    })
    .join('');
  return join(
    `<svg class="chart" id="${id}" role="img" aria-labelledby="${id}-title ${id}-desc"`,
    ` viewBox="0 0 ${CHART_WIDTH} ${height}" preserveAspectRatio="xMinYMin meet">`,
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

/** The "Data as of" line: the time the shown data was read. */
export const dataTimeLine = (dataTime: string): string =>
  join(
    `<p class="time">Data as of <time id="data-time" datetime="${escapeHtml(dataTime)}">`,
    `${escapeHtml(readableTime(dataTime))}</time></p>`,
  );

/**
 * The heading over the notices, in the words the notices use: a section served from the cache is there, only
 * older ("an older copy"); one that is missing is not ("missing"). A single word for both would say one of
 * them wrong.
 */
export function noticeHeading(
  notices: readonly Notice<string>[],
  sections = Object.keys(SECTION_LABELS).length,
  what = 'the dashboard',
): string {
  const missing = notices.filter((n) => n.state === 'missing').length;
  const stale = notices.length - missing;
  if (missing === 0) return stale >= sections ? `All of ${what} is an older copy` : `Part of ${what} is an older copy`;
  if (stale === 0) return `Part of ${what} is missing`;
  return `Part of ${what} is missing, part is an older copy`;
}

/** The notices of a partial or stale answer, one item per section, each with its reason. */
export function renderNotices<S extends string>(
  notices: readonly Notice<S>[],
  labels: Record<S, string>,
  heading: string,
): string {
  if (notices.length === 0) return '';
  const items = notices
    .map((n) =>
      join(
        `<li data-section="${escapeHtml(n.section)}" data-state="${n.state}">`,
        `<strong>${escapeHtml(labels[n.section])}</strong> `,
        `${n.state === 'stale' ? 'is an older copy' : 'is missing'}: ${escapeHtml(sentence(n.reason))}</li>`,
      ),
    )
    .join('');
  return `<section id="notice" role="status"><h2>${escapeHtml(heading)}</h2><ul>${items}</ul></section>`;
}

/**
 * The inside of `<main id="dashboard">`: everything that changes with the data. The "Data as of" time is shown
 * only with data: an error page has none to date.
 */
export function renderMain(view: View, dataTime: string): string {
  if (view.failure !== null) {
    return join(
      `<section id="error" role="alert"><h2>The dashboard is not available</h2>`,
      `<p>${escapeHtml(sentence(view.failure))}</p><p>The page tries again every few seconds.</p></section>`,
    );
  }
  const time = dataTimeLine(dataTime);
  const notice = renderNotices(view.notices, SECTION_LABELS, noticeHeading(view.notices));
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

export interface ShellOptions {
  /** The document's title (the tab's name). */
  title: string;
  /** The page's heading and the line under it, as HTML. */
  heading: string;
  intro: string;
  /** The `<main>` element, whole. */
  main: string;
  /** The JSON the page is made from, linked in the footer. */
  jsonPath: string;
  styleUrl: string;
  iconUrl: string;
  /** The page's script, if it has one. */
  scriptUrl?: string;
}

/** Every page's frame: head, header, main, footer. No inline script or style (the CSP allows none). */
export function renderShell({
  title,
  heading,
  intro,
  main,
  jsonPath,
  styleUrl,
  iconUrl,
  scriptUrl,
}: ShellOptions): string {
  return join(
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    `<title>${escapeHtml(title)}</title>`,
    `<link rel="icon" href="${escapeHtml(iconUrl)}" type="image/svg+xml">`,
    `<link rel="stylesheet" href="${escapeHtml(styleUrl)}">`,
    scriptUrl === undefined ? '' : `<script src="${escapeHtml(scriptUrl)}" defer></script>`,
    `</head><body><header>${heading}<p>${intro}</p></header>${main}`,
    `<footer><p>Also as JSON: <a href="${escapeHtml(jsonPath)}">${escapeHtml(jsonPath)}</a>`,
    ' · <a href="/aggregates/docs">API catalog</a></p></footer></body></html>',
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
  return renderShell({
    title: 'Aggregates dashboard',
    heading: '<h1>Aggregates dashboard</h1>',
    intro: 'Customers and incidents, composed by the aggregates component.',
    main: join(
      `<main id="dashboard" data-etag="${escapeHtml(etag)}" aria-live="polite">`,
      `${renderMain(view, dataTime)}</main>`,
    ),
    jsonPath: '/aggregates/dashboard',
    styleUrl,
    iconUrl,
    scriptUrl,
  });
}

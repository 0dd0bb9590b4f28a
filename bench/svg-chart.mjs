// Line charts as plain SVG for the benchmark results (no dependency): log-scaled axes, one line per series,
// a legend on the right. Used by dashboard.mjs and bench/runtime/bench.mjs.

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

const escapeXml = (text) =>
  String(text).replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]);

/** `1,000`, `0.1`, `20`: a tick label for a power of ten. */
function tickLabel(exponent) {
  const value = 10 ** exponent;
  return value >= 1 ? value.toLocaleString('en-US') : value.toFixed(-exponent);
}

/**
 * A log-log line chart. `series`: `[{ name, points: [[x, y], ...] }]` (x and y > 0); `xLabel` names the x axis,
 * `yUnit` follows each y tick (e.g. ` ms`).
 */
export function lineChart({ title, xLabel, yUnit = '', series, width = 680, height = 380 }) {
  const legendWidth = Math.max(150, 12 + 7 * Math.max(...series.map((s) => s.name.length)));
  const pad = { left: 70, right: legendWidth + 20, top: 30, bottom: 50 };
  const points = series.flatMap((s) => s.points).filter(([x, y]) => x > 0 && y > 0);
  const log = Math.log10;
  const [x0, x1] = [
    Math.floor(log(Math.min(...points.map(([x]) => x)))),
    Math.ceil(log(Math.max(...points.map(([x]) => x)))),
  ];
  const [y0, y1] = [
    Math.floor(log(Math.min(...points.map(([, y]) => y)))),
    Math.ceil(log(Math.max(...points.map(([, y]) => y)))),
  ];
  const px = (v) => pad.left + ((log(v) - x0) / Math.max(1, x1 - x0)) * (width - pad.left - pad.right);
  const py = (v) => height - pad.bottom - ((log(v) - y0) / Math.max(1, y1 - y0)) * (height - pad.top - pad.bottom);
  const grid = [];
  for (let e = x0; e <= x1; e++) {
    grid.push(
      `<line x1="${px(10 ** e)}" y1="${pad.top}" x2="${px(10 ** e)}" y2="${height - pad.bottom}" stroke="#ddd"/>`,
    );
    grid.push(`<text x="${px(10 ** e)}" y="${height - pad.bottom + 18}" text-anchor="middle">${tickLabel(e)}</text>`);
  }
  for (let e = y0; e <= y1; e++) {
    grid.push(
      `<line x1="${pad.left}" y1="${py(10 ** e)}" x2="${width - pad.right}" y2="${py(10 ** e)}" stroke="#ddd"/>`,
    );
    grid.push(
      `<text x="${pad.left - 8}" y="${py(10 ** e) + 4}" text-anchor="end">${tickLabel(e)}${escapeXml(yUnit)}</text>`,
    );
  }
  const lines = series.map((s, i) => {
    const color = COLORS[i % COLORS.length];
    const shown = s.points.filter(([x, y]) => x > 0 && y > 0);
    const path = shown.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    const dots = shown
      .map(([x, y]) => `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3.5" fill="${color}"/>`)
      .join('');
    const legendY = pad.top + 10 + i * 22;
    const legendX = width - pad.right + 15;
    return `<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>${dots}<line x1="${legendX}" y1="${legendY}" x2="${legendX + 25}" y2="${legendY}" stroke="${color}" stroke-width="2"/><text x="${legendX + 31}" y="${legendY + 4}">${escapeXml(s.name)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${pad.left}" y="18" font-size="14">${escapeXml(title)}</text>
${grid.join('\n')}
<text x="${(pad.left + width - pad.right) / 2}" y="${height - 12}" text-anchor="middle">${escapeXml(xLabel)}</text>
${lines.join('\n')}
</svg>
`;
}

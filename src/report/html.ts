// The report page: one self-contained HTML file (inline CSS and SVG, no scripts, nothing fetched).
import type { Table } from '../viz/table.js';

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Give every id of an inline SVG a prefix (and fix the references), so that several SVGs can share one page. */
export function scopeSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/<\?xml[^>]*>\s*/, '')
    .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
}

export function tableHtml(t: Table): string {
  const head = t.header.map((h, i) => `<th${t.paperCols.includes(i) ? ' class="paper"' : ''}>${esc(h)}</th>`).join('');
  const body = t.rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${esc(c)}</th>` : `<td${t.paperCols.includes(i) ? ' class="paper"' : ''}>${esc(c)}</td>`)).join('')}</tr>`).join('\n');
  const notes = t.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('');
  return `<table>\n<caption>${esc(t.caption)}</caption>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>${notes}`;
}

export interface Figure { title: string; caption: string; svg: string; file: string }
export interface Section { id: string; title: string; facts: [string, string][]; warnings: string[]; tables: Table[]; figures: Figure[] }

const CSS = `
body { font: 15px/1.45 Helvetica, Arial, sans-serif; color: #212121; margin: 0; background: #fafafa; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 20px; margin: 36px 0 8px; border-bottom: 2px solid #e0e0e0; padding-bottom: 4px; }
h3 { font-size: 16px; margin: 24px 0 6px; }
.sub { color: #616161; margin: 0 0 16px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0 16px; font-size: 14px; }
dl.facts dt { color: #616161; } dl.facts dd { margin: 0; }
table { border-collapse: collapse; margin: 8px 0 4px; font-size: 14px; }
caption { caption-side: top; text-align: left; color: #424242; padding-bottom: 6px; font-size: 13px; max-width: 900px; }
th, td { padding: 5px 12px; border-bottom: 1px solid #e0e0e0; text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
thead th { border-bottom: 2px solid #9e9e9e; background: #f5f5f5; }
tbody th { text-align: left; font-weight: 600; }
.paper { background: #fff8e1; color: #5d4037; }
.note { font-size: 13px; color: #6d4c41; margin: 4px 0 12px; max-width: 900px; }
.warn { background: #fff3e0; border-left: 4px solid #fb8c00; padding: 6px 12px; font-size: 13px; margin: 8px 0; }
figure { margin: 16px 0 24px; } figure svg { max-width: 100%; height: auto; } figcaption { font-size: 13px; color: #424242; max-width: 900px; }
.wide { overflow-x: auto; max-width: 100%; }
nav a { margin-right: 16px; } footer { margin-top: 40px; font-size: 12px; color: #757575; }
`;

function sectionHtml(s: Section): string {
  const facts = s.facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('');
  const warns = s.warnings.map((w) => `<p class="warn">${esc(w)}</p>`).join('');
  const tables = s.tables.map((t) => `<div class="wide">${tableHtml(t)}</div>`).join('\n');
  const figs = s.figures.map((f, i) => `<figure id="${esc(s.id)}-fig${i}">\n<h3>${esc(f.title)}</h3>\n${scopeSvgIds(f.svg, `${s.id}-f${i}`)}\n<figcaption>${esc(f.caption)} <a href="${esc(f.file)}">SVG file</a></figcaption>\n</figure>`).join('\n');
  return `<section id="${esc(s.id)}">\n<h2>${esc(s.title)}</h2>\n<dl class="facts">${facts}</dl>\n${warns}\n${tables}\n${figs}\n</section>`;
}

/** The whole report page. */
export function reportHtml(title: string, sections: Section[], footer: string): string {
  const nav = sections.length > 1 ? `<nav>${sections.map((s) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`).join('')}</nav>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>${esc(title)}</h1>
<p class="sub">Li, Wei &amp; Ma (NeurIPS 2019), "Towards Explaining the Regularization Effect of Initial Large Learning Rate in Training Neural Networks": lrlab's runs beside the paper's figures and tables.</p>
${nav}
${sections.map(sectionHtml).join('\n')}
<footer>${esc(footer)}</footer>
</main>
</body>
</html>
`;
}

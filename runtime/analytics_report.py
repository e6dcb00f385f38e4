"""Program review as a page: each finding, a bar chart drawn as SVG, the table under it.

Drawn on the server as plain SVG: no script, no font or library from the internet, nothing a
Content-Security-Policy without ``unsafe-inline`` refuses (presentation attributes, no style
elements). Each chart has a ``<title>`` and a ``<desc>`` read by screen readers, and the counts
it is drawn from follow it as a table, hidden entries written "suppressed", so the page holds
for people who would rather read and for those who cannot see it.
"""

from __future__ import annotations

from html import escape

from runtime.analytics import AnalyticsBuild, AnalyticsTable

BAR_HEIGHT = 22
LABEL_WIDTH = 170
BAR_WIDTH = 320


def bar_chart(t: AnalyticsTable) -> str:
    """The DFW rate of each row as a horizontal bar; a hidden rate is said, not drawn."""
    p = t.table
    shares = [(row, p.rate(i, 0)) for i, row in enumerate(p.rows)]
    return _bars(_anchor(t.id), f"{p.title}: DFW rate", "DFW rate by group", shares)


def distribution_chart(t: AnalyticsTable) -> str:
    """A course's final grades: each grade's share of the published total as a bar."""
    p = t.table
    total = p.total
    shares = [
        (grade, None if count is None or not total else count / total)
        for grade, count in zip(p.columns, p.cells[0], strict=True)
    ]
    return _bars(_anchor(t.id), f"{p.title}: share of each grade", "Share by grade", shares)


def _bars(chart_id: str, title: str, what: str, shares: list[tuple[str, float | None]]) -> str:
    """Labelled horizontal bars of shares (0 to 1); None is written "suppressed"."""
    height = BAR_HEIGHT * len(shares) + 30
    width = LABEL_WIDTH + BAR_WIDTH + 60
    described = "; ".join(
        f"{label}: {'suppressed' if share is None else f'{share:.0%}'}" for label, share in shares
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" aria-labelledby="{chart_id}-t {chart_id}-d">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(what)}. {escape(described)}.</desc>',
    ]
    for i, (label, share) in enumerate(shares):
        y = 10 + i * BAR_HEIGHT
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end" font-size="13"'
            f' fill="#222">{escape(label)}</text>'
        )
        if share is None:
            parts.append(
                f'<text x="{LABEL_WIDTH}" y="{y + 15}" font-size="12" fill="#666">suppressed</text>'
            )
            continue
        length = round(BAR_WIDTH * share)
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{length}" height="{BAR_HEIGHT - 6}"'
            f' fill="#1f5f8b"/>'
        )
        parts.append(
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 15}" font-size="12"'
            f' fill="#222">{share:.0%}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


CHARTS = {"prerequisite": bar_chart, "equity": bar_chart, "grades": distribution_chart}


def data_table(t: AnalyticsTable) -> str:
    """The published counts with their totals, hidden entries written "suppressed"."""
    p = t.table

    def cell(value: int | None) -> str:
        return "<td>suppressed</td>" if value is None else f"<td>{value}</td>"

    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in [*p.columns, "total"])
    body = "".join(
        f'<tr><th scope="row">{escape(row)}</th>{"".join(map(cell, [*cells, total]))}</tr>'
        for row, cells, total in zip(p.rows, p.cells, p.row_totals, strict=True)
    )
    foot = f'<tr><th scope="row">total</th>{"".join(map(cell, [*p.column_totals, p.total]))}</tr>'
    return (
        f"<table><caption>{escape(p.title)}</caption><thead><tr><td></td>{head}</tr></thead>"
        f"<tbody>{body}</tbody><tfoot>{foot}</tfoot></table>"
    )


def section(t: AnalyticsTable) -> str:
    """One table's section: its chart (DFW by term has none: the table says it), the counts."""
    if t.table.all_hidden:
        shown = (
            f"<p>Every count of {escape(t.table.title)} is under {t.table.threshold} or would"
            " give one away, so nothing is shown: combine terms or groups to see it.</p>"
        )
    else:
        chart = CHARTS[t.kind](t) if t.kind in CHARTS else ""
        shown = f"{chart}{data_table(t)}"
    return f'<section id="{_anchor(t.id)}"><h3>{escape(t.table.title)}</h3>{shown}</section>'


def render_body(result: AnalyticsBuild) -> str:
    """The report without its page: findings with links to their tables, then every table."""
    findings = (
        "".join(
            f'<li>{escape(f.text)} <a href="#{_anchor(f.table_id)}">table</a></li>'
            for f in result.findings
        )
        or "<li>No gap of ten points or more between published groups.</li>"
    )
    narrative = ""
    if result.narrative is not None:
        by = result.narrative.model or "the template (no model)"
        narrative = (
            f'<h2>Summary</h2><p class="narrative">{escape(result.narrative.text)}</p>'
            f'<p class="hint">Written by {escape(by)} with {escape(result.narrative.prompt_ref)}'
            " from the findings below; each [n] is the finding it rests on.</p>"
        )
    order = {"prerequisite": 0, "equity": 1, "dfw_by_term": 2, "grades": 3}
    tables = sorted(result.tables, key=lambda t: (order[t.kind], t.id))
    return (
        f"<p>Terms {result.terms[0]} to {result.terms[-1]}. Counts under {result.min_cell} are"
        f" suppressed, with the complements that keep totals from giving them back"
        f" ({result.hidden} entries hidden). No row describes a student.</p>"
        f"{narrative}<h2>Findings</h2><ol>{findings}</ol><h2>Tables</h2>"
        + "".join(section(t) for t in tables)
    )


def render_report(result: AnalyticsBuild) -> str:
    """A self-contained HTML page of the report (for a file or an e-mail)."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Program review: course outcomes</title></head><body>"
        f"<h1>Program review: course outcomes</h1>{render_body(result)}</body></html>"
    )


def _anchor(table_id: str) -> str:
    return "t-" + "".join(ch if ch.isalnum() else "-" for ch in table_id)

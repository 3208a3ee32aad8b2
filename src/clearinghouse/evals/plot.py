"""The capability profile: each domain's score with its 95% interval against the threshold.

Written by hand as SVG text, because the pages carry no JavaScript and the PDF report
embeds the same picture (fpdf2 draws SVG): a plotting library would bring a
rendering stack for a dozen rectangles and lines. Every label is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

WIDTH = 640
ROW = 34
LEFT = 190  # room for the domain labels
RIGHT = 24
TOP = 30
BOTTOM = 34


@dataclass(frozen=True)
class ProfileRow:
    label: str
    mean: float
    lower: float
    upper: float
    threshold: float | None
    passes: bool = False


def _x(value: float) -> float:
    share = min(1.0, max(0.0, value))
    return LEFT + share * (WIDTH - LEFT - RIGHT)


def _num(value: float) -> str:
    return f"{value:.1f}"


def capability_profile_svg(rows: Sequence[ProfileRow], *, title: str) -> str:
    """An SVG document: one row per domain, the interval as a bar, the mean as a dot,
    the threshold as a red tick; an axis from 0 to 1 below."""
    height = TOP + max(1, len(rows)) * ROW + BOTTOM
    axis_y = TOP + max(1, len(rows)) * ROW
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="DejaVu Sans, sans-serif" '
        f'font-size="12" aria-label="{escape(title, {chr(34): "&quot;"})}">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="18" fill="#1d2330" font-weight="bold">{escape(title)}</text>',
    ]
    for tick in range(0, 11):
        value = tick / 10
        x = _num(_x(value))
        out.append(
            f'<line x1="{x}" y1="{TOP - 4}" x2="{x}" y2="{axis_y}" stroke="#e4e8f0" '
            'stroke-width="1"/>'
        )
        if tick % 2 == 0:
            out.append(
                f'<text x="{x}" y="{axis_y + 16}" fill="#5a6475" text-anchor="middle">'
                f"{value:.1f}</text>"
            )
    out.append(
        f'<line x1="{LEFT}" y1="{axis_y}" x2="{WIDTH - RIGHT}" y2="{axis_y}" stroke="#5a6475"/>'
    )
    out.append(
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2:.1f}" y="{axis_y + 30}" fill="#5a6475" '
        'text-anchor="middle">score (mean and 95% confidence interval; red tick: threshold)</text>'
    )
    if not rows:
        out.append(
            f'<text x="{LEFT}" y="{TOP + ROW / 2:.1f}" fill="#5a6475">'
            "No domain measured yet.</text>"
        )
    for index, row in enumerate(rows):
        y = TOP + index * ROW + ROW / 2
        colour = "#b3261e" if row.passes else "#1f5fbf"
        out.append(
            f'<text x="{LEFT - 10}" y="{_num(y + 4)}" fill="#1d2330" text-anchor="end">'
            f"{escape(row.label)}</text>"
        )
        out.append(
            f'<rect x="{_num(_x(row.lower))}" y="{_num(y - 5)}" '
            f'width="{_num(max(1.0, _x(row.upper) - _x(row.lower)))}" height="10" '
            f'fill="{colour}" fill-opacity="0.25" stroke="{colour}"/>'
        )
        out.append(f'<circle cx="{_num(_x(row.mean))}" cy="{_num(y)}" r="4" fill="{colour}"/>')
        if row.threshold is not None:
            tx = _num(_x(row.threshold))
            out.append(
                f'<line x1="{tx}" y1="{_num(y - 11)}" x2="{tx}" y2="{_num(y + 11)}" '
                'stroke="#b3261e" stroke-width="2"/>'
            )
        summary = f"{row.mean:.2f} [{row.lower:.2f}, {row.upper:.2f}]"
        if row.threshold is not None:
            summary += f" vs {row.threshold:.2f}"
        out.append(f"<desc>{escape(row.label)}: {escape(summary)}</desc>")
    out.append("</svg>")
    return "\n".join(out)

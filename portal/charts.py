"""Charts as inline SVG drawn on the server: no script, readable on screen, in print and in PDF.

Every chart is an ``<svg role="img">`` with a ``<title>``; the page shows the same numbers in a
table. Colours are presentation attributes (not CSS) so WeasyPrint draws them the same way.
A point's ``text`` is what is written (e.g. "< 5"); a point with ``hidden`` draws no bar, so a
masked value cannot be read back from the bar's height.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count

from markupsafe import Markup, escape

BAR = "#0a5a9c"
AXIS = "#555"
_ids = count(1)


@dataclass(frozen=True)
class Point:
    label: str
    value: float
    text: str
    hidden: bool = False


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def bars(title: str, points: Sequence[Point], width: int = 600, height: int = 170) -> Markup:
    """Vertical bars (one per month), the value written above each bar."""
    uid = f"rep-c{next(_ids)}"
    top, bottom = 16, 22
    plot = height - top - bottom
    n = max(len(points), 1)
    step = width / n
    peak = max([p.value for p in points if not p.hidden] + [0]) or 1
    parts = [
        f'<svg class="rep-svg" role="img" aria-labelledby="{uid}" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="{uid}">{escape(title)}</title>',
        f'<line x1="0" y1="{top + plot}" x2="{width}" y2="{top + plot}" stroke="{AXIS}"/>',
    ]
    for i, p in enumerate(points):
        x = i * step
        h = 0.0 if p.hidden else plot * p.value / peak
        y = top + plot - h
        cx = _num(x + step / 2)
        parts.append(
            f'<rect x="{_num(x + step * 0.15)}" y="{_num(y)}" width="{_num(step * 0.7)}" '
            f'height="{_num(h)}" fill="{BAR}"/>'
            f'<text x="{cx}" y="{_num(y - 3)}" text-anchor="middle" font-size="11">{escape(p.text)}</text>'
            f'<text x="{cx}" y="{height - 6}" text-anchor="middle" font-size="11">{escape(p.label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def hbars(title: str, points: Sequence[Point], width: int = 600, row: int = 22) -> Markup:
    """Horizontal bars (a split by centre or by category), label left, value right."""
    uid = f"rep-c{next(_ids)}"
    label_w, value_w = 200, 60
    plot = width - label_w - value_w
    height = row * max(len(points), 1) + 4
    peak = max([p.value for p in points if not p.hidden] + [0]) or 1
    parts = [
        f'<svg class="rep-svg" role="img" aria-labelledby="{uid}" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="{uid}">{escape(title)}</title>'
    ]
    for i, p in enumerate(points):
        y = i * row + 2
        w = 0.0 if p.hidden else plot * p.value / peak
        label = p.label if len(p.label) <= 30 else p.label[:29] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + row - 8}" text-anchor="end" font-size="12">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 2}" width="{_num(w)}" height="{row - 6}" fill="{BAR}"/>'
            f'<text x="{_num(label_w + w + 4)}" y="{y + row - 8}" font-size="12">{escape(p.text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))

"""Event descriptions: plain text with a small Markdown subset, made safe HTML."""

from __future__ import annotations

import re

import nh3
from markupsafe import Markup, escape

_URL = re.compile(r"(https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]])")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")


def _inline(text: str) -> str:
    html = str(escape(text))
    html = _URL.sub(lambda m: f'<a href="{m.group(1)}" rel="nofollow noopener">{m.group(1)}</a>', html)
    html = _BOLD.sub(r"<strong>\1</strong>", html)
    return _ITALIC.sub(r"<em>\1</em>", html)


def render_description(text: str | None) -> Markup:
    """Plain text with a small Markdown subset: paragraphs, **bold**, *italic*,
    "- " lists, bare links. Escaped first, then sanitised again with nh3."""
    blocks = re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").strip())
    parts = []
    for block in blocks:
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if all(line.startswith(("- ", "* ")) for line in lines):
            parts.append("<ul>" + "".join(f"<li>{_inline(line[2:])}</li>" for line in lines) + "</ul>")
        else:
            parts.append("<p>" + "<br>".join(_inline(line) for line in lines) + "</p>")
    html = nh3.clean(
        "".join(parts),
        tags={"p", "br", "a", "strong", "em", "ul", "li"},
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel="nofollow noopener",
    )
    return Markup(html)


def plain_description(text: str | None) -> str:
    """The description without markup, for feeds and PDFs."""
    return _BOLD.sub(r"\1", text or "").strip()

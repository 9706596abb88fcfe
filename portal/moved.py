"""Addresses that moved keep working: permanent redirects, declared next to the new routes.

A page that is only read answers 301; an address that takes POST answers 308, so a form
posted to the old address still arrives with its method and body. The query string is kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, abort, current_app, redirect, request, url_for
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Response


def _with_query(target: str) -> str:
    query = request.query_string.decode("latin-1")
    return f"{target}?{query}" if query else target


def moved(bp: Blueprint, old_rule: str, endpoint: str, methods: Iterable[str] = ("GET",)) -> None:
    """Register `old_rule` on `bp` as a permanent redirect to `endpoint` (same URL arguments)."""
    methods = list(methods)
    code = 308 if "POST" in methods else 301

    def redirect_view(**kwargs: Any) -> Response:
        return redirect(_with_query(url_for(endpoint, **kwargs)), code=code)

    name = "moved_" + endpoint.rsplit(".", 1)[-1] + "_" + str(len(bp.deferred_functions))
    redirect_view.__doc__ = f"The former address of {endpoint}: a permanent redirect."
    bp.add_url_rule(old_rule, name, redirect_view, methods=methods)


def moved_prefix(bp: Blueprint, old_prefix: str, new_prefix: str) -> None:
    """Every address under `old_prefix` moved to the same path under `new_prefix`.

    The code follows the new address: 308 where it takes POST, 301 where it is only read,
    404 where no new address matches (the old one never existed either).
    """

    def redirect_view(rest: str = "") -> Response:
        new = new_prefix + (f"/{rest}" if rest else "")
        adapter = current_app.url_map.bind("localhost")
        try:
            adapter.match(new, method="POST")
            code = 308
        except MethodNotAllowed:
            code = 301
        except HTTPException:
            abort(404)
        return redirect(_with_query(request.script_root + new), code=code)

    redirect_view.__doc__ = f"Pages that moved from {old_prefix} to {new_prefix}: permanent redirects."
    name = "moved_" + old_prefix.strip("/").replace("/", "_")
    bp.add_url_rule(old_prefix, name, redirect_view, methods=["GET", "POST"])
    bp.add_url_rule(old_prefix + "/<path:rest>", name + "_path", redirect_view, methods=["GET", "POST"])

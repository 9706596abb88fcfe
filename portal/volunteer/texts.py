"""Ways to help in several languages: staff write a translation of an opportunity's title and
description (`OpportunityText`); the volunteer pages read in that language show it.

`localize(opportunities)` swaps the text on loaded instances for read-only answers; such an
instance refuses to be saved, so a translation never overwrites the Italian.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from flask_babel import gettext as _

from portal.clock import utcnow
from portal.db import database
from portal.refusals import Refusal

from .models import Opportunity, OpportunityText


def other_languages() -> list[str]:
    return [code for code in current_app.config["LANGUAGES"] if code != "it"]


def localize(opportunities: Iterable[Opportunity], language: str | None = None) -> list[Opportunity]:
    """The opportunities, with title and description in `language` (default: the page's) where written."""
    from portal.i18n import current_lang

    opportunities = list(opportunities)
    language = language or current_lang()
    by_id: dict[int, list[Opportunity]] = {}
    for opp in opportunities:
        by_id.setdefault(opp.id, []).append(opp)
    if language == "it" or not by_id:
        return opportunities
    query = OpportunityText.select().where(
        OpportunityText.opportunity.in_(list(by_id)) & (OpportunityText.language == language)
    )
    for text in query:
        for opp in by_id[text.opportunity_id]:
            opp.title = text.title
            if text.description:
                opp.description = text.description
            opp.shown_language = language
    return opportunities


def save_text(opp: Opportunity, language: str, title: str, description: str) -> OpportunityText:
    """Add or replace the translation of `opp` into `language`."""
    if language not in other_languages():
        raise Refusal(_("Scegli una lingua."), field="language")
    with database().atomic():
        text = OpportunityText.get_or_none(
            (OpportunityText.opportunity == opp.id) & (OpportunityText.language == language)
        )
        if text is None:
            text = OpportunityText(opportunity=opp.id, language=language)
        text.title, text.description, text.updated_at = title, description, utcnow()
        text.save()
    return text


def delete_text(opp: Opportunity, language: str) -> None:
    OpportunityText.delete().where(
        (OpportunityText.opportunity == opp.id) & (OpportunityText.language == language)
    ).execute()

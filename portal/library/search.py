"""Catalogue search: SQLite FTS5 (accents and case folded), LIKE on a folded
column for PostgreSQL, served by a trigram index (migration 0055, pg_trgm).
Bounded: one query for the page, one for the count."""

import re
import time
from collections import Counter

from peewee import OP, SQL, Expression, NodeList, fn

from portal.db import database, is_sqlite
from portal.text import did_you_mean

from .isbn import normalise_isbn
from .models import Copy, Title, TitleSearch, fold
from .services import free_copy_condition

PER_PAGE = 20
#: A search that finds this many titles or fewer is offered a "did you mean" (when it finds more).
FEW = 2
#: The catalogue's words are read again after this long (or when titles are added or removed).
WORDS_KEPT_SECONDS = 300
_words_cache: dict[tuple, tuple[float, dict[str, str]]] = {}
# Chinese is written without spaces: FTS5's unicode61 makes one token of a whole
# run, so a word inside a title would not match. Those queries use the folded column.
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _tokens(q):
    return [t for t in re.findall(r"\w+", fold(q)) if t][:8]


def _folded_contains(token):
    """``search_text LIKE '%token%'``: the column and the token are both folded, so a plain
    (case-sensitive) LIKE is enough, and the trigram index answers it; wildcards escaped."""
    if is_sqlite():
        # (SQLite's Chinese queries.) peewee writes LIKE as GLOB there: keep its ILIKE -> LIKE.
        return Title.search_text.contains(token)
    pattern = Title.search_text._escape_like_expr(token, "%%%s%%")
    column = Title.search_text
    if len(token) < 3:
        # A word of one or two letters has no trigram: the index would be read whole, slower
        # than filtering the rows (those the longer words found, or a scan). ``|| ''`` hides it.
        column = NodeList((Title.search_text, SQL("|| ''")))
    return Expression(column, OP.LIKE, pattern)


def _unindexed(field):
    """SQLite: ``+column`` keeps the planner from driving the query by that column's
    index, so the FTS5 match (few rows) is the outer loop, not 20,000 titles."""
    return NodeList((SQL("+"), field), glue="")


def search_titles(q="", language="", age_group="", available=False, page=1, library=None):
    """(titles on this page, total) for the reader's query and filters."""
    query = Title.select()
    q = (q or "").strip()[:200]
    ranked = False
    isbn = None
    if q and re.fullmatch(r"[\d\s\-xX]{10,17}", q):
        try:
            isbn = normalise_isbn(q)
        except ValueError:
            isbn = None
    if isbn:
        query = query.where(Title.isbn == isbn)
    elif q:
        tokens = _tokens(q)
        if not tokens:
            return [], 0
        if is_sqlite() and not CJK.search(q):
            # Each word a prefix ("perch" finds "perché" while typing); FTS5 ranks by bm25.
            expression = " ".join(f'"{t}"*' for t in tokens)
            query = query.join(TitleSearch, on=(TitleSearch.rowid == Title.id)).where(TitleSearch.match(expression))
            ranked = True
        else:
            for token in tokens:
                query = query.where(_folded_contains(token))
    plain = _unindexed if ranked else (lambda field: field)
    if library is not None:
        query = query.where(plain(Title.library) == library.id)
    if language:
        query = query.where(plain(Title.language) == language)
    if age_group:
        query = query.where(plain(Title.age_group) == age_group)
    if available:
        query = query.where(fn.EXISTS(Copy.select(Copy.id).where((Copy.title == Title.id) & free_copy_condition())))
    total = query.count()
    order = [TitleSearch.rank(), Title.title] if ranked else [Title.title, Title.id]
    page = max(1, min(page, 500))
    titles = list(query.order_by(*order).paginate(page, PER_PAGE))
    return titles, total


def catalogue_words() -> dict[str, str]:
    """The words of the catalogue's titles and authors: folded -> their most frequent written form
    ("calvino" -> "Calvino"). Kept in memory a few minutes: a catalogue of 20,000 titles is one
    query of two columns, and a stale word only costs a suggestion that the search then checks."""
    stamp = Title.select(fn.COUNT(Title.id), fn.MAX(Title.id)).tuples().get()
    key = (database().database, *stamp)
    cached = _words_cache.get(key)
    if cached and time.monotonic() - cached[0] < WORDS_KEPT_SECONDS:
        return cached[1]
    forms: dict[str, Counter[str]] = {}
    for title, authors in Title.select(Title.title, Title.authors).tuples().iterator():
        for word in re.findall(r"\w+", f"{title} {authors}"):
            folded = fold(word)
            if len(folded) >= 3 and not folded.isdigit() and not CJK.search(word):
                forms.setdefault(folded, Counter())[word] += 1
    words = {folded: counts.most_common(1)[0][0] for folded, counts in forms.items()}
    _words_cache.clear()  # one catalogue per process (tests: one per database)
    _words_cache[key] = (time.monotonic(), words)
    return words


def suggestion(q, total, language="", age_group="", available=False):
    """A better search for one that found little (`FEW` or fewer): its unknown words replaced by the
    closest catalogue words, offered only when it finds more; else None."""
    q = (q or "").strip()[:200]
    if total > FEW or not q or CJK.search(q) or re.fullmatch(r"[\d\s\-xX]+", q):
        return None
    better = did_you_mean(q, catalogue_words())
    if not better:
        return None
    _titles, found = search_titles(better, language, age_group, available, 1)
    return better if found > total else None

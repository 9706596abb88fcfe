"""The disk cache of flyers and feeds builds a cold document once, however many ask at once."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor


def test_a_cold_document_is_built_once_for_many_readers(app):
    from portal.events.printouts import cached_file

    calls = []
    started = threading.Event()

    def build():
        calls.append(1)
        started.set()
        time.sleep(0.3)  # a slow build: the other readers arrive while it runs
        return b"%PDF-flyer"

    def read(_):
        with app.app_context():
            return cached_file("0123456789abcdef0123456789abcdef", build)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(read, range(8)))
    assert started.is_set()
    assert results == [b"%PDF-flyer"] * 8
    assert len(calls) == 1

"""Worker memory for hostile image uploads (issue 11 item 11).

Each case runs `portal.images.open_upload` (what a poster upload does) in a fresh
child process, as a worker would, and prints the resident memory before, the peak,
and what the process still holds afterwards (MB), and how the upload ended.

    .venv/bin/python bench/bench_image_memory.py
"""

from __future__ import annotations

import io
import multiprocessing as mp
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def case(name: str, data: bytes, queue) -> None:
    from werkzeug.datastructures import FileStorage

    from portal import create_app
    from portal.images import open_upload

    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite:///:memory:", "SECRET_KEY": "bench"})
    import PIL.Image  # noqa: F401 (loaded before the "before" figure, as in a warm worker)

    before = rss_mb()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the app's own start-up peak
    with app.test_request_context():
        try:
            image = open_upload(FileStorage(io.BytesIO(data)), 5 * 1024 * 1024)
            outcome = f"accepted {image.size[0]}x{image.size[1]}"
            del image
        except Exception as exc:  # the refusal is the expected outcome for the bombs
            outcome = f"refused: {exc}"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((name, len(data), before, peak_before, peak, rss_mb(), outcome))


def main() -> None:
    from PIL import Image
    from test_security import png_bomb

    big = io.BytesIO()
    Image.new("RGBA", (4000, 3900), (0, 0, 0, 0)).save(big, "PNG")
    cases = [
        ("PNG bomb 6000x6600 RGBA", png_bomb()),
        ("PNG bomb, first 69 bytes", png_bomb()[:69]),
        ("PNG 4000x3900 RGBA (15.6 Mpx, allowed)", big.getvalue()),
    ]
    ctx = mp.get_context("spawn")
    print("Worker resident memory, MB: before the upload, peak before it (start-up), peak after it, after it")
    print(f"{'case':42} {'bytes':>8} {'before':>7} {'peak0':>7} {'peak':>7} {'after':>7}  outcome")
    for name, data in cases:
        queue = ctx.Queue()
        proc = ctx.Process(target=case, args=(name, data, queue))
        proc.start()
        result = queue.get()
        proc.join()
        n, size, before, peak0, peak, after, outcome = result
        print(f"{n:42} {size:>8} {before:>7.0f} {peak0:>7.0f} {peak:>7.0f} {after:>7.0f}  {outcome[:60]}")


if __name__ == "__main__":
    main()

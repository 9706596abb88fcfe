"""Slow clients against `make run`'s gunicorn: 40 connections send their headers and a part of a
body that never ends; meanwhile /healthz is asked every 0.5 s. Prints how many probes answered and
the slowest answer, for the gthread workers (the old `make run`) and for the gevent workers.

    .venv/bin/python bench/bench_slow_clients.py
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def make_run_args():
    """The GUNICORN_CMD_ARGS that `make run` exports."""
    text = (ROOT / "Makefile").read_text()
    return re.search(r"^run: export GUNICORN_CMD_ARGS \?= (.+)$", text, re.M).group(1).strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd_args, database_url, log):
    port = free_port()
    env = dict(os.environ, BINARI_ENV="development", SECRET_KEY="bench", DATABASE_URL=database_url)
    env["GUNICORN_CMD_ARGS"] = cmd_args
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if requests.get(url + "/healthz", timeout=1).ok:
                return process, port, url
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not start")


def slow_sockets(port, count=40):
    """Open `count` connections that promise a 100 kB body and send 12 bytes of it."""
    sockets = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(
            b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 100000\r\n\r\nidentifier=a"
        )
        sockets.append(s)
    return sockets


def probe(url, seconds=10.0):
    """Ask /healthz every 0.5 s: (answered, asked, slowest answer in seconds)."""
    answered, asked, slowest = 0, 0, 0.0
    end = time.time() + seconds
    while time.time() < end:
        asked += 1
        started = time.time()
        try:
            if requests.get(url + "/healthz", timeout=2).ok:
                answered += 1
                slowest = max(slowest, time.time() - started)
        except requests.RequestException:
            pass
        time.sleep(0.5)
    return answered, asked, slowest


def measure(label, cmd_args, database_url):
    with tempfile.TemporaryFile() as log:
        process, port, url = start(cmd_args, database_url, log)
        try:
            time.sleep(1)
            sockets = slow_sockets(port)
            answered, asked, slowest = probe(url)
            print(f"{label:<34} /healthz answered {answered}/{asked}, slowest {slowest * 1000:.0f} ms")
            for s in sockets:
                s.close()
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite:///{tmp}/bench.sqlite3"
        env = dict(os.environ, BINARI_ENV="development", DATABASE_URL=database_url)
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "portal", "db", "upgrade"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        measure("gthread (2 workers x 4 threads)", "", database_url)
        measure(f"make run ({make_run_args()})", make_run_args(), database_url)

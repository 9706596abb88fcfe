"""gunicorn settings for Binari on a small VPS (1 vCPU, 1-2 GB RAM): `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be changed in /etc/binari/binari.env (see binari.env.example) without editing this file.
"""

import os

# Caddy (or nginx) in front talks to this address; nothing else should.
bind = os.environ.get("BINARI_BIND", "127.0.0.1:8000")
# Two processes with four threads each serve a neighbourhood comfortably on one CPU; on a bigger
# machine, WEB_CONCURRENCY = 2 x CPUs. Threads share a process's memory (about 80-100 MB each).
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("BINARI_THREADS", "4"))
worker_class = "gthread"
# A year's impact report as PDF is the slowest page: give it time, then give up.
timeout = int(os.environ.get("BINARI_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Restart each worker now and then, so memory stays flat over months of uptime.
max_requests = 2000
max_requests_jitter = 200
# The portal writes one line per request itself, with its request id (portal/requestlog.py):
# no second access log. Errors and start/stop messages go to stderr, i.e. the journal.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("BINARI_LOG_LEVEL", "info")
# Trust X-Forwarded-Proto/-For only from the proxy on this machine.
forwarded_allow_ips = os.environ.get("BINARI_PROXY_IPS", "127.0.0.1,::1")
proc_name = "binari-web"
# No runtime control socket: systemctl reload/restart is how the service is managed.
control_socket_disable = True


# --- the PDF renderer --------------------------------------------------------------------------
# One process per server draws every PDF with WeasyPrint (portal/pdfrenderer.py): started here by the
# master before the workers, which find its socket in BINARI_PDF_RENDERER, so that no worker imports
# WeasyPrint (about 25 MB each). It ends when the master does. The module is loaded by its path: the
# master itself never loads the portal.
_renderer = None


def _pdfrenderer():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "portal" / "pdfrenderer.py"
    spec = importlib.util.spec_from_file_location("binari_pdfrenderer", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def on_starting(server):
    global _renderer
    pdfrenderer = _pdfrenderer()
    if pdfrenderer.wanted():  # PDF_RENDER_IN_CHILD=0: workers draw in-process, no renderer to start
        _renderer = pdfrenderer.start()
        os.environ[pdfrenderer.ADDRESS_VARIABLE] = _renderer.address
        server.log.info("PDF renderer started (pid %s, %s)", _renderer.pid, _renderer.address)


def on_exit(server):
    if _renderer is not None:
        _renderer.stop()

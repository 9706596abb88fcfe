"""The baseline: a minimal Flask "hello" page, served by the same gunicorn settings as the portal."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    """Hello."""
    return "Hello, World!"

"""The baseline: a bare Flask endpoint, served by the same gunicorn configuration."""

from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello() -> dict[str, str]:
    return {"hello": "world"}

"""The real nginx of deploy/nginx/rewards-api.conf on loopback, with a self-signed
certificate, in front of real gunicorn hosts."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rewards_api.gunicorn_host import ROOT, free_port, wait_until

SITE = ROOT / "deploy" / "nginx" / "rewards-api.conf"
STATIC = ROOT / "rewards_api" / "pages" / "static"


@dataclass(frozen=True)
class Proxy:
    url: str  # https://127.0.0.1:PORT
    http_url: str  # the plain-HTTP server (redirects)
    certificate: Path  # trust this to verify url
    access_log: Path


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "fullchain.pem", directory / "privkey.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def _replace(text: str, old: str, new: str) -> str:
    """Replace a line the production file must have: a missing one fails loudly."""
    if old not in text:
        raise AssertionError(f"deploy/nginx/rewards-api.conf no longer has {old!r}")
    return text.replace(old, new)


def render_site(directory: Path, upstreams: list[str], https_port: int, http_port: int) -> str:
    """The production site file with loopback ports, the test's certificate, log
    directory and upstream hosts (``127.0.0.1:PORT``) put in its place."""
    text = SITE.read_text()
    text = _replace(text, "    server 127.0.0.1:8000 max_fails=3 fail_timeout=10s;\n",
                    "".join(f"    server {u} max_fails=3 fail_timeout=10s;\n" for u in upstreams))
    text = _replace(text, "listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    text = _replace(text, "listen [::]:443 ssl http2;\n", "")
    text = _replace(text, "listen 80;", f"listen 127.0.0.1:{http_port};")
    text = _replace(text, "listen [::]:80;\n", "")
    text = _replace(text, "/etc/ssl/rewards/", f"{directory}/")
    text = _replace(text, "/var/log/nginx/", f"{directory}/")
    text = _replace(text, "/opt/rewards-api/assets/", f"{STATIC}/")
    return text


@contextmanager
def nginx(directory: Path, upstreams: list[str]) -> Iterator[Proxy]:
    """Run nginx (foreground, its own prefix under ``directory``) until the block ends."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    cert, _key = self_signed_certificate(directory)
    https_port, http_port = free_port(), free_port()
    (directory / "site.conf").write_text(render_site(directory, upstreams, https_port, http_port))
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (directory / sub).mkdir(exist_ok=True)
    (directory / "nginx.conf").write_text(f"""
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/main-error.log warn;
{"user root root;" if _root() else ""}
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {directory}/site.conf;
}}
""")
    command = [binary, "-p", str(directory), "-c", str(directory / "nginx.conf")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=60)
    if checked.returncode != 0:
        raise AssertionError(f"nginx -t: {checked.stderr}")
    with (directory / "nginx.out").open("wb") as out:
        process = subprocess.Popen([*command, "-g", "daemon off;"], stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: process.poll() is not None or _listening(https_port),
                   "nginx listening")
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {(directory / 'nginx.out').read_text()}")
        yield Proxy(f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}", cert,
                    directory / "rewards-api.access.log")
    finally:
        process.terminate()
        process.wait(timeout=30)


def _root() -> bool:
    import os

    # The test's files live under a root-owned tree that nginx's default worker user
    # (nobody) may not read; a production worker never runs as root.
    return os.geteuid() == 0


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False

"""The shipped deploy/ files made runnable on a test machine: a self-signed certificate, temporary paths, free ports."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port
from web import NODE_MODULES_DIR, STATIC_DIR

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SITE = DEPLOY / "nginx" / "podium.conf"


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path


def self_signed_certificate(directory: Path, host: str = "127.0.0.1") -> Certificate:
    cert, key = directory / "cert.pem", directory / "key.pem"
    kind = "IP" if host.replace(".", "").isdigit() or ":" in host else "DNS"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={host}"]
        + ["-addext", f"subjectAltName={kind}:{host}", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return Certificate(cert, key)


def _replace_upstream(site: str, name: str, servers: list[str]) -> str:
    block = re.compile(r"(upstream " + name + r" \{\n)(.*?)(\n\})", re.DOTALL)
    match = block.search(site)
    assert match is not None, f"upstream {name} is missing from {SITE}"
    kept = [line for line in match.group(2).splitlines() if not line.strip().startswith("server ")]
    lines = [f"    server {server};" for server in servers] + kept
    return site[: match.start(2)] + "\n".join(lines) + site[match.end(2) :]


def render_site(
    directory: Path,
    *,
    certificate: Certificate,
    http_port: int,
    https_port: int,
    app_servers: list[str] | None = None,
    relay_servers: list[str] | None = None,
    control_port: int | None = None,
    upstreams: dict[str, list[str]] | None = None,
    hls_dir: Path | None = None,
) -> str:
    """The shipped site with this machine's ports, paths and certificate; nothing else changed. ``upstreams`` gives
    other upstream blocks their servers by name (e.g. ``{"podium_edge1": ["127.0.0.1:PORT"]}``)."""
    site = SITE.read_text(encoding="utf-8")
    site = site.replace("listen 127.0.0.1:8100;", f"listen 127.0.0.1:{control_port or free_port()};")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};").replace("listen [::]:80;", "")
    site = site.replace("listen 203.0.113.10:443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    site = site.replace("listen [::]:443 ssl http2;", "")
    site = site.replace("server_name podium.example.org;", "server_name 127.0.0.1 localhost;")
    site = site.replace("/etc/letsencrypt/live/podium.example.org/fullchain.pem", str(certificate.cert))
    site = site.replace("/etc/letsencrypt/live/podium.example.org/privkey.pem", str(certificate.key))
    site = site.replace("/var/log/nginx/", f"{directory}/")
    site = site.replace("/var/www/letsencrypt", str(directory / "acme"))
    site = site.replace("/opt/podium/app/web/static/", f"{STATIC_DIR}/")
    site = site.replace("/opt/podium/app/web/node_modules/", f"{NODE_MODULES_DIR}/")
    if hls_dir is not None:
        site = site.replace("alias /var/lib/podium/media/hls/;", f"alias {hls_dir}/;")
    if app_servers is not None:
        site = _replace_upstream(site, "podium_app", app_servers)
    if relay_servers is not None:
        site = _replace_upstream(site, "podium_relay", relay_servers)
    for name, servers in (upstreams or {}).items():
        site = _replace_upstream(site, name, servers)
    directives = "\n".join(line.split("#", 1)[0] for line in site.splitlines())
    leftovers = [
        word for word in ("/opt/podium", "example.org", "letsencrypt", "/var/log", "203.0.113.") if word in directives
    ]
    assert leftovers == [], f"placeholders left in the rendered site: {leftovers}"
    return site


def render_nginx(directory: Path, site: str) -> Path:
    """A main nginx.conf in ``directory`` that keeps everything there and includes ``site`` (from render_site)."""
    (directory / "site.conf").write_text(site)
    for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (directory / temp).mkdir(exist_ok=True)
    # As root, nginx's workers would run as nobody, who may not enter a test's private temporary directory.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    main = directory / "nginx.conf"
    main.write_text(
        f"""{user}daemon off;
master_process on;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 512; }}
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
"""
    )
    return main


def render_hls_cache(
    directory: Path, *, certificate: Certificate, http_port: int, https_port: int, site: str, site_certificate: Path
) -> str:
    """The shipped HLS cache (deploy/nginx/hls-cache.conf) in front of the site at ``site`` (host:port, HTTPS, whose
    certificate for podium.example.org is ``site_certificate``), with this machine's ports, paths and certificate;
    nothing else changed."""
    conf = (DEPLOY / "nginx" / "hls-cache.conf").read_text(encoding="utf-8")
    for old, new in (
        ("/var/cache/nginx/podium-hls", str(directory / "hls-cache")),
        ("server 203.0.113.10:443;", f"server {site};"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("/etc/letsencrypt/live/podium.example.org/fullchain.pem", str(certificate.cert)),
        ("/etc/letsencrypt/live/podium.example.org/privkey.pem", str(certificate.key)),
        ("/var/log/nginx/", f"{directory}/"),
        ("/etc/ssl/certs/ca-certificates.crt", str(site_certificate)),
    ):
        assert old in conf, f"{old} is missing from hls-cache.conf"
        conf = conf.replace(old, new)
    conf = conf.replace("listen [::]:80;", "").replace("listen [::]:443 ssl http2;", "")
    # The site's name stays: the cache sends it as Host and SNI, and a test's site answers any name.
    directives = "\n".join(line.split("#", 1)[0] for line in conf.splitlines())
    leftovers = [word for word in ("/var/", "/etc/letsencrypt", "203.0.113.") if word in directives]
    assert leftovers == [], f"placeholders left in the rendered cache: {leftovers}"
    return conf

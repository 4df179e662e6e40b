"""The files in deploy/ as the tools that read them see them: nginx -t, compose, systemd, coturn, Redis."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import time

import pytest
import yaml

from tests.support.deploy_config import DEPLOY, ROOT, render_nginx, render_site, self_signed_certificate
from tests.support.ports import free_port
from tests.support.requirements import require
from tests.support.turn_server import start_turnserver

pytestmark = pytest.mark.integration
UNIT_NAMES = ("podium@.service", "podium-relay@.service", "podium-edge@.service")


def test_nginx_accepts_the_shipped_site(tmp_path):
    require("nginx", shutil.which("nginx") is not None)
    certificate = self_signed_certificate(tmp_path)
    site = render_site(tmp_path, certificate=certificate, http_port=free_port(), https_port=free_port())
    main = render_nginx(tmp_path, site)

    result = subprocess.run(
        ["nginx", "-t", "-c", str(main), "-p", str(tmp_path)], capture_output=True, text=True, timeout=30, check=False
    )

    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_nginx_site_has_what_production_needs():
    site = (DEPLOY / "nginx" / "podium.conf").read_text(encoding="utf-8")
    for directive in (
        "return 301 https://$host$request_uri;",
        "listen 203.0.113.10:443 ssl http2;",
        "proxy_set_header Upgrade $http_upgrade;",
        "proxy_set_header Connection $connection_upgrade;",
        "alias /opt/podium/app/web/static/;",
        "alias /opt/podium/app/web/node_modules/;",
        "client_max_body_size 4g;",
        "proxy_pass http://podium_relay;",
        "hash $podium_stream consistent;",
        "proxy_set_header X-Request-ID $request_id;",
    ):
        assert directive in site, directive
    assert re.search(r"upstream podium_app \{(\s+server 127\.0\.0\.1:800\d[^;]*;){2,}", site)


def test_compose_file_describes_the_topology(tmp_path):
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]

    assert set(services) == {
        *("nginx", "app1", "app2", "postgres", "redis", "coturn", "migrate"),
        *("origin", "edge1", "edge2"),
    }
    assert [services[name]["command"][1:] for name in ("app1", "app2", "origin", "edge1", "edge2")] == [
        ["serve", "--host", "127.0.0.1", "--port", "8001"],
        ["serve", "--host", "127.0.0.1", "--port", "8002"],
        ["relay", "--host", "127.0.0.1", "--port", "8101"],
        ["relay", "--edge", "--host", "127.0.0.1", "--port", "8111"],
        ["relay", "--edge", "--host", "127.0.0.1", "--port", "8112"],
    ]
    # Each relay names itself and says where browsers and the other relays reach it; the edges' public addresses
    # are the nginx locations that pass to them.
    site = (DEPLOY / "nginx" / "podium.conf").read_text(encoding="utf-8")
    for name, port in (("origin", 8101), ("edge1", 8111), ("edge2", 8112)):
        environment = services[name]["environment"]
        assert environment["PODIUM_RELAY_NAME"] == name
        assert environment["PODIUM_RELAY_INTERNAL_URL"] == f"http://127.0.0.1:{port}"
    assert services["origin"]["environment"]["PODIUM_RELAY_PUBLIC_URL"] == ""
    for name, port in (("edge1", 8111), ("edge2", 8112)):
        assert services[name]["environment"]["PODIUM_RELAY_PUBLIC_URL"] == f"/relay/{name}"
        assert f"location /relay/{name}/whep/ {{" in site
        assert re.search(rf"upstream podium_{name} \{{\s+server 127\.0\.0\.1:{port};", site)
        assert services[name]["environment"]["PODIUM_RELAY_HLS"] == "0"
    # The origins alone take encoders and the app's control calls.
    assert re.search(
        r"upstream podium_relay \{\s+hash \$podium_stream consistent;\s+server 127\.0\.0\.1:8101;\s+keep", site
    )
    assert {service["network_mode"] for service in services.values()} == {"host"}
    for name in ("app1", "app2", "origin", "edge1", "edge2", "migrate"):
        assert services[name]["env_file"] == "podium.env"
    assert (DEPLOY / services["migrate"]["build"]["dockerfile"].removeprefix("deploy/")).exists()
    assert services["coturn"]["volumes"][0].startswith("./coturn/turnserver.conf:")
    assert services["redis"]["volumes"][0].startswith("./redis/podium.conf:")

    # The real parser, where the machine has one: compose v2 as a docker plugin, or the older docker-compose.
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) is None:
            continue
        if subprocess.run([*command, "version"], capture_output=True, check=False).returncode != 0:
            continue
        project = tmp_path / "deploy"
        shutil.copytree(DEPLOY, project)
        shutil.copy(project / "podium.env.example", project / "podium.env")
        result = subprocess.run(
            [*command, "-f", str(project / "docker-compose.yml"), "config", "-q"],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin:/usr/local/bin", "POSTGRES_PASSWORD": "compose-check"},
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        break


def read_unit(name: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / "systemd" / name, encoding="utf-8")
    return unit


@pytest.mark.parametrize("name", UNIT_NAMES)
def test_systemd_units_are_hardened_templates(name):
    service = read_unit(name)["Service"]
    text = (DEPLOY / "systemd" / name).read_text(encoding="utf-8")

    assert re.findall(r"^EnvironmentFile=(.*)$", text, flags=re.MULTILINE)[0] == "/etc/podium/podium.env"
    assert service["User"] == "podium"
    assert service["ExecStart"].endswith("--host 127.0.0.1 --port %i")
    for option in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "RestrictSUIDSGID", "LockPersonality"):
        assert service[option] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["CapabilityBoundingSet"] == ""


def test_systemd_accepts_the_units(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    podium = shutil.which("podium") or str(ROOT / ".venv" / "bin" / "podium")
    instances = []
    for name, port in zip(UNIT_NAMES, ("8001", "8101", "8111"), strict=True):
        instance = tmp_path / name.replace("@.", f"@{port}.")
        instance.write_text(
            (DEPLOY / "systemd" / name).read_text(encoding="utf-8").replace("/opt/podium/venv/bin/podium", podium)
        )
        instances.append(str(instance))

    result = subprocess.run(
        ["systemd-analyze", "verify", *instances], capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_environment_example_names_every_setting():
    example = (DEPLOY / "podium.env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^(PODIUM_[A-Z_]+)=", example, flags=re.MULTILINE))
    read = {
        name
        for package in ("server", "realtime")
        for path in (ROOT / package).rglob("*.py")
        for name in re.findall(r"\"(PODIUM_[A-Z_]+)\"", path.read_text(encoding="utf-8"))
    }

    assert read - documented == set()
    assert documented - read == set()


def turn_settings() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in (DEPLOY / "coturn" / "turnserver.conf").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def test_coturn_uses_rest_secret_and_denies_private_peers():
    settings = turn_settings()

    assert "use-auth-secret" in settings and "static-auth-secret" in settings
    assert "lt-cred-mech" not in settings
    denied = set(settings["denied-peer-ip"])
    assert {
        "10.0.0.0-10.255.255.255",
        "172.16.0.0-172.31.255.255",
        "192.168.0.0-192.168.255.255",
        "127.0.0.0-127.255.255.255",
        "169.254.0.0-169.254.255.255",
        "100.64.0.0-100.127.255.255",
        "fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "::1",
    } <= denied


def test_coturn_starts_with_the_shipped_configuration(tmp_path):
    require("coturn (turnserver)", shutil.which("turnserver") is not None)
    certificate = self_signed_certificate(tmp_path)

    turn = start_turnserver(tmp_path, certificate)
    try:
        log = turn.log
    finally:
        turn.stop()

    assert "turn server id=0 created" in log, log
    assert f"TLS/TCP listener opened on : 127.0.0.1:{turn.tls_port}" in log  # turns:, on 443 in production
    assert "Black listing: 10.0.0.0-10.255.255.255" in log
    assert "CONFIG ERROR" not in log and "Bad configuration" not in log


def test_coturn_offers_turn_over_tls_on_443_beside_nginx():
    settings = turn_settings()
    site = (DEPLOY / "nginx" / "podium.conf").read_text(encoding="utf-8")

    assert settings["tls-listening-port"] == ["443"]
    # Each on an address of its own: coturn's listening address is not the one nginx's 443 listens on.
    nginx_443 = set(re.findall(r"listen (\d+\.\d+\.\d+\.\d+):443 ssl", site))
    assert nginx_443 and set(settings["listening-ip"]).isdisjoint(nginx_443)
    assert settings["relay-ip"] == settings["listening-ip"]
    example = (DEPLOY / "podium.env.example").read_text(encoding="utf-8")
    assert "turns:turn.podium.example.org:443?transport=tcp" in example


def test_redis_accepts_the_shipped_settings(tmp_path):
    require("redis-server", shutil.which("redis-server") is not None)
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", str(DEPLOY / "redis" / "podium.conf"), "--port", str(port), "--dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        import redis

        client = redis.Redis(port=port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "volatile-lru"}
        assert client.config_get("save") == {"save": ""}
        client.close()
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_environment_example_reads_the_same_in_a_shell():
    from tests.deploy.topology import example_environment

    result = subprocess.run(
        ["sh", "-c", 'set -a; . "$1"; env', "sh", str(DEPLOY / "podium.env.example")],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    names = set(example_environment())
    shell = dict(line.split("=", 1) for line in result.stdout.splitlines() if line.split("=", 1)[0] in names)

    assert result.stderr == ""
    assert shell == example_environment()


def test_admin_wrapper_is_valid_shell():
    script = DEPLOY / "podium-admin"
    assert subprocess.run(["sh", "-n", str(script)], check=False).returncode == 0
    assert script.stat().st_mode & 0o111

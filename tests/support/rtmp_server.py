"""A local RTMP ingest for restream tests: nginx with Debian's RTMP module (``libnginx-mod-rtmp``) on free ports,
which accepts a publish only for the stream keys it was told (its ``on_publish`` asks nginx's own HTTP server, which
answers 403 to any other key, as a platform refuses a wrong one), and can be stopped and started again on the same port."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.ports import free_port, wait_for_port
from tests.support.requirements import require

NGINX = Path("/usr/sbin/nginx")
RTMP_MODULE = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")

CONFIG = """
load_module {module};
worker_processes 1;
daemon off;
master_process off;
error_log {directory}/error.log info;
pid {directory}/nginx.pid;
events {{ worker_connections 64; }}
rtmp {{
    server {{
        listen 127.0.0.1:{rtmp_port};
        chunk_size 4096;
        application live {{
            live on;
            record off;
            notify_method get;
            on_publish http://127.0.0.1:{check_port}/on_publish;
        }}
    }}
}}
http {{
    access_log off;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    map $arg_name $podium_key_known {{
        default 0;
{known}
    }}
    log_format checked '$arg_name $status';
    server {{
        listen 127.0.0.1:{check_port};
        location = /on_publish {{
            access_log {directory}/checked.log checked;
            if ($podium_key_known = 0) {{ return 403; }}
            return 204;
        }}
        location / {{ return 404; }}
    }}
}}
"""


class RtmpServer:
    """``url`` is the ingest address an organiser would paste (``rtmp://127.0.0.1:<port>/live``)."""

    def __init__(self, directory: Path, *, keys: set[str]) -> None:
        require("nginx with the RTMP module (Debian libnginx-mod-rtmp)", NGINX.exists() and RTMP_MODULE.exists())
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.config = directory / "nginx.conf"
        self.config.write_text(
            CONFIG.format(
                module=RTMP_MODULE,
                directory=directory,
                rtmp_port=self.port,
                check_port=free_port(),
                known="\n".join(f'        "{key}" 1;' for key in sorted(keys)),
            ),
            encoding="utf-8",
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"rtmp://127.0.0.1:{self.port}/live"

    @property
    def refused(self) -> list[str]:
        """The keys it refused, in order."""
        log = self.directory / "checked.log"
        lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        return [line.rpartition(" ")[0] for line in lines if line.endswith(" 403")]

    def start(self) -> None:
        with (self.directory / "nginx.out").open("ab") as out:
            self.process = subprocess.Popen(
                [str(NGINX), "-c", str(self.config), "-p", str(self.directory)], stdout=out, stderr=subprocess.STDOUT
            )
        wait_for_port(self.port, self.process, "nginx (RTMP)")

    def stop(self) -> None:
        """Gone at once, as a platform's ingest that drops: the publisher's connection is cut."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def close(self) -> None:
        self.stop()

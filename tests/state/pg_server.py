"""A throwaway PostgreSQL server for the tests: `initdb` + `pg_ctl` in a private temp dir.

`PgServer.start()` makes a cluster in `/tmp/assistplan-pg-XXXX/`, listening on a unix socket in
that dir and on 127.0.0.1 (a free port), with password authentication (scram-sha-256) for every
connection, a non-superuser role `assistplan` (with a password, so tests can check it never
leaks) owning a database `assistplan`. `stop()` stops the server at once and removes the dir.

PostgreSQL refuses to run as root: under root every server command runs as the `postgres`
system user (Debian's package creates it; it is created here if missing) through `runuser`,
and the temp dir is handed to that user.

The binaries are found with `pg_config --bindir`, then `/usr/lib/postgresql/*/bin` (newest
version first), then `PATH`. `find_bindir()` returns None when PostgreSQL is not installed:
install it with `scripts/ensure_postgres.sh` (Debian's `postgresql` package).
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

SERVER_USER = "postgres"
ROLE = "assistplan"
DATABASE = "assistplan"

# Fast and small: the data is thrown away, so durability is not needed.
_SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "16MB",
    "max_connections": "100",
    "dynamic_shared_memory_type": "mmap",
    "log_min_messages": "warning",
}


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path.parent.name)) or (0,)


def find_bindir() -> Path | None:
    """The directory holding `initdb`, `pg_ctl` and `postgres`, or None if PostgreSQL is missing."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out:
            candidates.append(Path(out))
    candidates.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True))
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for directory in candidates:
        if all((directory / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_user() -> pwd.struct_passwd:
    """The system user that runs the server when we are root (created if missing)."""
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(SERVER_USER)


@dataclass
class PgServer:
    """One throwaway cluster (see the module docstring). Not thread-safe; one per test session."""

    bindir: Path
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="assistplan-pg-")))
    port: int = field(default_factory=_free_port)
    password: str = field(default_factory=lambda: "pw-" + secrets.token_hex(12))
    admin_password: str = field(default_factory=lambda: "admin-" + secrets.token_hex(12))
    started: bool = False

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def dsn(self, *, password: str | None = None, tcp: bool = False, port: int | None = None) -> str:
        """A key=value DSN for the test role (over the unix socket, or TCP 127.0.0.1 with `tcp`)."""
        host = "127.0.0.1" if tcp else str(self.socket_dir)
        pw = self.password if password is None else password
        return f"host={host} port={port or self.port} dbname={DATABASE} user={ROLE} password={pw}"

    def admin_dsn(self) -> str:
        pw = self.admin_password
        return f"host={self.socket_dir} port={self.port} dbname=postgres user=admin password={pw}"

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> PgServer:
        """initdb, start, create the test role and database. Raises RuntimeError with the log on failure."""
        as_root = os.geteuid() == 0
        if as_root:
            user = _server_user()
            os.chown(self.root, user.pw_uid, user.pw_gid)
        os.chmod(self.root, 0o700)
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.admin_password + "\n")
        os.chmod(pwfile, 0o600)
        if as_root:
            os.chown(pwfile, user.pw_uid, user.pw_gid)
        self._run(
            "initdb",
            "-D", str(self.data_dir),
            "-U", "admin",
            f"--pwfile={pwfile}",
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        )  # fmt: skip
        pwfile.unlink()
        options = " ".join(f"-c {k}={v}" for k, v in _SERVER_SETTINGS.items())
        options += f" -c port={self.port} -c unix_socket_directories={self.socket_dir}"
        self._run(
            "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "60",
            "-o", options, "start",
        )  # fmt: skip
        self.started = True
        self._create_role_and_database()
        return self

    def stop(self) -> None:
        """Stop the server at once (no checkpoint) and remove its directory."""
        try:
            if self.started:
                self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop", check=False)
                self.started = False
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PgServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- internals ------------------------------------------------------------------------------

    def _create_role_and_database(self) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.admin_dsn(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(ROLE), sql.Literal(self.password)
                )
            )
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(DATABASE), sql.Identifier(ROLE))
            )

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        result = subprocess.run(
            command,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "LC_ALL": "C", "PGTZ": "UTC"},
        )
        if check and result.returncode != 0:
            log = self.log_file.read_text(errors="replace")[-4000:] if self.log_file.exists() else ""
            raise RuntimeError(
                f"{tool} failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}\n{log}".rstrip()
            )
        return result

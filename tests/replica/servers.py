"""A MariaDB primary and a replica of it, both temporary: own data directories, own ports, started and
stopped by the test (`mariadb-install-db`, `mariadbd`), never the shared server's data."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fixtures.live_server import free_port


@dataclass
class Server:
    name: str
    port: int
    datadir: Path
    process: subprocess.Popen[bytes]

    @property
    def socket(self) -> Path:
        return self.datadir.parent / f"{self.name}.sock"

    def connect(self, database: str | None = None) -> Any:
        import MySQLdb

        kwargs: dict[str, Any] = {"host": "127.0.0.1", "port": self.port, "user": "root", "passwd": ""}
        if database:
            kwargs["db"] = database
        conn = MySQLdb.connect(**kwargs)
        conn.autocommit(True)
        return conn

    def query(self, sql: str, args: Any = None, database: str | None = None) -> list[tuple[Any, ...]]:
        conn = self.connect(database)
        try:
            cursor = conn.cursor()
            cursor.execute(sql, args)
            return list(cursor.fetchall())
        finally:
            conn.close()

    def url(self, database: str) -> str:
        return f"mysql://root:@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def _binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)
        if found:
            return found
    raise RuntimeError(f"none of {names} is installed (MariaDB server: apt-get install mariadb-server)")


def _start(root: Path, name: str, server_id: int, *extra: str) -> Server:
    datadir = root / name
    datadir.mkdir(parents=True)
    subprocess.run(
        [
            _binary("mariadb-install-db", "mysql_install_db"),
            "--no-defaults",
            f"--datadir={datadir}",
            "--user=root",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    log = (root / f"{name}.log").open("ab")
    process = subprocess.Popen(
        [
            _binary("mariadbd", "mysqld"),
            "--no-defaults",
            f"--datadir={datadir}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            f"--socket={root / f'{name}.sock'}",
            f"--pid-file={root / f'{name}.pid'}",
            "--user=root",
            f"--server-id={server_id}",
            "--skip-name-resolve",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_unicode_ci",
            "--transaction-isolation=READ-COMMITTED",
            "--innodb-buffer-pool-size=64M",
            "--innodb-flush-log-at-trx-commit=2",
            "--skip-log-error",
            *extra,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Server(name, port, datadir, process)
    deadline = time.monotonic() + 60
    while True:  # root answers over TCP once the grant below exists; first over the socket
        try:
            # root@localhost only exists after install-db; TCP from 127.0.0.1 needs its own account, created
            # unlogged so the replica does not try to create it twice
            subprocess.run(
                [
                    _binary("mariadb", "mysql"),
                    "--no-defaults",
                    f"--socket={server.socket}",
                    "-uroot",
                    "-e",
                    "SET sql_log_bin = 0; CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; "
                    "GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; SET sql_log_bin = 1;",
                ],
                check=True,
                capture_output=True,
            )
            break
        except subprocess.CalledProcessError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mariadbd {name} did not start:\n{(root / f'{name}.log').read_text()}") from None
            time.sleep(0.2)
    return server


@contextmanager
def primary_and_replica(root: Path) -> Iterator[tuple[Server, Server]]:
    """A primary (binary log, GTIDs) and a replica applying it, in `root`; stopped when the block ends."""
    primary = _start(root, "primary", 1, "--log-bin=primary-bin", "--binlog-format=ROW")
    try:
        replica = _start(root, "replica", 2, "--read-only=1", "--relay-log=replica-relay")
        try:
            replica.query(
                "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%s, MASTER_USER='root', "
                "MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos",
                [primary.port],
            )
            replica.query("START SLAVE")
            yield primary, replica
        finally:
            replica.stop()
    finally:
        primary.stop()


def wait_caught_up(primary: Server, replica: Server, timeout: float = 60) -> None:
    """Until the replica has applied everything the primary has written so far."""
    position = primary.query("SELECT @@GLOBAL.gtid_binlog_pos")[0][0]
    if not position:
        return
    result = replica.query("SELECT MASTER_GTID_WAIT(%s, %s)", [position, timeout])[0][0]
    if result != 0:
        status = replica.query("SHOW SLAVE STATUS")
        raise RuntimeError(f"the replica did not reach {position} in {timeout} s: {status}")

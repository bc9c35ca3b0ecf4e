"""`make bench`: run every benchmark module in tests/load/ (bench_*.py exposing run() -> markdown)
and write docs/BENCHMARKS.md with the command, the machine and each section."""

import importlib
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "docs" / "BENCHMARKS.md"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    mariadb = subprocess.run(["mariadb", "--version"], capture_output=True, text=True).stdout.strip() or "MariaDB"
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {platform.system()} {platform.release()}, Python {platform.python_version()}, {mariadb}"


def prepare_database() -> None:
    """Create and migrate the bench database (a separate one: benchmarks fill it with bulk data)."""
    import django
    import MySQLdb
    from django.conf import settings

    django.setup()
    db = settings.DATABASES["default"]
    conn = MySQLdb.connect(host=db["HOST"], user=db["USER"], passwd=db["PASSWORD"], port=int(db["PORT"] or 3306))
    conn.cursor().execute(
        f"CREATE DATABASE IF NOT EXISTS `{db['NAME']}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    )
    conn.close()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("DATABASE_URL", "mysql://root:@127.0.0.1:3306/auction_bench")
    if "BENCH_DATABASE_NAME" in os.environ:  # another bench database (its name), on the same server
        base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
        os.environ["DATABASE_URL"] = f"{base}/{os.environ['BENCH_DATABASE_NAME']}"
    prepare_database()
    only = set(argv[1:])
    modules = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    sections = []
    for name in modules:
        if only and name not in only:
            continue
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"tests.load.{name}")
        section = module.run()
        print(section, flush=True)
        sections.append(f"{section.rstrip()}\n\n_{name} took {time.perf_counter() - started:.0f} s._\n")
    header = (
        "# Benchmarks\n\n"
        "Produced by `make bench` (which runs `python -m tests.load.run_all`); a single module: "
        "`.venv/bin/python -m tests.load.run_all bench_<name>`.\n\n"
        f"Machine: {machine()}. Run at {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.\n"
        "The machine is shared and noisy: ratios measured within one run matter more than absolute times.\n\n"
    )
    if not only:
        OUTPUT.write_text(header + "\n".join(sections))
        print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

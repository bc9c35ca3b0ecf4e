"""manage.py import_vehicles FILE.csv --seller EMAIL [--photos DIR] [--dry-run] [--report PATH]"""

import csv
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from vehicles.selectors import can_sell
from vehicles.services.imports import ImportReport, vehicles_import
from vehicles.validation import EDITABLE_FIELDS


class Command(BaseCommand):
    help = (
        "Import a seller's vehicles from CSV. Every row is validated first; rows are upserted by VIN (a re-run "
        "never duplicates), missing specs are decoded from the VIN, photos named VIN.jpg / VIN_2.jpg are "
        "attached, and rows with errors are listed in an error report (FILE.errors.csv)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV with a header row; see docs/sample_vehicles.csv")
        parser.add_argument("--seller", required=True, help="email of the approved seller who owns the vehicles")
        parser.add_argument("--photos", type=Path, help="folder of photos named by VIN (VIN.jpg, VIN_2.jpg, …)")
        parser.add_argument("--dry-run", action="store_true", help="validate and report only; write nothing")
        parser.add_argument("--report", type=Path, help="where to write the per-row error report")
        parser.add_argument("--no-progress", action="store_true", help="do not draw the progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        seller = User.objects.filter(email__iexact=options["seller"]).first()
        if seller is None:
            raise CommandError(f"No user with email {options['seller']}")
        if not can_sell(seller):
            raise CommandError(f"{seller.email} is not an approved, active seller")
        photos_dir = options.get("photos")
        if photos_dir is not None and not photos_dir.is_dir():
            raise CommandError(f"No such folder: {photos_dir}")
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip().lower() for name in reader.fieldnames or []]
            if "vin" not in header or "mileage" not in header:
                raise CommandError("The CSV needs a header row with at least the columns vin and mileage")
            unknown = sorted(set(header) - set(EDITABLE_FIELDS))
            if unknown:
                self.stderr.write(f"Ignoring unknown columns: {', '.join(unknown)}")
            rows = list(reader)
        started = time.monotonic()
        show_progress = not options["no_progress"]
        report = vehicles_import(
            rows=rows,
            seller=seller,
            photos_dir=photos_dir,
            dry_run=options["dry_run"],
            progress=self._progress if show_progress else None,
        )
        if show_progress:
            self.stderr.write("")
        self._summarise(report, elapsed=time.monotonic() - started, rows=len(rows))
        report_path: Path = options.get("report") or path.with_suffix(".errors.csv")
        if report.errors:
            with report_path.open("w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out)
                writer.writerow(["line", "vin", "error"])
                for row in report.errors:
                    for error in row.errors:
                        writer.writerow([row.line, row.vin, error])
            self.stdout.write(self.style.WARNING(f"{len(report.errors)} row(s) with errors; details in {report_path}"))
            for row in report.errors[:10]:
                self.stdout.write(f"  line {row.line} {row.vin or '(no VIN)'}: {'; '.join(row.errors)}")
        elif report_path.exists() and not options.get("report"):
            report_path.unlink()  # an old report would mislead

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        bar = "#" * filled + "." * (width - filled)
        sys.stderr.write(f"\r[{bar}] {done * 100 // max(total, 1):3d}%")
        sys.stderr.flush()

    def _summarise(self, report: ImportReport, *, elapsed: float, rows: int) -> None:
        verb = "Would import" if report.dry_run else "Imported"
        counts = ", ".join(
            f"{report.count(action)} {action}"
            for action in ("created", "updated", "unchanged", "skipped", "error")
            if report.count(action)
        )
        rate = rows / elapsed if elapsed > 0 else 0
        self.stdout.write(f"{verb} {rows} rows in {elapsed:.1f}s ({rate:.0f} rows/s): {counts or 'nothing'}.")

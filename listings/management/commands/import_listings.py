from django.core.management.base import BaseCommand, CommandError

from listings.importer import guess_format, import_listings, open_text


class Command(BaseCommand):
    help = (
        "Bulk-load listings from a CSV or JSON Lines file. Upserts on (site, external id); bad rows are reported "
        "by number and skipped. Columns: site, external_id (or url), title, description, price, currency, "
        "seller_member_id, store_name, status (live or delisted, for new listings)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--format", choices=["csv", "jsonl"], help="Default: from the file name.")

    def handle(self, *args, path, format=None, **options):
        fmt = format or guess_format(path)
        try:
            stream = open_text(path)
        except OSError as exc:
            raise CommandError(f"Cannot open {path}: {exc.strerror}.") from exc
        with stream:
            summary = import_listings(stream, fmt=fmt)
        for number, message in summary.errors:
            self.stderr.write(f"row {number}: {message}")
        if summary.failed > len(summary.errors):
            self.stderr.write(f"… and {summary.failed - len(summary.errors)} more bad rows.")
        self.stdout.write(
            f"{summary.rows} rows read: {summary.created} listings created, {summary.updated} updated, "
            f"{summary.unchanged} unchanged, {summary.failed} rejected; {summary.sellers_created} new sellers."
        )

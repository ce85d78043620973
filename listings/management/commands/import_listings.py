from django.core.management.base import BaseCommand, CommandError

from listings.importer import guess_format, import_listings, open_catalogue


class Command(BaseCommand):
    help = (
        "Bulk-load listings from a CSV or JSON Lines file. Upserts on (site, external id); bad lines (not UTF-8, "
        "an unbalanced quote, the wrong number of cells, bad values) are reported by line number and skipped, and "
        "the import goes on. Columns: site, external_id (or url), title, description, price, currency, "
        "seller_member_id, store_name, status (live or delisted, for new listings)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--format", choices=["csv", "jsonl"], help="Default: from the file name.")

    def handle(self, *args, path, format=None, **options):
        fmt = format or guess_format(path)
        try:
            stream = open_catalogue(path)
        except OSError as exc:
            raise CommandError(f"Cannot open {path}: {exc.strerror}.") from exc
        with stream:
            summary = import_listings(stream, fmt=fmt)
        for number, message in summary.errors:
            self.stderr.write(f"line {number}: {message}")
        if summary.failed > len(summary.errors):
            self.stderr.write(f"… and {summary.failed - len(summary.errors)} more rejected lines.")
        besides = []
        if summary.header_lines:
            besides.append("the header")
        if summary.blank_lines:
            besides.append(f"{summary.blank_lines} blank")
        if summary.continuation_lines:
            besides.append(f"{summary.continuation_lines} continuing a quoted cell")
        besides_text = f" ({', '.join(besides)})" if besides else ""
        self.stdout.write(
            f"{summary.lines} lines read{besides_text}, {summary.rows} rows: "
            f"{summary.imported} imported ({summary.created} listings created, {summary.updated} updated, "
            f"{summary.unchanged} unchanged), {summary.failed} rejected; {summary.sellers_created} new sellers."
        )

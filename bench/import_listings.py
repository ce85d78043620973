"""Throughput and memory of the catalogue importer (listings.importer.import_listings).

Generates a realistic catalogue (both sites, ~2,000 sellers) into a temporary CSV (or JSON Lines) file, then in
the same run measures:

(a) ``import_listings`` reading that file into empty tables (rows/s), then again on the same file (the
    idempotent second pass: nothing created);
(b) the baseline: a plain ``Listing.objects.bulk_create(batch_size=2000)`` of the same rows, sellers created
    beforehand, into an emptied table;

interleaved over ``--rounds`` (best of each is used), and prints the ratio (a) / (b) against the goal. Memory is
measured in fresh child processes at two sizes (``--memory-rows`` and ``--rows``): the import's peak Python
allocation (tracemalloc) and, in a run without tracemalloc, its peak RSS (VmHWM), to show both are flat in the
row count.

    python bench/import_listings.py [--rows 100000] [--format csv|jsonl] [--postgres] [--rounds 2]

Database: DATABASE_URL if set; with --postgres and no DATABASE_URL, postgres://postgres@127.0.0.1:5432/ipp_bench
(created if missing); otherwise a temporary SQLite file. IPP_VAR_DIR is always a temporary directory, so the
developer's var/db.sqlite3 is never touched. Results go to bench/out/import_listings.json.
"""

import argparse
import csv
import gc
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import OUT_DIR, scratch_dir, use_database, write_figures  # noqa: E402
from bench._common import setup_django as setup_django_common  # noqa: E402

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/ipp_bench"
GOAL = 0.50
FLAT_FACTOR = 1.5
BASELINE_BATCH = 2000
SELLERS = 2000
FIELDS = (
    "site",
    "external_id",
    "url",
    "title",
    "description",
    "price",
    "currency",
    "seller_member_id",
    "store_name",
    "status",
)


# --- Data -------------------------------------------------------------------------------------------------------

CITIES = (
    "Shenzhen", "Guangzhou", "Yiwu", "Ningbo", "Dongguan", "Hangzhou", "Xiamen", "Foshan", "Suzhou", "Qingdao",
    "Wenzhou", "Shantou", "Jinhua", "Zhongshan", "Quanzhou", "Tianjin", "Shanghai", "Hong Kong",
)  # fmt: skip
FIRM_WORDS = (
    "Hongxin", "Xinda", "Jiayi", "Huasheng", "Mingtai", "Yuanfeng", "Kaida", "Lianchuang", "Boyuan", "Tianrui",
    "Haoyu", "Jinxin", "Ruifeng", "Shengda", "Weiye", "Zhongtai", "Baixiang", "Longsheng", "Yongkang", "Dexin",
)  # fmt: skip
INDUSTRIES = (
    "Electronic Technology", "Trading", "Import & Export", "Industrial", "Garment", "Bags & Cases", "Toys",
    "Household Products", "Cosmetics", "Sporting Goods", "Auto Parts", "Lighting", "Packaging", "Jewelry",
)  # fmt: skip
STORE_WORDS = (
    "Global", "Digital", "Life", "Home", "Fashion", "Outdoor", "Tech", "Beauty", "Smart", "Happy", "Lucky",
    "Sunny", "Star", "Dream", "Top", "Best", "Cool", "Urban", "Magic", "Prime",
)  # fmt: skip
BRANDS = (
    "Baseus", "Ugreen", "Xiaomi", "Lenovo", "Anker", "Orico", "Essager", "Hoco", "Joyroom", "Vention", "Lamptron",
    "Kinscoter", "Mijia", "Haylou", "QCY", "Tronsmart", "Blitzwolf", "Ulanzi", "Neewer", "Zeblaze",
)  # fmt: skip
PRODUCTS = (
    ("Wireless Bluetooth Earbuds", "Electronics"), ("USB C Fast Charger", "Electronics"),
    ("Phone Case", "Accessories"), ("Smart Watch", "Electronics"), ("LED Strip Light", "Lighting"),
    ("Running Shoes", "Shoes"), ("Women Summer Dress", "Apparel"), ("Men Hoodie", "Apparel"),
    ("Yoga Mat", "Sports"), ("Stainless Steel Water Bottle", "Home"), ("Silicone Baking Mold", "Kitchen"),
    ("Kids Building Blocks", "Toys"), ("Car Phone Holder", "Auto"), ("Hair Straightener", "Beauty"),
    ("Makeup Brush Set", "Beauty"), ("Laptop Backpack", "Bags"), ("Sunglasses", "Accessories"),
    ("Power Bank 20000mAh", "Electronics"), ("Mechanical Keyboard", "Computers"), ("Camping Lantern", "Outdoor"),
    ("Dog Harness", "Pets"), ("Crystal Pendant Necklace", "Jewelry"), ("Cotton T-Shirt", "Apparel"),
    ("Electric Toothbrush", "Personal Care"), ("Drone with 4K Camera", "Electronics"),
)  # fmt: skip
ADJECTIVES = (
    "2024 New", "Hot Sale", "Wholesale", "Custom Logo", "OEM", "Factory Price", "High Quality", "Portable",
    "Waterproof", "Mini", "Original", "Luxury", "Eco-Friendly", "Upgraded", "Professional",
)  # fmt: skip
FEATURES = (
    "for iPhone 15 Pro Max", "for Samsung Galaxy", "Noise Cancelling", "Fast Charging", "Long Battery Life",
    "Anti-Slip", "Breathable", "Adjustable", "Rechargeable", "Free Shipping", "Multi-Color", "Unisex",
    "Large Capacity", "Foldable", "IP68", "With Gift Box", "BPA Free", "Ultra Thin", "Heavy Duty", "Touch Control",
)  # fmt: skip
SENTENCES = (
    "Made of premium materials, durable and comfortable for daily use.",
    "Package includes: 1 x {p}, 1 x user manual.",
    "MOQ: 2 pieces; samples available, customised logo accepted for orders over 500 pieces.",
    "Size: {w} x {h} cm, weight {g} g. Please allow 1-2 cm differences due to manual measurement.",
    "Colours may differ slightly from the pictures because of monitor settings.",
    "We ship within 48 hours of payment; tracking number provided.",
    "Compatible with most devices, plug and play, no driver needed.",
    'Features: "{f}", lightweight, easy to carry.',
    "If you have any problem, please contact us before leaving feedback, we will solve it for you.",
    "Certificates: CE, FCC, RoHS.",
    "Warranty: 12 months.",
)
CURRENCIES = (("USD", 85), ("CNY", 7), ("EUR", 5), ("GBP", 3))


def _sellers(rng: random.Random) -> list[dict[str, str]]:
    sellers: list[dict[str, str]] = []
    member_ids: set[str] = set()
    while len(sellers) < SELLERS:
        if len(sellers) % 2 == 0:
            site = "alibaba"
            letters = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=4))
            member_id = f"cn{rng.randrange(1_500_000_000, 1_530_000_000)}{letters}"
            name = f"{rng.choice(CITIES)} {rng.choice(FIRM_WORDS)} {rng.choice(INDUSTRIES)} Co., Ltd."
        else:
            site = "aliexpress"
            member_id = str(rng.randrange(200_000_000_000, 240_000_000_000))
            if rng.random() < 0.3:
                name = f"{rng.choice(BRANDS)} Official Store"
            else:
                name = f"{rng.choice(STORE_WORDS)} {rng.choice(STORE_WORDS)} Store"
        if member_id not in member_ids:
            member_ids.add(member_id)
            sellers.append({"site": site, "member_id": member_id, "store_name": name})
    return sellers


def _description(rng: random.Random, product: str, feature: str) -> str:
    parts = []
    for sentence in rng.sample(SENTENCES, k=rng.randint(2, 7)):
        parts.append(
            sentence.format(p=product, f=feature, w=rng.randint(5, 60), h=rng.randint(5, 60), g=rng.randint(20, 900))
        )
    separator = "\n" if rng.random() < 0.1 else " "  # some feeds keep the line breaks of the product page
    return separator.join(parts)


def generate_rows(count: int, seed: int = 20240601) -> list[dict[str, str]]:
    """``count`` catalogue rows, as the text a feed would carry; deterministic for a given seed."""
    rng = random.Random(seed)
    sellers = _sellers(rng)
    by_site = {site: [s for s in sellers if s["site"] == site] for site in ("alibaba", "aliexpress")}
    # A few stores carry most of a catalogue: Zipf-like weights over each site's sellers.
    weights = [1 / (rank + 1) ** 0.8 for rank in range(SELLERS // 2)]
    n_alibaba = count // 2
    n_aliexpress = count - n_alibaba
    ids = {
        "alibaba": (f"1601{n:09d}" for n in rng.sample(range(10**9), n_alibaba)),
        "aliexpress": (f"1005{n:012d}" for n in rng.sample(range(10**12), n_aliexpress)),
    }
    picks = {
        "alibaba": iter(rng.choices(by_site["alibaba"], weights, k=n_alibaba)),
        "aliexpress": iter(rng.choices(by_site["aliexpress"], weights, k=n_aliexpress)),
    }
    currencies = [c for c, _ in CURRENCIES]
    currency_weights = [w for _, w in CURRENCIES]
    sites = ["alibaba"] * n_alibaba + ["aliexpress"] * n_aliexpress
    rng.shuffle(sites)
    rows = []
    for site in sites:
        external_id = next(ids[site])
        seller = next(picks[site])
        product, _category = rng.choice(PRODUCTS)
        feature = rng.choice(FEATURES)
        brand = rng.choice(BRANDS) + " " if rng.random() < 0.4 else ""
        title = f"{rng.choice(ADJECTIVES)} {brand}{product} {feature} {rng.choice(FEATURES)}"
        if site == "alibaba":
            slug = "-".join(word for word in title.replace("/", " ").split() if word.isalnum())
            url = f"https://www.alibaba.com/product-detail/{slug}_{external_id}.html"
        else:
            url = f"https://www.aliexpress.com/item/{external_id}.html"
        if rng.random() < 0.3:
            url += f"?spm=a2700.details.0.0.{rng.randrange(16**8):08x}"
        price = Decimal(str(round(max(0.3, rng.lognormvariate(2.3, 1.1)), 2))).quantize(Decimal("0.01"))
        rows.append(
            {
                "site": site,
                "external_id": external_id,
                "url": url,
                "title": title,
                "description": _description(rng, product, feature),
                "price": str(price),
                "currency": rng.choices(currencies, currency_weights)[0],
                "seller_member_id": seller["member_id"],
                "store_name": seller["store_name"],
                "status": "delisted" if rng.random() < 0.03 else "live",
            }
        )
    return rows


def write_file(rows: list[dict[str, str]], path: Path, fmt: str) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        if fmt == "csv":
            writer = csv.DictWriter(stream, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(rows)
        else:
            for row in rows:
                # JSON feeds carry prices as numbers.
                stream.write(json.dumps({**row, "price": float(row["price"])}, ensure_ascii=False) + "\n")


# --- Django -------------------------------------------------------------------------------------------------------


def configure_environment(args: argparse.Namespace, var_dir: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "ipp_portal.settings"
    os.environ["DJANGO_DEBUG"] = "true"
    os.environ["IPP_VAR_DIR"] = str(var_dir)
    # Explicit values, so that a developer's .env (which the settings read) cannot redirect the benchmark.
    os.environ.setdefault("REDIS_URL", "")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    use_database(postgres=args.postgres, default_postgres_url=DEFAULT_POSTGRES_URL, var_dir=var_dir)


def setup_django() -> None:
    setup_django_common(quiet_kombu=False)


def flush_catalogue() -> None:
    """Empty the listing and seller tables (TRUNCATE on PostgreSQL), as a fresh catalogue."""
    from django.core.management.color import no_style
    from django.db import connection

    from listings.models import Listing, Seller

    tables = [Listing._meta.db_table, Seller._meta.db_table]
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables, allow_cascade=True))


# --- Measurements -----------------------------------------------------------------------------------------------


def time_import(path: Path, fmt: str):
    from listings.importer import import_listings, open_catalogue

    gc.collect()
    started = time.perf_counter()
    with open_catalogue(str(path)) as stream:
        summary = import_listings(stream, fmt=fmt)
    return time.perf_counter() - started, summary


def time_bulk_create(rows: list[dict[str, str]]) -> float:
    """The floor: the same rows as Listing objects, sellers already there, one bulk_create."""
    from django.utils import timezone

    from listings.models import Listing, Seller, Site

    sites = {site.code: site.pk for site in Site.objects.all()}
    stores = {}
    for row in rows:
        stores[(sites[row["site"]], row["seller_member_id"])] = row["store_name"]
    Seller.objects.bulk_create(
        [Seller(site_id=site_id, member_id=member_id, store_name=name) for (site_id, member_id), name in stores.items()]
    )
    seller_ids = {(s, m): pk for s, m, pk in Seller.objects.values_list("site_id", "member_id", "pk")}
    gc.collect()
    started = time.perf_counter()
    now = timezone.now()
    objs = []
    for row in rows:
        site_id = sites[row["site"]]
        objs.append(
            Listing(
                site_id=site_id,
                external_id=row["external_id"],
                url=row["url"],
                title=row["title"],
                description=row["description"],
                price=Decimal(row["price"]),
                currency=row["currency"],
                seller_id=seller_ids[(site_id, row["seller_member_id"])],
                status=row["status"],
                created_at=now,
                updated_at=now,
            )
        )
    Listing.objects.bulk_create(objs, batch_size=BASELINE_BATCH)
    elapsed = time.perf_counter() - started
    if Listing.objects.count() != len(rows):
        raise RuntimeError("bulk_create baseline did not write every row")
    return elapsed


def peak_rss_bytes() -> int:
    """This process's peak resident set size.

    VmHWM belongs to the current address space, so it starts afresh at exec. getrusage()'s ru_maxrss does not:
    Linux carries the pre-exec high-water mark over, so a child forked from a parent holding the generated rows
    would report the parent's size.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def memory_probe(path: Path, fmt: str, mode: str) -> dict:
    """Run in a fresh child: one import, with tracemalloc (peak Python allocation) or without (RSS growth)."""
    import tracemalloc

    from django.db import connection

    from listings.importer import import_listings, open_catalogue
    from listings.models import Site

    list(Site.objects.all())  # connect and warm the ORM before the baseline is taken
    connection.ensure_connection()
    gc.collect()
    rss_before = peak_rss_bytes()
    if mode == "tracemalloc":
        tracemalloc.start()
        tracemalloc.reset_peak()
    started = time.perf_counter()
    with open_catalogue(str(path)) as stream:
        summary = import_listings(stream, fmt=fmt)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if mode == "tracemalloc" else None
    tracemalloc.stop()
    rss_after = peak_rss_bytes()
    return {
        "rows": summary.rows,
        "created": summary.created,
        "failed": summary.failed,
        "seconds": elapsed,
        "tracemalloc_peak_bytes": peak,
        "rss_growth_bytes": rss_after - rss_before,
        "rss_peak_bytes": rss_after,
    }


def run_probe(path: Path, fmt: str, mode: str) -> dict:
    from django.db import connections

    flush_catalogue()
    connections.close_all()  # no open SQLite handle or PostgreSQL session while the child writes
    cmd = [sys.executable, __file__, "--probe", str(path), "--format", fmt, "--probe-mode", mode]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"memory probe failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def rate(rows: int, seconds: float) -> float:
    return rows / seconds if seconds > 0 else float("inf")


def mib(n: int | None) -> str:
    return "n/a" if n is None else f"{n / 2**20:7.1f} MiB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="catalogue size (default 100,000)")
    parser.add_argument("--memory-rows", type=int, default=None, help="smaller size for the memory check (rows/5)")
    parser.add_argument("--format", choices=["csv", "jsonl"], default="csv", help="file format imported")
    parser.add_argument("--postgres", action="store_true", help=f"default DATABASE_URL to {DEFAULT_POSTGRES_URL}")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved baseline/import rounds (best is used)")
    parser.add_argument("--skip-memory", action="store_true", help="no memory probes")
    parser.add_argument("--wipe", action="store_true", help="allow emptying a non-bench database's catalogue")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "import_listings.json")
    parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--probe-mode", choices=["tracemalloc", "rss"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.probe:  # child process: the environment was set up by the parent
        setup_django()
        print(json.dumps(memory_probe(args.probe, args.format, args.probe_mode)))
        return 0

    if args.rows < 1:
        parser.error("--rows must be positive")
    memory_rows = args.memory_rows or max(1, args.rows // 5)

    with scratch_dir("ipp-import-bench-") as tmp:
        configure_environment(args, tmp)
        setup_django()
        return run(args, tmp, memory_rows)


def run(args: argparse.Namespace, tmp: Path, memory_rows: int) -> int:
    from django.core.management import call_command
    from django.db import connection

    from listings.models import Listing

    call_command("migrate", interactive=False, verbosity=0)
    vendor = connection.vendor
    db_name = str(connection.settings_dict["NAME"])
    if not args.wipe and "bench" not in db_name and Listing.objects.exists():
        print(f"refusing to empty the catalogue of {db_name} (not a bench database); pass --wipe to allow it")
        return 2

    started = time.perf_counter()
    rows = generate_rows(args.rows)
    path = tmp / f"catalogue.{args.format}"
    write_file(rows, path, args.format)
    small_path = tmp / f"catalogue-small.{args.format}"
    write_file(rows[:memory_rows], small_path, args.format)
    sellers = len({(r["site"], r["seller_member_id"]) for r in rows})
    size = path.stat().st_size
    print(
        f"Import benchmark: {args.rows:,} rows ({args.format}, {size / 2**20:.1f} MiB, {sellers:,} sellers) on "
        f"{vendor} ({db_name if vendor != 'sqlite' else 'temporary file'}), {args.rounds} interleaved rounds, "
        f"{os.cpu_count()} CPUs; data generated in {time.perf_counter() - started:.1f} s"
    )

    baseline_s: list[float] = []
    import_s: list[float] = []
    second_s: list[float] = []
    for round_no in range(1, args.rounds + 1):
        flush_catalogue()
        seconds = time_bulk_create(rows)
        baseline_s.append(seconds)
        print(f"  round {round_no}  bulk_create baseline   {rate(args.rows, seconds):>9,.0f} rows/s  ({seconds:.2f} s)")

        flush_catalogue()
        seconds, first = time_import(path, args.format)
        import_s.append(seconds)
        if (first.created, first.updated, first.failed) != (args.rows, 0, 0):
            raise RuntimeError(f"first import: unexpected summary {first}")
        print(
            f"  round {round_no}  import (first pass)    {rate(args.rows, seconds):>9,.0f} rows/s  ({seconds:.2f} s; "
            f"created {first.created:,}, sellers {first.sellers_created:,})"
        )

        seconds, second = time_import(path, args.format)
        second_s.append(seconds)
        print(
            f"  round {round_no}  import (second pass)   {rate(args.rows, seconds):>9,.0f} rows/s  ({seconds:.2f} s; "
            f"created {second.created:,}, updated {second.updated:,}, sellers {second.sellers_created:,})"
        )
        if second.created != 0 or second.sellers_created != 0 or Listing.objects.count() != args.rows:
            raise RuntimeError(f"second import was not idempotent: {second}")

    baseline_rate = rate(args.rows, min(baseline_s))
    import_rate = rate(args.rows, min(import_s))
    second_rate = rate(args.rows, min(second_s))
    ratio = import_rate / baseline_rate
    met = ratio >= GOAL
    print()
    print(f"  bulk_create baseline       {baseline_rate:>9,.0f} rows/s  (best of {args.rounds})")
    print(f"  import, first pass         {import_rate:>9,.0f} rows/s")
    print(f"  import, second pass        {second_rate:>9,.0f} rows/s  (created 0: idempotent)")
    print(f"  ratio import / bulk_create: {ratio:.3f}  (second pass: {second_rate / baseline_rate:.3f})")
    print(f"  goal >= {GOAL:.2f}: {'MET' if met else 'NOT MET'}")

    memory = None
    if not args.skip_memory:
        memory = {}
        for label, probe_path, count in (("small", small_path, memory_rows), ("large", path, args.rows)):
            traced = run_probe(probe_path, args.format, "tracemalloc")
            rss = run_probe(probe_path, args.format, "rss")
            if traced["created"] != count or rss["created"] != count:
                raise RuntimeError(f"memory probe imported {traced['created']} / {rss['created']} of {count} rows")
            memory[label] = {
                "rows": count,
                "tracemalloc_peak_bytes": traced["tracemalloc_peak_bytes"],
                "rss_growth_bytes": rss["rss_growth_bytes"],
                "rss_peak_bytes": rss["rss_peak_bytes"],
            }
            print(
                f"  memory at {count:>9,} rows: peak Python allocation {mib(traced['tracemalloc_peak_bytes'])}, "
                f"peak RSS {mib(rss['rss_peak_bytes'])} (+{mib(rss['rss_growth_bytes']).strip()} during the import)"
            )
        growth = memory["large"]["tracemalloc_peak_bytes"] / memory["small"]["tracemalloc_peak_bytes"]
        memory["peak_ratio"] = round(growth, 3)
        memory["flat"] = growth < FLAT_FACTOR
        verdict = "FLAT" if memory["flat"] else "NOT FLAT"
        print(
            f"  peak at {args.rows:,} / peak at {memory_rows:,} rows: {growth:.2f}x "
            f"(< {FLAT_FACTOR}x is flat): {verdict}"
        )
    flush_catalogue()

    figures = {
        "benchmark": "import_listings",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "database": vendor,
        "format": args.format,
        "rows": args.rows,
        "sellers": sellers,
        "file_bytes": size,
        "rounds": args.rounds,
        "baseline_rows_per_s": round(baseline_rate, 1),
        "import_rows_per_s": round(import_rate, 1),
        "second_pass_rows_per_s": round(second_rate, 1),
        "ratio": round(ratio, 4),
        "goal": GOAL,
        "met": met,
        "seconds": {"baseline": baseline_s, "import": import_s, "second_pass": second_s},
        "memory": memory,
    }
    write_figures(args.out, figures, f"{vendor}.{args.format}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

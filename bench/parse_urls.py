"""Throughput of listings.links.parse_listing_url on a realistic mix of accepted listing addresses.

Run as ``python bench/parse_urls.py``; prints one line such as
``parse_listing_url: 180,000 urls/s  (urlsplit baseline: 900,000/s, ratio 0.20)  goal >= 50,000/s: MET``.
Exits with status 1 when the goal is missed, so it can gate a CI step.

The baseline is plain ``urllib.parse.urlsplit`` over the same corpus in the same run, which makes the
figure comparable across machines. urlsplit keeps an LRU cache of its last 128 inputs, so the corpus holds
far more distinct addresses than that: otherwise the baseline (and the parser, which calls urlsplit) would
be measuring cache hits instead of parsing.
"""

from __future__ import annotations

import gc
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from listings.links import ListingRef, parse_listing_url

GOAL_PER_SECOND = 50_000
CORPUS_SIZE = 20_000
SECONDS_PER_MEASUREMENT = 1.0
ROUNDS = 3  # best of: a noisy neighbour can only make a round slower, never faster

SLUGS = [
    "Wireless-Earbuds-Bluetooth-5-3-Charging-Case",
    "Double-side-beadlock-steel-wheels-for",
    "Front-Trunk-Storage-Solution-ABS-Plastic",
    "Kids-Entertainment-Bouncer-Bouncy-Castle-Waterslide",
]
LANGUAGE_HOSTS = ["spanish", "german", "french", "russian", "portuguese", "korean"]
AE_HOSTS = [
    "www.aliexpress.com",
    "es.aliexpress.com",
    "de.aliexpress.com",
    "aliexpress.ru",
    "www.aliexpress.us",
]
SPM = "spm=a2g0o.productlist.main.1.2e60vde5vde5Tj"
ALGO = "algo_pvid=0312089f-078c-4b93-b0df-1e90a142ae50&algo_exp_id=0312089f-078c-4b93-b0df-1e90a142ae50-0"


def _alibaba(rng: random.Random) -> tuple[str, str]:
    ref_id = str(rng.randrange(1_600_000_000_000, 1_602_000_000_000))
    slug = rng.choice(SLUGS)
    form = rng.randrange(5)
    if form == 0:
        url = f"https://www.alibaba.com/product-detail/{slug}_{ref_id}.html?spm=a2700.7724857.normal_offer.d_title"
    elif form == 1:
        url = f"https://{rng.choice(LANGUAGE_HOSTS)}.alibaba.com/product-detail/{slug.lower()}-{ref_id}.html"
    elif form == 2:
        url = f"https://m.alibaba.com/product/{ref_id}/{slug}.html?s=p"
    elif form == 3:
        url = f"www.alibaba.com/product-detail/_{ref_id}.html"
    else:
        url = f"https://www.alibaba.com/product-detail/{slug}_{ref_id}.html"
    return url, ref_id


def _aliexpress(rng: random.Random) -> tuple[str, str]:
    form = rng.randrange(5)
    if form == 4:  # legacy ids and shapes
        ref_id = str(rng.randrange(32_000_000_000, 33_100_000_000))
        store = rng.randrange(100_000, 5_000_000)
        return f"https://www.aliexpress.com/store/product/{rng.choice(SLUGS)}/{store}_{ref_id}.html", ref_id
    ref_id = str(rng.randrange(1_005_001_000_000_000, 1_005_010_000_000_000))
    host = rng.choice(AE_HOSTS)
    if form == 0:
        url = f"https://{host}/item/{ref_id}.html?{SPM}&{ALGO}&gatewayAdapt=glo2usa"
    elif form == 1:
        url = f"https://{host}/item/{ref_id}.html"
    elif form == 2:
        url = f"https://m.aliexpress.com/item/{ref_id}.html?{SPM}#nav-review"
    else:
        url = f"https://www.aliexpress.com/i/{ref_id}.html"
    return url, ref_id


def build_corpus(size: int, seed: int = 20240611) -> list[tuple[str, ListingRef]]:
    rng = random.Random(seed)
    corpus = []
    for index in range(size):
        site = "alibaba" if index % 2 else "aliexpress"
        url, ref_id = _alibaba(rng) if site == "alibaba" else _aliexpress(rng)
        corpus.append((url, ListingRef(site, ref_id)))
    return corpus


def rate(function, urls: list[str]) -> float:
    """Best-of-ROUNDS calls per second, each round running whole passes over the corpus."""
    best = 0.0
    for _ in range(ROUNDS):
        done = 0
        gc.disable()  # collections triggered by the other function's garbage should not land here
        start = time.perf_counter()
        while True:
            for url in urls:
                function(url)
            done += len(urls)
            elapsed = time.perf_counter() - start
            if elapsed >= SECONDS_PER_MEASUREMENT:
                break
        gc.enable()
        best = max(best, done / elapsed)
    return best


def main() -> int:
    corpus = build_corpus(CORPUS_SIZE)
    mismatches = [(url, ref) for url, ref in corpus if parse_listing_url(url) != ref]
    if mismatches:
        print(f"corpus error: {len(mismatches)} addresses did not parse as expected, e.g. {mismatches[0]}")
        return 2
    urls = [url for url, _ in corpus]
    parser_rate = rate(parse_listing_url, urls)
    baseline_rate = rate(urlsplit, urls)
    verdict = "MET" if parser_rate >= GOAL_PER_SECOND else "MISSED"
    print(
        f"parse_listing_url: {parser_rate:,.0f} urls/s  (urlsplit baseline: {baseline_rate:,.0f}/s, "
        f"ratio {parser_rate / baseline_rate:.2f})  goal >= {GOAL_PER_SECOND:,}/s: {verdict}"
    )
    return 0 if verdict == "MET" else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: read 1,000,000 synthetic 360Giving grants from CSV and measure them per place and phase.

Run: ``.venv/bin/python benchmarks/bench_funding.py [--grants N] [--seed S]``. Prints the time to
write (not counted), read, attribute and measure, and the peak memory of the process.
Target on the CI machine: read + measures under 60 s and under 4 GB.
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.funding import funding_measures, phase_of_dates, read_360giving
from analysis.funding.attribution import attribute_places

HEADER = [
    "Identifier", "Title", "Description", "Currency", "Amount Awarded", "Award Date", "Application Date",
    "Award Process", "Recipient Org:Identifier", "Recipient Org:Name", "Recipient Org:Postal Code",
    "Funding Org:Identifier", "Funding Org:Name", "Beneficiary Location:Name",
    "Beneficiary Location:Geographic Code", "Grant Programme:Title",
]
PLACES = pd.DataFrame({"place_id": ["coventry", "sutton", "buckinghamshire"],
                       "ons_code": ["E08000026", "E09000029", "E06000060"]})
PHASES = pd.DataFrame({"phase_id": ["baseline", "emergency", "interim", "final"],
                       "start_date": pd.to_datetime(["2019-04-01", "2020-03-23", "2020-08-01", "2021-04-01"]),
                       "end_date": pd.to_datetime(["2020-03-22", "2020-07-31", "2021-03-31", "2022-03-31"])})
DISTRICTS = {"coventry": ["CV1", "CV2", "CV3"], "sutton": ["SM1"], "buckinghamshire": ["HP19", "HP20"]}


def write_synthetic(path: Path, n: int, seed: int) -> None:
    """Write ``n`` grants in the 360Giving spreadsheet form, with the shapes real files have."""
    rng = np.random.default_rng(seed)
    award = pd.Timestamp("2019-04-01") + pd.to_timedelta(rng.integers(0, 1095, n), unit="D")
    wait = rng.integers(1, 90, n)
    application = award - pd.to_timedelta(wait, unit="D")
    # three date shapes publishers use: ISO date, ISO date-time with offset, dd/mm/yyyy hh:mm
    shape = rng.integers(0, 3, n)
    award_text = np.where(shape == 0, award.strftime("%Y-%m-%d"),
                          np.where(shape == 1, award.strftime("%Y-%m-%dT00:00:00+00:00"),
                                   award.strftime("%d/%m/%Y 00:00")))
    amount = np.round(rng.lognormal(8.5, 1.2, n), 2)
    amount_text = np.where(rng.random(n) < 0.2, [f"£{a:,.2f}" for a in amount], amount.astype(str))
    recipient = rng.integers(0, 200_000, n)
    funder = rng.integers(0, 2_000, n)
    codes = np.array(["E08000026", "E09000029", "E06000060", "E08000025", ""])[rng.integers(0, 5, n)]
    postcodes = np.array(["CV1 3HW", "SM1 1EA", "HP19 8FF", "CV21 2AG", "N1 9GU", ""])[rng.integers(0, 6, n)]
    process = np.array(["open_call", "invited", "fast_track", "tender", "co_produced", ""])[rng.integers(0, 6, n)]
    currency = np.where(rng.random(n) < 0.0001, "USD", "GBP")
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for i in range(n):
            out.writerow([
                f"360G-bench-{i}", "Emergency support", "Food parcels and befriending\nfor older people",
                currency[i], amount_text[i], award_text[i], application[i].strftime("%Y-%m-%d"), process[i],
                f"GB-CHC-{recipient[i]}", f"Recipient {recipient[i]}", postcodes[i],
                f"GB-CHC-9{funder[i]:04d}", f"Funder {funder[i]}", "Local", codes[i], "Covid-19 response",
            ])


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports kB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grants", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2020)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "grants.csv"
        t0 = time.perf_counter()
        write_synthetic(path, args.grants, args.seed)
        t1 = time.perf_counter()
        size = path.stat().st_size / 1e6
        print(f"wrote {args.grants:,} synthetic grants ({size:,.0f} MB) in {t1 - t0:.1f} s (not timed)")
        before = peak_memory_mb()

        t1 = time.perf_counter()
        cpu1 = time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the synthetic USD grants warn, as they should
            grants = read_360giving(path)
        t2 = time.perf_counter()
        attribution = attribute_places(grants, PLACES, pd.DataFrame({"org_id": [], "place_id": []}), DISTRICTS)
        grants["place_id"] = attribution["place_id"]
        grants["phase_id"] = phase_of_dates(grants["Award Date"], PHASES)
        grants["days_to_award"] = (grants["Award Date"] - grants["Application Date"]).dt.days.astype(float)
        t3 = time.perf_counter()
        sizes = np.array(["micro", "small", "medium", "large", "major"])
        orgs = pd.DataFrame({"org_id": [f"GB-CHC-{i}" for i in range(0, 200_000, 3)],
                             "size": sizes[np.arange(0, 200_000, 3) % 5]})
        measures = funding_measures(grants, orgs, phase_order=list(PHASES["phase_id"]))
        t4 = time.perf_counter()
        cpu4 = time.process_time()

    print(f"read_360giving      {t2 - t1:6.1f} s  ({len(grants):,} grants)")
    print(f"attribute + phases  {t3 - t2:6.1f} s  ({int(grants['place_id'].notna().sum()):,} attributed)")
    print(f"funding_measures    {t4 - t3:6.1f} s  ({len(measures)} place x phase rows)")
    print(f"total               {t4 - t1:6.1f} s  (target < 60 s); CPU time {cpu4 - cpu1:.1f} s")
    print(f"peak memory         {peak_memory_mb():6.0f} MB (before reading: {before:.0f} MB; target < 4,096 MB)")
    print()
    print(measures[["place_id", "phase_id", "grants", "value", "funders", "recipients", "days_median",
                    "small_share", "new_recipients"]].to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

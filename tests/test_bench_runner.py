"""benchmarks/bench_runner.py reads where the time went from a run's manifests."""

from __future__ import annotations

import json

from benchmarks.bench_runner import page_times, print_page_times


def test_page_times_per_notebook_from_the_manifests(tmp_path, capsys):
    for phase, entries in {
        "interim": {"north/place_report": {"status": "ok", "seconds": 0.8},
                    "south/place_report": {"status": "ok", "seconds": 1.4},
                    "north/trust_network": {"status": "ok", "seconds": 0.5},
                    "south/trust_network": {"status": "error", "seconds": 9.0}},  # a failed page is not a time
        "final": {"north/place_report": {"status": "ok", "seconds": 0.6},
                  "all-places/compare_places": {"status": "ok", "seconds": 2.0}},
    }.items():
        path = tmp_path / "tiny" / "stakeholder" / phase / "manifest.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({"entries": entries}))
    times = page_times(tmp_path)
    assert {k: sorted(v) for k, v in times.items()} == {
        "place_report": [0.6, 0.8, 1.4], "trust_network": [0.5], "compare_places": [2.0]}
    print_page_times(times)
    lines = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()[1:]}
    assert lines["place_report"] == ["3", "0.80", "1.40"]
    # every page: 0.5, 0.6, 0.8, 1.4, 2.0 -> median 0.8, max 2.0
    assert lines["every"][:4] == ["page", "5", "0.80", "2.00"]

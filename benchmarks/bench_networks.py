"""Time every trust-network measure on synthetic networks of 50, 500 and 5,000 organisations.

Run: .venv/bin/python benchmarks/bench_networks.py [--sizes 50 500 5000] [--permutations 1000]

Each network is a seeded random directed graph with a mean out-degree (and in-degree) of
about 10 ties, six sector groups and random 1-4 ratings on every tie. "All measures" is
network_summary (density, reciprocity, centralisation, mean trust and value, E-I,
cross-sector share, asymmetry, communities), trust received, betweenness brokers,
Gould-Fernandez brokerage roles, an E-I permutation test, a QAP correlation against a
second phase (10% of ties rewired), and a bootstrap interval for the change in density.
Betweenness is exact up to 1,000 nodes and estimated from 500 sampled sources above
(networkx's k approximation); the script prints which.
"""

from __future__ import annotations

import argparse
import os
import time

import networkx as nx
import numpy as np

from analysis.networks import (
    BETWEENNESS_EXACT_MAX_NODES,
    brokerage_roles,
    brokers,
    ei_permutation_test,
    network_summary,
    trust_received,
)
from analysis.networks.change import density_change_bootstrap, qap_correlation
from analysis.schema import SECTOR_GROUPS


def synthetic_network(n: int, mean_degree: float = 10.0, seed: int = 0) -> nx.DiGraph:
    """A random directed network with sector groups and 1-4 ratings on every tie."""
    rng = np.random.default_rng(seed)
    G = nx.gnm_random_graph(n, int(n * mean_degree), seed=seed, directed=True)
    groups = rng.choice(SECTOR_GROUPS, size=n, p=[0.1, 0.1, 0.1, 0.5, 0.1, 0.1])
    for v in G:
        G.nodes[v].update(name=f"org {v}", sector_group=str(groups[v]), responded=True)
    for u, v in G.edges():
        r = rng.integers(1, 5, size=6).astype(float)
        G.edges[u, v].update(reliability=r[0], mission=r[1], openness=r[2], influence=r[3],
                             involvement=r[4], resources=r[5], trust=r[:3].mean(), value=r[3:].mean())
    return G


def rewired(G: nx.DiGraph, share: float = 0.1, seed: int = 1) -> nx.DiGraph:
    """A copy of ``G`` with ``share`` of its ties moved to random new pairs (a 'next phase')."""
    rng = np.random.default_rng(seed)
    H = G.copy()
    edges = list(H.edges())
    drop = rng.choice(len(edges), size=int(share * len(edges)), replace=False)
    H.remove_edges_from([edges[i] for i in drop])
    n = H.number_of_nodes()
    while H.number_of_edges() < G.number_of_edges():
        u, v = rng.integers(0, n, size=2)
        if u != v:
            H.add_edge(int(u), int(v))
    return H


def timed(label: str, fn, times: dict):
    start = time.perf_counter()
    result = fn()
    times[label] = time.perf_counter() - start
    return result


def bench(n: int, permutations: int, seed: int = 0) -> dict:
    G = synthetic_network(n, seed=seed)
    H = rewired(G, seed=seed + 1)
    times: dict[str, float] = {}
    timed("network_summary", lambda: network_summary(G), times)
    timed("trust_received", lambda: trust_received(G), times)
    timed("brokers (betweenness)", lambda: brokers(G, k=10, seed=seed), times)
    timed("brokerage_roles", lambda: brokerage_roles(G), times)
    timed(f"E-I test ({permutations} perms)", lambda: ei_permutation_test(G, permutations=permutations, seed=seed), times)
    timed(f"QAP ({permutations} perms)", lambda: qap_correlation(G, H, permutations=permutations, seed=seed), times)
    timed(f"density bootstrap ({permutations})", lambda: density_change_bootstrap(G, H, n_boot=permutations, seed=seed), times)
    return {"n": n, "ties": G.number_of_edges(), "times": times}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 500, 5000])
    parser.add_argument("--permutations", type=int, default=1000)
    args = parser.parse_args()
    print(f"threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
          f"cpu count {os.cpu_count()}; betweenness exact up to {BETWEENNESS_EXACT_MAX_NODES} nodes")
    for n in args.sizes:
        result = bench(n, args.permutations)
        total = sum(result["times"].values())
        approx = " (betweenness approximated from 500 sources)" if n > BETWEENNESS_EXACT_MAX_NODES else ""
        print(f"\n{n:,} organisations, {result['ties']:,} ties{approx}")
        for label, seconds in result["times"].items():
            print(f"  {label:<32} {seconds:8.3f} s")
        print(f"  {'total, all measures':<32} {total:8.3f} s")


if __name__ == "__main__":
    main()

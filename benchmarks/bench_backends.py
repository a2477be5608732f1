"""Measure graph libraries for the heavy network measures: exact betweenness and Louvain communities.

Run: .venv/bin/python benchmarks/bench_backends.py [--sizes 500 5000] [--repeat 3] [--nx-exact]

igraph is a dependency of the suite; the other candidates are not: install them to measure them
(``.venv/bin/pip install rustworkx networkit graphblas-algorithms nx-parallel``). A candidate
that is missing or cannot run prints why on its line.

Candidates, each given the same seeded random directed graph (``n`` nodes, ``10 n`` ties, no
self-loops) and timed on one core (every thread pool this script can reach is set to 1 thread
before any library is imported; the smallest CPU time of ``--repeat`` runs is printed):

- networkx in pure Python (the reference; at 5,000 nodes its exact time is extrapolated from
  200 sources unless ``--nx-exact``), and networkx through its backend dispatch with each
  backend installed here (graphblas-algorithms, nx-parallel), reporting why one cannot run;
- rustworkx, python-igraph and networkit, each with the cost of converting the networkx graph.

Every library's betweenness is checked against ``networkx.betweenness_centrality(G,
normalized=True)`` (max absolute difference printed; exact networkx at 500 nodes, and at
5,000 with ``--nx-exact``, otherwise the libraries are compared with each other). Louvain
communities are compared by their count and modularity (Louvain is a heuristic: libraries
agree on quality, not on the exact partition). The suite uses igraph (see
``analysis.networks.backend``): exact betweenness and seeded Louvain in milliseconds, one
well-kept library, wheels for every platform.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS",
             "NUMBA_NUM_THREADS", "GRAPHBLAS_NTHREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402 -- thread pools are set to one thread before any library loads
import random  # noqa: E402 -- thread pools are set to one thread before any library loads
import time  # noqa: E402 -- thread pools are set to one thread before any library loads

import networkx as nx  # noqa: E402 -- thread pools are set to one thread before any library loads
import numpy as np  # noqa: E402 -- thread pools are set to one thread before any library loads


def random_digraph(n: int, mean_degree: float = 10.0, seed: int = 0) -> nx.DiGraph:
    """A seeded random directed graph with ``mean_degree * n`` ties and no self-loops."""
    return nx.gnm_random_graph(n, int(mean_degree * n), seed=seed, directed=True)


def best_of(fn, repeat: int):
    """(smallest CPU time of this process over ``repeat`` runs, result of the last run).

    CPU time, not wall time: every candidate runs on one thread, and on a machine shared with
    other work the wall time mostly measures the others.
    """
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.process_time()
        result = fn()
        best = min(best, time.process_time() - start)
    return best, result


def edge_arrays(G):
    index = {v: i for i, v in enumerate(G)}
    pairs = np.array([(index[u], index[v]) for u, v in G.edges()], dtype=np.int64).reshape(-1, 2)
    return len(index), pairs


def as_array(G, scores) -> np.ndarray:
    return np.array([scores[v] for v in G], dtype=float)


# -- candidates: each returns (conversion seconds, betweenness seconds, scores in node order) -------

def bc_networkx(G, repeat, exact: bool):
    n = G.number_of_nodes()
    if exact or n <= 1000:
        t, scores = best_of(lambda: nx.betweenness_centrality(G, normalized=True), repeat)
        return 0.0, t, as_array(G, scores), "exact"
    k = 200
    t, _ = best_of(lambda: nx.betweenness_centrality(G, k=k, normalized=True, seed=0), 1)
    return 0.0, t * n / k, None, f"extrapolated from {k} sources"


def bc_dispatch(backend: str):
    def run(G, repeat, exact):
        t, scores = best_of(lambda: nx.betweenness_centrality(G, normalized=True, backend=backend), repeat)
        return 0.0, t, as_array(G, scores), f"networkx backend {backend!r}"
    return run


def bc_rustworkx(G, repeat, exact):
    import rustworkx as rx

    def convert():
        n, pairs = edge_arrays(G)
        g = rx.PyDiGraph(multigraph=False)
        g.add_nodes_from(range(n))
        g.add_edges_from_no_data([tuple(p) for p in pairs.tolist()])
        return g
    tc, g = best_of(convert, repeat)
    t, scores = best_of(lambda: rx.digraph_betweenness_centrality(g, normalized=True), repeat)
    return tc, t, np.array([scores[i] for i in range(G.number_of_nodes())]), f"rustworkx {rx.__version__}"


def bc_igraph(G, repeat, exact):
    import igraph as ig

    def convert():
        n, pairs = edge_arrays(G)
        return ig.Graph(n=n, edges=pairs, directed=True)
    tc, g = best_of(convert, repeat)
    n = G.number_of_nodes()
    scale = 1.0 / ((n - 1) * (n - 2)) if n > 2 else 1.0
    t, raw = best_of(lambda: g.betweenness(directed=True), repeat)
    return tc, t, np.asarray(raw) * scale, f"python-igraph {ig.__version__}"


def bc_networkit(G, repeat, exact):
    import networkit as nk
    nk.setNumberOfThreads(1)

    def convert():
        n, pairs = edge_arrays(G)
        return nk.GraphFromCoo((pairs[:, 0], pairs[:, 1]), n=n, directed=True)
    tc, g = best_of(convert, repeat)

    def run():
        b = nk.centrality.Betweenness(g, normalized=False)
        b.run()
        return b.scores()
    n = G.number_of_nodes()
    scale = 1.0 / ((n - 1) * (n - 2)) if n > 2 else 1.0
    t, raw = best_of(run, repeat)
    return tc, t, np.asarray(raw) * scale, f"networkit {nk.__version__}"


BETWEENNESS = {
    "networkx (pure Python)": bc_networkx,
    "networkx + graphblas": bc_dispatch("graphblas"),
    "networkx + parallel": bc_dispatch("parallel"),
    "rustworkx": bc_rustworkx,
    "python-igraph": bc_igraph,
    "networkit": bc_networkit,
}


# -- Louvain communities: each returns (seconds, number of communities, modularity) ----------------

def louvain_networkx(G, repeat):
    U = nx.Graph()
    U.add_nodes_from(G)
    U.add_edges_from(G.edges())
    t, found = best_of(lambda: nx.community.louvain_communities(U, seed=0), repeat)
    return t, len(found), nx.community.modularity(U, found)


def louvain_igraph(G, repeat):
    import igraph as ig
    n, pairs = edge_arrays(G)
    U = ig.Graph(n=n, edges=pairs, directed=False).simplify(multiple=True, loops=True)

    def run():
        ig.set_random_number_generator(random.Random(0))
        try:
            return U.community_multilevel()
        finally:
            ig.set_random_number_generator(random)
    t, found = best_of(run, repeat)
    return t, len(found), found.modularity


def louvain_networkit(G, repeat):
    import networkit as nk
    nk.setNumberOfThreads(1)
    nk.engineering.setSeed(0, True)
    n, pairs = edge_arrays(G)
    U = nk.GraphFromCoo((pairs[:, 0], pairs[:, 1]), n=n, directed=False)
    U.removeMultiEdges()

    def run():
        plm = nk.community.PLM(U, par="none")
        plm.run()
        return plm.getPartition()
    t, part = best_of(run, repeat)
    return t, part.numberOfSubsets(), nk.community.Modularity().getQuality(part, U)


LOUVAIN = {"networkx": louvain_networkx, "python-igraph": louvain_igraph, "networkit": louvain_networkit}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--nx-exact", action="store_true", help="exact networkx betweenness at every size (slow)")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; cpu count {os.cpu_count()}; "
          "one thread per library")
    for n in args.sizes:
        G = random_digraph(n)
        print(f"\n{n:,} nodes, {G.number_of_edges():,} ties: exact directed betweenness, normalised")
        print(f"  {'library (CPU seconds)':<24} {'convert':>9} {'compute':>9}   max |diff| vs networkx   note")
        results = {}
        for name, fn in BETWEENNESS.items():
            try:
                tc, t, scores, note = fn(G, args.repeat, args.nx_exact)
            except Exception as exc:  # noqa: BLE001 -- a candidate that cannot run says why
                print(f"  {name:<24} {'-':>9} {'-':>9}   {'-':<22}   cannot run: {type(exc).__name__}: "
                      f"{str(exc).splitlines()[0][:90]}")
                continue
            results[name] = scores
            ref = results.get("networkx (pure Python)")
            if ref is None:  # networkx not run exactly: compare with the first library that ran
                ref = next((s for s in results.values() if s is not None), None)
                if scores is not None and ref is not None:
                    note += f" (diff vs {next(k for k, v in results.items() if v is not None)})"
            diff = f"{np.abs(scores - ref).max():.1e}" if scores is not None and ref is not None else "-"
            print(f"  {name:<24} {tc:8.3f}s {t:8.3f}s   {diff:<22}   {note}")
        print(f"  Louvain communities (undirected, seeded)\n  {'library (CPU seconds)':<24} {'compute':>9}   "
              "communities  modularity")
        for name, fn in LOUVAIN.items():
            try:
                t, count, q = fn(G, args.repeat)
            except Exception as exc:  # noqa: BLE001 -- a candidate that cannot run says why
                print(f"  {name:<24} cannot run: {type(exc).__name__}: {exc}")
                continue
            print(f"  {name:<24} {t:8.3f}s   {count:11d}  {q:10.4f}")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

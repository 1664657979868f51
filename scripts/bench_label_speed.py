"""Label speed: µs per text to name the eval set's issues (as regroup does) and single texts (as assign does).

Usage: python scripts/bench_label_speed.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models import issue_labels as labels  # noqa: E402
from models import issues  # noqa: E402
from scripts import bench_issues  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows, _ = bench_issues.load(bench_issues.SHARED / "routing_dev.jsonl")
    _, grouping, texts = bench_issues.cluster_of(rows, issues.SIMILARITY_THRESHOLD)
    titles = [issues.anonymised(r["title"], []) for r in rows]
    rules = labels.LabelRules(issues.label_word)

    def clusters() -> None:
        stats = labels.PhraseStats.of([[texts[i] for i in c] for c in grouping.clusters])
        for c in grouping.clusters:
            labels.issue_name([texts[i] for i in c], stats, rules, [titles[i] for i in c], "Topik")

    def singles() -> None:
        for text, title in zip(texts, titles):
            labels.issue_name([text], None, rules, [title], "Topik")

    for run in (clusters, singles):
        run()  # warm the caches (word frequencies, the vocabulary)
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - start)
        print(f"{run.__name__}: {best / len(texts) * 1e6:.0f} µs per text ({len(texts)} texts, best of {args.repeat})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

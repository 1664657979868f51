"""Clustering measured: pair precision and recall of "same issue" on hand-labelled pairs of real reports, and labels.

The 379 reports of the shared evaluation set (routing_dev.jsonl, LAPOR! reports) are anonymised and clustered as
`issues.regroup` does (`issues.group_clusters`: one group per topic, since the reports carry no kecamatan). Pairs
labelled by hand (tests/data/issue_pairs/, see its README) say whether two reports are about the same issue. The
similarity threshold is chosen on the "tune" half (highest recall at precision >= 0.85 + 0.05) and the figures are reported
on the "test" half, which no choice saw. Then 30 issue labels, drawn with a fixed seed, are printed with the titles
of their reports for a blind read (tests/data/issue_pairs/blind_read.md): issues are split in two halves by the
parity of their smallest report id; labels were tuned on the "tune" half, the read draws from the "held-out" half.
A third read (`--labels third`) draws from the held-out half again, leaving out both earlier reads: every issue of
two or more reports there, then issues of one report (seed 21) up to 30; `--blind` prints the labels alone. A fourth
read (`--labels fourth`) draws the same way (seed 40), leaving out all three earlier reads; a fifth (`--labels
fifth`, seed 50) leaves out all four.

`--set DIR` measures a set of Bojonegoro reports instead (tests/data/issue_reads/, see its README): reports with
a kecamatan, a topic and the issue their writer meant, grouped as `issues.regroup` groups complaints (one group per
topic and kecamatan, place names excluded from labels). It prints pair precision and recall of "same issue" over
every pair of reports, then labels with their kecamatan: every issue, or with `--read` the 30 drawn for a blind
read (every issue of two or more reports, then single ones drawn with seed 60), `--blind` without their reports.
`--paraphrases` measures the problem table alone on written paraphrases of its problems (tests/data/
problem_paraphrases/, see its README: tuning data, or with `--heldout` texts not tuned on): the share of reports
named with their problem, and every miss.
Usage: python scripts/bench_issues.py [--reports routing_dev.jsonl] [--labels tune|held-out|third|fourth|fifth [--blind]]
       python scripts/bench_issues.py --set DIR [--read] [--blind]
       python scripts/bench_issues.py --paraphrases [--heldout]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models import issue_labels, issue_spots, issues, problem_vocabulary  # noqa: E402
from models.seed import load_places  # noqa: E402

SHARED = Path(os.environ.get("SUARA_SHARED_DIR", ROOT.parent / "shared")) / "eval"
PAIRS = ROOT / "tests" / "data" / "issue_pairs" / "pairs.jsonl"
PARAPHRASES = ROOT / "tests" / "data" / "problem_paraphrases"
FIRST_READ = ROOT / "tests" / "data" / "issue_pairs" / "first_read_ids.json"
"""Report ids of the 30 issues of the first blind read (seed 30 over all issues of two or more reports)."""
SECOND_READ = ROOT / "tests" / "data" / "issue_pairs" / "second_read_ids.json"
"""Report ids of the 30 issues of the second blind read (saved before the third, whose label changes move clusters)."""
THIRD_READ = ROOT / "tests" / "data" / "issue_pairs" / "third_read_ids.json"
"""Report ids of the 30 issues of the third blind read (saved before the fourth, from a run at the third's labels)."""
FOURTH_READ = ROOT / "tests" / "data" / "issue_pairs" / "fourth_read_ids.json"
"""Report ids of the 30 issues of the fourth blind read."""
THIRD_READ_SEED = 21
FOURTH_READ_SEED = 40
FIFTH_READ_SEED = 50
EARLIER_READS = {"third": (SECOND_READ,), "fourth": (SECOND_READ, THIRD_READ),
                 "fifth": (SECOND_READ, THIRD_READ, FOURTH_READ)}
"""Per read drawn from the held-out half, the reads (besides the first) whose issues it leaves out."""
READ_SEEDS = {"third": THIRD_READ_SEED, "fourth": FOURTH_READ_SEED, "fifth": FIFTH_READ_SEED}
TARGET_PRECISION, TARGET_RECALL = 0.85, 0.6
TUNE_MARGIN = 0.05
"""The threshold must reach the target precision plus this on the tune half: 120 pairs leave about ±0.05 of sampling error."""
GRID = [round(0.08 + 0.02 * i, 2) for i in range(14)]
SET_READ_SEED = 60
READS = ROOT / "tests" / "data" / "issue_reads"
TAXONOMY = ROOT / "models" / "data" / "taxonomy.json"


def load(reports: Path) -> tuple[list[dict], list[dict]]:
    rows = [json.loads(line) for line in reports.open(encoding="utf-8")]
    pairs = [json.loads(line) for line in PAIRS.open(encoding="utf-8")]
    return rows, pairs


def cluster_of(rows: list[dict], threshold: float) -> tuple[dict[str, int], issues.Grouping, list[str]]:
    """Report id -> issue number, and the grouping itself."""
    texts = [issues.issue_text(r["title"], r["text"], None) for r in rows]
    topics = sorted({r["accept"][0] for r in rows})
    keys = [(topics.index(r["accept"][0]), 0) for r in rows]
    titles = [issues.anonymised(r["title"], []) for r in rows]
    names = topic_names()
    grouping = issues.group_clusters(texts, keys, threshold, titles, topic_names={i: names[t] for i, t in enumerate(topics)})
    issue_of = {rows[i]["id"]: k for k, members in enumerate(grouping.clusters) for i in members}
    return issue_of, grouping, texts


def topic_names() -> dict[str, str]:
    return {c["key"]: c["name"] for c in json.loads(TAXONOMY.read_text(encoding="utf-8"))["categories"]}


def pair_scores(pairs: list[dict], issue_of: dict[str, int]) -> tuple[float, float, int, int]:
    """Precision and recall of "same issue", and the pairs counted (predicted same, labelled same)."""
    predicted = [issue_of[p["a"]] == issue_of[p["b"]] for p in pairs]
    truth = [p["same"] for p in pairs]
    tp = sum(p and t for p, t in zip(predicted, truth))
    precision = tp / sum(predicted) if any(predicted) else 1.0
    recall = tp / sum(truth) if any(truth) else 1.0
    return precision, recall, sum(predicted), sum(truth)


def label_half(cluster: list[int], rows: list[dict]) -> str:
    """"tune" or "held-out": by the parity of the cluster's smallest report id, so a label change cannot move it."""
    return "tune" if min(int(rows[i]["id"]) for i in cluster) % 2 == 0 else "held-out"


def print_labels(rows: list[dict], half: str, blind: bool = False) -> None:
    """Tune: every label of the tune half. Held-out: 30 labels drawn (seed 20) from held-out clusters that the
    first blind read (FIRST_READ, drawn from all clusters before the halves existed) did not show. Third, fourth,
    fifth: held-out clusters that no earlier read showed, those of two or more reports first."""
    _, grouping, _ = cluster_of(rows, issues.SIMILARITY_THRESHOLD)
    first_read = set(json.loads(FIRST_READ.read_text(encoding="utf-8")))
    wanted = "tune" if half == "tune" else "held-out"
    chosen = [k for k, c in enumerate(grouping.clusters) if label_half(c, rows) == wanted]
    if half == "held-out":
        chosen = [k for k in chosen if not first_read & {rows[i]["id"] for i in grouping.clusters[k]}]
        chosen = random.Random(20).sample(chosen, min(30, len(chosen)))
    elif half in EARLIER_READS:
        seen = first_read.union(*(json.loads(path.read_text(encoding="utf-8")) for path in EARLIER_READS[half]))
        fresh = [k for k in chosen if not seen & {rows[i]["id"] for i in grouping.clusters[k]}]
        several = [k for k in fresh if len(grouping.clusters[k]) >= 2][:30]
        single = [k for k in fresh if len(grouping.clusters[k]) == 1]
        chosen = several + random.Random(READ_SEEDS[half]).sample(single, min(30 - len(several), len(single)))
    print(f"\n{len(grouping.clusters)} issues; {len(chosen)} labels of the {half} half:")
    for n, k in enumerate(chosen, 1):
        titles = "; ".join(rows[i]["title"][:50] for i in grouping.clusters[k][:4])
        label = issues.labels.make_label(grouping.phrases[k], None)
        print(f"{n:>2}. {label}" if blind else f"{n:>2}. {label}  [{len(grouping.clusters[k])}: {titles}]")


def measure_set(directory: Path, read: bool = False, blind: bool = False, labels: bool = True) -> None:
    """Pair figures and labels of a set of Bojonegoro reports, grouped as `issues.regroup` groups complaints."""
    rows = [json.loads(line) for line in (directory / "reports.jsonl").open(encoding="utf-8")]
    topics, kecamatan = sorted({r["topic"] for r in rows}), sorted({r["kecamatan"] for r in rows})
    names = topic_names()
    texts = [issues.issue_text(r["title"], r["text"], r.get("reporter_name")) for r in rows]
    titles = [issues.anonymised(r["title"], [r.get("reporter_name")]) for r in rows]
    places = load_places()
    grouping = issues.group_clusters(
        texts, [(topics.index(r["topic"]) + 1, kecamatan.index(r["kecamatan"]) + 1) for r in rows], issues.SIMILARITY_THRESHOLD,
        titles, issues.name_words([p.kecamatan for p in places] + [p.desa for p in places]),
        topic_names={i + 1: names[t] for i, t in enumerate(topics)},
        kecamatan_names={i + 1: k for i, k in enumerate(kecamatan)},
        gazetteer=issue_spots.Gazetteer.of((p.kecamatan, p.desa, p.kind) for p in places), located=[r["desa"] for r in rows],
    )
    issue_of = {i: k for k, members in enumerate(grouping.clusters) for i in members}
    pairs = [{"same": rows[a]["issue"] == rows[b]["issue"], "a": a, "b": b}
             for a in range(len(rows)) for b in range(a + 1, len(rows))]
    p, r, n_pred, n_true = pair_scores(pairs, issue_of)
    meant = len({r["issue"] for r in rows})
    print(f"{directory.name}: {len(rows)} reports, {meant} issues as written, {len(grouping.clusters)} as grouped; every pair of reports: "
          f"precision {p:.3f}, recall {r:.3f} ({n_pred} predicted same, {n_true} same as written)")
    if not labels:
        return
    chosen = sorted(range(len(grouping.clusters)), key=lambda k: (-len(grouping.clusters[k]), min(grouping.clusters[k])))
    if read:
        several = [k for k in chosen if len(grouping.clusters[k]) >= 2][:30]
        single = [k for k in chosen if len(grouping.clusters[k]) == 1]
        chosen = several + random.Random(SET_READ_SEED).sample(single, min(30 - len(several), len(single)))
    for n, k in enumerate(chosen, 1):
        members = grouping.clusters[k]
        label = issues.labels.make_label(grouping.phrases[k], f"Kec. {rows[members[0]]['kecamatan']}", grouping.spots[k])
        if blind:
            print(f"{n:>2}. {label}")
            continue
        written = sorted({rows[i]["issue"] for i in members})
        print(f"{n:>2}. {label}  [{len(members)} of {'+'.join(written)}]")
        for i in members:
            print(f"      {rows[i]['id']}: {rows[i]['title'][:70]}")


def named_right(row: dict) -> tuple[bool, str]:
    """Whether one written paraphrase is named with its problem (as one complaint's label is), and the name given:
    `problem` is a name of the table (or a list of them, for a problem since split in two; a problem since named by
    the thing said is known by its name when none is, "Serangan hama tanaman"); a kind of it (a problem
    whose family it is: "Gaji pekerja migran tidak dibayar" of "Pekerja migran bermasalah di luar negeri") is right
    too."""
    vocabulary = problem_vocabulary.vocabulary()
    wanted = {row["problem"]} if isinstance(row["problem"], str) else set(row["problem"])
    said = issue_labels.problems_said(row["text"])
    got = issue_labels.canonical_problem([row["text"]], said=[said])
    meant = [m for m in said if wanted & {(p := vocabulary.problems[m.problem]).name, p.family, p.otherwise, p.generic}]
    return got in {vocabulary.name(m) for m in meant} | {vocabulary.problems[m.problem].generic for m in meant}, got


def measure_paraphrases(name: str) -> None:
    path = PARAPHRASES / name
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    results = [named_right(row) for row in rows]
    print(f"{len(rows)} written paraphrases of {len({str(r['problem']) for r in rows})} problems: "
          f"{sum(ok for ok, _ in results)} named right ({sum(ok for ok, _ in results) / len(rows):.1%}), "
          f"{sum(not got for _, got in results)} named nothing ({path.relative_to(ROOT)}: see its README)")
    for row, (ok, got) in zip(rows, results):
        if not ok:
            print(f"  {row['problem']} <- {got or '(nothing)'}: {row['text'][:120]}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", default=str(SHARED / "routing_dev.jsonl"))
    parser.add_argument("--quick", action="store_true", help="(same run: it takes seconds)")
    parser.add_argument("--labels", choices=("tune", "held-out", *READ_SEEDS), help="only print labels of one half")
    parser.add_argument("--blind", action="store_true", help="labels without their reports' titles")
    parser.add_argument("--set", type=Path, help="a directory of Bojonegoro reports (reports.jsonl)")
    parser.add_argument("--read", action="store_true", help="with --set: only the 30 issues of the blind read")
    parser.add_argument("--paraphrases", action="store_true", help="the problem table on written paraphrases")
    parser.add_argument("--heldout", action="store_true", help="with --paraphrases: the ones not tuned on")
    args = parser.parse_args()
    if args.paraphrases:
        measure_paraphrases("heldout.jsonl" if args.heldout else "paraphrases.jsonl")
        return 0
    if args.set:
        measure_set(args.set, args.read, args.blind)
        return 0
    rows, pairs = load(Path(args.reports))
    if args.labels:
        print_labels(rows, args.labels, args.blind)
        return 0
    tune = [p for p in pairs if p["split"] == "tune"]
    test = [p for p in pairs if p["split"] == "test"]
    print(f"{len(rows)} reports; {len(pairs)} labelled pairs ({sum(p['same'] for p in pairs)} same issue): "
          f"{len(tune)} to tune, {len(test)} held out")
    print(f"\n{'threshold':>9}{'tune P':>9}{'tune R':>9}{'issues':>8}")
    results = {}
    for threshold in GRID:
        issue_of, grouping, _ = cluster_of(rows, threshold)
        p, r, _, _ = pair_scores(tune, issue_of)
        results[threshold] = (p, r)
        print(f"{threshold:>9.2f}{p:>9.3f}{r:>9.3f}{len(grouping.clusters):>8}")
    meeting = [t for t, (p, _) in results.items() if p >= TARGET_PRECISION + TUNE_MARGIN]
    chosen = max(meeting, key=lambda t: (results[t][1], results[t][0])) if meeting else max(results, key=lambda t: results[t][0])
    print(f"\nchosen on the tune half: {chosen:.2f} (product default SIMILARITY_THRESHOLD = {issues.SIMILARITY_THRESHOLD})")
    for name, threshold in (("chosen", chosen), ("product", issues.SIMILARITY_THRESHOLD)):
        issue_of, grouping, texts = cluster_of(rows, threshold)
        p, r, n_pred, n_true = pair_scores(test, issue_of)
        template = [q for q in test if not (q["a_title"].startswith("Permintaan Informasi Penghitungan Denda")
                                            and q["b_title"].startswith("Permintaan Informasi Penghitungan Denda"))]
        tp, tr, _, _ = pair_scores(template, issue_of)
        ok = "OK" if p >= TARGET_PRECISION and r >= TARGET_RECALL else "BELOW"
        print(f"held-out pairs at {threshold:.2f} ({name}): precision {p:.3f}, recall {r:.3f} "
              f"({n_pred} predicted same, {n_true} labelled same) {ok} the target P >= {TARGET_PRECISION} at R >= {TARGET_RECALL}")
        print(f"  without pairs of two copies of the one form letter (\"Permintaan Informasi Penghitungan Denda ...\"): "
              f"{len(template)} pairs, precision {tp:.3f}, recall {tr:.3f}")

    print_labels(rows, "held-out")
    print("\nBojonegoro report sets (tests/data/issue_reads), grouped per topic and kecamatan at the product threshold:")
    for directory in sorted(p.parent for p in READS.glob("*/reports.jsonl")):
        measure_set(directory, labels=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

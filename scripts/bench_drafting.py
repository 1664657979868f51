"""Drafting bench: routing CV, place extraction, robustness to recognizer errors, drafting latency.

Usage: python scripts/bench_drafting.py [--reports routing_dev.jsonl] [--speech-dev speech_dev.jsonl]
       [--folds 5] [--quick] [--show-misses]
Routing robustness compares each report's text typed with Whisper's transcript of it spoken at telephone
quality, in two spoken forms: the whole report as a caller would tell it (up to 60 words,
--heard-reports-whole, .cache/asr_reports_whole.jsonl) and its first sentence (--heard-reports,
.cache/asr_reports.jsonl; speech_dev.jsonl's text where it has one). Both are made first by
`scripts/make_asr_training.py --reports [--whole]` unless --quick (resumable: about 10 minutes on two
cores the first time). Each spoken report is routed by the fold router that held it out, over all of
Whisper's readings of it (its best, the beam's others and the drawn ones, as the drafting job routes),
and by its best reading alone for comparison; the fold routers train on the best transcripts of their
own training reports only. Without any transcripts, routing robustness is measured on simulated
recognizer noise.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from transcribe.drafting import Drafter, training  # noqa: E402
from transcribe.drafting.gazetteer import Gazetteer  # noqa: E402
from transcribe.drafting.normalize import normalize  # noqa: E402
from transcribe.drafting.router import Router, data_path, load_router  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"


def place_accuracy(path: Path) -> tuple[float, float, int, list[str]]:
    """Share of sentences whose kecamatan and desa are found (desa None must stay None).

    A row with `kecamatan_any`/`desa_codes_any` names a desa that exists in several kecamatan and says
    nothing else: any of them counts.
    """
    gaz = Gazetteer.load()
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    kec_ok = desa_ok = 0
    misses = []
    for row in rows:
        place = gaz.locate(normalize(row["text"]).text)
        k = place.kecamatan in row.get("kecamatan_any", [row["kecamatan"]])
        d = place.desa_code in row.get("desa_codes_any", [row["desa_code"]])
        kec_ok += k
        desa_ok += d
        if not (k and d):
            misses.append(f"{row['text']!r}: got {place.kecamatan}/{place.desa}, want {row['kecamatan']}/{row['desa']}")
    return kec_ok / len(rows), desa_ok / len(rows), len(rows), misses


SpokenItem = tuple[str, str, str, list[str], list[dict], list[str]]
"""id, typed text, recognised (or noisy) text, accepted topics, recognizer words ({"word", "conf"}; may be
empty), the recognizer's other readings (may be empty)."""


def speech_items(reports: list[dict], asr: Path | None, speech_dev: Path, whole: bool = False) -> tuple[list[SpokenItem], str]:
    """The spoken reports (their first sentences, or `whole`), and where the recognised text came from."""
    typed = training.spoken_texts(reports, speech_dev, whole=whole)
    if asr:
        items = [(id_, typed[id_][0], p["transcript"], typed[id_][1], [{"word": w, "conf": c} for w, c in p.get("words", [])],
                  p.get("alternatives", [])) for id_, p in training.last_rows(asr).items() if id_ in typed]
        return items, f"Whisper transcripts ({asr.name})"
    rng = random.Random(5)
    ids = [i for i in typed if i in {str(r["id"]) for r in reports}]
    items = [(i, typed[i][0], training.corrupt(typed[i][0], rng, rate=0.25), typed[i][1], [], []) for i in ids]
    return items, "simulated recognizer noise (rate 0.25)"


class SpokenRouting:
    """Routes the typed and recognised text of each spoken report with the CV fold router that held that report out."""

    def __init__(self, items: list[SpokenItem]):
        self.items = items
        self.ok_typed = self.ok_heard = self.ok_best = self.routed = 0
        self.misses: list[str] = []

    def __call__(self, router: Router, held_out: set[str]) -> None:
        drafter = Drafter(router=router)
        for id_, text, heard, accept, words, alternatives in self.items:
            if id_ not in held_out:
                continue
            self.routed += 1
            self.ok_typed += drafter.route(normalize(text).text)[0][0] in accept
            # as the drafting job routes a transcript: over the recognizer's readings, and its best alone
            routed = drafter.route(normalize(heard).text, words, recognised=True,
                                   alternatives=[normalize(a).text for a in alternatives])
            self.ok_best += drafter.route(normalize(heard).text, words, recognised=True)[0][0] in accept
            got = routed[0][0]
            self.ok_heard += got in accept
            if got not in accept:
                self.misses.append(f"ASR {id_}: got {routed}, want {accept}: {heard[:80]!r}")

    def result(self) -> tuple[float, float, float, int]:
        """Top-1 typed, heard (over all readings), heard (best reading only), and how many texts."""
        if self.routed != len(self.items):
            raise SystemExit(f"{len(self.items) - self.routed} spoken texts are not rows of the reports file")
        return self.ok_typed / self.routed, self.ok_heard / self.routed, self.ok_best / self.routed, self.routed


def latency(reports: list[dict], readings: int = 0) -> tuple[float, float]:
    """Median and p95 ms to draft one transcript, after loading, on one thread; with `readings` other
    readings of it (noisy copies, as Whisper's are) routed together, as the drafting job does."""
    drafter = Drafter(router=load_router())
    drafter.warm_up()
    rng = random.Random(11)
    times = []
    for r in reports[:200]:
        text = "nggih pak, " + r["text"] + " di desa sumengko kecamatan kali tidu erte tiga erwe lima"
        others = [training.corrupt(text, rng) for _ in range(readings)]
        t = time.perf_counter()
        drafter.draft(text, caller_number="+6281234567890", alternatives=others)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", default=str(SHARED / "routing_dev.jsonl"))
    parser.add_argument("--speech-dev", default=str(SHARED / "speech_dev.jsonl"))
    parser.add_argument("--places", default=str(data_path("place_test.jsonl")))
    parser.add_argument("--places-handwritten", default=str(data_path("place_test_handwritten.jsonl")))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--heard-reports", default=str(ROOT / ".cache" / "asr_reports.jsonl"),
                        help="Whisper transcripts of the reports' first sentences (make_asr_training.py --reports)")
    parser.add_argument("--heard-reports-whole", default=str(ROOT / ".cache" / "asr_reports_whole.jsonl"),
                        help="Whisper transcripts of the whole reports (make_asr_training.py --reports --whole)")
    parser.add_argument("--quick", action="store_true",
                        help="do not make missing report transcripts: use those there are (or simulated noise)")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args(argv)
    reports = training.read_reports(Path(args.reports))
    forms = [("whole report", Path(args.heard_reports_whole), True), ("first sentence", Path(args.heard_reports), False)]
    if not args.quick:
        import make_asr_training  # type: ignore[import-not-found]

        for _, path, whole in forms:
            make_asr_training.main(["--reports", args.reports, "--speech-dev", args.speech_dev, "--out", str(path)]
                                   + (["--whole"] if whole else []))
    rows: list[tuple[str, str, str, str]] = []

    spoken = [(label, *speech_items(reports, path, Path(args.speech_dev), whole))
              for label, path, whole in forms if path.exists()]
    if not spoken:
        spoken = [("first sentence", *speech_items(reports, None, Path(args.speech_dev)))]
    routings = [(label, source, SpokenRouting(items)) for label, items, source in spoken]
    t = time.time()
    # one set of fold routers for all: a spoken report is routed by the router that held its report out
    heard_reports = training.read_heard_reports(*(path for _, path, _ in forms))
    cv = training.cross_validate(reports, folds=args.folds, heard_reports=heard_reports,
                                 on_fold=lambda router, held_out: [r(router, held_out) for *_, r in routings])
    rows.append((f"topic top-1 ({args.folds}-fold CV, {cv.n} reports)", f"{cv.top1:.1%}", "≥ 85%", "ok" if cv.top1 >= 0.85 else "FAIL"))
    rows.append((f"topic top-3 ({args.folds}-fold CV)", f"{cv.top3:.1%}", "≥ 95%", "ok" if cv.top3 >= 0.95 else "FAIL"))
    cv_s = time.time() - t

    misses: list[str] = []
    for label, places in (("templated", args.places), ("handwritten", args.places_handwritten)):
        kec, desa, n, set_misses = place_accuracy(Path(places))
        misses += set_misses
        rows.append((f"place {label}: kecamatan ({n} sentences)", f"{kec:.1%}", "≥ 95%", "ok" if kec >= 0.95 else "FAIL"))
        rows.append((f"place {label}: desa ({n} sentences)", f"{desa:.1%}", "≥ 90%", "ok" if desa >= 0.90 else "FAIL"))

    for i, (label, source, routing) in enumerate(routings):
        typed, heard, best_only, n_speech = routing.result()
        misses += [f"[{label}] {m}" for m in routing.misses]
        gap = (typed - heard) * 100
        # the target is the (real report texts, spoken) and applies to the first form there is: the
        # whole reports; the first sentences, shorter, are shown beside them
        target = "gap ≤ 15 pts" if i == 0 else "(gap shown)"
        result = ("ok" if gap <= 15 else "FAIL") if i == 0 else f"{gap:.1f} pts"
        rows.append((f"routing top-1 typed, {label} ({n_speech} texts)", f"{typed:.1%}", "", ""))
        rows.append((f"routing top-1 heard, {label}: {source}", f"{heard:.1%}", target, result))
        if any(item[5] for item in routing.items):
            rows.append(("  (best reading only, without the others)", f"{best_only:.1%}", "", f"{(typed - best_only) * 100:.1f} pts"))

    median_ms, p95_ms = latency(reports)
    rows.append(("drafting latency median (1 thread)", f"{median_ms:.1f} ms", "< 50 ms", "ok" if median_ms < 50 else "FAIL"))
    rows.append(("drafting latency p95", f"{p95_ms:.1f} ms", "", ""))
    median_ms, p95_ms = latency(reports, readings=9)
    rows.append(("  with 9 other readings: median", f"{median_ms:.1f} ms", "< 50 ms", "ok" if median_ms < 50 else "FAIL"))
    rows.append(("  with 9 other readings: p95", f"{p95_ms:.1f} ms", "", ""))

    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  {'value':>10}  {'target':<14} result")
    for name, value, target, result in rows:
        print(f"{name.ljust(width)}  {value:>10}  {target:<14} {result}")
    print(f"(CV took {cv_s:.0f} s)")
    if args.show_misses:
        print("\n".join(misses))
    return 0 if all(r[3] != "FAIL" for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())

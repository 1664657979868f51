"""Learning bench: the learning curve on the held-out speech set, and the time of a retrain on 10 000 complaints.

Usage: python scripts/bench_learning.py [--batch 20] [--curve-only | --timing-only] [--complaints 10000]

Learning curve: the spoken held-out reports (data/heldout_speech.jsonl.gz) are replayed, in a fixed seeded
order, as a stream of confirmed complaints (heard transcript and other readings, the said text as the
operator's corrected transcript, the first accepted topic as the confirmed one). After each batch the
candidate router is refitted on every complaint seen so far (`learning.fit`, as `suara learn` does) and
measured, beside the base router alone, on the complaints not yet seen. The base router is the shipped
recipe trained on the training split only (scripts/bench_routing.py's cached "new" router), so no held-out
report has been trained on before it streams in.

Timing: `learning.learn` (fit, measure on the newest 20 % and on the held-out set, save a version) on N
synthetic confirmed complaints made from the labelled phrases with the learned recognizer confusions.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from transcribe.drafting import heldout, learning, training  # noqa: E402

T0 = datetime(2026, 1, 5, 8, 0)


def curve(batch: int, reports: Path) -> None:
    from bench_routing import router_for  # type: ignore[import-not-found]

    base = router_for("new", training.read_reports(reports), "train")
    spoken = sorted(heldout.heldout_speech(), key=lambda r: (r.id, r.form))
    random.Random(22).shuffle(spoken)
    stream = [learning.Example(f"{r.id}/{r.form}", T0 + timedelta(hours=i), r.heard, r.alternatives, r.typed, r.accept[0])
              for i, r in enumerate(spoken)]
    accept = {f"{r.id}/{r.form}": r.accept for r in spoken}

    def items(rows: list[learning.Example]) -> list:
        return [(e.heard, e.alternatives, e.corrected, accept[e.key]) for e in rows]

    print(f"{len(stream)} held-out spoken reports streamed as confirmed complaints, batches of {batch}")
    print(f"{'seen':>5} {'unseen':>7} {'heard base':>11} {'heard learned':>14} {'gain':>6} {'typed base':>11} {'typed learned':>14} {'weight':>7} {'fit s':>6}")
    for seen in range(0, len(stream) - batch + 1, batch):
        rest = stream[seen:]
        t = time.perf_counter()
        router = learning.fit(base, stream[:seen]) if seen else learning.LearnedRouter.on(base)
        fit_s = time.perf_counter() - t
        b = learning.figures(base, items(rest))
        f = learning.figures(router, items(rest))
        print(f"{seen:5d} {len(rest):7d} {b.heard_top1:11.1%} {f.heard_top1:14.1%} {(f.heard_top1 - b.heard_top1) * 100:+6.1f}"
              f" {b.typed_top1:11.1%} {f.typed_top1:14.1%} {router.weight:7.2f} {fit_s:6.1f}", flush=True)


def synthetic_complaints(n: int) -> list[learning.Example]:
    noise = training.learn_asr_noise()
    rng = random.Random(5)
    examples = training.labelled_examples(per_topic=max(150, n // len(training.read_phrases()) + 1))
    rng.shuffle(examples)
    out = []
    for i, ex in enumerate(examples[:n]):
        heard = noise.apply(ex.text, rng) if noise else training.corrupt(ex.text, rng, 0.25)
        others = tuple(noise.apply(ex.text, rng) if noise else training.corrupt(ex.text, rng, 0.25) for _ in range(2))
        out.append(learning.Example(str(i), T0 + timedelta(minutes=i), heard, others, ex.text, ex.label))
    return out


def timing(n: int) -> None:
    examples = synthetic_complaints(n)
    with tempfile.TemporaryDirectory() as tmp:
        t, cpu = time.perf_counter(), time.process_time()
        outcome = learning.learn(learning.ModelStore(Path(tmp)), examples)
        total, cpu = time.perf_counter() - t, time.process_time() - cpu
    info = outcome.info
    print(f"retrain on {n} confirmed complaints: {total:.0f} s wall, {cpu:.0f} s CPU on one thread (target < 300 s); trained on {info['trained_on']},"
          f" measured on {info['evaluated_on']} newest and {info['heldout_candidate']['n'] if info['heldout_candidate'] else 0} held-out;"
          f" layer weight {info['layer_weight']}; {'switched' if outcome.switched else 'kept'}: {outcome.reason}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--complaints", type=int, default=10000)
    parser.add_argument("--reports", default=str(ROOT.parent / "shared" / "eval" / "routing_dev.jsonl"))
    parser.add_argument("--curve-only", action="store_true")
    parser.add_argument("--timing-only", action="store_true")
    args = parser.parse_args(argv)
    if not args.timing_only:
        curve(args.batch, Path(args.reports))
    if not args.curve_only:
        timing(args.complaints)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

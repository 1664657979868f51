"""Learning from confirmed complaints: versions, the not-worse switch, a poisoned batch, switching back, place aliases."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from transcribe.drafting import learning
from transcribe.drafting.gazetteer import Gazetteer
from transcribe.drafting.normalize import normalize
from transcribe.drafting.router import fit_router, load_keywords
from transcribe.drafting.training import read_phrases, topic_keys

T0 = datetime(2026, 1, 5, 8, 0)


def regency_speech(text: str) -> str:
    """How this test's regency says (and its recognizer writes) things: every longer word backwards, so the
    base router, which never saw such words, cannot route them and a layer learning them can."""
    return " ".join(w[::-1] if len(w) >= 4 else w for w in normalize(text).text.lower().split())


@pytest.fixture(scope="module")
def world():  # noqa: ANN201
    """A small base router on half the phrases of each topic; regency complaints and a held-out set from the rest."""
    phrases = read_phrases()
    rng = random.Random(4)
    base_texts, base_labels, regency = [], [], []
    for topic, items in phrases.items():
        items = sorted(items)
        rng.shuffle(items)
        half = len(items) // 2
        base_texts += items[:half]
        base_labels += [topic] * half
        regency += [(t, topic) for t in items[half:]]
    base = fit_router(base_texts, base_labels, [1.0] * len(base_texts), load_keywords()["topics"], topic_keys(), sound=False)
    rng.shuffle(regency)
    heldout_rows, complaint_rows = regency[:60], regency[60:]
    heldout = [(regency_speech(t), (), t, (topic,)) for t, topic in heldout_rows]
    complaints = [learning.Example(str(i), T0 + timedelta(hours=i), regency_speech(t), (), t, topic)
                  for i, (t, topic) in enumerate(complaint_rows)]
    return base, heldout, complaints


def test_learning_from_good_complaints_switches_and_improves_heard_routing(world, tmp_path) -> None:  # noqa: ANN001
    base, heldout, complaints = world
    store = learning.ModelStore(tmp_path)
    before = learning.figures(base, heldout)
    outcome = learning.learn(store, complaints, base=base, heldout=heldout)
    assert outcome.switched, str(outcome.info)
    assert store.active() == outcome.version
    after = learning.figures(store.load(), heldout)
    assert after.heard_top1 >= before.heard_top1 + 0.10, (before, after)
    versions = store.versions()
    assert [v["version"] for v in versions] == [outcome.version]
    assert versions[0]["heldout_candidate"]["heard_top1"] == pytest.approx(after.heard_top1)
    assert versions[0]["evaluated_on"] == len(complaints) - int(len(complaints) * 0.8)


def test_a_poisoned_batch_never_replaces_the_better_model(world, tmp_path) -> None:  # noqa: ANN001
    base, heldout, complaints = world
    store = learning.ModelStore(tmp_path)
    good = learning.learn(store, complaints, base=base, heldout=heldout)
    assert good.switched
    good_fig = learning.figures(store.load(), heldout)
    # a batch with its labels shuffled arrives after the good complaints (and is the newest 20 % and more)
    rng = random.Random(9)
    topics = [c.topic for c in complaints]
    rng.shuffle(topics)
    last = complaints[-1].confirmed_at
    poison = [learning.Example(f"p{i}", last + timedelta(minutes=i + 1), c.heard, (), c.corrected, t)
              for i, (c, t) in enumerate(zip(complaints, topics))]
    bad = learning.learn(store, complaints + poison, base=base, heldout=heldout)
    assert not bad.switched, bad.info
    assert bad.reason.startswith("lebih buruk")
    assert store.active() == good.version
    assert learning.figures(store.load(), heldout) == good_fig
    assert [v["version"] for v in store.versions()] == [bad.version, good.version]


def test_old_versions_are_pruned_but_never_the_active_one(world, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """A nightly retrain keeps a version (about 4 MB: the base router is kept with its layer) every night: a
    year of them would fill the data disk. The newest few are kept for switching back, and the active one."""
    base, heldout, complaints = world
    monkeypatch.setattr(learning, "KEEP_VERSIONS", 2)
    store = learning.ModelStore(tmp_path)
    good = learning.learn(store, complaints, base=base, heldout=heldout)
    assert good.switched
    later = [learning.learn(store, complaints[:3], base=base, heldout=heldout).version for _ in range(3)]
    kept = [v["version"] for v in store.versions()]
    assert store.active() in kept
    assert kept == [later[2], later[1], *([] if store.active() in later[1:] else [store.active()])]
    assert sorted(d.name for d in store.versions_dir.iterdir()) == sorted(kept)


def test_switching_back_restores_the_earlier_router_in_a_running_drafter(world, tmp_path) -> None:  # noqa: ANN001
    base, heldout, complaints = world
    store = learning.ModelStore(tmp_path)
    learned = learning.learn(store, complaints, base=base, heldout=heldout)
    first = learning.active_router(tmp_path)
    assert first.version == learned.version
    store.activate(learning.SHIPPED, by="admin")
    assert store.active() == learning.SHIPPED
    shipped = learning.active_router(tmp_path)
    assert getattr(shipped, "layer", None) is None
    store.activate(learned.version, by="admin")
    assert learning.active_router(tmp_path).version == learned.version
    with pytest.raises(KeyError):
        store.activate("v9999")


def test_too_few_complaints_leave_the_weight_of_the_layer_to_the_held_out_check(world, tmp_path) -> None:  # noqa: ANN001
    base, heldout, complaints = world
    store = learning.ModelStore(tmp_path)
    outcome = learning.learn(store, complaints[:3], base=base, heldout=heldout)
    assert outcome.info["evaluated_on"] == 0  # nothing newest to measure on: the held-out set decides alone
    assert outcome.info["heldout_candidate"] is not None


def test_place_corrections_teach_the_gazetteer_misheard_names(tmp_path) -> None:  # noqa: ANN001
    gaz = Gazetteer.load()
    heard = "jalan rusak parah di gedung adam dekat pasar"  # Whisper's Kedungadem, too far for the fuzzy match
    assert gaz.locate(normalize(heard).text).kecamatan != "Kedungadem"
    code = gaz.kecamatan["kedungadem"][0]
    new = learning.learn_aliases(tmp_path, [(heard, "Kedungadem", code)])
    assert new == {"gedungadam": "kedungadem"}
    taught = gaz.with_aliases(learning.load_aliases(tmp_path))
    assert taught.locate(normalize("banjir di gedung adam sejak kemarin").text).kecamatan == "Kedungadem"
    # a correction never re-points a real name of another place
    assert learning.learn_aliases(tmp_path, [("jalan rusak di baureno", "Kedungadem", code)]) == {}

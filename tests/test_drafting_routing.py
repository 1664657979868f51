"""Routing: phonetic keys, recognizer training data, the flat-score fallback, and held-out accuracy on routing_dev.jsonl."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import numpy as np
import pytest

from transcribe.drafting import Drafter, training
from transcribe.drafting.draft import LAINNYA_MIN_SCORE
from transcribe.drafting.router import load_router, repetitive, router_text, sound_key

REPORTS = Path(os.environ.get("SUARA_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared")) / "eval" / "routing_dev.jsonl"


def test_shipped_router_knows_every_topic() -> None:
    assert sorted(load_router().topics) == sorted(training.topic_keys())


def test_artefact_holds_no_rare_words() -> None:
    router = load_router()
    assert router.word_vec.stop_words_ is None and router.char_vec.stop_words_ is None
    assert router.word_vec.min_df >= 3
    assert router.sound_vec is not None and router.sound_vec.stop_words_ is None and router.sound_vec.min_df >= 3


def test_recognizer_like_copies_are_learned_from_our_phrases() -> None:
    noise = training.learn_asr_noise()
    assert noise is not None and 0.2 < noise.word_error <= 0.6
    rng = random.Random(1)
    heard = noise.apply("air PDAM di desa kami mati sudah tiga hari mohon segera diperbaiki", rng)
    assert heard and heard != "air pdam di desa kami mati sudah tiga hari mohon segera diperbaiki"


@pytest.mark.parametrize(("heard", "said"), [
    ("pus kesmas", "puskesmas"),
    ("transmiglasi", "transmigrasi"),
    ("rawatinap", "rawat inap"),
    ("Danadeza", "dana desa"),
    ("Pinggil Sunai", "pinggir sungai"),
])
def test_sound_key_maps_recognizer_spellings_alike(heard: str, said: str) -> None:
    assert sound_key(router_text(heard)) == sound_key(router_text(said))


def test_asr_training_rows_are_labelled_with_known_topics() -> None:
    rows = training.asr_examples()
    assert len(rows) >= 100
    assert {r.label for r in rows} <= set(training.topic_keys())
    phrases = {p for items in training.read_phrases().values() for p in items}
    lines = [json.loads(line) for line in training.data_path(training.ASR_PHRASES).read_text(encoding="utf-8").splitlines()]
    assert all(line["text"] in phrases for line in lines)


def test_heard_reports_train_only_their_own_rows(tmp_path: Path) -> None:
    reports = [{"id": 1, "title": "", "text": "jalan rusak\x00 berlubang di desa kami. Mohon segera diperbaiki pak", "accept": ["jalan"]},
               {"id": 2, "title": "", "text": "sampah menumpuk di pasar", "accept": ["lingkungan"]}]
    path = tmp_path / "heard.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [{"id": "1", "transcript": "jalan ru sak berlobang"},
                                                       {"id": "2", "transcript": " "},
                                                       {"id": "3", "transcript": "air pdam ma"},
                                                       {"id": "3", "transcript": "air pdam mati"}]))  # remade: supersedes
    whole = tmp_path / "heard_whole.jsonl"
    whole.write_text(json.dumps({"id": "1", "transcript": "jalan ru sak berlobang di desa kami mohon segera"}))
    heard = training.read_heard_reports(path, tmp_path / "missing.jsonl", whole)
    assert heard == {"1": ["jalan ru sak berlobang", "jalan ru sak berlobang di desa kami mohon segera"],
                     "3": ["air pdam mati"]}
    assert training.read_heard_reports(tmp_path / "missing.jsonl") == {}
    texts, labels, weights = training.training_set(reports, heard_reports=heard, heard_copies=0, noise_copies=0,
                                                   synthetic_weight=0, asr_weight=0)
    assert ("jalan ru sak berlobang", "jalan") in zip(texts, labels)
    assert ("jalan ru sak berlobang di desa kami mohon segera", "jalan") in zip(texts, labels)
    assert "air pdam mati" not in texts  # report 3 is not a training row here (held out)
    # What is spoken is speakable: espeak-ng takes no NUL.
    spoken = training.spoken_texts(reports, tmp_path / "no_speech_dev.jsonl")
    assert spoken["1"] == ("jalan rusak berlubang di desa kami.", ["jalan"])
    spoken = training.spoken_texts(reports, None, whole=True)
    assert spoken["1"] == ("jalan rusak berlubang di desa kami. Mohon segera diperbaiki pak", ["jalan"])


@pytest.mark.parametrize(("typed", "said"), [
    ("Sy Bambang. Sdh 3x ke RSKGM jl. Riau dg alasan : Dokter sdg rapat.",
     "saya Bambang. sudah 3x ke RSKGM jalan Riau dengan alasan : Dokter sedang rapat."),
    ("Pak Hendi yth, no. 5 Tks", "Pak Hendi yang terhormat, nomor 5 terima kasih"),
    ("Jl.Riau, SDHx, u/ dsn", "jalan.Riau, SDHx, u/ dusun"),  # only whole words
])
def test_speakable_says_written_short_forms_in_full(typed: str, said: str) -> None:
    assert training.speakable(typed) == said


@pytest.mark.parametrize(("text", "max_words", "said"), [
    ("Satu dua. Tiga empat lima. Enam.", 10, "Satu dua. Tiga empat lima. Enam."),
    ("Satu dua. Tiga empat lima. Enam.", 4, "Satu dua."),  # a sentence that does not fit is left out whole
    ("Satu dua tiga empat lima enam", 4, "Satu dua tiga empat"),  # a first sentence too long is cut
    ("Satu dua\nTiga. Empat", 3, "Satu dua Tiga."),  # a line break ends a sentence too
])
def test_whole_report_is_what_a_caller_says(text: str, max_words: int, said: str) -> None:
    assert training.whole_report(text, max_words) == said


@pytest.mark.skipif(not REPORTS.exists(), reason="routing_dev.jsonl not available")
def test_held_out_accuracy() -> None:
    reports = training.read_reports(REPORTS)
    order = np.random.default_rng(0).permutation(len(reports))
    held = set(order[::5].tolist())
    router = training.train([r for i, r in enumerate(reports) if i not in held])
    test = [reports[i] for i in sorted(held)]
    d = router.decision([training.report_text(r) for r in test])
    ranked = [[router.topics[j] for j in np.argsort(-row)[:3]] for row in d]
    top1 = np.mean([p[0] in r["accept"] for p, r in zip(ranked, test)])
    top3 = np.mean([any(t in r["accept"] for t in p) for p, r in zip(ranked, test)])
    assert top1 >= 0.80
    assert top3 >= 0.92


def test_flat_scores_fall_back_to_lainnya_only_for_typed_text() -> None:
    drafter = Drafter()
    text = "halo pak selamat siang saya mau tanya sesuatu"  # says nothing of a topic
    best = load_router().predict(text)[0]
    assert best[0] != "lainnya" and best[1] < LAINNYA_MIN_SCORE
    assert drafter.route(text)[0][0] == "lainnya"
    # recognised text (words given, or said so): the garbled transcript keeps its best guess and its low score
    assert drafter.route(text, recognised=True)[0] == best
    assert drafter.route(text, words=[])[0] == best


def test_other_readings_are_averaged_into_the_decision() -> None:
    router = load_router()
    heard = "saya mau lapor pak tolong dibantu ya"  # the best reading says nothing of a topic...
    other = "saya mau lapor pak sampah tolong dibantu ya"  # ...the beam's others heard the word
    scores = [dict(router.predict(t, k=len(router.topics))) for t in (heard, other)]
    mean = {topic: (scores[0][topic] + scores[1][topic]) / 2 for topic in router.topics}  # each reading's, averaged
    together = router.predict(heard, alternatives=[other])
    assert together[0][0] == max(mean, key=mean.get)
    assert together[0][1] == pytest.approx(mean[together[0][0]], abs=0.002)
    assert router.predict(heard)[0][0] != "lingkungan"
    assert router.predict(heard, alternatives=[other, other, other])[0][0] == "lingkungan"
    assert router.predict(heard, alternatives=[heard]) == router.predict(heard)  # the text itself counts once
    loop = "sampah kesehatan. " * 12  # a drawn reading that loops is left out
    assert repetitive(loop) and not repetitive(other) and not repetitive(heard)
    assert router.predict(heard, alternatives=[other, loop]) == router.predict(heard, alternatives=[other])
    # through the drafter, normalised like the text
    assert Drafter().draft(heard, alternatives=[other.upper()] * 3).topic == "lingkungan"

"""Priority issues: clustering quality on texts with known groups, the priority score, incremental assignment."""

from __future__ import annotations

import logging
import random

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score
import models.satisfaction  # noqa: F401 - registers the analytics, issue and rating tables (until models/all.py does)
from sqlalchemy import func, select

from models import analytics as an
from models import issues
from models.base import utcnow
from tests.console_data import make_complaint, past
from tests.issue_data import PROBLEMS, complaint_text, labelled_set

log = logging.getLogger(__name__)


def test_clustering_recovers_known_groups() -> None:
    scores = {}
    for topic in PROBLEMS:
        for seed in (1, 2, 3):
            texts, truth = labelled_set(random.Random(seed), topic, per_problem=15)
            scores[(topic, seed)] = adjusted_rand_score(truth, issues.cluster_texts(texts))
    per_topic = {t: round(float(np.mean([s for (k, _), s in scores.items() if k == t])), 3) for t in PROBLEMS}
    mean = float(np.mean(list(scores.values())))
    print(f"adjusted Rand index per topic {per_topic}, mean {mean:.3f}")  # noqa: T201 - reported by pytest -s
    assert mean >= 0.85
    assert min(per_topic.values()) >= 0.4


@pytest.mark.parametrize(
    ("count", "previous", "overdue", "urgent", "expected"),
    [
        (0, 5, 0.0, 0.0, 0.0),  # nothing this period
        (10, 10, 0.0, 0.0, 10.0),  # steady, on time, not urgent: just the count
        (10, 0, 0.0, 0.0, 30.0),  # new: growth capped at 2 -> ×3
        (10, 5, 0.0, 0.0, 20.0),  # doubled: growth 1 -> ×2
        (10, 20, 0.0, 0.0, 10.0),  # shrinking issues get no bonus and no penalty
        (10, 10, 0.5, 0.0, 15.0),  # half overdue -> ×1.5
        (10, 10, 0.0, 0.5, 20.0),  # half urgent -> ×2
        (4, 2, 1.0, 1.0, 48.0),  # 4 × 2 × 2 × 3
    ],
)
def test_priority_score(count, previous, overdue, urgent, expected) -> None:  # noqa: ANN001
    assert issues.priority_score(count, previous, overdue, urgent) == expected


def test_more_complaints_outrank_fewer_urgent_ones() -> None:
    assert issues.priority_score(30, 30, 0.0, 0.0) > issues.priority_score(5, 5, 0.2, 1.0)


def _set_text(c, title: str, description: str) -> None:  # noqa: ANN001
    c.title, c.description = title, description


def test_new_complaints_join_the_nearest_issue_or_open_one(session, settings, users) -> None:  # noqa: ANN001
    rng = random.Random(5)
    made = []
    for problem in (0, 2):
        for _ in range(4):
            c = make_complaint(session, settings, "draft", received_at=past(3))
            _set_text(c, *complaint_text(rng, "jalan", problem))
            made.append(c)
    session.flush()
    from models import lifecycle as lc
    from tests.console_data import user

    for c in made:
        lc.confirm_draft(session, c, by=user(session, "operator"), settings=settings, now=past(3))
    session.commit()
    result = an.recluster(session)
    session.commit()
    assert result.issues == 2 and result.complaints == 8
    before = {f.complaint_id: f.issue_id for f in session.scalars(select(an.ComplaintFact))}
    assert len(set(before.values())) == 2

    # A new complaint about street lights joins the street-light issue without a recluster.
    lamp = make_complaint(session, settings, "draft")
    _set_text(lamp, *complaint_text(rng, "jalan", 2))
    session.flush()
    lc.confirm_draft(session, lamp, by=user(session, "operator"), settings=settings)
    session.commit()
    lamp_issue = session.get(an.ComplaintFact, lamp.id).issue_id
    assert lamp_issue == before[made[-1].id]
    # One about a collapsed bridge opens a new issue.
    bridge = make_complaint(session, settings, "draft")
    _set_text(bridge, *complaint_text(rng, "jalan", 1))
    session.flush()
    lc.confirm_draft(session, bridge, by=user(session, "operator"), settings=settings)
    session.commit()
    assert session.get(an.ComplaintFact, bridge.id).issue_id not in before.values()
    assert session.scalar(select(func.count()).select_from(issues.Issue)) == 3

    rows = an.priority_issues(session, an.Period.last_days(30), utcnow())
    assert sum(r.count for r in rows) == 10
    assert rows[0].count == 5 and rows[0].places and rows[0].label

    # A recluster keeps the ids of issues whose members mostly stay together.
    an.recluster(session)
    session.commit()
    after = {f.complaint_id: f.issue_id for f in session.scalars(select(an.ComplaintFact))}
    kept = sum(after[c.id] == before[c.id] for c in made)
    assert kept >= 6 and set(after.values()) >= set(before.values())


def _flood_issue_then(session, settings, said, later_title, later_text):  # noqa: ANN001, ANN202
    """Two confirmed flood complaints regrouped into one issue, then one more confirmed between regroupings:
    (the issue, the later complaint)."""
    from models import lifecycle as lc
    from tests.console_data import user

    def confirm(title: str, description: str, now=None):  # noqa: ANN001, ANN202
        c = make_complaint(session, settings, "draft", received_at=now)
        _set_text(c, title, description)
        session.flush()
        lc.confirm_draft(session, c, by=user(session, "operator"), settings=settings, now=now)
        return c

    for title, description in said:
        confirm(title, description, past(2))
    session.commit()
    an.recluster(session)
    session.commit()
    (flood,) = session.scalars(select(issues.Issue)).all()
    label = flood.label
    later = confirm(later_title, later_text)
    session.commit()
    return flood, label, later


def test_a_new_complaint_of_an_issue_s_problem_joins_it_in_other_words(session, settings, users) -> None:  # noqa: ANN001
    # Between regroupings, a flood told in other words must not open a second "Banjir" issue beside the first.
    said = [("Banjir di desa", "Banjir luapan Bengawan Solo masuk rumah warga, mohon perahu"),
            ("Banjir lagi", "banjir sampai lutut, kami mengungsi ke balai desa")]  # fmt: skip
    flood, _, later = _flood_issue_then(session, settings, said, "Mohon evakuasi",
                                        "air bah makin naik, lansia belum dievakuasi sejak subuh")
    assert session.get(an.ComplaintFact, later.id).issue_id == flood.id
    assert session.scalar(select(func.count()).select_from(issues.Issue)) == 1


def test_a_new_complaint_joins_the_issue_of_its_problem_s_family(session, settings, users) -> None:  # noqa: ANN001
    # A flood issue named "Banjir"; a caller who asks where the relief is says a member of the flood's family
    # ("Banjir, bantuan belum sampai ke warga"): the same matter, so the same issue, though the names differ.
    said = [("Banjir di desa", "Banjir luapan Bengawan Solo masuk rumah warga sampai lutut"),
            ("Banjir lagi", "banjir sampai lutut, air bengawan masuk rumah")]  # fmt: skip
    flood, label, later = _flood_issue_then(session, settings, said, "Posko",
                                            "kami kebanjiran tiga hari, bantuan logistik belum sampai ke dusun kami")
    assert label.startswith("Banjir · ")
    assert session.get(an.ComplaintFact, later.id).issue_id == flood.id
    assert session.scalar(select(func.count()).select_from(issues.Issue)) == 1


def test_priority_issue_pages(client, session, settings, users) -> None:  # noqa: ANN001
    from tests.conftest import login

    for days in (2, 3, 40):
        make_complaint(session, settings, "terdisposisi", received_at=past(days))
    session.commit()
    login(client, "operator")
    page = client.get("/dasbor/isu?periode=30")
    assert page.status_code == 200
    assert issues.PRIORITY_FORMULA in page.text
    agency_page = client.get("/dasbor/isu?periode=30&opd=2")
    assert agency_page.status_code == 200

"""Stored counts without confidential complaints (models.analytics, DailyCount.public): after a mixed history of
confidential flags set and cleared, complaints moved between agencies, closed, rated and archived, what a viewer reads
equals a recount from the raw complaint rows, for every scope and dimension, and a rebuild stores the same rows."""

from __future__ import annotations

from collections import Counter, defaultdict

import models.satisfaction as sat
from sqlalchemy import select

from models import analytics as an
from models import lifecycle as lc
from models.entities import Complaint, Place
from models.status import Status
from tests.console_data import agency, make_complaint, past, user

CHECKED = ("complaints", "urgent", "open", "closed", "dispositioned", "answered", *an.RATINGS)
"""Measures a recount from the complaint rows can decide without the time-limit history."""


def _recount(session, public: bool) -> dict[tuple[int, str, str], Counter]:  # noqa: ANN001
    """(scope, dimension, value) -> measures, straight from the complaint rows."""
    kecamatan = dict(session.execute(select(Place.id, Place.parent_id)).all())
    result: dict[tuple[int, str, str], Counter] = defaultdict(Counter)
    for c in session.scalars(select(Complaint)):
        if c.status not in Status.CONFIRMED or (public and c.confidential):
            continue
        measures = Counter(
            complaints=1, urgent=int(bool(c.urgent)), open=int(c.status in Status.OPEN),
            closed=int(c.status == Status.SELESAI), dispositioned=int(c.dispositioned_at is not None),
            answered=int(c.follow_up_at is not None), **{r: int(c.rating == r) for r in an.RATINGS},
        )  # fmt: skip
        values = {"semua": "", "channel": c.channel, "topic": str(c.topic_id or 0), "agency": str(c.agency_id or 0),
                  "kecamatan": str(kecamatan.get(c.place_id) or c.place_id or 0)}  # fmt: skip
        for scope in {0, c.agency_id or 0}:
            for dimension, value in values.items():
                result[(scope, dimension, value)].update(measures)
    return result


def _stored(session, scopes: list[int], public: bool) -> dict[tuple[int, str, str], Counter]:  # noqa: ANN001
    period = an.Period.last_days(60)
    result = {}
    for scope in scopes:
        for dimension in an.DIMENSIONS:
            read = an.public_totals(session, dimension, period, scope) if public else an.totals(session, dimension, period, scope)
            for value, m in read.items():
                counts = Counter({k: m.values[k] for k in CHECKED})
                if +counts:
                    result[(scope, dimension, value)] = +counts
    return result


def _daily_rows(session) -> list[tuple]:  # noqa: ANN001
    columns = [getattr(an.DailyCount, m) for m in an.MEASURES]
    rows = session.execute(select(an.DailyCount.scope, an.DailyCount.public, an.DailyCount.dimension,
                                  an.DailyCount.day, an.DailyCount.value, *columns))  # fmt: skip
    return sorted(tuple(r) for r in rows if any(r[5:]))


def test_viewer_counts_equal_a_recount_after_a_mixed_history(session, settings, users) -> None:  # noqa: ANN001
    operator = user(session, "operator")
    pu, dinkes = agency(session, "dpubmpr"), agency(session, "dinkes")
    plain = make_complaint(session, settings, "terdisposisi", received_at=past(5))
    becomes_hidden = make_complaint(session, settings, "ditindaklanjuti", received_at=past(4))
    hidden_moved = make_complaint(session, settings, "terdisposisi", confidential=True, received_at=past(3))
    revealed = make_complaint(session, settings, "selesai", confidential=True, agency_key="dinkes", received_at=past(6))
    hidden_rated = make_complaint(session, settings, "selesai", confidential=True, received_at=past(8))
    archived = make_complaint(session, settings, "belum_diverifikasi", received_at=past(2))
    make_complaint(session, settings, "draft", confidential=True)
    session.commit()
    before = _stored(session, [0, pu.id, dinkes.id], public=True)

    becomes_hidden.confidential = True
    becomes_hidden.urgent = True
    session.commit()
    revealed.confidential = False
    session.commit()
    lc.reroute(session, hidden_moved, dinkes, by=operator, note="urusan kesehatan", settings=settings)
    session.commit()
    lc.reroute(session, plain, dinkes, by=operator, note="urusan kesehatan", settings=settings)
    session.commit()
    sat.rate(session, hidden_rated, "tidak_puas", sat.RatingSource.CALLBACK)
    sat.rate(session, revealed, "sangat_puas", sat.RatingSource.CALLBACK)
    session.commit()
    lc.archive(session, archived, by=operator, note="tidak jelas")
    archived.confidential = True
    session.commit()

    scopes = [0, pu.id, dinkes.id]
    after = _stored(session, scopes, public=True)
    assert after != before
    assert after == {k: +v for k, v in _recount(session, public=True).items() if +v}
    assert _stored(session, scopes, public=False) == {k: +v for k, v in _recount(session, public=False).items() if +v}
    # Spot checks a person would make: Dinkes shows the revealed one and the plain one moved there, not the
    # confidential one moved there; PU shows a viewer only its archived complaint's absence (the rest are confidential).
    period = an.Period.last_days(60)
    assert an.public_totals(session, "semua", period, dinkes.id)[""].complaints == 2
    assert an.public_totals(session, "semua", period, pu.id) == {}
    assert an.public_totals(session, "semua", period, 0)[""].sangat_puas == 1
    assert an.public_totals(session, "semua", period, 0)[""].tidak_puas == 0
    assert an.series(session, "agency", period, public=True).keys() == {str(dinkes.id)}

    incremental = _daily_rows(session)
    an.rebuild(session, settings)
    session.commit()
    assert _daily_rows(session) == incremental

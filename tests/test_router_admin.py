"""The admin page of the topic router: versions with their figures, and switching back with one (CSRF) action."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_from, login
from transcribe.drafting import learning
from transcribe.drafting.router import fit_router, load_keywords
from transcribe.drafting.training import read_phrases, topic_keys


@pytest.fixture
def two_versions(settings):  # noqa: ANN001, ANN201
    """Two versions in the data directory, v0002 active."""
    phrases = [(t, topic) for topic, items in read_phrases().items() for t in items[:6]]
    base = fit_router([t for t, _ in phrases], [k for _, k in phrases], [1.0] * len(phrases), load_keywords()["topics"],
                      topic_keys(), sound=False)
    store = learning.ModelStore(settings.data_dir)
    fig = {"n": 120, "heard_top1": 0.712, "heard_top3": 0.9, "typed_top1": 0.8, "typed_top3": 0.95}
    for name in ("v0001", "v0002"):
        store.save(learning.LearnedRouter.on(base, version=name),
                   {"version": name, "created_at": "2026-12-01T20:30:00", "trained_on": 40, "evaluated_on": 10,
                    "compared_with": "bawaan", "switched": True, "reason": "tidak lebih buruk dari bawaan",
                    "recent_candidate": fig, "recent_active": fig, "heldout_candidate": fig, "heldout_active": fig})
    store.activate("v0002")
    return store


def test_admin_sees_versions_and_switches_back(client, users, two_versions) -> None:  # noqa: ANN001
    login(client, "admin")
    page = client.get("/konsol/admin/router/")
    assert page.status_code == 200
    assert "v0001" in page.text and "v0002" in page.text and "71.2" in page.text
    assert page.text.count("Dipakai</span>") == 1
    # without the form's token nothing changes
    assert client.post("/konsol/admin/router/aktifkan", data={"version": "v0001"}).status_code == 400
    assert two_versions.active() == "v0002"
    done = client.post("/konsol/admin/router/aktifkan", data={"version": "v0001", "csrf_token": csrf_from(page.text)},
                       follow_redirects=True)
    assert done.status_code == 200 and "versi v0001" in done.text
    assert two_versions.active() == "v0001"
    client.post("/konsol/admin/router/aktifkan", data={"version": learning.SHIPPED, "csrf_token": csrf_from(page.text)})
    assert two_versions.active() == learning.SHIPPED
    assert client.post("/konsol/admin/router/aktifkan",
                       data={"version": "v0099", "csrf_token": csrf_from(page.text)}).status_code == 404


def test_operators_cannot_switch_the_router(client, users, two_versions) -> None:  # noqa: ANN001
    login(client, "operator")
    assert client.get("/konsol/admin/router/").status_code == 403
    token = csrf_from(client.get("/konsol/").text)
    assert client.post("/konsol/admin/router/aktifkan", data={"version": "v0001", "csrf_token": token}).status_code == 403
    assert two_versions.active() == "v0002"

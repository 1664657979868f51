"""The dashboard's figures are kept by every process that writes complaints, explicitly, and cheaply inside flushes."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import event

from models import analytics as an
from models import issues
from models.status import Status
from tests.console_data import make_complaint

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_a_worker_that_never_imports_analytics_counts_its_auto_closes(session, settings, users):
    """`suara worker` on Redis runs the hourly auto-close without ever importing the web app or the dashboard:
    the complaints it closes are counted as closed at once, not at the nightly recount."""
    complaint = make_complaint(session, settings, Status.DITINDAKLANJUTI)
    session.commit()
    period = an.Period.last_days(30)
    assert (an.overall(session, period).open, an.overall(session, period).closed) == (1, 0)
    worker = (
        "import sys\n"
        "from datetime import timedelta\n"
        "from models.base import utcnow\n"
        "from models.config import Settings\n"
        "from transcribe.jobs import JobQueue\n"
        "queue = JobQueue(Settings.from_env(), immediate=True)\n"
        "print(queue.auto_close(now=utcnow() + timedelta(days=60)))\n"
    )
    env = dict(os.environ, SUARA_DATA_DIR=str(settings.data_dir), SUARA_DATABASE_URL=settings.database_url)
    done = subprocess.run([sys.executable, "-c", worker], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"[{complaint.id}]"
    session.expire_all()
    assert (an.overall(session, period).open, an.overall(session, period).closed) == (0, 1)


def test_no_scikit_learn_inside_a_flush(session, settings, users, monkeypatch):
    """Issue placement (scikit-learn's hashing vectorizer) runs before the commit, never inside a flush: a flush
    happens inside any query (autoflush) and must stay a few small UPDATEs."""
    flushing, calls = [False], []
    event.listen(session, "before_flush", lambda *_: flushing.__setitem__(0, True))
    event.listen(session, "after_flush_postexec", lambda *_: flushing.__setitem__(0, False))
    real = issues.term_frequencies
    monkeypatch.setattr(issues, "term_frequencies", lambda texts: calls.append(flushing[0]) or real(texts))
    complaint = make_complaint(session, settings, Status.BELUM_DIVERIFIKASI, title="Lampu jalan mati di Kapas")
    assert calls == []  # flushed, counted, not yet placed
    assert an.overall(session, an.Period.last_days(30)).complaints == 1
    session.commit()
    assert calls == [False]  # placed once, at the commit, outside the flush
    fact = session.get(an.ComplaintFact, complaint.id)
    assert fact.issue_id is not None and session.get(issues.Issue, fact.issue_id).size == 1


def test_a_rolled_back_transaction_places_nothing_later(session, settings, users, monkeypatch):
    calls = []
    real = issues.term_frequencies
    monkeypatch.setattr(issues, "term_frequencies", lambda texts: calls.append(1) or real(texts))
    make_complaint(session, settings, Status.BELUM_DIVERIFIKASI)
    session.rollback()
    session.commit()
    assert calls == [] and session.info.get("analytics.unplaced") is None

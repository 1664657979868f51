"""Benchmark the console's list and review pages with 100 000 complaints in SQLite (`make bench`).

Generates a data set in a temporary directory (seeded random source), then times requests through the
Flask test client (server time: routing, queries, templates) and prints p50/p95 per page.
Usage: python scripts/bench_console.py [--complaints 100000] [--requests 60]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select  # noqa: E402

import models.all  # noqa: E402,F401
from models.status import Status as S  # noqa: E402
from models import lifecycle as lc  # noqa: E402,F401
from models.base import Base, utcnow  # noqa: E402
from models.config import Settings  # noqa: E402
from models.db import make_engine, session_factory  # noqa: E402
from models.entities import Agency, Call, Complaint, Place, Role, Topic, Transcript  # noqa: E402
from models.refs import luhn_check_digit  # noqa: E402
from models.seed import seed_reference_data  # noqa: E402

STATUSES = [S.DRAFT] * 2 + [S.BELUM_DIVERIFIKASI] * 5 + [S.TERVERIFIKASI] * 5 + [S.TERDISPOSISI] * 15 + [S.DITINDAKLANJUTI] * 10 + [S.SELESAI] * 55 + [S.ARSIP, S.DITOLAK, S.TUNDA, S.BUKAN_WEWENANG] * 2
OLDEST_ONLY = "kalitidu"
"""A word only the oldest complaint contains."""
WORDS = "jalan rusak lampu mati banjir sampah air bersih sekolah puskesmas bantuan sosial irigasi jembatan desa kecamatan".split()


def generate(settings: Settings, n: int, rng: random.Random) -> None:
    engine = make_engine(settings.database_url)
    Base.metadata.create_all(engine)
    sessions = session_factory(engine)
    with sessions() as s:
        seed_reference_data(s)
        from web.auth import create_user

        create_user(s, "bench", "uji-konsol-8812", Role.ADMIN)
        s.commit()
        topics = s.execute(select(Topic.id, Topic.agency_id)).all()
        places = s.scalars(select(Place.id)).all()
        codes = s.scalars(select(Place.code).where(Place.parent_id.is_not(None))).all()
        now = utcnow()
        batch, calls, transcripts = [], [], []
        for i in range(1, n + 1):
            received = now - timedelta(minutes=(n - i) * 5)
            status = rng.choice(STATUSES)
            sent = status not in (S.DRAFT, S.BELUM_DIVERIFIKASI, S.TERVERIFIKASI)  # a liaison's only once dispositioned
            topic_id, agency_id = rng.choice(topics)
            payload = received.strftime("%y%m%d") + f"{i % 100000:05d}"
            text = " ".join(rng.choice(WORDS) for _ in range(40))
            if i == 1:
                text += " " + OLDEST_ONLY  # found only if text search covers every complaint
            calls.append(dict(id=i, channel=rng.choice(["phone", "radio", "upload"]), external_id=f"b{i}", caller_number=f"08{rng.randrange(10**9, 10**10)}",
                              received_at=received, duration_s=rng.uniform(20, 300), status="drafted", attempts=1, meta={}))
            transcripts.append(dict(call_id=i, engine="whisper", model="base", text=text, language="id",
                                    words=[{"word": w, "start": k * 0.4, "end": k * 0.4 + 0.3, "conf": rng.random()} for k, w in enumerate(text.split())]))
            batch.append(dict(
                id=i, reference=None if status == S.DRAFT else payload + str(luhn_check_digit(payload)), status=status,
                classification="pengaduan", title=" ".join(text.split()[:6]).capitalize(), description=text,
                topic_id=topic_id, agency_id=agency_id if sent else None, dispositioned_at=received + timedelta(hours=2) if sent else None,
                place_id=rng.choice(places), reporter_name=f"Warga {i}", reporter_phone=calls[-1]["caller_number"],
                anonymous=rng.random() < 0.1, confidential=rng.random() < 0.05, urgent=rng.random() < 0.05,
                channel=calls[-1]["channel"], call_id=i, suggestions=_suggestions(rng, i, codes) if status == S.DRAFT else {}, created_at=received, received_at=received, updated_at=received,
                due_at=received + timedelta(days=rng.choice([3, 5, 7])) if status in (S.DRAFT, S.BELUM_DIVERIFIKASI, S.TERVERIFIKASI, S.TERDISPOSISI, S.DITINDAKLANJUTI) else None,
            ))
            if len(batch) == 5000:
                _flush(s, calls, transcripts, batch)
        _flush(s, calls, transcripts, batch)
        s.execute(__import__("sqlalchemy").text("ANALYZE"))
        s.commit()
    engine.dispose()


def _suggestions(rng: random.Random, i: int, codes: list[str]) -> dict:
    """What the drafting job stores with a draft: topics, place candidates (a tie) and duplicates."""
    from transcribe.drafting.suggestions import DraftSuggestions, DuplicateSuggestion, PlaceCandidate, TopicAlternative

    return DraftSuggestions(
        topics=(TopicAlternative("jalan", 0.7), TopicAlternative("sumber_daya_air", 0.2), TopicAlternative("lainnya", 0.1)),
        places=tuple(PlaceCandidate(c, "Desa", "Kec", 0.667) for c in rng.sample(codes, 3)),
        duplicates=tuple(DuplicateSuggestion(rng.randrange(1, i) if i > 1 else 1, 0.7, None, "Jalan rusak", S.TERDISPOSISI) for _ in range(3)),
        confidences={"topic": 0.7, "desa": 0.33, "title": 0.8},
    ).to_json()


def _flush(s, calls, transcripts, batch) -> None:  # noqa: ANN001
    if not batch:
        return
    s.execute(insert(Call), calls)
    s.execute(insert(Transcript), transcripts)
    s.execute(insert(Complaint), batch)
    s.commit()
    calls.clear(), transcripts.clear(), batch.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--quick", action="store_true", help="20 000 complaints, 20 requests per page")
    parser.add_argument("--only", default="", help="time only the pages whose name contains one of these (comma-separated)")
    args = parser.parse_args()
    if args.quick:
        args.complaints, args.requests = 20_000, 20
    rng = random.Random(4)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(env={}, data_dir=Path(tmp) / "data", database_url=f"sqlite:///{tmp}/bench.sqlite3", secret_key="bench")
        started = time.perf_counter()
        generate(settings, args.complaints, rng)
        print(f"generated {args.complaints} complaints in {time.perf_counter() - started:.1f}s")

        from web import create_app

        app = create_app({"SETTINGS": settings, "TESTING": True, "WTF_CSRF_ENABLED": False})
        client = app.test_client()
        client.post("/login", data={"username": "bench", "password": "uji-konsol-8812"})
        engine = app.extensions["suara"].engine
        with session_factory(engine)() as s:
            drafts = s.scalars(select(Complaint.id).where(Complaint.status == S.DRAFT).limit(200)).all()
            confirmed = s.scalars(select(Complaint.id).where(Complaint.status == S.TERDISPOSISI).limit(200)).all()
            refs = s.scalars(select(Complaint.reference).where(Complaint.reference.is_not(None)).limit(200)).all()
            phones = s.scalars(select(Complaint.reporter_phone).limit(200)).all()
            agency = s.scalar(select(Agency.id).where(Agency.key == "dpubmpr"))
            kec = s.scalar(select(Place.id).where(Place.parent_id.is_(None)))
            deep = s.scalar(select(Complaint.id).order_by(Complaint.id).offset(args.complaints // 2).limit(1))
        pages = {
            "list (first page)": lambda i: "/konsol/pengaduan",
            "list deep page (keyset)": lambda i: f"/konsol/pengaduan?after={deep - i}",
            "list status+agency": lambda i: f"/konsol/pengaduan?status=terdisposisi&agency={agency}",
            "list overdue": lambda i: "/konsol/pengaduan?overdue=1",
            "list kecamatan+channel": lambda i: f"/konsol/pengaduan?kecamatan={kec}&channel=radio",
            "search reference": lambda i: f"/konsol/pengaduan?q={refs[i % len(refs)]}",
            "search phone": lambda i: f"/konsol/pengaduan?q={phones[i % len(phones)]}",
            "search text": lambda i: "/konsol/pengaduan?q=puskesmas",
            "search text (rare)": lambda i: "/konsol/pengaduan?q=tidakadasamasekali",
            "search text (oldest only)": lambda i: f"/konsol/pengaduan?q={OLDEST_ONLY}",
            "search text 2 words+prefix": lambda i: "/konsol/pengaduan?q=jalan+rusak+pusk",
            "search text + status": lambda i: "/konsol/pengaduan?q=jembatan&status=tunda",
            "search text (FTS syntax)": lambda i: "/konsol/pengaduan?q=%22air%22+NEAR(bersih*+-sampah)",
            "inbox": lambda i: "/konsol/",
            "review (draft)": lambda i: f"/konsol/draf/{drafts[i % len(drafts)]}",
            "place search": lambda i: f"/konsol/tempat?q={['kedung adem', 'sumberjo', 'pejok kepohbaru', 'kali tidu'][i % 4]}",
            "complaint detail": lambda i: f"/konsol/pengaduan/{confirmed[i % len(confirmed)]}",
        }
        print(f"\n{'page':<30}{'n':>5}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
        worst = 0.0
        for name, url in pages.items():
            if not any(part in name for part in args.only.split(",")):
                continue
            client.get(url(0))  # warm caches
            times = []
            for i in range(args.requests):
                t0 = time.perf_counter()
                response = client.get(url(i))
                times.append((time.perf_counter() - t0) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{name}: {url(i)} answered {response.status_code}")
            times.sort()
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            worst = max(worst, p95)
            print(f"{name:<30}{len(times):>5}{statistics.median(times):>10.1f}{p95:>10.1f}{times[-1]:>10.1f}")
        found = 'id="complaint-1"' in client.get(f"/konsol/pengaduan?q={OLDEST_ONLY}").text
        print(f"\ntext search finds the oldest complaint: {'yes' if found else 'NO'}")
        print(f"worst p95: {worst:.1f} ms ({'OK' if worst < 150 else 'OVER'} the 150 ms target)")
        engine.dispose()


if __name__ == "__main__":
    main()

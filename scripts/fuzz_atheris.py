"""Coverage-guided fuzzing (atheris, libFuzzer) of the edges that read what strangers send.

    python scripts/fuzz_atheris.py TARGET [--seconds 60] [--corpus DIR]
    make fuzz FUZZ_S=60          # every target in turn, after the long hypothesis run

Targets: audiosocket (frame reader), mediastream (Twilio Media Streams messages), decode (uploaded audio),
drafter, identity, query (list and API query parameters). The property checked for each input is the one the
hypothesis tests check (tests/fuzz_targets.py). A crash leaves `crash-*` in the working directory; make it a
regression test (an @example in tests/test_fuzz.py) and fix it. Each target runs in its own process (libFuzzer
owns the process); the corpus is kept in .cache/fuzz/TARGET so later runs start where earlier ones stopped.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
TARGETS = ("audiosocket", "mediastream", "decode", "drafter", "identity", "query")


def _json_from(fdp) -> object:  # noqa: ANN001 - atheris.FuzzedDataProvider
    """A JSON value shaped like Twilio's messages often enough to get past the first branch."""
    choice = fdp.ConsumeIntInRange(0, 4)
    if choice == 0:
        return fdp.ConsumeUnicodeNoSurrogates(64)
    if choice == 1:
        return {"event": "start", "start": {"callSid": "CA" + "a" * 32 if fdp.ConsumeBool() else fdp.ConsumeUnicodeNoSurrogates(34),
                                            "customParameters": {"caller": fdp.ConsumeUnicodeNoSurrogates(16)}}}
    if choice == 2:
        payload = base64.b64encode(fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 320))).decode()
        return {"event": "media", "media": {"track": "inbound", "payload": payload if fdp.ConsumeBool() else payload[:-1]}}
    if choice == 3:
        return [fdp.ConsumeInt(4), {"event": fdp.ConsumeUnicodeNoSurrogates(8)}]
    return {"event": "stop"}


def _app():  # noqa: ANN202
    """An app on a throwaway SQLite database with reference data, an admin and two complaints."""
    import models.all  # noqa: F401
    from models.status import Status as S
    from models.base import Base
    from models.config import Settings
    from models.db import make_engine, session_factory
    from models.entities import Role, User
    from models.seed import seed_reference_data
    from tests.console_data import make_complaint
    from web import create_app
    from web.auth import create_user, issue_api_token

    tmp = Path(tempfile.mkdtemp(prefix="suara-fuzz-"))
    settings = Settings.from_env(env={}, data_dir=tmp / "data", database_url=f"sqlite:///{tmp / 'suara.sqlite3'}",
                                 secret_key="fuzz", twilio_auth_token="fuzz")
    engine = make_engine(settings.database_url)
    Base.metadata.create_all(engine)
    with session_factory(engine)() as session:
        seed_reference_data(session)
        admin = create_user(session, "admin", "fuzz-sandi-123", Role.ADMIN)
        create_user(session, "operator", "fuzz-sandi-123", Role.OPERATOR)
        make_complaint(session, settings, S.TERDISPOSISI)
        make_complaint(session, settings, S.SELESAI, anonymous=True)
        token = issue_api_token(session, session.get(User, admin.id))
        session.commit()
    return create_app({"SETTINGS": settings, "TESTING": True, "WTF_CSRF_ENABLED": False}), token


def build(target: str):  # noqa: ANN201
    """The one-input function for `target`."""
    import atheris

    from tests import fuzz_targets as targets

    if target == "audiosocket":
        return targets.frame_reader
    if target == "decode":
        return lambda data: targets.decode_upload(data) if data else None
    if target == "identity":
        def identity(data: bytes) -> None:
            fdp = atheris.FuzzedDataProvider(data)
            names = [fdp.ConsumeUnicodeNoSurrogates(12) for _ in range(fdp.ConsumeIntInRange(0, 2))]
            targets.identity(fdp.ConsumeUnicodeNoSurrogates(400), names)
        return identity
    if target == "drafter":
        from transcribe.drafting import Drafter

        drafter = Drafter()
        drafter.draft("jalan rusak di kalitidu")  # load the router and gazetteer before fuzzing starts

        def draft(data: bytes) -> None:
            fdp = atheris.FuzzedDataProvider(data)
            targets.draft(drafter, fdp.ConsumeUnicodeNoSurrogates(300))
        return draft
    if target == "mediastream":
        from voice.phone_calls import MediaStreamHandler
        from web.twilio import stream_handler

        app, _ = _app()
        MediaStreamHandler._engine = lambda self: None  # the recognizer is not under test

        def stream(data: bytes) -> None:
            fdp = atheris.FuzzedDataProvider(data)
            messages = [json.dumps(_json_from(fdp)) if fdp.ConsumeBool() else fdp.ConsumeBytes(40)
                        for _ in range(fdp.ConsumeIntInRange(0, 8))]
            targets.media_stream(stream_handler(app), messages)
        return stream
    if target == "query":
        app, token = _app()
        client = app.test_client()
        page = client.get("/login")
        client.post("/login", data={"username": "admin", "password": "fuzz-sandi-123"})
        assert page.status_code == 200
        urls = ["/", "/konsol/pengaduan", "/dasbor/", "/dasbor/isu", "/dasbor/laporan-mingguan", "/serah-terima/ekspor.csv",
                "/konsol/admin/libur", "/lacak", "/transparansi", "/open311/v2/requests.json", "/api/v1/complaints"]
        names = ["q", "status", "agency", "topic", "kecamatan", "channel", "overdue", "after", "limit", "page", "periode",
                 "opd", "dari", "sampai", "minggu", "tahun", "nomor", "service_request_id", "start_date", "end_date"]

        def query(data: bytes) -> None:
            fdp = atheris.FuzzedDataProvider(data)
            url = urls[fdp.ConsumeIntInRange(0, len(urls) - 1)]
            params = {names[fdp.ConsumeIntInRange(0, len(names) - 1)]: fdp.ConsumeUnicodeNoSurrogates(24)
                      for _ in range(fdp.ConsumeIntInRange(0, 4))}
            headers = {"Authorization": f"Bearer {token}"} if url.startswith("/api/") else {}
            response = client.get(url, query_string=params, headers=headers)
            assert response.status_code < 500, (url, params, response.status_code)
        return query
    raise SystemExit(f"unknown target {target!r}; one of {', '.join(TARGETS)}")


def _seed_audio(corpus: Path) -> None:
    """Small valid files of each container, for libFuzzer to mutate (random bytes rarely get past a header)."""
    import io

    import numpy as np
    import soundfile as sf

    tone = (np.sin(2 * np.pi * 440 * np.arange(800) / 8000) * 0.3).astype(np.float32)
    for fmt, subtype in (("WAV", "PCM_16"), ("WAV", "ULAW"), ("FLAC", None), ("OGG", "VORBIS")):
        out = io.BytesIO()
        sf.write(out, tone, 8000, format=fmt, subtype=subtype)
        (corpus / f"seed-{fmt.lower()}-{subtype or 'default'}.{fmt.lower()}").write_bytes(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", choices=TARGETS)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--corpus", type=Path, default=None)
    args, libfuzzer_args = parser.parse_known_args()
    try:
        import atheris
    except ImportError:
        raise SystemExit("atheris is not installed: pip install -e '.[fuzz]'") from None
    import logging

    logging.disable(logging.WARNING)  # hostile input is logged as a warning on every run
    with atheris.instrument_imports(include=["models", "transcribe", "voice", "web"]):
        one_input = build(args.target)
    corpus = args.corpus or REPO / ".cache" / "fuzz" / args.target
    corpus.mkdir(parents=True, exist_ok=True)
    if args.target == "decode" and not any(corpus.iterdir()):
        _seed_audio(corpus)
    atheris.Setup([sys.argv[0], f"-max_total_time={args.seconds}", "-rss_limit_mb=3072", "-print_final_stats=1",
                   *libfuzzer_args, str(corpus)], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

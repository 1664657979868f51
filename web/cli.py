"""The `suara` command: serve, worker, import, transcribe, draft, database and users."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models.config import Settings
from models.db import make_engine, session_factory
from models.entities import Call, Channel, Role
from models.errors import SuaraError


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as exc:  # a number that is not a number, an unknown engine
        click.echo(f"Galat konfigurasi: {exc}", err=True)
        sys.exit(2)


def _checked_settings() -> Settings:
    """The settings, or exit with every malformed one named: a server that starts with a broken Twilio
    account would lose each call's recording quietly."""
    from models.config_check import fatal_problems

    settings = _settings()
    problems = fatal_problems(settings)
    if problems:
        click.echo("Konfigurasi salah, Suara Warga tidak dijalankan:", err=True)
        for check in problems:
            click.echo(f"  {check.line()}", err=True)
        click.echo("Perbaiki variabel di atas, lalu periksa semuanya dengan `suara doctor`.", err=True)
        sys.exit(2)
    return settings


def _sessions(settings: Settings):  # noqa: ANN202
    return session_factory(make_engine(settings.database_url))


def _fail(exc: SuaraError) -> None:
    click.echo(f"Galat: {exc.message_id} ({exc.code}{': ' + exc.detail if exc.detail else ''})", err=True)
    sys.exit(2)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="More log output.")
def main(verbose: bool) -> None:
    """Suara Warga: offline voice channel for SP4N-LAPOR! complaints."""
    from models.datadir import use_private_umask

    use_private_umask()  # complaints, recordings and password hashes: readable by this user only
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


# -- server and worker -------------------------------------------------------------------------
WORKER_CLASS = "web.gunicorn_worker.SuaraWorker"
"""gunicorn's gthread worker, answering a URL too long for it in Indonesian."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=32, show_default=True, type=int, help="Request threads (live pages hold one each).")
def serve(host: str, port: int, threads: int) -> None:
    """Run the web server (gunicorn, gthread); without Redis the job consumer runs inside it."""
    from gunicorn.app.base import BaseApplication

    settings = _checked_settings()

    consumers = []

    def stop_consumers(_server, _worker) -> None:  # noqa: ANN001 - gunicorn hook signature
        # Job threads are not daemons: stop them, or the worker never exits on Ctrl-C/SIGTERM;
        # an in-app AudioSocket server stores the calls in progress.
        for consumer in consumers:
            consumer.stop(graceful=True)

    class _Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in dict(
                bind=f"{host}:{port}", workers=1, worker_class=WORKER_CLASS, threads=threads,
                timeout=300, graceful_timeout=30, accesslog="-", worker_exit=stop_consumers,
                # longer than nginx keeps idle upstream connections (60 s), or a reused one is closed under it: 502
                keepalive=75,
                forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
                post_worker_init=_end_streams_on_stop,
            ).items():
                self.cfg.set(key, value)

        def load(self):  # noqa: ANN202
            from web import create_app

            app = create_app({"SETTINGS": settings})
            _compile_templates(app)
            _recover_radio_shows(app)
            if not settings.uses_redis:
                app.extensions["suara"].jobs.recover()  # drive on what a restart interrupted, now
                consumers.append(app.extensions["suara"].jobs.start_inprocess())
            if settings.audiosocket_listen:
                from voice.cli_audiosocket import start_audiosocket_in_app

                consumers.append(start_audiosocket_in_app(app, settings.audiosocket_listen))
            elif settings.twilio_auth_token:
                from voice.warm import warm_in_background

                # Twilio media streams take the same engine: ready it now, while the server already answers
                warm_in_background(settings)
            return app

    click.echo(f"Suara Warga berjalan di http://{host}:{port}/ (data: {settings.data_dir})")
    _Server().run()


def _compile_templates(app) -> None:  # noqa: ANN001 - a Flask app
    """Compile every template while the worker boots (about 0.4 s of CPU): else the first visitor of each page
    after a restart waits for it (the review page's first request took 200 ms instead of 10 ms)."""
    env = app.jinja_env
    for name in env.list_templates(filter_func=lambda n: n.endswith((".html", ".txt", ".xml"))):
        env.get_template(name)


def _end_streams_on_stop(worker) -> None:  # noqa: ANN001 - a gunicorn worker
    """On SIGTERM/SIGINT/SIGQUIT, end open Twilio media streams (their audio stored) before gunicorn waits for
    requests to finish: else a restart waits out the graceful timeout with a call's stream open."""
    import signal

    from web.twilio import stop_streams

    for sig, handler in ((signal.SIGTERM, worker.handle_exit), (signal.SIGINT, worker.handle_quit),
                         (signal.SIGQUIT, worker.handle_quit)):
        def ending(signum, frame, handler=handler) -> None:  # noqa: ANN001
            stop_streams()
            handler(signum, frame)

        signal.signal(sig, ending)


def _recover_radio_shows(app) -> None:  # noqa: ANN001 - a Flask app
    """Shows left active by a server that died are failed at start-up, their archives kept."""
    from voice.radio.recovery import recover_orphaned_shows

    with app.extensions["suara"].sessions() as session:
        recover_orphaned_shows(session, app.extensions["suara"].settings)
        session.commit()


@main.command()
@click.option("--workers", default=2, show_default=True, type=int, help="Job threads in this process.")
def worker(workers: int) -> None:
    """Run the job consumer (transcription and drafting) until interrupted."""
    from transcribe.jobs import JobQueue

    from voice.jobs import register_voice_jobs

    queue = JobQueue(_checked_settings())
    register_voice_jobs(queue)
    queue.recover()
    queue.run_worker(workers)


@main.command()
def doctor() -> None:
    """Check the installation: settings, data directory, database, models, Redis; one line each."""
    from web.doctor import all_checks

    checks = all_checks(_settings())
    for check in checks:
        click.echo(check.line())
    failed = [c for c in checks if not c.ok and c.fatal]
    click.echo(f"{len(checks)} pemeriksaan, {len(failed)} gagal.")
    sys.exit(1 if failed else 0)


@main.command()
@click.option("--listen", default="0.0.0.0:9092", show_default=True, help="HOST:PORT for Asterisk AudioSocket.")
def audiosocket(listen: str) -> None:
    """Run the Asterisk AudioSocket server (local PBX / GSM gateway)."""
    from voice.cli_audiosocket import run_audiosocket

    run_audiosocket(_settings(), listen)


# -- database and users ------------------------------------------------------------------------
@main.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create or migrate the database to the newest schema."""
    from models.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url, revision)
    click.echo("Basis data mutakhir.")


@main.command()
def init() -> None:
    """First start: migrate, seed, prepare the bundled model, and make an admin if there is no user."""
    import secrets as _secrets

    from models.entities import User
    from models.migrate import upgrade
    from models.seed import seed_all
    from web.auth import create_user

    settings = _settings()
    upgrade(settings.database_url)
    with _sessions(settings)() as session:
        seed_all(session)
        password_file = settings.data_dir / "admin-password.txt"
        if session.scalars(select(User)).first() is None:
            password = _secrets.token_urlsafe(12)
            create_user(session, "admin", password, Role.ADMIN, name="Administrator")
            fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(password + "\n")
        session.commit()
    if settings.engine == "whisper" and settings.whisper_model is None:
        from transcribe.whisper_model import ensure_bundled_whisper

        ensure_bundled_whisper(settings.models_dir)
    click.echo("Basis data, data rujukan dan model siap.")
    if password_file.exists():
        click.echo(f"Masuk sebagai 'admin' dengan kata sandi di {password_file}: {password_file.read_text().strip()}")
        click.echo("Ganti kata sandi ini (menu nama Anda > Ganti kata sandi, atau `suara user passwd admin`) lalu hapus berkasnya.")


@main.command()
def seed() -> None:
    """Load agencies, topics, places of Bojonegoro and holidays (safe to repeat)."""
    from models.seed import seed_all

    with _sessions(_settings())() as session:
        counts = seed_all(session)
        session.commit()
    click.echo(json.dumps(counts))


@main.command()
def recluster() -> None:
    """Regroup all complaints into priority issues now (also runs nightly)."""
    from models.analytics import recluster as regroup

    with _sessions(_settings())() as session:
        result = regroup(session)
        session.commit()
    click.echo(str(result))


@main.command()
@click.option("--min-complaints", default=10, show_default=True, type=int,
              help="Retrain the router only with at least this many confirmed complaints.")
def learn(min_complaints: int) -> None:
    """Retrain the router on confirmed complaints (switches only when not worse) and learn misheard place names."""
    from transcribe.learn_job import run_learn

    settings = _settings()
    with _sessions(settings)() as session:
        result = run_learn(session, settings.data_dir, min_complaints)
    click.echo(f"{result.complaints} aduan terkonfirmasi; {len(result.aliases)} ejaan salah dengar nama tempat baru.")
    if result.outcome is None:
        click.echo(f"Router tidak dilatih ulang: kurang dari {min_complaints} aduan terkonfirmasi.")
        return
    info = result.outcome.info
    for key, label in (("recent", "aduan terbaru"), ("heldout", "set uji")):
        for who in ("candidate", "active"):
            f = info.get(f"{key}_{who}")
            if f:
                click.echo(f"  {label:<14} {who:<9} n={f['n']:<4} didengar top-1 {f['heard_top1']:.1%}  diketik top-1 {f['typed_top1']:.1%}")
    verb = "dipakai" if result.outcome.switched else "disimpan, tidak dipakai"
    click.echo(f"Versi {result.outcome.version} {verb}: {result.outcome.reason}.")


@main.command("rebuild-stats")
def rebuild_stats() -> None:
    """Recount the dashboard's figures from the complaints (after a bulk import)."""
    from models.analytics import rebuild

    settings = _settings()
    with _sessions(settings)() as session:
        rebuild(session, settings)
        session.commit()
    click.echo("Angka dasbor dihitung ulang.")


@main.group()
def user() -> None:
    """Users and API tokens."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.OPERATOR.value, show_default=True)
@click.option("--agency", "agency_key", default=None, help="Agency key (required for a liaison), e.g. dpubmpr.")
@click.option("--name", default="")
@click.option("--password", envvar="SUARA_NEW_PASSWORD", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--if-missing", is_flag=True, help="Do nothing when the user exists.")
def user_add(username: str, role: str, agency_key: str | None, name: str, password: str, if_missing: bool) -> None:
    """Add a user."""
    from web.auth import UserExists, create_user

    with _sessions(_settings())() as session:
        try:
            create_user(session, username, password, Role(role), name=name, agency_key=agency_key)
        except UserExists as exc:
            if if_missing:
                click.echo(f"Pengguna {username} sudah ada.")
                return
            raise click.ClickException(exc.message_id) from None
        except SuaraError as exc:
            _fail(exc)
        session.commit()
    click.echo(f"Pengguna {username} ({role}) ditambahkan.")


@user.command("passwd")
@click.argument("username")
@click.option("--password", envvar="SUARA_NEW_PASSWORD", prompt="Kata sandi baru", hide_input=True, confirmation_prompt=True)
@click.option("--must-change", is_flag=True, help="The user must choose a new password at the next login.")
def user_passwd(username: str, password: str, must_change: bool) -> None:
    """Set a user's password; every session of the user ends."""
    from web.accounts import find_user, set_password

    with _sessions(_settings())() as session:
        found = find_user(session, username)
        if found is None:
            raise click.ClickException(f"Pengguna {username} tidak ada.")
        try:
            set_password(found, password, must_change=must_change)
        except SuaraError as exc:
            _fail(exc)
        session.commit()
    click.echo(f"Kata sandi {username} diganti; semua sesinya diakhiri.")


@user.command("token")
@click.argument("username")
def user_token(username: str) -> None:
    """Issue a new API token for a user (prints it once)."""
    from web.accounts import find_user
    from web.auth import issue_api_token

    with _sessions(_settings())() as session:
        found = find_user(session, username)
        if found is None:
            raise click.ClickException(f"Pengguna {username} tidak ada.")
        token = issue_api_token(session, found)
        session.commit()
    click.echo(token)


# -- audio -------------------------------------------------------------------------------------
@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--channel", type=click.Choice([c.value for c in Channel]), default=Channel.UPLOAD.value, show_default=True)
@click.option("--caller", default=None, help="Caller's phone number.")
def import_(files: tuple[Path, ...], channel: str, caller: str | None) -> None:
    """Store audio files as calls and enqueue transcription and drafting."""
    from transcribe.jobs import JobQueue
    from voice.intake import IncomingAudio, accept_upload

    settings = _settings()
    queue = JobQueue(settings)
    failed = 0
    with queue.sessions() as session:
        for path in files:
            try:
                call, created = accept_upload(
                    session, settings,
                    IncomingAudio(data=path.read_bytes(), channel=Channel(channel), caller_number=caller, filename=path.name),
                )
                session.commit()
            except SuaraError as exc:
                session.rollback()
                failed += 1
                click.echo(json.dumps({"file": str(path), "error": exc.code, "message": exc.message_id}), err=True)
                continue
            if created:
                queue.enqueue_call(call.id)
            click.echo(json.dumps({"file": str(path), "call_id": call.id, "created": created}))
    if failed:
        sys.exit(2)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--engine", "engine_name", type=click.Choice(["vosk", "whisper"]), default=None)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file, one per line.")
def transcribe(files: tuple[Path, ...], engine_name: str | None, as_json: bool) -> None:
    """Transcribe audio files offline and print the text (nothing is stored)."""
    from transcribe.audio import decode_file
    from transcribe.engines import load_engine

    settings = _settings()
    try:
        engine = load_engine(settings, engine_name)
    except SuaraError as exc:
        _fail(exc)
    failed = 0
    for path in files:
        try:
            result = engine.transcribe(decode_file(path, max_s=settings.max_audio_s))
        except SuaraError as exc:
            failed += 1
            click.echo(json.dumps({"file": str(path), "error": exc.code, "message": exc.message_id}), err=True)
            continue
        if as_json:
            record = {"file": str(path), **result.to_dict()}
            record = {k: record[k] for k in ("file", "engine", "model", "language", "duration_s", "processing_s", "text", "words")}
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            click.echo(f"{path}: {result.text}")
    if failed:
        sys.exit(2)


@main.command()
@click.argument("text", required=False)
@click.option("--jsonl", "jsonl", type=click.File("r", encoding="utf-8"), default=None,
              help='Lines of {"id", "text"} (or - for standard input); prints one line per input.')
@click.option("--caller", default=None, help="Caller id to use for the phone field.")
def draft(text: str | None, jsonl, caller: str | None) -> None:  # noqa: ANN001
    """Draft a complaint from transcript text and print it as JSON."""
    from transcribe.drafting import Drafter

    if (text is None) == (jsonl is None):
        raise click.UsageError("Berikan TEKS atau --jsonl BERKAS (bukan keduanya).")
    drafter = Drafter()
    if text is not None:
        click.echo(json.dumps(drafter.draft(text, caller_number=caller).to_dict(), ensure_ascii=False, default=str))
        return
    for number, line in enumerate(jsonl, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            row_id, row_text = row["id"], row["text"]
        except (ValueError, KeyError, TypeError):
            click.echo(json.dumps({"line": number, "error": "invalid_line", "message": 'Baris harus berupa JSON {"id", "text"}.'}), err=True)
            continue
        result = drafter.draft(str(row_text), caller_number=row.get("caller") or caller)
        click.echo(json.dumps(result.to_cli_dict(row_id), ensure_ascii=False))


@main.command()
@click.option("--limit", default=20, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def calls(limit: int, as_json: bool) -> None:
    """Recent calls with their status, error, transcript and draft."""
    with _sessions(_settings())() as session:
        rows = session.scalars(
            select(Call).options(selectinload(Call.transcripts), selectinload(Call.complaints))
            .order_by(Call.received_at.desc(), Call.id.desc()).limit(limit)
        ).all()
        for call in rows:
            record = {
                "id": call.id, "channel": call.channel, "external_id": call.external_id,
                "caller_number": call.caller_number, "received_at": call.received_at.isoformat() + "Z",
                "duration_s": call.duration_s, "status": call.status, "error": call.error,
                "transcript": call.transcript.text if call.transcript else None,
                "draft_id": call.draft.id if call.draft else None,
            }
            if as_json:
                click.echo(json.dumps(record, ensure_ascii=False))
            else:
                text = (record["transcript"] or "")[:60]
                click.echo(f"#{call.id:<5} {call.channel:<6} {call.status:<12} draf={record['draft_id'] or '-':<5} {text}")


# -- backups -----------------------------------------------------------------------------------
@main.command("backup")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
def backup_cmd(target: Path) -> None:
    """Back up the database (consistent snapshot) and the data directory's files into an empty TARGET."""
    from models.backup import backup

    try:
        manifest = backup(_settings(), target)
    except SuaraError as exc:
        _fail(exc)
    click.echo(f"Cadangan di {target}: {sum(manifest.row_counts.values())} baris, {len(manifest.files)} berkas.")
    if manifest.missing_audio:
        click.echo(f"Peringatan: {len(manifest.missing_audio)} rekaman yang dirujuk basis data tidak ada di direktori data "
                   f"(tercatat di manifest.json: missing_audio).", err=True)


@main.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore_cmd(source: Path) -> None:
    """Restore a backup into an empty data directory and an empty database (refuses anything else)."""
    from models.backup import restore

    # A given secret key keeps Settings from writing a new one into the (still empty) data directory.
    settings = Settings.from_env(secret_key="restoring")
    try:
        manifest = restore(settings, source)
    except SuaraError as exc:
        _fail(exc)
    click.echo(f"Dipulihkan ke {settings.data_dir}: {sum(manifest.row_counts.values())} baris, {len(manifest.files)} berkas, "
               f"semua SHA-256 cocok. Jalankan 'suara db upgrade' bila versi program lebih baru dari cadangan.")


from voice.radio.cli import radio_command  # noqa: E402 - after `main` exists

main.add_command(radio_command)

if __name__ == "__main__":
    main()

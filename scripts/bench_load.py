"""Load run: generated complaints, gunicorn (gthread, several workers) behind nginx, locust headless.

    python scripts/bench_load.py [--complaints 100000] [--seconds 60] [--users 30] [--workers 2] [--quick]

Everything listens on loopback ports chosen at start and is stopped at the end; the data set lives in a
temporary directory. Operators browse, filter, search and confirm drafts, liaisons answer, the public tracks
complaints, and Twilio sends 20 signed webhooks a second (scripts/locustfile.py). Prints p50/p95/p99 per
endpoint, errors, and the CPU seconds the server side (gunicorn and nginx) spent per request.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))
BIN = Path(sys.executable).parent
PASSWORD = "beban-sandi-123"
TWILIO_TOKEN = "beban-token"
PAGES_P95_MS = 300.0
GUNICORN_KEEPALIVE_S = 75
"""Longer than nginx keeps an idle upstream connection (60 s): otherwise gunicorn (2 s by default) closes
connections nginx is about to reuse, and the request on it answers 502."""


def free_port() -> int:
    from tests.services import free_port as port

    return port()


def prepare(tmp: Path, complaints: int, public_url: str) -> Path:
    """Generate the data set and the plan the locust users read; returns the plan's path."""
    from sqlalchemy import select

    from bench_console import generate
    from models.config import Settings
    from models.status import Status as S
    from models.db import make_engine, session_factory
    from models.entities import Agency, Complaint, Place, Role, Topic
    from web.auth import create_user

    settings = Settings.from_env(env={}, data_dir=tmp / "data", database_url=f"sqlite:///{tmp}/suara.sqlite3", secret_key="beban")
    started = time.perf_counter()
    generate(settings, complaints, random.Random(19))
    print(f"generated {complaints} complaints in {time.perf_counter() - started:.0f} s", flush=True)
    engine = make_engine(settings.database_url)
    with session_factory(engine)() as s:
        create_user(s, "operator", PASSWORD, Role.OPERATOR)
        create_user(s, "liaison", PASSWORD, Role.LIAISON, agency_key="dpubmpr")
        s.commit()
        agency = s.scalar(select(Agency.id).where(Agency.key == "dpubmpr"))
        ids = select(Complaint.id).order_by(Complaint.id.desc()).limit(400)
        plan = {
            "password": PASSWORD, "twilio_token": TWILIO_TOKEN, "public_url": public_url, "agency": agency,
            "kecamatan": s.scalar(select(Place.id).where(Place.parent_id.is_(None))),
            "topic": s.scalar(select(Topic.id).where(Topic.agency_id == agency)),
            "first_id": s.scalar(select(Complaint.id).order_by(Complaint.id).limit(1)),
            "last_id": s.scalar(select(Complaint.id).order_by(Complaint.id.desc()).limit(1)),
            "drafts": s.scalars(ids.where(Complaint.status == S.DRAFT)).all(),
            "confirmed": s.scalars(ids.where(Complaint.status.in_([S.TERDISPOSISI, S.SELESAI, S.DITINDAKLANJUTI]))).all(),
            "disposed": s.scalars(ids.where(Complaint.status == S.TERDISPOSISI, Complaint.agency_id == agency)).all(),
            "references": s.scalars(select(Complaint.reference).where(Complaint.reference.is_not(None)).limit(400)).all(),
            "phones": s.scalars(select(Complaint.reporter_phone).where(Complaint.reporter_phone.is_not(None)).limit(200)).all(),
        }
    engine.dispose()
    path = tmp / "plan.json"
    path.write_text(json.dumps(plan))
    return path


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
{user}
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/nginx-body;
  proxy_temp_path {tmp}/nginx-proxy;
  fastcgi_temp_path {tmp}/nginx-fastcgi;
  uwsgi_temp_path {tmp}/nginx-uwsgi;
  scgi_temp_path {tmp}/nginx-scgi;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' ''; }}
  upstream suara {{ server 127.0.0.1:{upstream}; keepalive 32; keepalive_timeout 60s; }}
  server {{
    listen 127.0.0.1:{port};
    set_real_ip_from 127.0.0.1;  # the load generator plays many citizens: each one's address in X-Forwarded-For
    real_ip_header X-Forwarded-For;
    client_max_body_size 60m;
    location / {{
      proxy_pass http://suara;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;       # Twilio media streams (websocket)
      proxy_set_header Connection $connection_upgrade;  # else empty: upstream connections kept alive
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_buffering off;            # Server-Sent Events
      proxy_read_timeout 300s;
    }}
  }}
}}
"""


def _cpu_s(pids: list[int]) -> float:
    """User+system CPU seconds of these processes and their children (running ones)."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            for p in [proc, *proc.children(recursive=True)]:
                t = p.cpu_times()
                total += t.user + t.system
        except psutil.NoSuchProcess:
            continue
    return total


def _wait_http(url: str, timeout_s: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=30, help="locust users besides the Twilio senders")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--twilio-per-s", type=float, default=20.0)
    parser.add_argument("--quick", action="store_true", help="20 000 complaints, 30 s")
    args = parser.parse_args()
    if args.quick:
        args.complaints, args.seconds = 20_000, 30
    if not Path("/usr/sbin/nginx").exists():
        raise SystemExit("nginx is not installed (scripts/install-system.sh test)")
    procs: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="suara-load-") as tmp_name:
        tmp = Path(tmp_name)
        upstream, port = free_port(), free_port()
        base = f"http://127.0.0.1:{port}"
        plan = prepare(tmp, args.complaints, base)
        env = dict(os.environ, SUARA_DATA_DIR=str(tmp / "data"), SUARA_DATABASE_URL=f"sqlite:///{tmp}/suara.sqlite3",
                   SUARA_SECRET_KEY="beban", SUARA_PUBLIC_URL=base, SUARA_TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
                   SUARA_TWILIO_ACCOUNT_SID="AC" + "0" * 32, SUARA_LOAD_PLAN=str(plan), SUARA_TRUSTED_PROXIES="1")
        try:
            gunicorn = subprocess.Popen(
                [str(BIN / "gunicorn"), "--workers", str(args.workers), "--worker-class", "gthread", "--threads", str(args.threads),
                 "--bind", f"127.0.0.1:{upstream}", "--timeout", "120", "--keep-alive", str(GUNICORN_KEEPALIVE_S),
                 "--log-level", "warning", "web:create_app()"],
                env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=open(tmp / "gunicorn.log", "w"))
            procs.append(gunicorn)
            conf = tmp / "nginx.conf"
            conf.write_text(NGINX_CONF.format(tmp=tmp, upstream=upstream, port=port, user="user root;" if os.geteuid() == 0 else ""))
            nginx = subprocess.Popen(["/usr/sbin/nginx", "-p", str(tmp), "-c", str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=open(tmp / "nginx.log", "w"))
            procs.append(nginx)
            _wait_http(base + "/login")
            for _ in range(3):  # warm every worker's caches
                _wait_http(base + "/transparansi")
            twilio_users = max(1, round(args.twilio_per_s / 5))
            env.update(SUARA_LOAD_TWILIO_USERS=str(twilio_users), SUARA_LOAD_TWILIO_RATE=str(args.twilio_per_s / twilio_users))
            cpu_before = _cpu_s([gunicorn.pid, nginx.pid])
            print(f"load average before the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
                  f"(anything else running skews the times)", flush=True)
            print(f"locust: {args.users} users + {twilio_users} Twilio senders ({args.twilio_per_s:g}/s), {args.seconds} s, "
                  f"gunicorn {args.workers}x{args.threads} gthread behind nginx", flush=True)
            subprocess.run(
                [str(BIN / "locust"), "-f", str(REPO / "scripts" / "locustfile.py"), "--headless", "--only-summary",
                 "-u", str(args.users + twilio_users), "-r", str(max(5, args.users // 5)), "-t", f"{args.seconds}s",
                 "--host", base, "--csv", str(tmp / "stats"), "--loglevel", "WARNING"],
                env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=open(tmp / "locust.log", "w"), check=False)
            cpu_s = _cpu_s([gunicorn.pid, nginx.pid]) - cpu_before
        finally:
            for proc in reversed(procs):
                proc.send_signal(signal.SIGTERM if proc is not procs[-1] else signal.SIGQUIT)
            for proc in procs:
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        report(tmp / "stats_stats.csv", cpu_s)
        failures = tmp / "stats_failures.csv"
        if failures.exists() and len(failures.read_text().splitlines()) > 1:
            print("\nerrors:\n" + "\n".join(failures.read_text().splitlines()[1:20]))
            for log in ("nginx-error.log", "gunicorn.log"):
                lines = (tmp / log).read_text(errors="replace").splitlines() if (tmp / log).exists() else []
                if lines:
                    print(f"\n{log} (last lines):\n" + "\n".join(lines[-10:]))


def report(stats_csv: Path, cpu_s: float) -> None:
    rows = list(csv.DictReader(stats_csv.open()))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    print(f"\n{'endpoint':<44}{'n':>7}{'err':>5}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}")
    worst_page = 0.0
    for r in sorted((r for r in rows if r["Name"] != "Aggregated"), key=lambda r: r["Name"]):
        name = f"{r['Type']} {r['Name']}"
        p95 = float(r["95%"] or 0)
        if not r["Name"].startswith("/twilio") and r["Type"] == "GET":
            worst_page = max(worst_page, p95)
        print(f"{name[:43]:<44}{r['Request Count']:>7}{r['Failure Count']:>5}{r['50%']:>8}{r['95%']:>8}{r['99%']:>8}")
    n, errors = int(total["Request Count"]), int(total["Failure Count"])
    print(f"{'all':<44}{n:>7}{errors:>5}{total['50%']:>8}{total['95%']:>8}{total['99%']:>8}")
    print(f"\nrequests/s: {float(total['Requests/s']):.1f}; server CPU (gunicorn + nginx): {cpu_s:.1f} s, "
          f"{1000 * cpu_s / max(n, 1):.1f} ms per request")
    print(f"worst page p95: {worst_page:.0f} ms ({'OK' if worst_page < PAGES_P95_MS else 'OVER'} the {PAGES_P95_MS:.0f} ms target); "
          f"errors: {errors} ({'OK' if errors == 0 else 'NOT zero'})")


if __name__ == "__main__":
    main()

"""Fault injection on the scaled-out stack: is any call lost or drafted twice when a component fails?

    python scripts/chaos.py [--quick] [--calls N] [--only FAULT ...] [--keep]

Starts, on loopback ports and in a temporary directory: PostgreSQL (its own cluster, initdb/pg_ctl), Redis,
`suara serve` (gunicorn gthread) behind nginx, two `suara worker` processes on the Redis queue, `suara
audiosocket`, and a loopback server that answers like Twilio's REST API (recordings). It then drives calls --
Asterisk AudioSocket connections and signed Twilio webhooks (with a Media Stream where the fault needs one),
all speaking short synthesized Indonesian sentences -- while it injects one fault at a time, then all together.

One table: fault, calls sent, stored, transcribed, drafted, lost, duplicated, time to recover (from the
moment the component is back, or the call ended, to its last call drafted). Exits 1 if any call is lost
or drafted twice, or recovery took longer than 60 s.

The audio directory is a 64 MB tmpfs mounted for the run (needs root); filling it is the "disk full" fault.
Where mounting is not allowed the fault is reported as not run, never simulated.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))
BIN = Path(sys.executable).parent
RECOVERY_LIMIT_S = 60.0
SETTLE_S = 150.0
"""How long after the fault ends a call may take to be drafted before it counts as lost."""
SENTENCES = (
    "Selamat pagi, saya mau melapor jalan di desa Kalitidu rusak parah dan berlubang.",
    "Lampu penerangan jalan di depan pasar Baureno mati sudah satu minggu.",
    "Saluran air di Kecamatan Dander tersumbat sampah dan banjir kalau hujan.",
)
FAULTS = ("none", "worker_kill", "redis_restart", "postgres_restart", "audiosocket_cut",
          "recording_404_404_500", "gunicorn_restart_stream", "disk_full", "all")


def _wait_port(port: int, timeout_s: float) -> None:
    from tests.services import _wait_port as wait

    wait(port, timeout_s)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- the stack -------------------------------------------------------------------------------------

class Stack:
    """Every process of a scaled-out installation, each restartable on the same port."""

    def __init__(self, tmp: Path, speech: list[bytes]) -> None:
        from tests.services import PostgresServer, RedisServer, free_port
        from tests.test_twilio import ACCOUNT_SID, AUTH_TOKEN

        self.tmp = tmp
        self.data = tmp / "data"
        self.audio = self.data / "audio"
        self.audio.mkdir(parents=True)
        self.mounted = _mount_tmpfs(self.audio, "64m")
        self.pg = PostgresServer(tmp / "pg")
        self.redis = RedisServer(tmp)
        self.twilio = ChaosTwilio()
        threading.Thread(target=self.twilio.serve_forever, daemon=True).start()
        self.upstream, self.port, self.as_port = free_port(), free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cache = Path(os.environ.get("SUARA_TEST_CACHE", REPO / ".cache"))
        from transcribe.whisper_model import ensure_bundled_whisper

        self.env = dict(
            os.environ, SUARA_DATA_DIR=str(self.data), SUARA_DATABASE_URL=self.pg.url, SUARA_REDIS_URL=self.redis.url,
            SUARA_SECRET_KEY="chaos", SUARA_PUBLIC_URL=self.base, SUARA_TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            SUARA_TWILIO_AUTH_TOKEN=AUTH_TOKEN, SUARA_TWILIO_API_BASE=self.twilio.base, SUARA_TWILIO_FETCH_FIRST_S="1",
            SUARA_TWILIO_FETCH_STALL_S="10", SUARA_JOB_RETRY_DELAY_S="2", SUARA_WHISPER_DRAWN_READINGS="0",
            SUARA_WHISPER_MODEL=str(ensure_bundled_whisper(cache / "models")), SUARA_TRUSTED_PROXIES="1",
        )
        self.speech = speech
        self.procs: dict[str, subprocess.Popen] = {}
        subprocess.run([str(BIN / "suara"), "init"], env=self.env, check=True, capture_output=True)

    # processes
    def _start(self, name: str, cmd: list[str]) -> subprocess.Popen:
        log_file = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 - kept open by the child
        proc = subprocess.Popen(cmd, env=self.env, cwd=self.tmp, stdout=log_file, stderr=log_file)
        self.procs[name] = proc
        return proc

    def start_web(self) -> None:
        self._start("web", [str(BIN / "suara"), "serve", "--host", "127.0.0.1", "--port", str(self.upstream), "--threads", "16"])
        _wait_port(self.upstream, 60)

    def start_worker(self, n: int) -> None:
        self._start(f"worker{n}", [str(BIN / "suara"), "worker", "--workers", "1"])

    def start(self) -> None:
        self.start_web()
        conf = self.tmp / "nginx.conf"
        from bench_load import NGINX_CONF

        conf.write_text(NGINX_CONF.format(tmp=self.tmp, upstream=self.upstream, port=self.port,
                                          user="user root;" if os.geteuid() == 0 else ""))
        self._start("nginx", ["/usr/sbin/nginx", "-p", str(self.tmp), "-c", str(conf)])
        self.start_worker(1)
        self.start_worker(2)
        self._start("audiosocket", [str(BIN / "suara"), "audiosocket", "--listen", f"127.0.0.1:{self.as_port}"])
        _wait_port(self.port, 30)
        _wait_port(self.as_port, 120)
        for n in (1, 2):
            _wait_log(self.tmp / f"worker{n}.log", "Periodic tasks are", 120)

    def stop(self) -> None:
        for name, proc in reversed(list(self.procs.items())):
            if proc.poll() is None:
                proc.send_signal(signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(40)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.twilio.shutdown()
        self.redis.stop()
        self.pg.stop()
        if self.mounted:
            subprocess.run(["umount", str(self.audio)], check=False)

    # faults
    def transcribing_worker(self) -> str | None:
        """A worker whose log shows a transcription started and not finished (or failed)."""
        for name in ("worker1", "worker2"):
            lines = (self.tmp / f"{name}.log").read_text(errors="replace").splitlines()
            started = {}
            for n, line in enumerate(lines):
                if "Executing" in line and (".transcribe_call:" in line or ".better_audio:" in line):
                    started[line.split(":")[-1].split()[0]] = n
            if any(not any(task in line for line in lines[n + 1:]) for task, n in started.items()):
                return name
        return None

    def kill_worker(self, timeout_s: float = 60) -> str:
        """kill -9 a worker mid-transcription (either, if none is transcribing by the timeout), and start it
        again a second later, as systemd's Restart= would."""
        deadline = time.monotonic() + timeout_s
        while (victim := self.transcribing_worker()) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        mid_job = victim is not None
        victim = victim or "worker1"
        self.procs[victim].send_signal(signal.SIGKILL)
        self.procs[victim].wait()
        log(f"kill -9 {victim}" + (" mid-transcription" if mid_job else " (no transcription seen running)"))
        time.sleep(1.0)
        self.start_worker(int(victim[-1]))
        return victim

    def restart_redis(self, down_s: float) -> None:
        port = self.redis.port
        self.redis.proc.kill()
        self.redis.proc.wait()
        time.sleep(down_s)
        self.redis.proc = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(self.tmp),
             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(port, 20)

    def restart_web(self) -> None:
        """As `systemctl restart`: SIGTERM, wait for the old server to exit, start the new one."""
        proc = self.procs["web"]
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self.start_web()

    def fill_disk(self) -> None:
        filler = self.audio / "filler"
        with filler.open("wb") as fh:
            try:
                while True:
                    fh.write(b"\0" * (1 << 20))
                    fh.flush()
            except OSError:
                pass
        try:  # the last partial megabyte
            with filler.open("ab") as fh:
                while True:
                    fh.write(b"\0" * 4096)
                    fh.flush()
        except OSError:
            pass

    def free_disk(self) -> None:
        (self.audio / "filler").unlink(missing_ok=True)


def _mount_tmpfs(path: Path, size: str) -> bool:
    if os.geteuid() != 0:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)], capture_output=True)
    return done.returncode == 0


def _wait_log(path: Path, text: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise SystemExit(f"{path.name}: {text!r} not seen in {timeout_s:.0f} s")


# -- the Twilio API --------------------------------------------------------------------------------

def _chaos_twilio_class():  # noqa: ANN202 - built lazily: tests.test_twilio imports pytest
    from tests.test_twilio import FakeTwilio, _Handler

    class Handler(_Handler):
        def do_GET(self) -> None:  # noqa: N802
            if not self._authorised():
                return self._answer(401, b'{"code": 20003}')
            name = self.path.rsplit("/", 1)[-1]
            recording_sid = name.removesuffix(".wav")
            with self.server._lock:
                data = self.server.recordings.get(recording_sid)
                script = self.server.scripts.get(recording_sid) or []
                status = script.pop(0) if script else 200
            if data is None or not name.endswith(".wav"):
                return self._answer(404, b'{"code": 20404}')
            if status != 200:
                return self._answer(status, b'{"code": 20500}')
            return self._answer(200, data, "audio/x-wav")

    class ChaosTwilioServer(FakeTwilio):
        """Many recordings, each with its own script of answers before the file (e.g. 404, 404, 500)."""

        def __init__(self) -> None:
            super().__init__(b"", 0)
            self.RequestHandlerClass = Handler
            self.recordings: dict[str, bytes] = {}
            self.scripts: dict[str, list[int]] = {}

    return ChaosTwilioServer


def ChaosTwilio():  # noqa: ANN201, N802
    return _chaos_twilio_class()()


# -- callers ---------------------------------------------------------------------------------------

@dataclass
class Sent:
    """One call the harness made, and what became of it."""

    fault: str
    kind: str  # "audiosocket" or "twilio"
    external_id: str
    ended_at: float = 0.0
    webhook_errors: list[str] = field(default_factory=list)


def audiosocket_call(stack: Stack, sent: Sent, wav: bytes, cut: bool = False, speed: float = 4.0) -> None:
    """One Asterisk channel: UUID, 20 ms slin frames at `speed` times real time, then a hang-up frame -- or,
    with `cut`, the TCP connection reset halfway through without one."""
    from voice.audiosocket import KIND_AUDIO, KIND_HANGUP, KIND_UUID, encode_frame

    pcm = _pcm(wav)
    frames = [pcm[i:i + 320] for i in range(0, len(pcm), 320)]
    if cut:
        frames = frames[: max(1, len(frames) * 2 // 3)]
    with socket.create_connection(("127.0.0.1", stack.as_port), timeout=10) as sock:
        sock.sendall(encode_frame(KIND_UUID, uuid.UUID(sent.external_id).bytes))
        started = time.monotonic()
        for n, frame in enumerate(frames):
            time.sleep(max(0.0, started + n * 0.02 / speed - time.monotonic()))
            sock.sendall(encode_frame(KIND_AUDIO, frame))
        if cut:  # RST, no hang-up frame
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            sock.sendall(encode_frame(KIND_HANGUP))
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(30)
            try:
                while sock.recv(4096):
                    pass
            except OSError:
                pass
    sent.ended_at = time.monotonic()


def _variant(wav: bytes, rng: random.Random) -> bytes:
    """The sentence after a short random lead-in of faint noise: every call's audio is different (audio files
    are named by their content, so equal recordings would share one file and a full disk would go unnoticed)."""
    import io
    import wave

    lead = bytes(rng.getrandbits(8) & 0x07 for _ in range(2 * rng.randint(800, 4000)))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(lead + _pcm(wav))
    return out.getvalue()


def _pcm(wav: bytes) -> bytes:
    import io
    import wave

    with wave.open(io.BytesIO(wav)) as w:
        assert w.getframerate() == 8000 and w.getsampwidth() == 2
        return w.readframes(w.getnframes())


def twilio_call(stack: Stack, sent: Sent, wav: bytes, script: list[int] | None = None,
                stream_until: threading.Event | None = None) -> None:
    """A Twilio call as Twilio makes it: the menu, key 1, (a Media Stream), the <Record> action and the
    recording status callback, then the call status. A webhook that fails is not sent again (Twilio does not
    resend status callbacks); the failure is noted."""
    from tests.test_twilio import ACCOUNT_SID, sign

    recording_sid = "RE" + sent.external_id[2:]
    with stack.twilio._lock:
        stack.twilio.recordings[recording_sid] = wav
        stack.twilio.scripts[recording_sid] = list(script or [])
    base = {"CallSid": sent.external_id, "AccountSid": ACCOUNT_SID, "From": "+6281234567890", "To": "+62353000000"}

    def hook(path: str, **extra: str) -> None:
        params = dict(base, **extra)
        url = stack.base + path
        try:
            response = _http().post(url, data=params, headers={"X-Twilio-Signature": sign(url, params)}, timeout=30)
            if response.status_code >= 400:
                sent.webhook_errors.append(f"{path} {response.status_code}")
        except OSError as exc:
            sent.webhook_errors.append(f"{path} {type(exc).__name__}")

    hook("/twilio/voice")
    hook("/twilio/menu", Digits="1")
    if stream_until is not None:
        media_stream(stack, sent.external_id, wav, stream_until)
        stream_until.wait(120)  # the call goes on (Twilio records it) even when the server dropped the stream
    duration = str(round(len(_pcm(wav)) / 16000))
    recording_url = f"{stack.twilio.base}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording_sid}"
    hook("/twilio/recorded", RecordingSid=recording_sid, RecordingUrl=recording_url, RecordingDuration=duration)
    hook("/twilio/recording", RecordingSid=recording_sid, RecordingUrl=recording_url, RecordingDuration=duration,
         RecordingStatus="completed")
    hook("/twilio/status", CallStatus="completed", CallDuration=duration)
    sent.ended_at = time.monotonic()


def media_stream(stack: Stack, call_sid: str, wav: bytes, until: threading.Event) -> None:
    """Send the call's audio over a signed Media Stream through nginx in real time, looping, until `until` is
    set or the server closes the socket."""
    from simple_websocket import Client

    from tests.test_twilio import sign
    from transcribe.audio import mulaw_encode
    import numpy as np

    url = stack.base.replace("http://", "ws://") + "/twilio/stream"
    ws = Client.connect(url, headers={"X-Twilio-Signature": sign(url, {})})
    data = mulaw_encode(np.frombuffer(_pcm(wav), np.int16))
    try:
        ws.send(json.dumps({"event": "start", "start": {"callSid": call_sid, "customParameters": {"caller": "+6281234567890"}}}))
        n = 0
        started = time.monotonic()
        while not until.is_set():
            i = (n * 160) % len(data)
            time.sleep(max(0.0, started + n * 0.02 - time.monotonic()))
            ws.send(json.dumps({"event": "media", "media": {"track": "inbound", "payload": base64.b64encode(data[i:i + 160]).decode()}}))
            n += 1
        ws.send(json.dumps({"event": "stop"}))
    except Exception as exc:  # noqa: BLE001 - the server went away under the stream: Twilio goes on recording
        log(f"media stream of {call_sid[:10]}… ended by the server: {type(exc).__name__}")
    finally:
        try:
            ws.close()
        except Exception:  # noqa: BLE001
            pass


_local = threading.local()


def _http():  # noqa: ANN202
    import requests

    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


# -- the runs --------------------------------------------------------------------------------------

class Run:
    def __init__(self, stack: Stack, calls: int, rng: random.Random) -> None:
        self.stack, self.calls, self.rng = stack, calls, rng
        self.sent: list[Sent] = []
        self.threads: list[threading.Thread] = []

    def _go(self, target, *args) -> None:  # noqa: ANN001
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self.threads.append(thread)

    def send(self, fault: str, kind: str, cut: bool = False, script: list[int] | None = None,
             stream_until: threading.Event | None = None) -> Sent:
        wav = _variant(self.rng.choice(self.stack.speech), self.rng)
        if kind == "audiosocket":
            sent = Sent(fault, kind, str(uuid.UUID(int=self.rng.getrandbits(128))))
            self._go(audiosocket_call, self.stack, sent, wav, cut)
        else:
            sent = Sent(fault, kind, "CA" + uuid.UUID(int=self.rng.getrandbits(128)).hex)
            self._go(twilio_call, self.stack, sent, wav, script, stream_until)
        self.sent.append(sent)
        return sent

    def mixed(self, fault: str, n: int, spacing_s: float = 0.4) -> list[Sent]:
        out = []
        for i in range(n):
            out.append(self.send(fault, "twilio" if i % 2 == 0 else "audiosocket"))
            time.sleep(spacing_s)
        return out

    def join(self) -> None:
        for thread in self.threads:
            thread.join(120)
        self.threads.clear()

    # one function per fault; each returns the monotonic time the component was back
    def fault_none(self) -> float:
        self.mixed("none", self.calls)
        self.join()
        return time.monotonic()

    def fault_worker_kill(self, name: str = "worker_kill") -> float:
        for _ in range(self.calls):
            self.send(name, "twilio")
        self.stack.kill_worker()
        back = time.monotonic()
        self.join()
        return back

    def fault_redis_restart(self, name: str = "redis_restart") -> float:
        self.mixed(name, max(1, self.calls // 2), 0.2)
        stop = threading.Thread(target=self.stack.restart_redis, args=(4.0,))
        stop.start()
        time.sleep(0.5)
        self.mixed(name, self.calls - max(1, self.calls // 2), 0.5)
        stop.join()
        back = time.monotonic()
        self.join()
        return back

    def fault_postgres_restart(self, name: str = "postgres_restart") -> float:
        self.mixed(name, max(1, self.calls // 2), 0.2)
        self.stack.pg.stop()
        log("PostgreSQL stopped (immediate)")
        self.mixed(name, self.calls - max(1, self.calls // 2), 0.8)
        time.sleep(2.0)
        self.stack.pg.start()
        log("PostgreSQL started")
        back = time.monotonic()
        self.join()
        return back

    def fault_audiosocket_cut(self, name: str = "audiosocket_cut") -> float:
        for _ in range(self.calls):
            self.send(name, "audiosocket", cut=True)
            time.sleep(0.3)
        self.join()
        return time.monotonic()

    def fault_recording_404_404_500(self, name: str = "recording_404_404_500") -> float:
        for _ in range(self.calls):
            self.send(name, "twilio", script=[404, 404, 500])
            time.sleep(0.3)
        self.join()
        return time.monotonic()

    def fault_gunicorn_restart_stream(self, name: str = "gunicorn_restart_stream") -> float:
        until = threading.Event()
        for _ in range(self.calls):
            self.send(name, "twilio", stream_until=until)
        time.sleep(3.0)  # the streams are open, audio flowing
        log("restarting gunicorn with media streams open")
        self.stack.restart_web()
        back = time.monotonic()
        until.set()
        self.join()
        return back

    def fault_disk_full(self, name: str = "disk_full") -> float:
        self.stack.fill_disk()
        log("audio disk full")
        self.mixed(name, self.calls, 0.5)
        self.join()
        time.sleep(3.0)
        self.stack.free_disk()
        log("audio disk freed")
        return time.monotonic()

    def fault_all(self) -> float:
        """Every fault overlapping: the disk full throughout; a worker killed and Redis restarted; PostgreSQL
        down for 3 s while calls end; gunicorn restarted with a stream open."""
        name = "all"
        until = threading.Event()
        if self.stack.mounted:
            self.stack.fill_disk()
        self.send(name, "twilio", stream_until=until)
        self.send(name, "twilio", script=[404, 404, 500])
        self.send(name, "audiosocket", cut=True)
        self.mixed(name, max(1, self.calls - 3), 0.3)
        time.sleep(2.0)
        self.stack.kill_worker(10)
        redis = threading.Thread(target=self.stack.restart_redis, args=(3.0,))
        redis.start()
        self.stack.pg.stop()
        postgres = threading.Timer(3.0, self.stack.pg.start)
        postgres.start()
        self.mixed(name, 2, 0.5)
        postgres.join()
        self.stack.restart_web()
        until.set()
        redis.join()
        if self.stack.mounted:
            self.stack.free_disk()
        back = time.monotonic()
        self.join()
        return back


def _pg_dsn(stack: Stack) -> str:
    return stack.pg.url.replace("postgresql+psycopg://", "postgresql://")


@dataclass
class Outcome:
    stored: bool = False
    transcribed: bool = False
    drafted: bool = False
    duplicated: bool = False
    drafted_at: float | None = None
    status: str = "-"
    error: str | None = None


def settle(stack: Stack, sent: list[Sent], back: float, timeout_s: float) -> dict[str, Outcome]:
    """Poll the database until every call is drafted (or given up on); the time each was first seen drafted."""
    import psycopg

    outcomes = {s.external_id: Outcome() for s in sent}
    deadline = back + timeout_s
    while True:
        try:
            with psycopg.connect(_pg_dsn(stack), connect_timeout=3) as conn:
                rows = conn.execute(
                    "select c.external_id, c.status, c.error, c.audio_path is not null,"
                    " (select count(*) from transcript t where t.call_id = c.id),"
                    " (select count(*) from complaint p where p.call_id = c.id)"
                    " from call c where c.external_id = any(%s)", ([s.external_id for s in sent],)).fetchall()
        except psycopg.OperationalError:
            rows = None
        now = time.monotonic()
        for external_id, status, error, stored, transcripts, drafts in rows or []:
            o = outcomes[external_id]
            o.status, o.error, o.stored, o.transcribed = status, error, stored, transcripts > 0
            o.duplicated = transcripts > 1 or drafts > 1
            if drafts and not o.drafted:
                o.drafted, o.drafted_at = True, now
        if all(o.drafted for o in outcomes.values()) or now > deadline:
            return outcomes
        time.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 calls per fault")
    parser.add_argument("--calls", type=int, default=6, help="calls per fault")
    parser.add_argument("--only", nargs="*", choices=FAULTS, help="these faults only")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs) at the end")
    parser.add_argument("--settle", type=float, default=SETTLE_S, help="seconds a call may take after the fault")
    args = parser.parse_args()
    calls = 2 if args.quick else args.calls
    faults = args.only or list(FAULTS)
    if "none" not in faults:  # the first calls load the models: the baseline row takes that, not a fault's
        faults.insert(0, "none")
    for tool in ("/usr/sbin/nginx", shutil.which("redis-server")):
        if not tool or not Path(tool).exists():
            raise SystemExit("nginx and redis-server are needed (scripts/install-system.sh test)")
    from tests.speech import synth_phone8k, synth_tools_missing

    if synth_tools_missing():
        raise SystemExit(f"speech synthesis needs {', '.join(synth_tools_missing())} (scripts/install-system.sh test)")
    cache = Path(os.environ.get("SUARA_TEST_CACHE", REPO / ".cache")) / "chaos"
    speech = [synth_phone8k(text, cache / f"kalimat{n}.wav").read_bytes() for n, text in enumerate(SENTENCES)]
    tmp = Path(tempfile.mkdtemp(prefix="suara-chaos-"))
    tmp.chmod(0o755)  # the PostgreSQL cluster below runs as the postgres user
    stack = None
    rows = []
    try:
        log(f"starting the stack in {tmp}")
        stack = Stack(tmp, speech)
        stack.start()
        if not stack.mounted and "disk_full" in faults:
            log("disk_full: a small filesystem could not be mounted here (needs root and mount); that fault is NOT run")
            faults = [f for f in faults if f != "disk_full"]
        log(f"stack up: nginx {stack.base}, AudioSocket :{stack.as_port}, Twilio API {stack.twilio.base}")
        run = Run(stack, calls, random.Random(19))
        for fault in faults:
            log(f"== {fault}")
            before = len(run.sent)
            back = getattr(run, f"fault_{fault}")()
            sent = run.sent[before:]
            outcomes = settle(stack, sent, back, args.settle)
            rows.append((fault, sent, outcomes, back))
            for s in sent:
                o = outcomes[s.external_id]
                if not o.drafted or o.duplicated or s.webhook_errors:
                    log(f"  {s.kind} {s.external_id[:12]}…: status {o.status}, error {o.error!r}, webhooks {s.webhook_errors}")
    finally:
        if stack is not None:
            stack.stop()
        if args.keep or rows and any(_bad(r) for r in rows):
            log(f"logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return report(rows)


def _bad(row) -> bool:  # noqa: ANN001
    fault, sent, outcomes, back = row
    lost = sum(1 for s in sent if not outcomes[s.external_id].drafted)
    dup = sum(1 for s in sent if outcomes[s.external_id].duplicated)
    slow = fault != "none" and _recovery(sent, outcomes, back) > RECOVERY_LIMIT_S  # none: the baseline latency
    return bool(lost or dup or slow)


def _recovery(sent: list[Sent], outcomes: dict[str, Outcome], back: float) -> float:
    times = [outcomes[s.external_id].drafted_at - max(back, s.ended_at) for s in sent if outcomes[s.external_id].drafted_at]
    return max([0.0, *times])


def report(rows) -> int:  # noqa: ANN001
    print(f"\n{'fault':<26}{'sent':>6}{'stored':>8}{'transcr.':>9}{'drafted':>9}{'lost':>6}{'dup.':>6}{'recover s':>11}")
    failed = False
    for fault, sent, outcomes, back in rows:
        o = [outcomes[s.external_id] for s in sent]
        lost = sum(1 for x in o if not x.drafted)
        dup = sum(1 for x in o if x.duplicated)
        recovery = _recovery(sent, outcomes, back)
        failed |= _bad((fault, sent, outcomes, back))
        print(f"{fault:<26}{len(sent):>6}{sum(x.stored for x in o):>8}{sum(x.transcribed for x in o):>9}"
              f"{sum(x.drafted for x in o):>9}{lost:>6}{dup:>6}{recovery:>11.1f}")
    print("recover s: from the component back (or the call's end) to the fault's last call drafted; for 'none' the "
          "plain call-to-draft time (models loading)")
    print(f"\n{'FAILED' if failed else 'OK'}: no call may be lost or drafted twice, recovery within {RECOVERY_LIMIT_S:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

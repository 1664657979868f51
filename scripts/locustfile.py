"""Locust users of the load run (scripts/bench_load.py starts the stack and runs this headless).

Operators browse, filter, search, open complaints and confirm drafts; liaisons open their queue and answer;
the public tracks complaints and reads the transparency page; Twilio sends signed webhooks (20 a second in
all). The ids and references to use come from SUARA_LOAD_PLAN (a JSON file written by bench_load.py).
"""

from __future__ import annotations

import json
import os
import random
import re
import threading

from locust import HttpUser, between, constant_throughput, task
from twilio.request_validator import RequestValidator

PLAN = json.loads(open(os.environ["SUARA_LOAD_PLAN"]).read())
_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"|<meta name="csrf-token" content="([^"]+)"')
_drafts = list(PLAN["drafts"])
_drafts_lock = threading.Lock()
_disposed = list(PLAN["disposed"])


def _csrf(html: str) -> str:
    match = _CSRF.search(html)
    return (match.group(1) or match.group(2)) if match else ""


class _SignedIn(HttpUser):
    abstract = True
    username = ""

    def on_start(self) -> None:
        page = self.client.get("/login", name="/login")
        self.client.post("/login", name="/login [POST]",
                         data={"username": self.username, "password": PLAN["password"], "csrf_token": _csrf(page.text)})


class Operator(_SignedIn):
    weight = 6
    wait_time = between(1, 3)
    username = "operator"

    @task(5)
    def list_first_page(self) -> None:
        self.client.get("/konsol/pengaduan", name="/konsol/pengaduan")

    @task(3)
    def filter_list(self) -> None:
        query = random.choice([f"status=terdisposisi&agency={PLAN['agency']}", "overdue=1", f"kecamatan={PLAN['kecamatan']}&channel=radio",
                               f"after={random.randrange(PLAN['first_id'] + 50, PLAN['last_id'])}"])
        self.client.get(f"/konsol/pengaduan?{query}", name="/konsol/pengaduan?filter")

    @task(2)
    def search(self) -> None:
        q = random.choice([random.choice(PLAN["references"]), "puskesmas", "jalan rusak", random.choice(PLAN["phones"])])
        self.client.get("/konsol/pengaduan", params={"q": q}, name="/konsol/pengaduan?q")

    @task(3)
    def open_complaint(self) -> None:
        self.client.get(f"/konsol/pengaduan/{random.choice(PLAN['confirmed'])}", name="/konsol/pengaduan/<id>")

    @task(1)
    def inbox(self) -> None:
        self.client.get("/konsol/", name="/konsol/")

    @task(2)
    def review_and_confirm(self) -> None:
        with _drafts_lock:
            draft = _drafts.pop() if _drafts else None
        if draft is None:
            return
        page = self.client.get(f"/konsol/draf/{draft}", name="/konsol/draf/<id>")
        self.client.post(f"/konsol/draf/{draft}", name="/konsol/draf/<id> [confirm]", data={
            "csrf_token": _csrf(page.text), "title": "Jalan rusak (beban)", "description": "jalan rusak parah",
            "classification": "pengaduan", "topic_id": PLAN["topic"], "action": "confirm"})


class Liaison(_SignedIn):
    weight = 3
    wait_time = between(2, 5)
    username = "liaison"

    @task(3)
    def queue(self) -> None:
        self.client.get("/konsol/opd", name="/konsol/opd")

    @task(2)
    def answer(self) -> None:
        complaint = random.choice(_disposed)
        page = self.client.get(f"/konsol/pengaduan/{complaint}", name="/konsol/pengaduan/<id> (liaison)")
        self.client.post(f"/konsol/pengaduan/{complaint}/tindak-lanjut", name="/konsol/pengaduan/<id>/tindak-lanjut",
                         data={"csrf_token": _csrf(page.text), "text": "Sudah kami tinjau dan dijadwalkan perbaikan."})


class Public(HttpUser):
    weight = 6
    wait_time = between(1, 4)

    def on_start(self) -> None:
        # one citizen each, from their own address (the per-address limits of /lacak count per citizen)
        self.client.headers["X-Forwarded-For"] = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"

    @task(4)
    def track(self) -> None:
        self.client.get("/lacak", params={"nomor": random.choice(PLAN["references"])}, name="/lacak?nomor")

    @task(1)
    def transparency(self) -> None:
        self.client.get("/transparansi", name="/transparansi")


class Twilio(HttpUser):
    """Signed webhooks: a new call's menu, then its status callback. `constant_throughput` per user; the run
    starts enough of them for 20 requests a second."""

    weight = 0
    fixed_count = int(os.environ.get("SUARA_LOAD_TWILIO_USERS", 4))
    wait_time = constant_throughput(float(os.environ.get("SUARA_LOAD_TWILIO_RATE", 5)))

    def on_start(self) -> None:
        self.validator = RequestValidator(PLAN["twilio_token"])

    def _signed(self, path: str, form: dict[str, str], name: str) -> None:
        signature = self.validator.compute_signature(PLAN["public_url"] + path, form)
        self.client.post(path, data=form, headers={"X-Twilio-Signature": signature}, name=name)

    @task
    def call(self) -> None:
        sid = "CA%032x" % random.getrandbits(128)
        if random.random() < 0.5:
            self._signed("/twilio/voice", {"CallSid": sid, "From": "+6281234567890", "To": "+6235312345"}, "/twilio/voice")
        else:
            self._signed("/twilio/status", {"CallSid": sid, "CallStatus": "completed", "CallDuration": "30"}, "/twilio/status")

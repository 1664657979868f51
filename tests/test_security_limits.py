"""Login and tracking limits behind a proxy, spraying, equal timing (issue 15, finding 2)."""

from __future__ import annotations

import time

import pytest

from tests.conftest import PASSWORD, csrf_from


@pytest.fixture
def proxied_app(settings, db_engine):  # noqa: ANN001, ANN201
    """The app behind one trusted reverse proxy (nginx), which sends X-Forwarded-For."""
    from web import create_app

    app = create_app({"SETTINGS": settings.with_(trusted_proxies=1), "TESTING": True})
    yield app
    app.extensions["suara"].engine.dispose()


def _from(app, address: str):  # noqa: ANN001, ANN201
    """A client whose requests reach the app through the proxy, which names `address` as the client."""
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=address)
    return client


def _login(client, username: str, password: str):  # noqa: ANN001, ANN201
    token = csrf_from(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_someone_elses_wrong_guesses_do_not_block_the_real_user(proxied_app, users) -> None:  # noqa: ANN001
    attacker = _from(proxied_app, "203.0.113.9")
    answers = [_login(attacker, "operator", f"tebakan-{i}").status_code for i in range(12)]
    assert answers[:5] == [401] * 5 and set(answers[5:]) == {429}
    limited = _login(attacker, "operator", "tebakan-x")
    assert "Coba lagi dalam" in limited.text and 'name="password"' in limited.text  # the form again, with the wait
    real_user = _from(proxied_app, "198.51.100.7")  # same proxy socket, another client
    assert _login(real_user, "operator", PASSWORD).status_code == 302


def test_spraying_many_usernames_from_one_address_is_slowed(proxied_app, users) -> None:  # noqa: ANN001
    sprayer = _from(proxied_app, "203.0.113.50")
    answers = [_login(sprayer, f"pengguna{i}", "Password123").status_code for i in range(40)]
    assert 429 in answers
    assert answers.index(429) <= 20
    assert _login(_from(proxied_app, "198.51.100.8"), "admin", PASSWORD).status_code == 302


def test_a_limited_answer_tells_when_to_retry(proxied_app, users) -> None:  # noqa: ANN001
    client = _from(proxied_app, "203.0.113.10")
    for i in range(5):
        _login(client, "viewer", f"salah-{i}")
    answer = _login(client, "viewer", "salah-lagi")
    assert answer.status_code == 429
    assert 1 <= int(answer.headers["Retry-After"]) <= 60


def test_login_takes_as_long_for_an_unknown_user_as_for_a_real_one(settings, db_engine, users) -> None:  # noqa: ANN001
    from web import create_app

    app = create_app({"SETTINGS": settings, "TESTING": True, "RATELIMIT_ENABLED": False})
    client = app.test_client()
    token = csrf_from(client.get("/login").text)

    def fastest_ms(username: str) -> float:
        # the fastest of many: what the work itself costs, without the waits a loaded machine adds to some tries
        times = []
        for i in range(15):
            start = time.perf_counter()
            answer = client.post("/login", data={"username": username, "password": f"salah-{i}", "csrf_token": token})
            times.append((time.perf_counter() - start) * 1000)
            assert answer.status_code == 401
        return min(times)

    fastest_ms("operator")  # warm up
    known, unknown = fastest_ms("operator"), fastest_ms("tidak-ada-orangnya")
    assert 0.6 < unknown / known < 1.6, f"known {known:.0f} ms, unknown {unknown:.0f} ms"
    app.extensions["suara"].engine.dispose()


def test_public_tracking_is_limited_per_reference_across_addresses(proxied_app, session, settings, users) -> None:  # noqa: ANN001
    from tests.console_data import make_complaint

    complaint = make_complaint(session, settings, "terdisposisi")
    session.commit()
    answers = [_from(proxied_app, f"203.0.113.{i}").get("/lacak", query_string={"nomor": complaint.reference}).status_code
               for i in range(1, 26)]  # fmt: skip
    assert answers[:20] == [200] * 20 and answers[-1] == 429


def test_public_tracking_is_limited_per_address(proxied_app, users) -> None:  # noqa: ANN001
    from models.refs import luhn_check_digit

    # numbers that could be references (a right check digit) but are nobody's: what guessing looks like
    guesses = [f"2611270{i:04d}" for i in range(35)]
    guesses = [f"{g}{luhn_check_digit(g)}" for g in guesses]
    client = _from(proxied_app, "203.0.113.77")
    answers = [client.get("/lacak", query_string={"nomor": g}).status_code for g in guesses]
    assert 429 in answers and answers.index(429) <= 31
    assert _from(proxied_app, "203.0.113.78").get("/lacak", query_string={"nomor": guesses[0]}).status_code == 200


def test_limits_add_up_across_workers_with_redis(settings, db_engine, users, redis_url) -> None:  # noqa: ANN001
    """Two app processes (gunicorn workers, hosts) sharing Redis count the same failures."""
    import redis

    from web import create_app

    redis.Redis.from_url(redis_url).flushdb()
    shared = settings.with_(redis_url=redis_url, trusted_proxies=1)
    first, second = (create_app({"SETTINGS": shared, "TESTING": True}) for _ in range(2))
    for i in range(3):
        assert _login(_from(first, "203.0.113.5"), "operator", f"salah-{i}").status_code == 401
    for i in range(2):
        assert _login(_from(second, "203.0.113.5"), "operator", f"salah-{i}").status_code == 401
    assert _login(_from(first, "203.0.113.5"), "operator", PASSWORD).status_code == 429
    for app in (first, second):
        app.extensions["suara"].engine.dispose()

"""Sessions that can be revoked, the remember cookie, password changes, resets and strength (issue 15, finding 1)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash

from models.entities import User
from tests.conftest import PASSWORD, csrf_from, login

NEW_PASSWORD = "kopi-tubruk-pagi-77"


def _copy_cookies(source, target, *names: str) -> None:  # noqa: ANN001
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, f"no {name} cookie"
        target.set_cookie(name, cookie.value)


def _logout(client) -> None:  # noqa: ANN001
    assert client.post("/logout", data={"csrf_token": csrf_from(client.get("/konsol/pengaduan").text)}).status_code == 302


def _user(session, name: str) -> User:  # noqa: ANN001
    session.expire_all()
    return session.scalars(select(User).where(User.username == name)).one()


def test_a_copied_session_cookie_is_refused_after_logout(app, client, users) -> None:  # noqa: ANN001
    login(client, "operator")
    thief = app.test_client()
    _copy_cookies(client, thief, "session")
    assert thief.get("/konsol/pengaduan").status_code == 200
    _logout(client)
    assert thief.get("/konsol/pengaduan").status_code == 302


def test_a_copied_remember_cookie_is_refused_after_logout(app, client, users) -> None:  # noqa: ANN001
    page = client.get("/login")
    client.post("/login", data={"username": "operator", "password": PASSWORD, "remember": "y", "csrf_token": csrf_from(page.text)})
    thief = app.test_client()
    _copy_cookies(client, thief, "remember_token")
    assert thief.get("/konsol/pengaduan").status_code == 200  # it does log in before the logout
    _logout(client)
    thief_again = app.test_client()
    _copy_cookies(thief, thief_again, "remember_token")
    assert thief_again.get("/konsol/pengaduan").status_code == 302


def test_the_remember_cookie_is_samesite_and_short_lived(client, users) -> None:  # noqa: ANN001
    page = client.get("/login")
    response = client.post("/login", data={"username": "operator", "password": PASSWORD, "remember": "y", "csrf_token": csrf_from(page.text)})
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token="))
    assert "SameSite=Lax" in header and "HttpOnly" in header
    from email.utils import parsedate_to_datetime

    from models.base import utcnow

    expires = parsedate_to_datetime(header.split("Expires=")[1].split(";")[0]).replace(tzinfo=None)
    assert 13 <= (expires - utcnow()).days <= 14


def test_deactivating_ends_sessions_and_reactivating_does_not_bring_them_back(app, client, session, users) -> None:  # noqa: ANN001
    victim = app.test_client()
    login(victim, "viewer")
    assert victim.get("/konsol/pengaduan").status_code == 200
    login(client, "admin")
    token = csrf_from(client.get("/konsol/admin/pengguna").text)
    for _ in range(2):  # off, then on again
        client.post(f"/konsol/admin/pengguna/{users['viewer']}/aktif", data={"csrf_token": token})
    assert _user(session, "viewer").active
    assert victim.get("/konsol/pengaduan").status_code == 302


def test_a_role_change_ends_the_users_sessions(app, client, session, users) -> None:  # noqa: ANN001
    victim = app.test_client()
    login(victim, "operator")
    login(client, "admin")
    token = csrf_from(client.get("/konsol/admin/pengguna").text)
    client.post(f"/konsol/admin/pengguna/{users['operator']}/peran", data={"csrf_token": token, "role": "viewer"})
    assert _user(session, "operator").role == "viewer"
    assert victim.get("/konsol/pengaduan").status_code == 302


def test_login_renews_the_session_and_the_csrf_token(client, users) -> None:  # noqa: ANN001
    before = csrf_from(client.get("/login").text)
    session_before = client.get_cookie("session").value
    login(client, "operator")
    after = csrf_from(client.get("/konsol/pengaduan").text)
    assert after != before
    assert client.get_cookie("session").value != session_before
    # the token from before the login is no longer accepted
    answer = client.post("/logout", data={"csrf_token": before})
    assert answer.status_code == 400


def test_a_user_changes_their_own_password_and_other_sessions_end(app, client, users) -> None:  # noqa: ANN001
    other_device = app.test_client()
    login(other_device, "operator")
    login(client, "operator")
    token = csrf_from(client.get("/akun/kata-sandi").text)
    wrong = client.post("/akun/kata-sandi", data={"csrf_token": token, "current": "salah-sama-sekali", "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert wrong.status_code == 400 and "Kata sandi saat ini salah" in wrong.text
    weak = client.post("/akun/kata-sandi", data={"csrf_token": token, "current": PASSWORD, "new": "bismillah123", "repeat": "bismillah123"})
    assert weak.status_code == 400 and "terlalu umum" in weak.text
    done = client.post("/akun/kata-sandi", data={"csrf_token": token, "current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert done.status_code == 302
    assert client.get("/konsol/pengaduan").status_code == 200  # this session goes on
    assert other_device.get("/konsol/pengaduan").status_code == 302
    fresh = app.test_client()
    assert login(fresh, "operator").status_code == 401
    assert login(fresh, "operator", NEW_PASSWORD).status_code == 302


def test_an_admin_reset_forces_a_change_at_next_login(app, client, users) -> None:  # noqa: ANN001
    import re

    login(client, "admin")
    token = csrf_from(client.get("/konsol/admin/pengguna").text)
    page = client.post(f"/konsol/admin/pengguna/{users['viewer']}/sandi", data={"csrf_token": token, "confirm": "1"},
                       follow_redirects=True)
    temporary = re.search(r'<code id="new-password">([^<]+)</code>', page.text).group(1)
    assert page.headers["Cache-Control"] == "no-store"
    viewer = app.test_client()
    answer = login(viewer, "viewer", temporary)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/akun/kata-sandi")
    assert viewer.get("/dasbor/").headers["Location"].endswith("/akun/kata-sandi")  # nothing else opens
    assert "diatur ulang oleh admin" in viewer.get("/akun/kata-sandi").text
    token = csrf_from(viewer.get("/akun/kata-sandi").text)
    viewer.post("/akun/kata-sandi", data={"csrf_token": token, "current": temporary, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert viewer.get("/dasbor/").status_code == 200


@pytest.mark.parametrize("action,shown", [("sandi", "new-password"), ("token", "new-token")])
def test_a_secret_shown_once_survives_a_reload(app, client, session, users, action: str, shown: str) -> None:  # noqa: ANN001
    """The regression: the reset answered its POST with the page itself, so reloading it sent the POST again and
    reset the password once more; the temporary password already handed over stopped working. Now the POST
    redirects (post/redirect/get) and the page shows the secret once; a reload changes nothing."""
    import re

    login(client, "admin")
    token = csrf_from(client.get("/konsol/admin/pengguna").text)
    answer = client.post(f"/konsol/admin/pengguna/{users['viewer']}/{action}", data={"csrf_token": token, "confirm": "1"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/konsol/admin/pengguna")
    stored = (_user(session, "viewer").password_hash, _user(session, "viewer").api_token_hash)
    page = client.get(answer.headers["Location"])
    assert page.headers["Cache-Control"] == "no-store"
    secret = re.search(rf'<code id="{shown}">([^<]+)</code>', page.text).group(1)
    assert secret not in answer.get_data(as_text=True)
    reload = client.get(answer.headers["Location"])  # what the browser's reload now repeats
    assert reload.status_code == 200 and secret not in reload.text and f'id="{shown}"' not in reload.text
    assert (_user(session, "viewer").password_hash, _user(session, "viewer").api_token_hash) == stored
    if action == "sandi":
        assert login(app.test_client(), "viewer", secret).status_code == 302
    else:
        assert client.get("/api/v1/complaints", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_an_admin_does_not_reset_their_own_password_from_the_users_page(client, session, users) -> None:  # noqa: ANN001
    """A reset ends the user's sessions: the admin's own would end before the page could show the new password."""
    login(client, "admin")
    before = _user(session, "admin").password_hash
    token = csrf_from(client.get("/konsol/admin/pengguna").text)
    page = client.post(f"/konsol/admin/pengguna/{users['admin']}/sandi", data={"csrf_token": token, "confirm": "1"},
                       follow_redirects=True)
    assert "Ganti kata sandi Anda sendiri" in page.text and 'id="new-password"' not in page.text
    assert _user(session, "admin").password_hash == before


def test_the_users_page_offers_no_reset_or_deactivation_on_the_admins_own_row(client, users) -> None:  # noqa: ANN001
    login(client, "admin")
    page = client.get("/konsol/admin/pengguna").text
    assert f"/konsol/admin/pengguna/{users['viewer']}/sandi" in page
    assert f"/konsol/admin/pengguna/{users['admin']}/sandi" not in page
    # nor deactivation, which is refused for oneself too
    assert f"/konsol/admin/pengguna/{users['viewer']}/aktif" in page
    assert f"/konsol/admin/pengguna/{users['admin']}/aktif" not in page


def test_a_reset_asks_for_confirmation_without_javascript(app, client, session, users) -> None:  # noqa: ANN001
    """The form carries a required checkbox naming the user; a POST without it resets nothing."""
    import re

    login(client, "admin")
    page = client.get("/konsol/admin/pengguna").text
    form = re.search(rf'<form method="post" action="/konsol/admin/pengguna/{users["viewer"]}/sandi">(.*?)</form>', page, re.S)
    assert form is not None
    assert 'name="csrf_token"' in form.group(1)
    assert re.search(r'<input type="checkbox" name="confirm" value="1" required>\s*Ya, atur ulang kata sandi viewer',
                     form.group(1))
    before = _user(session, "viewer").password_hash
    answer = client.post(f"/konsol/admin/pengguna/{users['viewer']}/sandi", data={"csrf_token": csrf_from(page)},
                         follow_redirects=True)
    assert "tidak diubah: centang “Ya, atur ulang kata sandi viewer”" in answer.text and 'id="new-password"' not in answer.text
    assert _user(session, "viewer").password_hash == before
    assert login(app.test_client(), "viewer").status_code == 302


@pytest.mark.parametrize("password", ["pendek123", "password123", "Bismillah2024!", "qwertyuiop", "aaaaaaaaaaaa", "operator-2026"])
def test_weak_passwords_are_refused(session, password: str) -> None:  # noqa: ANN001
    from web.accounts import WeakPassword
    from web.auth import create_user

    with pytest.raises(WeakPassword):
        create_user(session, "operator", password)


def test_cli_passwd_sets_the_password_and_ends_sessions(app, client, settings, session, users, monkeypatch) -> None:  # noqa: ANN001
    from web.cli import main

    login(client, "operator")
    monkeypatch.setenv("SUARA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SUARA_DATABASE_URL", settings.database_url)
    weak = CliRunner().invoke(main, ["user", "passwd", "operator", "--password", "12345678"])
    assert weak.exit_code == 2 and "minimal 10 karakter" in weak.output
    result = CliRunner().invoke(main, ["user", "passwd", "operator", "--password", NEW_PASSWORD, "--must-change"])
    assert result.exit_code == 0, result.output
    assert _user(session, "operator").must_change_password
    assert client.get("/konsol/pengaduan").status_code == 302
    assert login(app.test_client(), "operator", NEW_PASSWORD).headers["Location"].endswith("/akun/kata-sandi")


def test_limited_forms_send_anonymous_visitors_to_login(client, users) -> None:  # noqa: ANN001
    token = csrf_from(client.get("/login").text)
    for url in ("/akun/kata-sandi", "/calls/upload"):
        answer = client.post(url, data={"csrf_token": token})
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], url


def test_the_product_hashes_passwords_with_scrypt() -> None:
    """The suite hashes with a cheap method (tests/conftest.py); what the product serves stays scrypt."""
    from werkzeug.security import check_password_hash, generate_password_hash

    from tests import conftest

    assert conftest.SERVED_PASSWORD_METHOD == "scrypt"
    stored = generate_password_hash("kata-sandi-panjang", method=conftest.SERVED_PASSWORD_METHOD)
    assert stored.startswith("scrypt:32768:") and check_password_hash(stored, "kata-sandi-panjang")


# -- user names: one account per name, whatever its case ------------------------------------------------
def test_a_user_name_differing_only_in_case_is_refused_on_the_users_page(client, session, users) -> None:  # noqa: ANN001
    login(client, "admin")
    page = "/konsol/admin/pengguna"
    response = client.post(page, data={"csrf_token": csrf_from(client.get(page).text), "username": "OPERATOR",
                                       "password": "sandi-panjang-1", "role": "operator"})
    assert response.status_code == 422
    assert "Nama pengguna “OPERATOR” sudah dipakai oleh “operator”" in response.text
    assert "huruf besar dan kecil tidak dibedakan" in response.text
    assert session.scalars(select(User.username).where(func.lower(User.username) == "operator")).all() == ["operator"]


@pytest.mark.parametrize("typed", ["operator ", " operator", "  Operator  "])
def test_login_ignores_spaces_around_the_user_name(client, users, typed: str) -> None:  # noqa: ANN001
    """Phone keyboards add a space after a word; account creation strips it, so login does too."""
    assert login(client, typed).status_code == 302


def test_the_database_refuses_a_second_name_differing_only_in_case(session, users) -> None:  # noqa: ANN001
    session.add(User(username="Operator", password_hash="x"))
    with pytest.raises(IntegrityError):
        session.flush()


@pytest.mark.parametrize("typed", ["operator", "OPERATOR", "Operator"])
def test_login_takes_the_name_in_any_case(client, users, typed: str) -> None:  # noqa: ANN001
    assert login(client, typed).status_code == 302


def test_cli_finds_the_user_in_any_case(settings, session, users, monkeypatch) -> None:  # noqa: ANN001
    from web.cli import main

    monkeypatch.setenv("SUARA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SUARA_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(main, ["user", "passwd", "OPERATOR", "--password", NEW_PASSWORD])
    assert result.exit_code == 0, result.output
    assert check_password_hash(_user(session, "operator").password_hash, NEW_PASSWORD)
    result = CliRunner().invoke(main, ["user", "add", "Admin", "--role", "admin", "--password", NEW_PASSWORD])
    assert result.exit_code == 1 and "sudah dipakai oleh “admin”" in result.output
    assert CliRunner().invoke(main, ["user", "add", "Admin", "--password", NEW_PASSWORD, "--if-missing"]).exit_code == 0

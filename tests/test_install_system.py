"""scripts/install-system.sh adds contrib/non-free (for mbrola) beside the machine's own Debian source."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "install-system.sh"

pytestmark = pytest.mark.skipif(shutil.which("apt-get") is None, reason="needs apt (Debian)")


def _codename() -> str:
    for line in Path("/etc/os-release").read_text().splitlines():
        if line.startswith("VERSION_CODENAME="):
            return line.split("=", 1)[1].strip('"')
    pytest.skip("no VERSION_CODENAME in /etc/os-release")


def contrib_line(tmp_path: Path, sources_list: str = "", sources: str = "") -> subprocess.CompletedProcess:
    """What the script would add on a machine with these apt sources (nothing is written)."""
    parts = tmp_path / "parts"
    parts.mkdir()
    (tmp_path / "sources.list").write_text(sources_list)
    if sources:
        (parts / "debian.sources").write_text(sources)
    conf = tmp_path / "apt.conf"
    conf.write_text(f'Dir::Etc::sourcelist "{tmp_path}/sources.list";\nDir::Etc::sourceparts "{parts}";\n')
    return subprocess.run(["bash", str(SCRIPT), "--print-contrib-source"], capture_output=True, text=True,
                          env={**os.environ, "APT_CONFIG": str(conf)}, timeout=60)


def test_a_local_mirror_in_one_line_format_is_kept_with_its_key(tmp_path: Path) -> None:
    c = _codename()
    done = contrib_line(tmp_path, f"deb http://mirror.kab.local/debian-security {c}-security main\n"
                                  f"deb [signed-by=/etc/apt/keyrings/kab.gpg] http://mirror.kab.local/debian {c} main\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"deb [signed-by=/etc/apt/keyrings/kab.gpg] http://mirror.kab.local/debian/ {c} contrib non-free"


def test_a_proxy_in_deb822_format_takes_the_key_of_its_own_stanza(tmp_path: Path) -> None:
    c = _codename()
    done = contrib_line(tmp_path, sources=(
        f"Types: deb\nURIs: http://proxy.kab.local:3142/debian-security\nSuites: {c}-security\nComponents: main\n"
        "Signed-By: /etc/apt/keyrings/security.gpg\n\n"
        f"Types: deb\nURIs: http://proxy.kab.local:3142/debian\nSuites: {c} {c}-updates\nComponents: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (f"deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
                                   f"http://proxy.kab.local:3142/debian/ {c} contrib non-free")


def test_sources_that_already_have_non_free_get_nothing_added(tmp_path: Path) -> None:
    c = _codename()
    done = contrib_line(tmp_path, f"deb http://mirror.kab.local/debian {c} main contrib non-free\n")
    assert done.returncode == 0 and done.stdout == "", (done.stdout, done.stderr)


def test_no_debian_source_is_a_clear_error(tmp_path: Path) -> None:
    done = contrib_line(tmp_path, "deb http://mirror.kab.local/ubuntu jammy main\n")
    assert done.returncode == 1 and "contrib and non-free" in done.stderr

#!/usr/bin/env bash
# Install the Debian packages Suara Warga needs (run as root, or with sudo available).
# Usage: scripts/install-system.sh [run|test]
#   run  - what the server needs: PortAudio, ffmpeg, libsndfile, Chromium (weekly report PDF),
#          the PostgreSQL client tools (backups)
#   test - also speech synthesis for test audio, Chromium for browser tests,
#          PulseAudio for a virtual sound card, Redis and PostgreSQL servers, nginx (load run)
set -euo pipefail
profile=${1:-run}
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# postgresql-client: pg_dump/pg_restore for `suara backup` and `suara restore` on PostgreSQL
packages=(libportaudio2 libsndfile1 ffmpeg chromium postgresql-client)
# Debian's own Python needs python3-venv for `python3 -m venv`; other builds ship ensurepip.
if ! python3 -c "import ensurepip" >/dev/null 2>&1; then
  packages+=(python3-venv python3-dev)
fi
if [ "$profile" = "test" ]; then
  packages+=(espeak-ng mbrola mbrola-id1 sox pulseaudio pulseaudio-utils libasound2-plugins redis-server postgresql)
  # nginx: the reverse proxy of the load run (scripts/bench_load.py), as in production
  packages+=(nginx-light)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

# mbrola and its Indonesian voice live in Debian's contrib/non-free components.
if [[ " ${missing[*]} " == *" mbrola"* ]]; then
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  list=/etc/apt/sources.list.d/suara-contrib-non-free.list
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  if [ ! -f "$list" ]; then
    # Same Signed-By as Debian's own main source, or apt refuses the conflicting entries.
    echo "deb [signed-by=${keyring}] http://deb.debian.org/debian ${codename} contrib non-free" \
      | $SUDO tee "$list" >/dev/null
  fi
fi
echo "Installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

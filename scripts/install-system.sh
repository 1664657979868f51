#!/usr/bin/env bash
# Install the Debian packages Suara Warga needs (run as root, or with sudo available).
# Usage: scripts/install-system.sh [run|test|--print-contrib-source]
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

# The Debian source the machine installs its base system from: "repo-uri suite source-entry" of the
# first `deb` source of component main for the release this machine runs (apt's own reading of
# sources.list and deb822 .sources files alike).
debian_main_source() {
  local codename
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  apt-get indextargets --no-release-info --format '$(REPO_URI) $(RELEASE) $(COMPONENT) $(TARGET_OF) $(SOURCESENTRY)' \
      'Created-By: Packages' \
    | awk -v c="$codename" '$2 == c && $3 == "main" && $4 == "deb" { print $1, $2, $5; exit }'
}

# The Signed-By of a source entry ("file:line" as apt names it), so the added entry for the same mirror
# does not conflict with it (apt refuses two entries of one mirror with different keys).
signed_by_of() {
  local file=${1%:*}
  case "$file" in
    *.sources) awk -v uri="$2" 'BEGIN { RS = ""; FS = "\n" }
                 { found = 0; key = ""
                   for (i = 1; i <= NF; i++) {
                     if ($i ~ /^URIs:/) { n = split($i, u, /[ \t]+/); for (j = 2; j <= n; j++) { sub(/\/$/, "", u[j]); if (u[j] == uri) found = 1 } }
                     if ($i ~ /^Signed-By:/) { key = $i; sub(/^Signed-By:[ \t]*/, "", key) }
                   }
                   if (found && key != "") { print key; exit } }' "$file" ;;
    *) grep -o 'signed-by=[^] ]*' "$file" | head -n1 | cut -d= -f2 ;;
  esac
}

add_contrib_non_free() {
  local list=/etc/apt/sources.list.d/suara-contrib-non-free.list repo suite entry key options=""
  read -r repo suite entry < <(debian_main_source) || true
  if [ -z "${repo:-}" ]; then
    echo "No Debian 'main' source found in the machine's apt sources; add contrib and non-free" \
         "(for mbrola) to your sources yourself." >&2
    return 1
  fi
  if apt-get indextargets --no-release-info --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 'Created-By: Packages' \
      | grep -qx "$repo $suite non-free"; then
    return 0  # the machine's sources already have it
  fi
  key=$(signed_by_of "$entry" "${repo%/}")
  if [ -n "$key" ]; then options="[signed-by=${key}] "; fi
  if [ "${profile}" = "--print-contrib-source" ]; then
    echo "deb ${options}${repo} ${suite} contrib non-free"
  else
    echo "deb ${options}${repo} ${suite} contrib non-free" | $SUDO tee "$list" >/dev/null
  fi
}

if [ "$profile" = "--print-contrib-source" ]; then  # what would be added, changing nothing (tests)
  add_contrib_non_free
  exit $?
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

# mbrola and its Indonesian voice live in Debian's contrib/non-free components. They are added beside the
# machine's own Debian source (same mirror or proxy, same suite, same key), in a file of their own; the
# machine's sources are left as they were.
if [[ " ${missing[*]} " == *" mbrola"* ]]; then
  add_contrib_non_free
fi
echo "Installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

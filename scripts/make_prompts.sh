#!/bin/bash
# Regenerate the phone prompts (voice/prompts/*.wav) from the texts in voice/prompts/__init__.py:
# espeak-ng's Indonesian voice, band-limited and resampled to 8 kHz mono 16-bit (telephone quality,
# a few KB each). Needs espeak-ng and sox (Debian packages).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
OUT=voice/prompts
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$PY" -m voice.prompts | while IFS="$(printf '\t')" read -r name text; do
    espeak-ng -v id -s 160 -w "$TMP/$name.wav" "$text"
    sox "$TMP/$name.wav" -r 8000 -c 1 -b 16 -e signed-integer "$OUT/$name.wav" sinc 300-3400 gain -n -3 silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse
    size=$(wc -c < "$OUT/$name.wav")
    if [ "$size" -gt 102400 ]; then echo "$name.wav is $size bytes (limit 100 KB)" >&2; exit 1; fi
done
echo "prompts written to $OUT"

#!/bin/bash
# Regenerate the phone prompts (voice/prompts/*.wav) from the texts in voice/prompts/__init__.py:
# MBROLA's Indonesian voice id1 through espeak-ng at a calm 140 words a minute (the plain espeak voice
# at 160 was hard to understand on the phone: recognised back, "tekan dua" became "pekan dua"),
# band-limited and resampled to 8 kHz mono 16-bit (telephone quality). Needs espeak-ng, mbrola-id1 and
# sox (Debian packages). tests/test_prompts.py recognises every prompt back with Whisper.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
OUT=voice/prompts
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$PY" -m voice.prompts | while IFS="$(printf '\t')" read -r name text; do
    espeak-ng -v mb-id1 -s 140 -w "$TMP/$name.wav" -- "$text"
    sox "$TMP/$name.wav" -r 8000 -c 1 -b 16 -e signed-integer "$OUT/$name.wav" gain -3 sinc 300-3400 gain -n -3 silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse
    size=$(wc -c < "$OUT/$name.wav")
    if [ "$size" -gt 102400 ]; then echo "$name.wav is $size bytes (limit 100 KB)" >&2; exit 1; fi
done
echo "prompts written to $OUT"

#!/bin/bash
# Regenerate the phone prompts (voice/prompts/*.wav) from the texts in voice/prompts/__init__.py:
# MBROLA's Indonesian voice id1 through espeak-ng at a calm 130 words a minute with a short gap between
# words (the plain espeak voice at 160 was hard to understand: recognised back, "tekan dua" became
# "pekan dua"), band-limited and resampled to 8 kHz mono mu-law (G.711, what Twilio plays best).
# Needs espeak-ng, mbrola-id1 and sox (Debian packages). scripts/bench_prompts.py recognises every
# prompt back with the bundled Whisper model and prints its word error rate.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
OUT=voice/prompts
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$PY" -m voice.prompts | while IFS="$(printf '\t')" read -r name text; do
    espeak-ng -v mb-id1 -s 130 -g 4 -w "$TMP/$name.wav" -- "$text"
    sox "$TMP/$name.wav" -r 8000 -c 1 -e u-law "$OUT/$name.wav" gain -3 sinc 300-3400 gain -n -3 silence 1 0.01 0.1% reverse silence 1 0.01 0.1% reverse pad 0.15 0.15
    size=$(wc -c < "$OUT/$name.wav")
    if [ "$size" -gt 102400 ]; then echo "$name.wav is $size bytes (limit 100 KB)" >&2; exit 1; fi
done
echo "prompts written to $OUT"

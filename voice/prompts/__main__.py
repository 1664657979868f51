"""List the prompts as NAME<TAB>TEXT lines (scripts/make_prompts.sh reads them)."""

import sys

from voice.prompts import PROMPTS

for key, text in PROMPTS.items():
    sys.stdout.write(f"{key}\t{text}\n")

# Suara Warga. `make run` and `make test` are the two set-up commands (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export SUARA_DATA_DIR ?= $(CURDIR)/instance

.PHONY: run test check bench fuzz load chaos router install install-test clean

$(BIN)/python:
	bash scripts/install-system.sh run
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	bash scripts/install-system.sh run
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	bash scripts/install-system.sh test
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(BIN)/suara init
	$(BIN)/suara serve --host 127.0.0.1 --port 5000

test: install-test
	SUARA_NO_SKIP=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

# The developers' fast lane: the tests that need no recognition model, browser, sound server, database
# server or `suara` process (marked `slow` in tests/conftest.py). `make test` stays the complete suite.
check: install-test
	$(BIN)/python -m pytest -m "not slow" -q -n auto $(PYTEST_ARGS)

# `make fuzz FUZZ_S=60`: the hypothesis fuzz tests with thousands of examples each, then every atheris target
# for FUZZ_S seconds (a short run of the same properties is part of `make test`).
FUZZ_S ?= 60
FUZZ_TARGETS := audiosocket mediastream decode drafter identity query
fuzz: install-test
	$(BIN)/pip install -q -e '.[test,fuzz]'
	SUARA_FUZZ_PROFILE=fuzz SUARA_NO_SKIP=1 $(BIN)/python -m pytest tests/test_fuzz.py -q
	@mkdir -p .cache/fuzz; for target in $(FUZZ_TARGETS); do \
	  echo "== atheris: $$target ($(FUZZ_S) s)"; \
	  $(BIN)/python scripts/fuzz_atheris.py $$target --seconds $(FUZZ_S) > .cache/fuzz/$$target.log 2>&1 \
	    || { grep -v "^INFO: Instrumenting" .cache/fuzz/$$target.log | tail -40; exit 1; }; \
	  grep -E "DONE" .cache/fuzz/$$target.log; \
	done

# `make load LOAD_ARGS=--quick`: gunicorn behind nginx under locust with 100 000 generated complaints.
load: install-test
	$(BIN)/pip install -q -e '.[test,load]'
	$(BIN)/python scripts/bench_load.py $(LOAD_ARGS)

# `make chaos CHAOS_ARGS=--quick`: PostgreSQL, Redis, gunicorn behind nginx, two workers, AudioSocket and a
# loopback Twilio API, with faults injected; one table; exits 1 if a call is lost or drafted twice.
chaos: install-test
	$(BIN)/python scripts/chaos.py $(CHAOS_ARGS)

# `make router`: rebuild the shipped topic router from the repository's training data (and the shared
# routing_dev.jsonl, training split only); `make router HELDOUT_SPEECH=1` first (re)makes the Whisper transcripts.
router: install
	$(if $(HELDOUT_SPEECH),nice $(BIN)/python scripts/make_heldout_speech.py && nice $(BIN)/python scripts/make_heldout_speech.py --set train,)
	nice $(BIN)/python scripts/train_router.py

bench: install-test
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache

# Suara Warga. `make run` and `make test` are the two set-up commands (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export SUARA_DATA_DIR ?= $(CURDIR)/instance

.PHONY: run test bench install install-test clean

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

bench: install-test
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache

# The two commands of the README: `make demo` and `make test`. Both set everything up
# themselves: a virtualenv with the package, and a real Kafka broker (fetched through Maven).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export KAFKATASK_HOME ?= $(CURDIR)/.kafkatask

.PHONY: install check test demo broker broker-stop bench bench-core clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

check: install
	scripts/check

test: install
	scripts/test

demo: install
	scripts/demo

broker: install
	$(BIN)/kafkatask broker start

broker-stop: install
	$(BIN)/kafkatask broker stop

# kafkatask against Celery + Redis (docs/benchmarks.md); bench-core: the core benchmark
bench: install
	scripts/bench

bench-core: install
	scripts/bench core

clean:
	-$(BIN)/kafkatask broker stop
	rm -rf $(VENV) .kafkatask .pytest_cache .ruff_cache .mypy_cache

# The two commands a researcher needs: `make test` and (later) `make demo`.
# Each target creates its own virtualenv and installs what it needs.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-test
TORCH_VERSION ?= 2.13.0

.PHONY: test lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# torch first, pinned to the CPU wheel this machine provides (any other torch pulls CUDA).
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet "torch==$(TORCH_VERSION)"
	$(PY) -m pip install --quiet -e ".[test]" "torch==$(TORCH_VERSION)"
	touch $@

test: $(STAMP)
	$(PY) -m ruff check src tests benchmarks tools
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check src tests benchmarks tools
	$(PY) -m ruff format --check src tests benchmarks tools

bench: $(STAMP)
	$(PY) benchmarks/bench_kitchen.py
	$(PY) benchmarks/bench_planner.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

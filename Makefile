# loanflow: `make up` runs the whole system, `make test` runs lint and the test suite.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install system-deps up test lint test-fast bench clean

install: $(VENV)/.installed web/static/vendor/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# bpmn-js, dmn-js and htmx from npm; postinstall (web/vendor.mjs) copies their dist bundles
# to web/static/vendor and builds the modeler bundle from web/modeler/ with esbuild.
web/static/vendor/.installed: package.json package-lock.json web/vendor.mjs $(wildcard web/modeler/*)
	npm ci --no-audit --no-fund
	touch $@

# Debian packages the project needs: Chromium for page tests, tesseract for OCR,
# docker-compose to check the compose file. Installed only when missing.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v tesseract >/dev/null || missing="$$missing tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng"; \
	command -v docker-compose >/dev/null || missing="$$missing docker-compose"; \
	fc-list 2>/dev/null | grep -qi "noto sans cjk\|wqy" || missing="$$missing fonts-wqy-microhei"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

up: install
	$(PY) -m cli.main up

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: lint system-deps
	$(PY) -m pytest -q

test-fast: install
	$(PY) -m pytest -q -x -m "not slow"

bench: install
	$(PY) -m cli.main bench all

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache

# Two commands do all set-up on a fresh machine:
#   make demo   creates .venv, installs carecircles, runs the synthetic sample county
#   make test   creates .venv, installs carecircles with test tools, runs ruff and the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test setup lint sample clean browser bench

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "carecircles needs Python >= 3.11; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/carecircles run

lint: $(STAMP)
	$(BIN)/ruff check carecircles tests scripts
	$(BIN)/ruff format --check carecircles tests scripts
	$(BIN)/mypy

# The browser tests need Debian's chromium and chromedriver (and CJK fonts for screenshots):
# installed here when missing and we are root (as in CI); otherwise those tests skip.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium chromium-driver fonts-noto-cjk >/dev/null; \
	else echo "note: chromium/chromedriver missing and not root: browser tests will be skipped"; fi

test: lint browser
	$(BIN)/python -m pytest

# benchmark against the OSMnx recipe, pandana and the raw Dijkstra floor (a few minutes; not a test)
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python scripts/bench.py

# regenerate the committed synthetic sample data (deterministic)
sample: $(STAMP)
	$(BIN)/python scripts/make_sample_county.py

clean:
	rm -rf $(VENV) output maps/*.html .pytest_cache .ruff_cache .hypothesis

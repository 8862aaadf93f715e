# xueji: `make up` starts the whole mesh locally, `make test` runs every test (after ruff and
# the import-linter layer contracts in pyproject.toml).
# Both create .venv and install the project into it on first use (nothing preinstalled).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: up test lint format bench-outbox clean chromium screenshots

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "xueji needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

up: $(STAMP)
	$(BIN)/xueji up

test: $(STAMP) chromium
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest

# The browser tests drive Debian's chromium (never Playwright's downloaded browsers), with a
# Chinese font so that pages and screenshots show characters.
CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@test -x $(CHROMIUM) -a -f $(CJK_FONT) || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	  chromium fonts-wqy-microhei; }

# PNGs of the main console pages with demo data, for README's tour.
screenshots: $(STAMP) chromium
	$(BIN)/python -m tests.support.screenshots docs/screenshots

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench-outbox: $(STAMP)
	$(BIN)/xueji bench outbox

clean:
	rm -rf $(VENV) var

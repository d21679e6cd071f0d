# ketamine-clinic — `make demo` runs the demo, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install demo serve test test-fast lint browser lock screenshots clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/ketamine-clinic demo --port $(PORT)

serve: install
	$(BIN)/ketamine-clinic serve --port $(PORT)

browser:
	@scripts/ensure-chromium.sh
	@scripts/ensure-axe.sh

test: install browser
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not browser"

lint: install
	$(BIN)/ruff check ketamine_clinic tests scripts
	$(BIN)/ruff format --check ketamine_clinic tests scripts
	$(BIN)/mypy ketamine_clinic
	DJANGO_SETTINGS_MODULE=ketamine_clinic.settings_test $(BIN)/python -m django makemigrations --check --dry-run

screenshots: install browser
	$(BIN)/python scripts/screenshots.py

lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^ketamine' > requirements.lock.new
	@{ echo "# Pinned versions of every dependency (runtime and test tools), installed by make."; \
	   echo "# Regenerate with: make lock"; cat requirements.lock.new; } > requirements.lock
	@rm requirements.lock.new

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# Two commands do all the set-up on a fresh machine:
#   make serve   - install the runtime, create the embedded database (and a first workspace), print a
#                  link that opens the page signed in, run the API on http://127.0.0.1:8000
#   make test    - install, fetch Neo4j 5.26 and the GraphML/GEXF schemas from Maven Central (cached),
#                  Debian's Chromium, Graphviz and LibreOffice Calc (once), lint, run every test
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME := $(VENV)/.runtime
STAMP  := $(VENV)/.installed

.PHONY: install serve dev test lint format neo4j-start neo4j-stop clean

# The runtime alone (what `make serve` needs); the test tools come with `make test`.
$(RUNTIME): requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH (or run: make PYTHON=python3 ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

$(STAMP): $(RUNTIME) requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

install: $(RUNTIME)

serve: $(RUNTIME)
	$(BIN)/referrals db init
	$(BIN)/referrals link
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

dev: $(RUNTIME)
	$(BIN)/referrals serve

test: $(STAMP)
	$(BIN)/python -m tools.neo4j_server fetch
	$(BIN)/python -m tools.xsd fetch
	$(BIN)/python -m tools.graphviz ensure
	$(BIN)/python -m tools.libreoffice ensure
	$(BIN)/python -m tools.chromium ensure
	$(BIN)/python -m tools.mermaid ensure
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

neo4j-start: $(STAMP)
	$(BIN)/python -m tools.neo4j_server start

neo4j-stop: $(STAMP)
	$(BIN)/python -m tools.neo4j_server stop

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

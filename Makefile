# Coordination in place. `make help` lists the targets.
# Two commands set everything up on a fresh machine with Python 3.11:
#   make report   create the environment and render the example study's reports
#   make test     create the environment and run the tests

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)
STUDY  ?= data/example

.PHONY: help report test lab validate example clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

report: $(STAMP) ## create the environment and render every phase of the example study
	$(BIN)/coordination validate $(STUDY)
	$(BIN)/coordination run --study $(STUDY)

test: $(STAMP) ## create the environment and run the tests
	$(BIN)/python -m pytest

lab: $(STAMP) ## install JupyterLab into the environment and open the notebooks
	$(BIN)/python -m pip install --quiet -e '.[test,lab]'
	$(BIN)/jupyter lab notebooks/

validate: $(STAMP) ## check a study's data (STUDY=path)
	$(BIN)/coordination validate $(STUDY)

example: $(STAMP) ## regenerate the bundled illustrative study in data/example
	$(BIN)/coordination make-example

clean: ## delete the rendered outputs (they can always be regenerated)
	rm -rf outputs/*/

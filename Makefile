# Coordination in place. `make help` lists the targets.
# Two commands set everything up on a fresh machine with Python 3.11:
#   make report   create the environment and render the example study's reports
#   make test     create the environment and run the tests

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)
STUDY  ?= data/example
# Options for `make lab`, passed to JupyterLab as they are: LAB_ARGS="--port 8890 --ip 0.0.0.0 --no-browser"
LAB_ARGS ?=
# JupyterLab refuses to run as root unless told: containers and university VMs often run as root.
LAB_ROOT = $(if $(filter 0,$(shell id -u)),--allow-root)
# What nbstripout removes from a notebook on commit besides outputs and execution counts: the parts
# of the metadata that change with the machine that saved it. Cell ids are the notebooks' own and stay.
NBSTRIPOUT_KEYS = metadata.language_info.version metadata.language_info.codemirror_mode \
	metadata.language_info.file_extension metadata.language_info.mimetype \
	metadata.language_info.nbconvert_exporter metadata.language_info.pygments_lexer

.PHONY: help report test lab git-filter validate example clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@$(MAKE) --no-print-directory git-filter
	@rm -f $(VENV)/.installed-* && touch $@

report: $(STAMP) ## create the environment and render every phase of the example study
	$(BIN)/coordination validate $(STUDY)
	$(BIN)/coordination run --study $(STUDY)

test: $(STAMP) ## create the environment, lint with ruff, and run the tests
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest

lab: $(STAMP) ## open the notebooks in JupyterLab (LAB_ARGS="--port 8890" passes options)
	$(BIN)/jupyter lab $(LAB_ROOT) $(LAB_ARGS) notebooks/

git-filter: ## strip notebooks' outputs when they are committed (nbstripout as this clone's git filter)
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  $(BIN)/nbstripout --install --attributes .gitattributes && \
	  git config filter.nbstripout.clean '"$(abspath $(BIN))/python" -m nbstripout --keep-id' && \
	  git config diff.ipynb.textconv '"$(abspath $(BIN))/python" -m nbstripout --keep-id -t' && \
	  git config filter.nbstripout.extrakeys '$(strip $(NBSTRIPOUT_KEYS))' && \
	  echo "nbstripout strips notebooks' outputs on commit (git config filter.nbstripout)"; \
	else echo "not a git work tree: notebooks' outputs will not be stripped on commit"; fi

validate: $(STAMP) ## check a study's data (STUDY=path)
	$(BIN)/coordination validate $(STUDY)

example: $(STAMP) ## regenerate the bundled illustrative study in data/example
	$(BIN)/coordination make-example

clean: ## delete the rendered outputs (they can always be regenerated)
	rm -rf outputs/*/

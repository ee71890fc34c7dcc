# Entry points for people and CI (.ci/run calls `make test`).
#   make test                    everything: tests/ and features/ (pytest testpaths)
#   make conformance             the Gherkin suite against the reference simulator, with reports in reports/
#   make test PYTEST_ARGS="-x -n 4 --junitxml=reports/junit.xml"
# The registry fixture picks its own provider (see fixtures/registry/endpoint.py), so
# no target starts a Docker engine; .ci/run does that for CI.

PYTHON ?= python3
VENV ?= .venv
PYTEST_ARGS ?=
RUN_ARGS ?=

.PHONY: venv prerequisites test conformance clean distclean

# A real registry needs either a Docker engine or Debian's registry binary;
# skopeo is the peer tool of the interoperability tests; squashfs-tools,
# erofs-utils and fuse3 put stores on the media nodes use (media.feature).
# Installed when root.
prerequisites:
	@.ci/install-packages.sh docker-registry skopeo squashfs-tools erofs-utils fuse3

venv: $(VENV)/.installed

# Reinstall only when the dependencies may have changed.
$(VENV)/.installed: pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

test: venv prerequisites
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The main job: the suite against the reference store, judged and reported as a
# pipeline would (exit 0 exactly when every required scenario passed; 5 when
# nothing was selected). RUN_ARGS adds run's options, e.g. RUN_ARGS="-n 2".
conformance: venv prerequisites
	$(VENV)/bin/artifact-conformance run --junit reports/junit.xml --results reports/results.json --html reports/report.html $(RUN_ARGS)

# Generated files; the virtualenv stays (distclean removes it too).
clean:
	rm -rf build dist reports .hypothesis .pytest_cache *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)

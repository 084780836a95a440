#!/usr/bin/env bash
# Installs the Python tools the contract tests run (from PyPI, pinned) into .build-tools/venv,
# once: openapi-spec-validator checks docs/openapi.yaml, schemathesis fuzzes a live server, and
# the jsonschema they bring validates exported OGraf manifests (scripts/ograf-validate.py).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build-tools/venv
if [[ -x "$venv/bin/schemathesis" && -x "$venv/bin/openapi-spec-validator" ]]; then
    exit 0
fi
# Debian's own python3 (with python3-venv), not whatever python3 comes first on the PATH.
python=/usr/bin/python3
[[ -x $python ]] || python=python3
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check schemathesis==4.32.5 openapi-spec-validator==0.9.0

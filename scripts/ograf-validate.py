#!/usr/bin/env python3
"""Validates OGraf v1 graphic manifests against the EBU's JSON schemas, offline.

Usage: ograf-validate.py MANIFEST...

The schemas are the published files in fixtures/ograf-v1-schema (see its README); every `$ref`
they make to https://ograf.ebu.io/v1/specification/json-schemas/... is served from there, and
JSON Schema's own 2020-12 meta-schema from the jsonschema package. Prints one line per manifest
("valid" or each error with its JSON path) and exits 1 if any is invalid.
"""
import json
import pathlib
import sys

import jsonschema
import referencing
import referencing.jsonschema

BASE = "https://ograf.ebu.io/v1/specification/json-schemas/"
FOLDER = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "ograf-v1-schema"


def registry():
    resources = []
    for path in sorted(FOLDER.rglob("*.json")):
        contents = json.loads(path.read_text())
        uri = BASE + path.relative_to(FOLDER).as_posix()
        if contents.get("$id") != uri:
            raise SystemExit(f"{path}: its $id is {contents.get('$id')!r}, expected {uri!r}")
        resources.append((uri, referencing.Resource.from_contents(contents, default_specification=referencing.jsonschema.DRAFT202012)))
    return referencing.Registry().with_resources(resources).crawl()


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    schemas = registry()
    schema = schemas.contents(BASE + "graphics/schema.json")
    validator = jsonschema.Draft202012Validator(schema, registry=schemas)
    failed = False
    for name in sys.argv[1:]:
        try:
            manifest = json.loads(pathlib.Path(name).read_text())
        except (OSError, ValueError) as error:
            print(f"{name}: cannot be read as JSON: {error}")
            failed = True
            continue
        errors = sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path))
        if errors:
            failed = True
            for error in errors:
                path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
                print(f"{name}: {path}: {error.message}")
        else:
            print(f"{name}: valid")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

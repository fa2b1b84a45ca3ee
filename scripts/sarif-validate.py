#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""sarif-validate.py SCHEMA LOG - validate a SARIF log against a JSON schema with
python3-jsonschema (the draft the schema names, formats such as uri checked). Prints one line
per error (at most 20) and a verdict; exit 0 valid, 1 invalid, 2 unreadable input."""
import json
import sys

import jsonschema


def main():
    if len(sys.argv) != 3:
        print("usage: sarif-validate.py SCHEMA LOG", file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1], encoding="utf-8") as f:
            schema = json.load(f)
        with open(sys.argv[2], encoding="utf-8") as f:
            log = json.load(f)
    except (OSError, ValueError) as e:
        print(f"sarif-validate: failed to read input: {e}", file=sys.stderr)
        return 2
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    for e in errors[:20]:
        where = "/".join(str(p) for p in e.absolute_path) or "(top)"
        print(f"sarif-validate: {where}: {e.message[:300]}", file=sys.stderr)
    verdict = "valid" if not errors else f"{len(errors)} errors"
    print(f"sarif-validate: {sys.argv[2]}: {verdict} ({schema.get('title', 'schema')}, "
          f"{cls.__name__})")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

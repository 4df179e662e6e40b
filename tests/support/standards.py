"""The frab maintainers' published schemas, from the shared folder beside the repository, and checks against them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from lxml import etree

STANDARDS = Path(__file__).resolve().parents[3] / "shared" / "standards"
PRETALX_EXAMPLE = STANDARDS / "example-pretalx-democon.json"


def frab_json_schema() -> dict[str, object]:
    # The published schema is annotated with // comments in some versions; JSON has none.
    text = (STANDARDS / "frab-schedule.schema.json").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("//")]
    return dict(json.loads("\n".join(lines)))


def frab_json_errors(document: Any) -> list[str]:
    """What the frab JSON schema finds wrong with ``document``, one line each; empty when it validates."""
    validator = jsonschema.Draft6Validator(frab_json_schema(), format_checker=jsonschema.Draft6Validator.FORMAT_CHECKER)
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(document)]


def frab_xml_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(STANDARDS / "frab-schedule.xml.xsd")))

"""Templates, static assets and front-end packages served by Podium itself."""

from pathlib import Path

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
NODE_MODULES_DIR = WEB_DIR / "node_modules"

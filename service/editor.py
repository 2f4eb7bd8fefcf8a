"""/editor: the YASGUI SPARQL editor for people, preloaded with the named queries, and its assets.

YASGUI (@zazuko/yasgui) is installed from the npm registry by `make setup` (`npm ci`) into
node_modules/, never committed; this blueprint serves its built files under /assets/yasgui/.
Without them the page says how to install them and offers the plain form at /sparql.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, render_template, send_from_directory

from service.context import Services
from service.errors import NotFound
from service.linked_data import KINDS

ROOT = Path(__file__).resolve().parents[1]
YASGUI_BUILD = ROOT / "node_modules" / "@zazuko" / "yasgui" / "build"
"""Where `npm ci` puts YASGUI's built files; Flask config YASGUI_BUILD overrides it."""
YASGUI_FILES = ("yasgui.min.js", "yasgui.min.css")
ASSET_MAX_AGE = 3600


def editor_blueprint(services: Services, build: Path | str | None = None) -> Blueprint:
    """The editor page at /editor and YASGUI's files at /assets/yasgui/<file>."""
    blueprint = Blueprint("editor", __name__)
    view = EditorView(services, Path(build) if build else YASGUI_BUILD)
    blueprint.add_url_rule("/editor", "editor", view.editor)
    blueprint.add_url_rule("/assets/yasgui/<path:filename>", "yasgui", view.asset)
    return blueprint


class EditorView:
    def __init__(self, services: Services, build: Path) -> None:
        self.services = services
        self.build = build

    def installed(self) -> bool:
        """Whether YASGUI's built script and style sheet are there."""
        return all((self.build / name).is_file() for name in YASGUI_FILES)

    def editor(self) -> str:
        return render_template(
            "editor.html",
            installed=self.installed(),
            build=self.build,
            base=self.services.iris.base,
            kinds=KINDS,
            queries=self.services.registry.examples(),
        )

    def asset(self, filename: str) -> Response:
        if not self.installed():
            raise NotFound(f"YASGUI is not installed at {self.build}: run `make setup` (npm ci) in the repository")
        return send_from_directory(self.build, filename, max_age=ASSET_MAX_AGE)

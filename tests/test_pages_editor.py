"""The /editor page without a browser: YASGUI's files served from the build folder (a stand-in here,
so this runs without npm), and, with them missing, a page that says how to install them."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from support import ROOT

from service.app import create_app
from service.editor import YASGUI_FILES

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def client(tmp_path: Path, build: Path) -> FlaskClient:
    config = {"queries": str(ROOT / "queries"), "store": str(tmp_path / "store"), "YASGUI_BUILD": str(build)}
    return create_app(config).test_client()


@pytest.fixture
def build(tmp_path: Path) -> Path:
    """A stand-in for node_modules/@zazuko/yasgui/build."""
    folder = tmp_path / "build"
    folder.mkdir()
    for name in YASGUI_FILES:
        (folder / name).write_text(f"/* {name} */\n")
    return folder


def test_the_editor_page_loads_yasgui_and_names_the_endpoint_and_queries(tmp_path: Path, build: Path) -> None:
    page = client(tmp_path, build).get("/editor", headers={"Accept": BROWSER})
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    for src in ("/assets/yasgui/yasgui.min.js", "/assets/yasgui/yasgui.min.css", "/static/editor.js"):
        assert src in html
    assert 'data-endpoint="/sparql"' in html and 'data-queries="/api/queries"' in html
    assert 'data-base="https://w3id.org/evidencekg/id/"' in html
    assert "make setup" not in html


@pytest.mark.parametrize(
    ("path", "media"),
    [("/assets/yasgui/yasgui.min.js", "text/javascript"), ("/assets/yasgui/yasgui.min.css", "text/css")],
)
def test_yasgui_files_are_served_from_the_build_folder(tmp_path: Path, build: Path, path: str, media: str) -> None:
    reply = client(tmp_path, build).get(path)
    assert reply.status_code == 200 and reply.mimetype == media
    assert reply.get_data(as_text=True) == f"/* {path.rsplit('/', 1)[1]} */\n"
    assert "max-age=3600" in reply.headers["Cache-Control"]


def test_the_editor_script_is_served(tmp_path: Path, build: Path) -> None:
    reply = client(tmp_path, build).get("/static/editor.js")
    assert reply.status_code == 200 and "new window.Yasgui(" in reply.get_data(as_text=True)


def test_without_yasgui_the_page_says_how_to_install_it(tmp_path: Path) -> None:
    app = client(tmp_path, tmp_path / "not-installed")
    html = app.get("/editor", headers={"Accept": BROWSER}).get_data(as_text=True)
    assert "make setup" in html and "npm ci" in html and 'id="editor-missing"' in html
    assert "/assets/yasgui/" not in html
    assert 'href="/sparql?query=' in html, "the named queries, through the plain endpoint"
    missing = app.get("/assets/yasgui/yasgui.min.js")
    assert missing.status_code == 404 and "make setup" in missing.get_json()["error"]["detail"]


def test_a_file_outside_the_build_folder_is_not_served(tmp_path: Path, build: Path) -> None:
    (tmp_path / "secret.txt").write_text("no")
    reply = client(tmp_path, build).get("/assets/yasgui/..%2Fsecret.txt")
    assert reply.status_code == 404

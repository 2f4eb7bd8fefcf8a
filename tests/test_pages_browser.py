"""The pages for people in a real headless Chromium (Debian's), driven by Selenium, against the real
gunicorn server of tests/conftest.py (the seeds, built and reasoned): the YASGUI editor runs a
named query and shows its rows; the conflict audit page filters by type and intervention, each
conflict with both quotes linked to their claims and sources; the stance matrix colours stances and
outlines the cells in conflict.

Needs /usr/bin/chromium and /usr/bin/chromedriver (`make browser`, part of `make test`; or set
CHROMIUM / CHROMEDRIVER) and YASGUI in node_modules/ (`make setup`). Each test saves a full-page
screenshot under <pytest's base temp>/screenshots/ for a person to look at.
"""

from __future__ import annotations

import os
import tempfile
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait
from support import REVIEW_TOKEN, LiveServer

from service.editor import YASGUI_BUILD, YASGUI_FILES

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
)
WAIT_S = 20
T = TypeVar("T")


@pytest.fixture(scope="module")
def server(live_server: LiveServer) -> LiveServer:
    """The session's server on the reasoned seeds (tests/conftest.py)."""
    return live_server


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    """One headless Chromium for the module, with a fresh profile and its console log kept."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: run `make browser` (Debian's chromium and chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with tempfile.TemporaryDirectory(prefix="evkg-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
        driver.set_page_load_timeout(WAIT_S)
        try:
            yield driver
        finally:
            driver.quit()


@pytest.fixture(scope="module")
def screenshot(browser: WebDriver, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Save the whole page as <basetemp>/screenshots/<name>.png."""
    folder = tmp_path_factory.getbasetemp() / "screenshots"
    folder.mkdir(exist_ok=True)

    def take(name: str) -> Path:
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(1280, min(int(height) + 120, 4000))
        path = folder / f"{name}.png"
        browser.save_screenshot(str(path))
        browser.set_window_size(1280, 1000)
        return path

    return take


def wait(driver: WebDriver, condition: Callable[[WebDriver], T], what: str) -> T:
    """Wait (explicitly, up to WAIT_S) until `condition` is truthy; fail naming `what`."""
    return WebDriverWait(driver, WAIT_S).until(condition, f"timed out waiting for {what}")


def css(scope: WebDriver | WebElement, selector: str) -> list[WebElement]:
    return scope.find_elements(By.CSS_SELECTOR, selector)


def local(iri: str) -> str:
    """A data IRI's path on this service (/id/...)."""
    return "/id/" + iri.split("/id/", 1)[1]


def page_errors(driver: webdriver.Chrome) -> list[str]:
    """Console errors of the page so far, but for the favicon the site does not have."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]]


def api(server: LiveServer, path: str, **params: str) -> Any:
    reply = server.get(path, "application/json", **params)
    assert reply.status == 200, reply.text
    return reply.json()


# (a) the SPARQL editor


def test_the_editor_needs_yasgui_installed() -> None:
    assert all((YASGUI_BUILD / name).is_file() for name in YASGUI_FILES), "run `make setup` (npm ci)"


def test_the_editor_runs_a_named_query_and_shows_its_rows(
    browser: webdriver.Chrome, server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    named = {q["name"]: q for q in api(server, "/api/queries")}
    browser.get(server.url + "/editor#claims-with-quotes")
    root = wait(browser, lambda d: css(d, "#yasgui[data-ready]"), "the tabs")[0]
    assert int(root.get_attribute("data-ready") or 0) == len(named)
    tabs = [tab.text.replace("✖", "").strip() for tab in css(browser, ".yasgui .tabsList .tab")]
    assert tabs == list(named), "one tab per named query, in order"
    assert css(browser, ".yasgui .tabsList .tab.active")[0].text.startswith("claims-with-quotes")
    panel = css(browser, ".tabPanel.active")[0]
    assert "# title: Claims with their quotes" in panel.find_element(By.CSS_SELECTOR, ".CodeMirror").text
    endpoint = panel.find_element(By.CSS_SELECTOR, ".controlbar input")
    assert endpoint.get_attribute("value") == server.url + "/sparql"

    panel.find_element(By.CSS_SELECTOR, ".yasqe_queryButton").click()
    rows = wait(browser, lambda d: css(panel, ".yasr table tbody tr"), "result rows in the table")
    expected = _select(server, named["claims-with-quotes"]["query"])
    assert len(rows) == min(len(expected), 50), "the first page of results"
    chip = panel.find_element(By.CSS_SELECTOR, ".yasr_response_chip").text
    assert chip.startswith(f"{len(expected)} results")
    headers = [th.text for th in css(panel, ".yasr table thead th")][1:]
    assert headers[:5] == ["source", "claimId", "kind", "label", "quote"]
    first = expected[0]
    cells = [td.text for td in css(rows[0], "td")]
    assert first["claimId"]["value"] in cells and first["quote"]["value"] in cells
    links = [a.get_attribute("href") or "" for a in css(rows[0], "a.iri")]
    claim_links = [href for href in links if "/id/claim/" in href]
    assert claim_links == [server.url + local(first["claim"]["value"])], "data IRIs link to this service"
    assert page_errors(browser) == []
    screenshot("editor")


def test_the_editor_opens_on_the_first_query_and_switches_tabs(browser: WebDriver, server: LiveServer) -> None:
    names = [q["name"] for q in api(server, "/api/queries")]
    browser.get(server.url + "/editor")
    wait(browser, lambda d: css(d, "#yasgui[data-ready]"), "tabs")
    assert css(browser, ".yasgui .tabsList .tab.active")[0].text.startswith(names[0])
    css(browser, ".yasgui .tabsList .tab a")[names.index("sources")].click()
    wait(browser, lambda d: "# title: Sources" in css(d, ".tabPanel.active .CodeMirror")[0].text, "the sources tab")


def _select(server: LiveServer, query: str) -> list[dict[str, Any]]:
    """The query's result rows as the endpoint gives them (SPARQL JSON)."""
    body = urllib.parse.urlencode({"query": query}).encode()
    headers = {"Accept": "application/sparql-results+json", "Content-Type": "application/x-www-form-urlencoded"}
    reply = server.request("/sparql", method="POST", headers=headers, data=body)
    assert reply.status == 200, reply.text
    return list(reply.json()["results"]["bindings"])


# (b) the conflict audit page

TYPE, INTERVENTION = "first-line-conflict", "cyclobenzaprine"


def shown(browser: WebDriver, kind: str = "disagreement") -> list[str]:
    """The ids of the disagreements (or of the pairs: kind `conflict`) on the page, in order."""
    return [div.get_attribute("id") or "" for div in css(browser, f"div.{kind}")]


def choose(browser: WebDriver, name: str, value: str) -> None:
    """Pick a filter value and submit the form, then wait for the filtered page."""
    Select(browser.find_element(By.NAME, name)).select_by_value(value)
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait(browser, lambda d: f"{name}={value}" in d.current_url, f"the page filtered by {name}={value}")


def test_the_audit_page_filters_by_type_then_intervention(
    browser: webdriver.Chrome, server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    everything = api(server, "/api/conflicts", view="pairs")
    by_type = api(server, "/api/conflicts", view="pairs", type=TYPE)
    both = api(server, "/api/conflicts", view="pairs", type=TYPE, intervention=INTERVENTION)
    assert 0 < len(both) < len(by_type) < len(everything), "each filter narrows the seeds' conflicts"

    browser.get(server.url + "/conflicts")
    assert sorted(shown(browser, "conflict")) == sorted(r["id"] for r in everything)
    assert shown(browser) == [d["id"] for d in api(server, "/api/conflicts")]
    for name in ("type", "source", "intervention", "condition", "status"):
        options = [o.get_attribute("value") for o in Select(browser.find_element(By.NAME, name)).options]
        assert len(options) > 1 and options[0] == "", f"the {name} filter offers the data's values"
    choose(browser, "type", TYPE)
    assert sorted(shown(browser, "conflict")) == sorted(r["id"] for r in by_type)
    choose(browser, "intervention", INTERVENTION)
    assert sorted(shown(browser, "conflict")) == sorted(r["id"] for r in both)
    grouped = api(server, "/api/conflicts", type=TYPE, intervention=INTERVENTION)
    assert shown(browser) == [d["id"] for d in grouped]
    assert f"{len(grouped)} disagreement(s) from {len(both)} pair(s)" in browser.find_element(By.TAG_NAME, "body").text
    for record in grouped:
        check_disagreement(browser.find_element(By.ID, record["id"]), record, server)
    assert page_errors(browser) == []
    screenshot("conflicts-filtered")


def check_disagreement(div: WebElement, record: dict[str, Any], server: LiveServer) -> None:
    """Headline, type, severity, status, and every claim's quote linked to its claim and source."""
    assert record["explanation"] == div.find_element(By.TAG_NAME, "h2").text
    tags = css(div, "p .tag")
    assert tags[0].get_attribute("data-type") == record["type"] and "-" not in tags[0].text, "the type in words"
    assert [record["severity"], record["status"]] == [tag.text for tag in tags[1:3]]
    quotes = css(div, ":scope > blockquote")
    assert len(quotes) == len(record["claims"]) >= 2, "every claim involved"
    for quote, claim in zip(quotes, record["claims"], strict=True):
        links = {a.get_attribute("href"): a.text for a in css(quote, "a")}
        assert links[server.url + local(claim["iri"])] == f"“{claim['quote']}”"
        source = links[f"{server.url}/id/source/{claim['source']}"]
        assert source and source != claim["source"], "the source by its name, not its id"


def test_a_quote_on_the_audit_page_leads_to_its_claim(browser: WebDriver, server: LiveServer) -> None:
    record = api(server, "/api/conflicts", type=TYPE)[0]
    browser.get(f"{server.url}/conflicts?type={TYPE}")
    link = browser.find_element(By.ID, record["id"]).find_element(By.CSS_SELECTOR, "blockquote a")
    link.click()
    claim = record["claims"][0]
    wait(browser, lambda d: d.current_url == server.url + local(claim["iri"]), "the claim page")
    assert claim["quote"] in browser.find_element(By.TAG_NAME, "body").text


# (c) the stance matrix


def test_the_stance_matrix_colours_stances_and_outlines_conflicts(
    browser: webdriver.Chrome, server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    in_conflict = {local(c["iri"]) for r in api(server, "/api/conflicts") for c in r["claims"]}
    browser.get(server.url + "/conflicts/matrix")
    backgrounds = {}
    for stance in ("for", "against", "uncertain"):
        cells = css(browser, f"td.{stance}")
        assert cells, f"some cell says {stance}"
        assert all(stance in cell.text.split("\n")[0] for cell in cells)
        backgrounds[stance] = cells[0].value_of_css_property("background-color")
    assert len(set(backgrounds.values())) == 3, f"each stance has its colour: {backgrounds}"

    cells = [td for td in css(browser, "td") if css(td, "a")]
    conflicted = [td for td in cells if "conflicted" in (td.get_attribute("class") or "")]
    assert conflicted and len(conflicted) < len(cells)
    for td in cells:
        claims = {urllib.parse.urlsplit(a.get_attribute("href") or "").path for a in css(td, "a")}
        is_conflicted = td in conflicted
        assert is_conflicted == bool(claims & in_conflict), f"{claims}: outlined iff a claim is in a conflict"
        outline = td.value_of_css_property("outline-style")
        assert (outline != "none") == is_conflicted and ("⚠" in td.text) == is_conflicted
    assert page_errors(browser) == []
    screenshot("matrix")


def test_the_audit_page_records_a_review_round_trip(
    browser: webdriver.Chrome, review_server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    (item,) = [d for d in api(review_server, "/api/conflicts") if d["type"] == "first-line-conflict"]
    browser.get(review_server.url + "/conflicts")
    token = wait(browser, lambda d: css(d, "#review-token"), "the token field")[0]
    token.send_keys(REVIEW_TOKEN)
    card = css(browser, f'div.disagreement[id="{item["id"]}"]')[0]
    form = card.find_element(By.CSS_SELECTOR, "form.review")
    Select(form.find_element(By.NAME, "status")).select_by_value("confirmed")
    form.find_element(By.NAME, "reviewer").send_keys("A. Author")
    form.find_element(By.NAME, "rationale").send_keys("the two texts contradict each other")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    def confirmed(driver: WebDriver) -> bool:
        cards = css(driver, f'div.disagreement[id="{item["id"]}"]')
        return bool(cards) and "confirmed" in [tag.text for tag in css(cards[0], "p .tag")]

    wait(browser, confirmed, "the page to show the decision")
    history = css(browser, f'div.disagreement[id="{item["id"]}"] details.history li')
    assert history and "A. Author: confirmed" in history[-1].get_attribute("textContent")
    screenshot("audit-review")
    assert not page_errors(browser)
    assert {d["id"]: d["status"] for d in api(review_server, "/api/conflicts")}[item["id"]] == "confirmed"

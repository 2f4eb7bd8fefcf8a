// The SPARQL editor page: YASGUI over this service's /sparql, one tab per named query (/api/queries).
(function () {
  "use strict";

  const root = document.getElementById("yasgui");
  const status = document.getElementById("editor-status");
  if (!root) return;

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  if (typeof window.Yasgui !== "function") {
    say("The editor's script (YASGUI) did not load: run `make setup` on the server, or use the plain form at /sparql.", true);
    return;
  }

  function fromHash() {
    try {
      return decodeURIComponent(window.location.hash.slice(1));
    } catch (error) {
      return ""; // a malformed %-escape names no query
    }
  }

  // #<query name> picks a tab; read it first, as YASGUI clears the hash (its share links live there).
  const hash = fromHash();
  const wanted = hash.indexOf("=") < 0 ? hash : "";
  const endpoint = new URL(root.dataset.endpoint, window.location.href).toString();
  // Results show this dataset's IRIs as kind:slug (source:..., claim:...), as the service mints them.
  const kinds = root.dataset.kinds.split(",");
  const dataPrefixes = { xsd: "http://www.w3.org/2001/XMLSchema#" };
  kinds.forEach(function (kind) { dataPrefixes[kind] = root.dataset.base + kind + "/"; });
  const yasgui = new window.Yasgui(root, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    copyEndpointOnNewTab: true,
    persistenceId: null, // fresh tabs from queries/ on every visit, nothing kept in localStorage
    autoAddOnInit: false,
    populateFromUrl: true, // YASGUI's share links (/editor#query=...) open as a tab
    yasr: { prefixes: dataPrefixes },
  });
  window.evkgYasgui = yasgui;

  const tabIds = {}; // named query -> YASGUI tab id

  function selectNamed(name) {
    if (tabIds[name]) yasgui.selectTabId(tabIds[name]);
  }

  function addNamedQueries(queries) {
    const shared = yasgui.getTab(); // a tab opened from a YASGUI share link
    const names = queries.map(function (q) { return q.name; });
    const active = names.indexOf(wanted) >= 0 ? wanted : shared ? null : names[0];
    queries.forEach(function (q) {
      const tab = yasgui.addTab(q.name === active && !shared, {
        name: q.name,
        yasqe: { value: q.query },
        requestConfig: { endpoint: endpoint, method: "POST" },
      });
      tabIds[q.name] = tab.getId();
    });
    if (shared && active) selectNamed(active);
    window.addEventListener("hashchange", function () {
      const name = fromHash();
      if (tabIds[name]) selectNamed(name);
    });
    root.dataset.ready = String(queries.length);
    say(queries.length + " named queries, one per tab. Run the selected one with ▶ (or Ctrl+Enter).");
  }

  // Result links to this dataset's IRIs (<base>id/...) open here, where they dereference, not at the base's host.
  function localLinks() {
    root.querySelectorAll("a.iri").forEach(function (a) {
      const iri = a.getAttribute("href") || "";
      if (iri.indexOf(root.dataset.base) === 0) a.setAttribute("href", "/id/" + iri.slice(root.dataset.base.length));
    });
  }
  new MutationObserver(localLinks).observe(root, { childList: true, subtree: true });

  fetch(root.dataset.queries, { headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error("GET " + root.dataset.queries + " answered " + response.status);
      return response.json();
    })
    .then(addNamedQueries)
    .catch(function (error) {
      if (!yasgui.getTab()) yasgui.addTab(true);
      root.dataset.ready = "0";
      say("Could not load the named queries (" + error.message + "); write a query in the tab below.", true);
    });
})();

"""/sparql: the SPARQL 1.1 Protocol (query, read-only), the service description, a form for people."""

from __future__ import annotations

import time
from dataclasses import replace

from flask import Blueprint, Response, render_template, request

from kg.namespaces import PREFIXES
from service.context import Services
from service.descriptions import serialize, service_description
from service.errors import NotAcceptable, error_body
from service.guard import check_query
from service.negotiation import (
    BY_NAME,
    RDF,
    RDF_FORMATS,
    RESULTS_FORMATS,
    Format,
    negotiate,
    negotiate_repeated,
    prefers_html,
)
from service.protocol import Params, QueryRequest, parse_get, parse_post
from service.querylog import QueryLog
from service.worker import Job

GRAPH_FORMS = ("CONSTRUCT", "DESCRIBE")


def sparql_blueprint(services: Services) -> Blueprint:
    """The /sparql endpoint over the services' query pool."""
    blueprint = Blueprint("sparql", __name__)
    view = SparqlView(services)
    blueprint.add_url_rule("/sparql", "endpoint", view.endpoint, methods=["GET", "POST"])
    blueprint.after_app_request(view.log.finish)
    return blueprint


FORMAT_PARAMETERS = ("format", "output")
"""The parameters that name a format: `format` (Virtuoso, SPARQLWrapper) and `output` (Fuseki, SPARQLWrapper)."""


def format_values(params: Params) -> list[str]:
    """What the request's `format` and `output` parameters ask for."""
    return [value for name in FORMAT_PARAMETERS for value in params.all(name)]


class SparqlView:
    """Parse the protocol request, check the query, run it in a worker, answer in the negotiated format."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.log = QueryLog(services.settings.query_log)

    def endpoint(self) -> Response:
        """GET (and HEAD, answered as GET without the body) or POST, as the protocol's table says."""
        args = Params(request.args.to_dict(flat=False))
        if request.method in ("GET", "HEAD"):
            query = parse_get(args)
            if query is None:
                return self.describe()
            return self.run(query, format_values(args))
        form = Params(request.form.to_dict(flat=False))
        query = parse_post(request.content_type, args, form, request.get_data(cache=False))
        return self.run(query, format_values(form) or format_values(args))

    def run(self, query: QueryRequest, overrides: list[str]) -> Response:
        self.log.start(query.query)
        started = time.perf_counter()
        graphs = self.services.graph_counts()
        shape = check_query(query.query, PREFIXES, self.services.allowlist, graphs)
        checked = time.perf_counter()
        chosen = self.negotiate(query, shape.form, overrides)
        job = self.job(query, chosen)
        outcome = self.services.pool.run(job)
        answered = time.perf_counter()
        served = BY_NAME[job.rdf_format if outcome.family == "rdf" else job.results_format]
        response = answer(outcome.body, served)
        response.headers["Server-Timing"] = server_timing(
            check=checked - started, query=outcome.seconds, pool=answered - checked - outcome.seconds
        )
        return response

    def negotiate(self, query: QueryRequest, form: str | None, overrides: list[str]) -> Format:
        """The format for the query's form; when none is acceptable, a malformed query still answers 400."""
        offered, other = (RDF_FORMATS, RESULTS_FORMATS) if form in GRAPH_FORMS else (RESULTS_FORMATS, RDF_FORMATS)
        try:
            return negotiate_repeated(request.headers.get("Accept"), overrides, offered, passed_over=other)
        except NotAcceptable:
            self.check_syntax(query)
            raise

    def check_syntax(self, query: QueryRequest) -> None:
        """Raise the query's 400 if the engine refuses it (run with no room for a result); nothing else."""
        try:
            self.services.pool.run(replace(self.job(query, RESULTS_FORMATS[0]), max_bytes=0))
        except Exception as exc:  # noqa: BLE001 - only a 400 is the client's to hear before the 406
            if error_body(exc).status == 400:
                raise

    def job(self, query: QueryRequest, chosen: Format) -> Job:
        """The worker's job: the query, its dataset, the format and the limits from the settings."""
        settings = self.services.settings
        return Job(
            query=query.query,
            default_graphs=query.default_graphs,
            named_graphs=query.named_graphs,
            results_format=chosen.name if chosen.family != RDF else "json",
            rdf_format=chosen.name if chosen.family == RDF else "turtle",
            max_bytes=settings.max_result_bytes,
            union_default_graph=settings.union_default_graph,
            base_iri=request.base_url,
            lateral=settings.sparql_lateral_optionals,
        )

    def describe(self) -> Response:
        """No query: the query form for a browser, else the SPARQL Service Description."""
        if prefers_html(request.headers.get("Accept")) and not request.args.get("format"):
            html = render_template("sparql.html", queries=self.services.registry.examples())
            return Response(html, content_type="text/html; charset=utf-8")
        chosen = negotiate(request.headers.get("Accept"), request.args.get("format"), RDF_FORMATS)
        union = self.services.settings.union_default_graph
        counts, federated = self.services.graph_counts(), bool(self.services.allowlist)
        triples = service_description(request.base_url, counts, union_default_graph=union, federated=federated)
        return answer(serialize(triples, chosen.name), chosen)


TIMING_DESCRIPTIONS = {
    "check": "graph table and the query check",
    "query": "run and serialize (query worker)",
    "pool": "wait for a worker and the hop",
}


def server_timing(**seconds: float) -> str:
    """A Server-Timing header value (W3C Server Timing): each step's milliseconds and what it covers."""
    return ", ".join(
        f'{name};dur={max(value, 0.0) * 1000:.2f};desc="{TIMING_DESCRIPTIONS[name]}"' for name, value in seconds.items()
    )


def answer(body: bytes, fmt: Format) -> Response:
    response = Response(body, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response

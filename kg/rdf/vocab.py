"""The RDF terms the writer uses: namespaces, enumeration nodes, literals, and the IRIs it mints."""

from __future__ import annotations

from decimal import Decimal

from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from kg.namespaces import EVKG, OA, ROOTS, Iris
from kg.rdf.ntriples import Namespace, literal, typed

EV, WA = Namespace(str(EVKG)), Namespace(str(OA))
RDF_, RDFS_, OWL_ = Namespace(str(RDF)), Namespace(str(RDFS)), Namespace(str(OWL))
SKOS_, DC, PROV_, XSD_ = Namespace(str(SKOS)), Namespace(str(DCTERMS)), Namespace(str(PROV)), Namespace(str(XSD))

CLAIM_CLASSES = {
    "recommendation": EV.Recommendation,
    "evidence": EV.EvidenceClaim,
    "contraindication": EV.Contraindication,
    "caution": EV.Caution,
    "adverse-effect": EV.AdverseEffectClaim,
    "dose": EV.DoseStatement,
}
SOURCE_CLASSES = {
    "guideline": EV.Guideline,
    "systematic-review": EV.SystematicReview,
    "trial": EV.Trial,
    "drug-label": EV.DrugLabel,
    "clinical-answer": EV.ClinicalAnswer,
    "consumer-article": EV.ConsumerArticle,
}
ENUMS: dict[str, dict[str, str]] = {
    "phase": {"acute": EV.Acute, "subacute": EV.Subacute, "chronic": EV.Chronic},
    "direction": {
        "for": EV.For,
        "against": EV.Against,
        "uncertain": EV.Uncertain,
        "no-recommendation": EV.NoRecommendation,
    },
    "line": {
        "first": EV.FirstLine,
        "second": EV.SecondLine,
        "later": EV.LaterLine,
        "last-resort": EV.LastResort,
        "adjunct": EV.Adjunct,
    },
    "strength": {"strong": EV.Strong, "conditional": EV.Conditional},
    "certainty": {
        "high": EV.HighCertainty,
        "moderate": EV.ModerateCertainty,
        "low": EV.LowCertainty,
        "very-low": EV.VeryLowCertainty,
    },
    "relative_to": {"onset": EV.Onset, "treatment": EV.TreatmentStart},
    "qualifier": {"lowest-effective": EV.LowestEffective, "shortest-possible": EV.ShortestPossible},
    "finding": {
        "benefit": EV.Benefit,
        "harm": EV.Harm,
        "no-difference": EV.NoDifference,
        "questioned": EV.Questioned,
    },
    "measure": {
        "relative-risk": EV.RelativeRisk,
        "odds-ratio": EV.OddsRatio,
        "hazard-ratio": EV.HazardRatio,
        "mean-difference": EV.MeanDifference,
        "standardized-mean-difference": EV.StandardizedMeanDifference,
        "unspecified-ratio": EV.UnspecifiedRatio,
    },
}
SEVERITY = {"contraindication": EV.Avoid, "caution": EV.UseWithCaution}
DAYS = {
    "hour": Decimal(1) / Decimal(24),
    "day": Decimal(1),
    "week": Decimal(7),
    "month": Decimal("30.4375"),
    "year": Decimal("365.25"),
}
MATCH = {"exact": SKOS_.exactMatch, "close": SKOS_.closeMatch, "broad": SKOS_.broadMatch, "narrow": SKOS_.narrowMatch}
ROOT_TERMS = {slug: EV[name] for slug, (name, _) in ROOTS.items()}
A, LABEL = RDF_.type, RDFS_.label
TRUE, FALSE = literal(True), literal(False)


def decimal(value: float | Decimal) -> str:
    """An xsd:decimal literal that keeps the written digits (1.5, not 1.5000000001)."""
    number = value if isinstance(value, Decimal) else Decimal(repr(value))
    if number == number.to_integral():
        number = number.normalize()
    return typed(f"{number:f}", XSD_.decimal)


def integer(value: int) -> str:
    """An xsd:integer literal (the store keeps oa:start/oa:end as xsd:integer)."""
    return typed(str(value), XSD_.integer)


class Minter:
    """The IRIs minted under the configured base, as N-Triples terms."""

    def __init__(self, iris: Iris) -> None:
        self.base = iris.base
        self.id = f"<{iris.base}id/"

    def source(self, source_id: str) -> str:
        return f"{self.id}source/{source_id}>"

    def text(self, source_id: str) -> str:
        return f"{self.id}text/{source_id}>"

    def agent(self, agent_id: str) -> str:
        return f"{self.id}agent/{agent_id}>"

    def claim(self, source_id: str, claim_id: str, part: str = "") -> str:
        return f"{self.id}claim/{source_id}.{claim_id}{part}>"

    def term(self, term_id: str) -> str:
        root = ROOT_TERMS.get(term_id)
        return root if root is not None else f"{self.id}term/{term_id}>"

    def graph(self, name: str) -> str:
        return f"{self.base}graph/{name}"

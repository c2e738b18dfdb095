"""The ``scorecard`` section of the config schema.

The plan whose targets count, and the indicators' options (presence matching, load flag,
capacity-aware access).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    Field,
    StrictStr,
)
from pydantic.dataclasses import dataclass

from carecircles._schema_types import (
    _FORBID_DC,
    Number,
    Text,
    _doc,
)
from carecircles._schema_walk import (
    Allowed,
)
from carecircles.plans import DEFAULT_PLAN, INDICATORS, LOAD_FACTOR, PLANS, RESOURCES, VILLAGE_MATCH_M

#: Luo & Qi (2009) E2SFCA: the catchment cut in thirds of the threshold, weighted by a Gaussian.
DEFAULT_DECAY_WEIGHTS = (1.0, 0.68, 0.22)

_PLAN_WORDS = ", ".join(f"{k} ({p.code} {p.place.split()[0]})" for k, p in PLANS.items())


def _plan_key(value: str) -> str:
    if value not in PLANS:
        raise ValueError("unknown plan")
    return value


def _resource(value: str) -> str:
    if value not in RESOURCES:
        raise ValueError("unknown resource")
    return value


PlanKey = Annotated[
    StrictStr,
    AfterValidator(_plan_key),
    Allowed(PLANS),
    Field(description="a plan: " + ", ".join(PLANS)),
]
Resource = Annotated[
    StrictStr,
    AfterValidator(_resource),
    Allowed(RESOURCES),
    Field(description="a resource: " + ", ".join(RESOURCES)),
]
IndicatorId = Annotated[StrictStr, Allowed(INDICATORS, name="indicator")]
TargetFigure = Annotated[
    Number,
    Field(gt=0, description="a number greater than 0 (per 1,000 residents; gps_per_10000: per 10,000)"),
]
Band = Annotated[
    tuple[
        Annotated[Number, Field(gt=0, description="a number of minutes greater than 0")],
        Annotated[Number, Field(gt=0, le=1, description="a weight greater than 0 and at most 1")],
    ],
    Field(description="a band [minutes, weight]"),
]


@dataclass(frozen=True, config=_FORBID_DC)
class CapacityOptions:
    """Capacity-aware access (E2SFCA): which resource is the supply, which standard, which decay.

    Attributes
    ----------
    resource
        The supply of each facility (beds, doctors …).
    standard
        The id of a time standard of the study whose mode and threshold bound the catchments
        (``None``: the first time standard).
    decay
        ``[minutes, weight]`` bands, upper bounds inclusive, minutes increasing, weights not
        increasing, the last band ending at the standard's threshold (``None``: Luo & Qi 2009,
        thirds of the threshold weighted 1.0, 0.68, 0.22; see :meth:`bands`).
    """

    resource: Resource = Field(
        default="beds",
        description="a resource: " + ", ".join(RESOURCES),
        json_schema_extra=_doc("the supply in capacity-aware access (E2SFCA)"),
    )
    standard: Text | None = Field(
        default=None,
        description="the id of a time standard listed under standards",
        json_schema_extra={"default_text": "the first time standard"},
    )
    decay: tuple[Band, ...] | None = Field(
        default=None,
        description="a list of [minutes, weight] bands: minutes increasing (upper bounds, inclusive), "
        "weights 0–1 not increasing, the last band ending at the standard's threshold",
        json_schema_extra={"default_text": "Luo & Qi 2009: thirds of the threshold weighted 1.0, 0.68, 0.22"},
    )

    def bands(self, threshold_min: float) -> tuple[tuple[float, float], ...]:
        """Return the decay bands for a standard's threshold (minutes): the given ones or the default.

        Examples
        --------
        >>> CapacityOptions().bands(30)
        ((10.0, 1.0), (20.0, 0.68), (30.0, 0.22))
        """
        if self.decay is not None:
            return tuple((float(m), float(w)) for m, w in self.decay)
        n = len(DEFAULT_DECAY_WEIGHTS)
        return tuple((threshold_min * (k + 1) / n, weight) for k, weight in enumerate(DEFAULT_DECAY_WEIGHTS))


@dataclass(frozen=True, config=_FORBID_DC)
class ScorecardOptions:
    """The ``scorecard`` section: whose targets count, and the options of the plan indicators.

    Attributes
    ----------
    plan
        The plan whose ratio targets (for its target year) the study is held to.
    census_population
        People of the county ratios instead of the study's own total (reported with the
        difference).
    targets
        Ratio targets that replace (or add to) the plan's, by indicator id.
    village_match_m
        Presence rule: a village clinic with no village id serves the nearest village point
        within this distance.
    load_factor
        Catchments: a facility is flagged when its people per bed or per doctor exceed this
        times the county figure of its level.
    capacity
        Capacity-aware access (E2SFCA).
    """

    plan: PlanKey = Field(
        default=DEFAULT_PLAN,
        description="a plan: " + ", ".join(PLANS),
        json_schema_extra=_doc(f"whose ratio targets count (its target year): {_PLAN_WORDS}"),
    )
    census_population: Number | None = Field(
        default=None,
        gt=0,
        description="a number of people (more than 0)",
        json_schema_extra={
            "default_text": "the study's people",
            **_doc(
                "people of the county ratios (e.g. the census); the difference to the study's is reported"
            ),
        },
    )
    targets: dict[IndicatorId, TargetFigure] = Field(
        default={},
        description="a mapping {indicator: figure}",
        json_schema_extra=_doc("replace or add a plan's ratio target"),
    )
    village_match_m: Number = Field(
        default=VILLAGE_MATCH_M,
        gt=0,
        description="a distance in metres greater than 0",
        json_schema_extra=_doc(
            "presence: a village clinic with no village id serves the nearest village point within this"
        ),
    )
    load_factor: Number = Field(
        default=LOAD_FACTOR,
        gt=0,
        description="a number greater than 0",
        json_schema_extra=_doc(
            "catchments: flag a facility whose people per bed or doctor exceed this × the county's"
        ),
    )
    capacity: CapacityOptions = Field(
        default=CapacityOptions(), description="a mapping: resource, standard, decay"
    )

"""Config sections for terrain (slope models) and speed scenarios (e.g. winter)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from carecircles._schema_types import (
    _FORBID,
    Mode,
    Number,
    RoadClass,
    Text,
    _doc,
    safe_file_name,
)

SlopeModel = Literal["tobler", "ebike_power", "none"]
_MODEL_WORDS = "tobler (Tobler's hiking function), ebike_power (the e-bike power model) or none"


class EbikePowerSpec(BaseModel):
    """``terrain.ebike_power``: the e-bike climbing model's parameters (README: terrain)."""

    model_config = _FORBID

    power_w: Number = Field(
        default=400.0, gt=0, description="watts at the wheel (more than 0); GB 17761-2018 limit: 400"
    )
    mass_kg: Number = Field(default=125.0, gt=0, description="kg of rider and bicycle (more than 0)")
    rolling: Number = Field(default=0.01, ge=0, le=0.1, description="rolling resistance, 0 to 0.1")
    drag_area_m2: Number = Field(default=0.6, gt=0, le=3, description="drag area CdA in m², up to 3")


class TerrainOptions(BaseModel):
    """The ``terrain`` section: how slope slows each mode when ``inputs.dem`` is given."""

    model_config = _FORBID

    walk: SlopeModel = Field(
        default="tobler",
        description=_MODEL_WORDS,
        json_schema_extra=_doc("walking on roads and off them (home to road, road to door)"),
    )
    ebike: SlopeModel = Field(default="ebike_power", description=_MODEL_WORDS)
    car: SlopeModel = Field(default="none", description=_MODEL_WORDS)
    ebike_power: EbikePowerSpec = Field(
        default=EbikePowerSpec(), description="a mapping: power_w, mass_kg, rolling, drag_area_m2"
    )
    sample_m: Number | None = Field(
        default=None,
        gt=0,
        description="a distance in metres greater than 0",
        json_schema_extra={
            "default_text": "half a DEM cell (at least 5 m)",
            **_doc("roads are sampled for slope every this many metres"),
        },
    )


Factor = Annotated[
    Number, Field(gt=0, le=2, description="a factor greater than 0, at most 2 (0.7: 30 % slower)")
]
FactorTable = Annotated[dict[RoadClass, Factor], Field(description="a mapping {road class: factor}")]


class ScenarioEntry(BaseModel):
    """One entry of ``scenarios``: a named set of speed changes run beside the base case."""

    model_config = _FORBID

    id: Text = Field(description="a scenario id usable as a file name and column prefix (e.g. winter)")
    title: Text | None = Field(
        default=None, description="the name shown on the map and report (e.g. 冬季积雪)"
    )
    walk_factor: Factor = Field(
        default=1.0,
        description="a factor greater than 0, at most 2",
        json_schema_extra=_doc("every walking speed, on roads and off them (snow: 0.8)"),
    )
    speed_factors: dict[Mode, Factor | FactorTable] = Field(
        default={},
        description="a mapping from a mode to one factor or to {road class: factor} ('*': the rest)",
    )
    closed: tuple[RoadClass, ...] = Field(
        default=(), description="road classes closed to every mode in this scenario (e.g. [track])"
    )

    @field_validator("id")
    @classmethod
    def _usable_id(cls, value: str) -> str:
        if safe_file_name(value) != value or not value.replace("-", "_").isidentifier():
            raise ValueError("not a plain name (letters, digits, - and _)")
        if value == "base":
            raise ValueError("'base' is the case without a scenario")
        return value

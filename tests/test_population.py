"""Population rasters (real WorldPop, reprojected copies, bad rasters) and village points."""

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from pyproj import CRS
from rasterio.warp import Resampling, calculate_default_transform, reproject

from carecircles._errors import DataIssues, InputError
from carecircles.population import cell_centres, read_population_raster

from _helpers import shared_file

WUHAN_UTM = CRS.from_epsg(32650)


def wuhan_zones():
    return gpd.GeoDataFrame(
        {"zone_code": ["A", "B"], "zone_name": ["a", "b"], "zone_type": ["urban", "rural"]},
        # edges off the cell-centre lines: a centre exactly on a boundary has no single zone
        geometry=[
            shapely.box(114.2503, 30.5004, 114.4002, 30.6501),
            shapely.box(114.4002, 30.5004, 114.5506, 30.6207),
        ],
        crs=4326,
    )


def brute_force_totals(path, zones):
    """Sum of valid cells whose centre lies in each zone, cell by cell with shapely."""
    with rasterio.open(path) as src:
        data = src.read(1, masked=True).astype(float).filled(0)
        rows, cols = np.indices(data.shape)
        xs, ys = rasterio.transform.xy(src.transform, rows.ravel(), cols.ravel(), offset="center")
    xs, ys = np.asarray(xs), np.asarray(ys)
    values = np.where(data.ravel() > 0, data.ravel(), 0)
    return [values[shapely.contains_xy(g, xs, ys)].sum() for g in zones.geometry]


def test_worldpop_totals_match_brute_force():
    path = shared_file("worldpop-wuhan-age30-34-male-100m.tif")
    zones = wuhan_zones()
    cells = read_population_raster(path, zones, WUHAN_UTM, DataIssues())
    totals = np.bincount(cells.zone, weights=cells.population, minlength=2)
    np.testing.assert_allclose(totals, brute_force_totals(path, zones), rtol=1e-5)
    assert cells.population.min() > 0  # nodata (-3.4e38) and empty cells are not places
    assert cells.grid is not None and cells.grid.crs.equals(CRS.from_epsg(4326))


def test_whole_worldpop_raster_honours_nodata():
    path = shared_file("worldpop-wuhan-age30-34-male-100m.tif")
    with rasterio.open(path) as src:
        box = shapely.box(*src.bounds)
    zones = gpd.GeoDataFrame(
        {"zone_code": ["all"], "zone_name": ["all"], "zone_type": ["urban"]},
        geometry=[box.buffer(0.01)],
        crs=4326,
    )
    cells = read_population_raster(path, zones, WUHAN_UTM, DataIssues())
    assert cells.total == pytest.approx(555_815, rel=1e-3)  # the data README's figure


def test_raster_in_another_crs_gives_the_same_people(tmp_path):
    """A raster reprojected to UTM carries (almost) the same people; the reader says so."""
    source = shared_file("worldpop-wuhan-age30-34-male-100m.tif")
    target = tmp_path / "utm.tif"
    zones = wuhan_zones()
    window_zones = gpd.GeoDataFrame(zones, crs=4326)
    with rasterio.open(source) as src:
        win = rasterio.windows.from_bounds(114.2, 30.45, 114.6, 30.7, transform=src.transform)
        data = src.read(1, window=win, masked=True).filled(0).astype("float32")
        data[data < 0] = 0
        transform = src.window_transform(win)
        dst_crs = "EPSG:32650"
        dst_transform, w, h = calculate_default_transform(
            src.crs,
            dst_crs,
            data.shape[1],
            data.shape[0],
            *rasterio.windows.bounds(win, src.transform),
            resolution=100,
        )
        out = np.zeros((h, w), dtype="float32")
        # 'sum' resampling keeps counts
        reproject(
            data,
            out,
            src_transform=transform,
            src_crs=src.crs,
            dst_transform=dst_transform,
            dst_crs=dst_crs,
            resampling=Resampling.sum,
        )
    with rasterio.open(
        target,
        "w",
        driver="GTiff",
        width=w,
        height=h,
        count=1,
        dtype="float32",
        crs=dst_crs,
        transform=dst_transform,
        nodata=-1,
    ) as dst:
        dst.write(out, 1)
    issues = DataIssues()
    utm_cells = read_population_raster(target, window_zones, CRS.from_epsg(32651), issues)
    geo_cells = read_population_raster(source, window_zones, CRS.from_epsg(32651), DataIssues())
    assert any("differs from the study CRS" in i.message for i in issues.items)
    assert utm_cells.total == pytest.approx(geo_cells.total, rel=0.02)


def test_raster_without_crs_is_refused(tmp_path):
    path = tmp_path / "nocrs.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=2,
        height=2,
        count=1,
        dtype="float32",
        transform=rasterio.transform.from_origin(114, 31, 0.1, 0.1),
    ) as dst:
        dst.write(np.ones((2, 2), dtype="float32"), 1)
    with pytest.raises(InputError, match="no CRS") as err:
        read_population_raster(path, wuhan_zones(), WUHAN_UTM, DataIssues())
    assert "nocrs.tif" in str(err.value)


def test_raster_not_covering_the_zones_is_refused():
    path = shared_file("worldpop-wuhan-age30-34-male-100m.tif")
    far = gpd.GeoDataFrame(
        {"zone_code": ["x"], "zone_name": ["x"], "zone_type": ["rural"]},
        geometry=[shapely.box(126.0, 42.0, 127.0, 43.0)],
        crs=4326,
    )
    with pytest.raises(InputError, match="does not overlap"):
        read_population_raster(path, far, WUHAN_UTM, DataIssues())


def test_reading_in_strips_keeps_exactly_the_cells_of_one_read(monkeypatch, sample_config):
    """Memory follows the populated cells: a strip of a few rows at a time gives the same cells."""
    from carecircles import population
    from carecircles._crs import utm_crs
    from carecircles.boundaries import read_zones

    zones = read_zones(
        sample_config.zones,
        DataIssues(),
        code_column="zone_code",
        name_column="zone_name",
        type_column="zone_type",
    )
    crs = utm_crs(126.8, 42.4)
    whole_issues, strip_issues = DataIssues(), DataIssues()
    whole = read_population_raster(sample_config.population, zones, crs, whole_issues)
    monkeypatch.setattr(population, "STRIP_CELLS", 5_000)  # 4 rows of this 1169-wide raster
    strips = read_population_raster(sample_config.population, zones, crs, strip_issues)
    for name in ("x", "y", "population", "zone", "row", "col"):
        assert np.array_equal(getattr(whole, name), getattr(strips, name)), name
    assert whole.grid.shape == strips.grid.shape and whole.grid.transform == strips.grid.transform
    assert whole_issues.to_frame().equals(strip_issues.to_frame())
    assert not hasattr(strips.grid, "zone_index")  # no per-cell array of the whole window is kept


def test_polygons_traced_in_small_tiles_are_the_polygons_of_one_tile(
    monkeypatch, sample_result, sample_config
):
    from carecircles import assessment
    from carecircles.analysis import load_inputs, nearest_facilities

    inputs = load_inputs(sample_config)
    standard = next(s for s in sample_config.standards if s.id == "rural-30min")
    costs = nearest_facilities(inputs, issues=DataIssues()).times(standard, inputs.cells.x, inputs.cells.y)
    one = assessment.area_polygons(standard, inputs.zones, inputs.cells, costs.cost)
    monkeypatch.setattr(assessment, "TRACE_TILE", 37)  # regions cut across many tiles
    tiled = assessment.area_polygons(standard, inputs.zones, inputs.cells, costs.cost)
    assert len(one) == len(tiled) > 20
    assert np.allclose(one["population"], tiled["population"]) and (one["cells"] == tiled["cells"]).all()
    for a, b in zip(one.geometry, tiled.geometry, strict=True):
        assert a.symmetric_difference(b).area < 1e-12 and b.is_valid


@pytest.mark.parametrize("tile", [4, 9, 2048])
def test_regions_are_the_8_connected_clusters_split_by_label_whatever_the_tiles(monkeypatch, tile):
    """Reference: scipy's 8-connected labelling of the whole dense grid at once."""
    from scipy import ndimage

    from carecircles import assessment

    monkeypatch.setattr(assessment, "TRACE_TILE", tile)
    rng = np.random.default_rng(tile)
    for _ in range(10):
        h, w = (int(v) for v in rng.integers(5, 60, 2))
        drawn = rng.random((h, w)) < rng.uniform(0.2, 0.7)
        rows, cols = np.nonzero(drawn)
        label = rng.integers(0, 3, len(rows))
        ids = assessment._regions((h, w), rows.astype(np.int64), cols.astype(np.int64), label)
        cluster, _ = ndimage.label(drawn, structure=np.ones((3, 3)))
        expected = cluster[rows, cols] * 3 + label
        # the same partition of the cells: a one-to-one map between the two numberings
        assert len(set(zip(ids, expected, strict=True))) == len(set(ids)) == len(set(expected))
        assert ids.min() == 1 and ids.max() == len(set(ids))


def test_polygons_per_label_are_the_regions_of_each_label_as_valid_multipolygons(monkeypatch, sample_config):
    from carecircles import assessment
    from carecircles.analysis import load_inputs, nearest_facilities

    inputs = load_inputs(sample_config)
    cells = inputs.cells
    owner = (
        nearest_facilities(inputs, issues=DataIssues())
        .place(cells.x, cells.y, mode="walk", types=frozenset({"village_clinic"}), limit=1800.0)
        .facility
    )
    monkeypatch.setattr(assessment, "TRACE_TILE", 50)  # labels cut by many seams
    regions = assessment.polygons_by_label(cells, owner)
    labels = assessment.polygons_by_label(cells, owner, per="label")
    assert len(labels) == len(np.unique(owner[owner >= 0])) > 10 and len(regions) > len(labels)
    assert labels.geometry.is_valid.all() and regions.geometry.is_valid.all()
    assert np.allclose(
        labels.set_index("label")["population"],
        np.bincount(owner[owner >= 0], weights=cells.population[owner >= 0])[labels["label"]],
    )
    joined = regions.dissolve(by="label").loc[labels["label"]]
    for a, b in zip(joined.geometry, labels.geometry, strict=True):
        assert a.symmetric_difference(b).area < 1e-12
    # each cell is a square of the grid: a label's area in the grid CRS is its cells' area
    grid = cells.grid
    area = shapely.area(labels.to_crs(grid.crs).geometry.to_numpy())  # in the grid's units
    assert np.allclose(area, labels["cells"] * abs(grid.transform.a * grid.transform.e), rtol=1e-6)


@pytest.mark.parametrize(
    "transform",
    [
        rasterio.Affine(0.000833333333333, 0.0, 109.5, 0.0, -0.000833333333333, 28.4),  # north-up degrees
        rasterio.Affine(100.0, 0.0, 500_000.0, 0.0, -100.0, 3_200_000.0),  # metres
        rasterio.Affine(99.7, 3.1, 412_345.25, -2.9, -100.3, 3_150_000.5),  # rotated and skewed
    ],
)
def test_cell_centres_are_rasterios_to_the_bit(transform):
    rng = np.random.default_rng(7)
    rows, cols = rng.integers(0, 40_000, 5_000), rng.integers(0, 40_000, 5_000)
    x, y = cell_centres(transform, rows, cols)
    ref_x, ref_y = rasterio.transform.xy(transform, rows, cols, offset="center")
    assert np.array_equal(x, np.asarray(ref_x)) and np.array_equal(y, np.asarray(ref_y))
    # and the centre of one cell by hand: half a cell in from its corner
    row, col = int(rows[0]), int(cols[0])
    corner = transform * (col + 0.5, row + 0.5)
    assert x[0] == pytest.approx(corner[0], rel=1e-12) and y[0] == pytest.approx(corner[1], rel=1e-12)


@pytest.mark.parametrize("networks_fail", [False, True])
def test_a_population_error_is_raised_first_though_read_beside_the_networks(
    monkeypatch, sample_config, networks_fail
):
    """The population is read in a thread while the networks are built: its error (the
    earlier step's) is the one the user sees, whether or not the networks fail too, and the
    issues keep their order (roads' before the population's before the networks')."""
    import time

    from carecircles import analysis

    def bad_people(config, zones, crs, issues):
        time.sleep(0.3)  # still reading when the networks are done (or have failed)
        issues.add("warning", "population", "the raster's own issue", zh="人口")
        raise InputError("population: not a raster") from FileNotFoundError("no such raster")

    real_networks = analysis._networks

    def networks(config, roads, crs, issues, terrain):
        issues.add("warning", "roads", "the networks' own issue", zh="路网")
        if networks_fail:
            raise InputError("roads: no road network")
        return real_networks(config, roads, crs, issues, terrain)

    monkeypatch.setattr(analysis, "_people", bad_people)
    monkeypatch.setattr(analysis, "_networks", networks)
    issues = DataIssues()
    with pytest.raises(InputError, match="population: not a raster") as raised:
        analysis.load_inputs(sample_config, issues=issues)
    assert isinstance(raised.value.__cause__, FileNotFoundError)  # its own cause, kept
    assert "no road network" not in repr(raised.value.__context__)
    messages = [item.message for item in issues.items]
    assert messages.index("the raster's own issue") < messages.index("the networks' own issue")

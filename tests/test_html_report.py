"""The HTML report: self-contained, traceable to the catalog, and rendered by a real browser.

The browser tests open the report in headless Chromium (Debian package ``chromium``; ``make
test`` installs it where it can) and check the DOM Plotly drew and a screenshot. Without
Chromium they fail with a message saying how to install it: the report's rendering is part of
what this project promises, so it is never skipped silently.
"""

from __future__ import annotations

import html
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from gigawatt.html_report import (
    _runs,
    collect_sources,
    entry_sources,
    render_html,
    sankey_figure,
    write_html,
)
from gigawatt.plan import Plan, plan
from gigawatt.report import write_report
from gigawatt.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
STARGATE = ROOT / "scenarios" / "stargate.yaml"

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=10000",
)

SMALL = """\
name: small lab
training:
  - name: llama3-8b-run
    model: llama3-8b
    tokens: 1.0e+12
    accelerator: h100-sxm
    gpus: 1024
    global_batch: 512
"""


@pytest.fixture(scope="module")
def stargate() -> Plan:
    return plan(load_scenario(STARGATE))


@pytest.fixture(scope="module")
def report_dir(stargate: Plan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("stargate-report")
    paths = write_report(stargate, out)
    assert out / "report.html" in paths
    return out


@pytest.fixture(scope="module")
def page(report_dir: Path) -> str:
    return (report_dir / "report.html").read_text(encoding="utf-8")


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "headless Chromium is needed to check that the HTML report renders, and none was "
        "found on PATH. Install it with `apt-get install -y chromium` (Debian/Ubuntu; `make "
        "test` does this when run as root) and run the tests again."
    )


def run_chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    cmd = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


# ---- the file ---------------------------------------------------------------------------------
def test_report_is_one_self_contained_file(page: str, report_dir: Path) -> None:
    # plotly.js inline once, nothing fetched from the network
    assert page.count("<script") == page.count("</script>")
    markup = re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.S)
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", markup)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", markup)
    assert len(re.findall(r"<script[^>]*>", page)) == 5  # plotly.js + one per chart
    assert page.count("Plotly.newPlot(") == 4  # Sankey, supply, sites, waterfall
    size = (report_dir / "report.html").stat().st_size
    assert 3e6 < size < 8e6, f"report is {size / 1e6:.1f} MB: plotly.js once plus the data"


def test_headline_figures_with_units_and_ranges(page: str, stargate: Plan) -> None:
    h = stargate.headline
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert f"{h['accelerators']['total']:,.0f}" in text
    assert f"{_gw(h['it_power_w'])} GW" in text
    assert f"{h['pue']:.3f}" in text
    assert "Mm³/year" in text and "Mt/year" in text
    peak = h["dram_wafers_per_month_peak"]
    assert f"{peak['likely']:,.0f} wafers/month" in text
    assert f"range {peak['low']:,.0f} – {peak['high']:,.0f}" in text
    assert "900,000 wafers/month claim" in text
    assert h["largest_utilisation_constraint"] in text
    assert ("OVER budget" in text) != bool(h["within_budget"])
    assert f"{h['ettr']:.2f}" in text
    for key in ("capex_usd", "usd_per_gpu_hour", "usd_per_million_tokens"):
        assert h[key]["low"] < h[key]["likely"] < h[key]["high"]
    assert text.count("range ") >= 6  # capex, opex, $/GPU-h, $/Mtok, wafers, ...


def _gw(w: float) -> str:
    return f"{w / 1e9:,.2f}"


def test_every_footnote_points_to_a_listed_source(page: str, stargate: Plan) -> None:
    anchors = set(re.findall(r'id="src-(\d+)"', page))
    links = set(re.findall(r'href="#src-(\d+)"', page))
    src = collect_sources(stargate)
    assert anchors == {str(n) for n in range(1, len(src.entries) + 1)}
    assert links and links <= anchors
    # hover texts cite sources too
    assert re.search(r"sources \[\d+", page)


def test_sources_cover_what_the_plan_used(page: str, stargate: Plan) -> None:
    src = collect_sources(stargate)
    used = {(e.kind, e.id) for e in src.entries}
    build = set(stargate.tables["build_out"]["accelerator"])
    fleet = set(stargate.tables["fleet"].query("workload != 'TOTAL'")["accelerator"])
    for acc in build | fleet:
        assert ("accelerators", acc) in used
    for site in stargate.tables["sites"]["site"]:
        assert ("sites", site) in used
    for cooling in stargate.tables["sites"]["cooling"]:
        assert ("cooling", cooling) in used
    for item in stargate.tables["capex"]["item"].unique():
        assert ("prices", item) in used
    assert ("models", "megatron-1t") in used and ("models", "deepseek-v3") in used
    assert any(k == "capacity" for k, _ in used)
    # references are followed: gb200 -> its bill of materials -> HBM3E product -> DRAM node
    assert ("bom", "gb200-bom") in used and ("dram_products", "hbm3e-mfg") in used
    assert any(k == "fab" and i.startswith("dram-") for k, i in used)
    assert ("networks", "nvlink5") in used and ("efficiency", "blackwell") in used
    # every source string of every listed entry is printed, nested ones included
    for entry in src.entries:
        for s in entry_sources(entry):
            assert html.escape(s, quote=True) in page, (entry.id, s)
    abilene = next(e for e in src.entries if e.id == "abilene")
    assert any("Climate Normals" in s for s in entry_sources(abilene))  # climate tables


def test_sankey_flows_conserve_and_cover_the_chain(stargate: Plan) -> None:
    src = collect_sources(stargate)
    fig = sankey_figure(stargate, src)
    assert fig is not None
    s = fig.data[0]
    labels = list(s.node.label)
    for stage in ("tokens", "accelerators", "stacks", "wafers/month", "GW", "USD"):
        assert any(stage in lab for lab in labels), stage
    n = len(labels)
    inflow, outflow = [0.0] * n, [0.0] * n
    for a, b, v in zip(s.link.source, s.link.target, s.link.value, strict=True):
        assert v > 0
        outflow[a] += v
        inflow[b] += v
    built = float(stargate.tables["build_out"]["count"].sum())
    for i, lab in enumerate(labels):
        if inflow[i] > 0 and outflow[i] > 0:  # a pass-through node conserves its flow
            assert inflow[i] == pytest.approx(outflow[i], rel=1e-9), lab
    sources_total = sum(o for o, i in zip(outflow, inflow, strict=True) if i == 0)
    ends = [i for i in range(n) if outflow[i] == 0]
    capex_total = sum(inflow[i] for i in ends if "USD" in labels[i])
    assert capex_total == pytest.approx(built, rel=1e-6)  # every bought accelerator reaches $
    assert sources_total >= built
    xs, ys = list(s.node.x), list(s.node.y)
    assert all(0 < v < 1 for v in xs + ys)


def test_small_scenario_and_empty_plan(tmp_path: Path) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    small = plan(load_scenario(path))
    out = write_html(small, tmp_path / "small.html")
    text = out.read_text(encoding="utf-8")
    assert "chart-flow" in text and "chart-supply" in text and "chart-money" in text
    assert "chart-sites" not in text  # no facility section: no site chart
    assert "llama3-8b-run" in text
    assert "Plotly.newPlot(" in text
    empty = render_html(Plan(scenario="nothing planned"))
    assert "nothing planned" in empty and "Plotly.newPlot(" not in empty


def test_footnote_runs() -> None:
    assert _runs([7, 1, 2, 3, 3, 9, 10]) == [(1, 3), (7, 7), (9, 10)]
    assert _runs([]) == []


# ---- in the browser ---------------------------------------------------------------------------
def test_report_renders_in_headless_chromium(
    report_dir: Path, stargate: Plan, tmp_path: Path
) -> None:
    url = (report_dir / "report.html").as_uri()
    done = run_chromium(["--dump-dom", url], tmp_path / "profile")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    errors = [ln for ln in done.stderr.splitlines() if "CONSOLE" in ln and "Uncaught" in ln]
    assert not errors, errors
    for chart in ("flow", "supply", "sites", "money"):
        assert re.search(rf'<div id="chart-{chart}" class="[^"]*js-plotly-plot', dom), chart
    assert dom.count('class="main-svg"') >= 8  # two SVG layers per chart at least
    fig = sankey_figure(stargate, collect_sources(stargate))
    assert fig is not None
    assert dom.count('class="sankey-node"') == len(fig.data[0].node.label)
    assert dom.count('class="sankey-link"') == len(fig.data[0].link.value)
    assert 'class="waterfalllayer' in dom
    assert dom.count('class="trace bars"') >= 3  # supply requests, site power, site water
    assert "binding constraint" in dom
    h = stargate.headline
    label = "binding" if h["binding_constraint"] else "largest utilisation"
    assert f"{label}: {h['largest_utilisation_constraint']}" in html.unescape(dom)


def test_screenshot_is_not_blank(report_dir: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    width, height = 1400, 3000
    done = run_chromium(
        [
            f"--window-size={width},{height}",
            f"--screenshot={shot}",
            (report_dir / "report.html").as_uri(),
        ],
        tmp_path / "profile",
    )
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (w, h, depth) == (width, height, 8)
    raw = zlib.decompress(b"".join(_chunks(data, b"IDAT")))
    channels = {2: 3, 6: 4}[colour]
    assert len(raw) == h * (1 + w * channels)
    # a blank page compresses ~1000:1; text and charts keep it far below that
    ratio = len(raw) / len(data)
    assert ratio < 150, f"screenshot compresses {ratio:.0f}:1, it looks blank"


def _chunks(png: bytes, kind: bytes) -> list[bytes]:
    out, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        if png[pos + 4 : pos + 8] == kind:
            out.append(png[pos + 8 : pos + 8 + length])
        pos += 12 + length
    return out

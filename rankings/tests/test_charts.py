"""Chart labels are printed whole: too wide for their bar, they slant and the chart grows to hold them."""

import pytest
from django.template.loader import render_to_string

from rankings.charts import HEIGHT, bar_chart


def test_short_labels_stay_level():
    chart = bar_chart([{"label": "all", "value": 0.5}, {"label": "ann", "value": 0.4}])
    assert chart.label_angle == 0 and chart.height == HEIGHT


def test_labels_wider_than_their_bar_slant_and_the_chart_grows():
    bars = [{"label": f"demo-trainer-{index}", "value": 0.5} for index in range(12)]
    chart = bar_chart(bars)
    assert chart.label_angle == -40 and chart.height > HEIGHT


@pytest.mark.parametrize("count", [2, 12])
def test_the_template_prints_every_label_in_full(count):
    bars = [{"label": f"demo-trainer-{index}", "value": 0.5} for index in range(count)]
    svg = render_to_string("rankings/_chart.html", {"chart": bar_chart(bars), "kind": "bars", "title": "t"})
    for index in range(count):
        assert f">demo-trainer-{index}</text>" in svg
    assert "…" not in svg

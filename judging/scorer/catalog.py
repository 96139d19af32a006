"""What each built-in metric reads and which parameters it takes, without numpy.

The numbers are computed in `metrics.py` inside the scoring container, which has numpy. The
worker, the site and the bundle validator only need the names, the kinds of column and the
parameters: they read them here, so none of them needs numpy installed.

`truth` and `prediction` are "number", "probability" or "label": numbers are parsed as floats
and must be finite, probabilities must also lie in [0, 1], labels are kept as the (stripped)
strings in the file.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricSpec:
    name: str
    truth: str
    prediction: str
    # The parameters it understands; a bundle naming any other is refused (app.bundles.schema).
    params: frozenset[str] = frozenset()


SPECS: dict[str, MetricSpec] = {
    s.name: s
    for s in (
        MetricSpec("rmse", "number", "number"),
        MetricSpec("mae", "number", "number"),
        MetricSpec("mape", "number", "number"),
        MetricSpec("r2", "number", "number"),
        MetricSpec("pinball_loss", "number", "number", frozenset({"alpha"})),
        MetricSpec("accuracy", "label", "label"),
        MetricSpec("balanced_accuracy", "label", "label"),
        MetricSpec("f1_macro", "label", "label"),
        MetricSpec("roc_auc", "label", "number", frozenset({"positive"})),
        MetricSpec("log_loss", "label", "probability", frozenset({"positive"})),
    )
}

"""Results pages (ranking, drill-down, export, what-if, full-marks exceptions)."""

urlpatterns: list = []

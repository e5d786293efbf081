"""Comparing areas fairly: funnel plots with overdispersion, shrinkage, the quadrant.

An area's indicator is noisy when the area is small, and areas differ for reasons no
model removes. :func:`funnel` says which areas lie outside what chance and ordinary
between-area variation explain (Spiegelhalter 2005); :func:`shrink` gives each area an
empirical-Bayes estimate that borrows strength from the others; :func:`quadrant_plot`
pairs timeliness with outcomes, area by area.
"""

from outcomes.areas.funnel import FunnelError, funnel, funnel_limits
from outcomes.areas.plots import funnel_plot, quadrant_plot
from outcomes.areas.shrinkage import shrink

__all__ = ["FunnelError", "funnel", "funnel_limits", "funnel_plot", "quadrant_plot", "shrink"]

"""Regression at a horizon: pseudo-observations and the GLMs fitted to them."""

from outcomes.regression.glm import PseudoValueRegression
from outcomes.regression.pseudo import pseudo_observations

__all__ = ["PseudoValueRegression", "pseudo_observations"]

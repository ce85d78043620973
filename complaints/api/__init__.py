"""The public API (/api/v1/): bearer tokens, and thin endpoints over the services and selectors.

It is a sub-package of ``complaints`` (an app of its own, label ``api``) because the API fronts complaints,
enforcement and listings alike, and only the top layer may import all of them (docs/architecture.md: dependencies
point one way, complaints → enforcement → listings → ipp_portal).
"""

"""Thin Faust agents, one module per concern; the worker imports every module here at start
(Faust autodiscovery, see `streams.app`), so a new agent module needs no registration."""

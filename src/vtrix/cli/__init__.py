"""The ``vtrix`` command line: a thin layer over :class:`vtrix.Client`."""

"""Modellix, as one folder: ``dialect`` reads its ``api_schema`` (an OpenAPI path object) into
the one spec form; ``adapter`` speaks its API (catalog, submits, tasks, uploads, key check,
balance). Its facts are its row of the gateway table (:mod:`vtrix.base.gateways`)."""

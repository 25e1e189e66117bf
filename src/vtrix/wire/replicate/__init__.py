"""Replicate, as one folder: ``dialect`` lowers a model's Cog schema (its latest version's, or
a pinned version's) into the one spec form; ``adapter`` speaks its predictions API (create by
model or by version, poll, cancel) and its catalog. Its facts — ``REPLICATE_API_TOKEN`` sent
as ``Bearer …``, its host, routes, cancel — are its row of the gateway table
(:mod:`vtrix.base.gateways`)."""

"""fal, as one folder: ``dialect`` lowers its per-endpoint OpenAPI documents into the one spec
form; ``adapter`` speaks its queue (submit, status, result, cancel) and its catalog. Its facts
— ``FAL_KEY`` sent as ``Key …``, hosts, routes, cancel — are its row of the gateway table
(:mod:`vtrix.base.gateways`)."""

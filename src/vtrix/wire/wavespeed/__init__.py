"""WaveSpeed, as one folder: ``dialect`` reads a catalog row's ``request_schema`` into the one
spec form; ``adapter`` speaks its API (submit, result polling, the ``{code, message, data}``
envelope, the price route's quotes, the balance). Its facts — ``WAVESPEED_API_KEY`` sent as
``Bearer …``, its host, routes, no cancel — are its row of the gateway table
(:mod:`vtrix.base.gateways`)."""

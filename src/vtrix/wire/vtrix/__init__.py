"""The vtrix gateway, as one folder: ``dialect`` reads its models service's specs into the one
spec form; ``adapter`` speaks its generation API (submits, tasks, the key check by lookup).
Its facts — key variable, hosts, routes, limits — are its row of the gateway table
(:mod:`vtrix.base.gateways`)."""

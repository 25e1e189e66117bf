"""Many tasks at once: the input file (:mod:`.input`) and the resumable run that never pays
twice (:mod:`.run`; from Python, :func:`vtrix.batch.run.run_batch`)."""

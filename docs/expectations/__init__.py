"""The expectations files shipped with the suite: what a runtime is known to do (``--expect NAME``)."""

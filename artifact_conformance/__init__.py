"""artifact-conformance: a conformance suite and reference simulator for
read-only OCI artifact stores (CRI-O's ``additional_artifact_stores``)."""

__version__ = "0.1.0"

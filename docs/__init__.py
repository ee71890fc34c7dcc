"""The project's documents. ``contract.md``, the contract's rules, ships as package data
(``artifact_conformance.docs``) so an installed suite reads the rules it judges by."""

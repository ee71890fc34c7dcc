@interoperability
Feature: Read-only stores prepared by other tools
  Nobody writes a read-only store with the runtime itself: an operator
  copies a main store from a node that pulled the artifacts, or runs
  "skopeo copy ... oci:", or lets ORAS write an OCI layout. Each tool names
  the entries of index.json its own way: a runtime's main store uses fully
  qualified references, skopeo and ORAS usually write just the tag. A runtime
  must serve all of these layouts; an entry whose name is only a tag is still
  an artifact, listed without tags and found by its ID.

  Background:
    Given a node with the read-only store "first"

  @required @rule:interop.foreign-layouts @rule:pull.skip-read-only
  Scenario: A copy of another node's main store serves its artifacts without downloading them
    Given the registry has artifact A tagged "llm:v1"
    And the read-only store "first" is a copy of the main store of another node that pulled "llm:v1"
    When the client pulls "llm:v1"
    Then the pull returns artifact A
    And no blob was downloaded from the registry
    And the list shows "llm:v1" once, as artifact A

  @required @rule:interop.foreign-layouts @rule:list.unnamed-visible
  Scenario: A layout written by skopeo is served; its bare-tag entry is listed without tags and found by ID
    Given the registry has artifact A tagged "llm:v1"
    And skopeo has copied "llm:v1" into the read-only store "first"
    When the client lists the artifacts
    Then the list shows artifact A without tags
    And the ID of artifact A resolves to artifact A

  @required @rule:interop.foreign-layouts @rule:list.unnamed-visible
  Scenario: An ORAS-style layout with the same bare tag for two artifacts lists both, distinguishable by ID
    Given the read-only store "first" holds artifact A under the bare tag "v1"
    And the read-only store "first" holds artifact B under the bare tag "v1"
    When the client lists the artifacts
    Then the list shows artifact A without tags
    And the list shows artifact B without tags
    And the ID of artifact A resolves to artifact A
    And the ID of artifact B resolves to artifact B

  @required @rule:interop.foreign-layouts
  Scenario: An ORAS-style layout whose entries carry fully qualified names is served by name
    Given the registry has artifact A tagged "llm:v1"
    And the read-only store "first" holds artifact A as "llm:v1"
    And the read-only store "first" holds artifact B under the bare tag "v2"
    When the client pulls "llm:v1"
    Then the pull returns artifact A
    And no blob was downloaded from the registry
    And the list shows artifact B without tags

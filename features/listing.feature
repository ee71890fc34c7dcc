@listing
Feature: Listing artifacts: each name once, read-only stores first
  Kubelet builds its picture of a node from ListImages: what is there, how big
  it is, and whether it may be garbage-collected. When a read-only store and
  the main store both know a name, the node must report the artifact a pod
  would actually get, once, with the same ID that a status look-up returns.
  The list has one entry per reference; kubelet folds entries into one record
  per ID and takes "pinned" from the last, so entries of one ID must agree on
  it (docs/contract.md, "Decisions").

  Background:
    Given a node with the read-only stores "first" and "second"

  @required @rule:list.cri-image
  Scenario: Each artifact is reported as a CRI image: ID, tags, repo digests and size
    Given the read-only store "first" holds artifact A as "llm:v1"
    And the registry has artifact B tagged "embeddings:v2"
    And the client has pulled "embeddings:v2"
    When the client lists the artifacts
    Then the list reports artifact A as a CRI image named "llm:v1"
    And the list reports artifact B as a CRI image named "embeddings:v2"

  @required @rule:list.order
  Scenario: Read-only stores are listed first, in configured order, then the main store
    Given the main store holds artifact C as "llm:v3"
    And the read-only store "first" holds artifact A as "llm:v1"
    And the read-only store "second" holds artifact B as "llm:v2"
    When the client lists the artifacts
    Then the list shows artifacts A, B and C in that order

  @required @rule:list.dedup-by-reference
  Scenario: A tag in a read-only store and in the main store is listed once, from the read-only store
    Given the main store holds artifact A as "llm:v1"
    And the read-only store "first" holds artifact B as "llm:v1"
    When the client lists the artifacts
    Then the list shows "llm:v1" once, as artifact B
    And the list does not show artifact A

  @required @rule:list.dedup-by-reference
  Scenario: A tag in two read-only stores is listed once, from the first store
    Given the read-only store "first" holds artifact A as "llm:v1"
    And the read-only store "second" holds artifact B as "llm:v1"
    When the client lists the artifacts
    Then the list shows "llm:v1" once, as artifact A
    And the list does not show artifact B

  @required @rule:list.entry-per-reference
  Scenario: One digest under two tags is listed under each tag
    Given the read-only store "first" holds artifact A as "llm:v1"
    And the read-only store "first" holds artifact A as "llm:latest"
    When the client lists the artifacts
    Then the list shows artifact A tagged "llm:v1"
    And the list shows artifact A tagged "llm:latest"

  @required @rule:pin.per-id
  Scenario: Two entries of one ID agree on pinning: a read-only copy pins the main store's entry too
    Given the main store holds artifact A as "llm:v2"
    And the read-only store "first" holds artifact A as "llm:v1"
    When the client lists the artifacts
    Then the list shows artifact A tagged "llm:v1"
    And the list shows artifact A tagged "llm:v2"
    And the list reports artifact A as pinned
    And the status of "llm:v2" reports it pinned

  @required @rule:list.agrees-with-status
  Scenario: What the list reports agrees with a status look-up
    Given the read-only store "second" holds artifact A as "llm:v1"
    And the registry has artifact B tagged "llm:v2"
    And the client has pulled "llm:v2"
    When the client lists the artifacts
    Then each listed artifact has the same ID, tags, size and pinning as its status

  @required @rule:list.main-store-failure
  Scenario: A main store that cannot be read is reported, and hides only its own artifacts
    Given the read-only store "first" holds artifact A as "llm:v1"
    And the registry has artifact B tagged "llm:v2"
    And the client has pulled "llm:v2"
    And the main store's index.json is not valid JSON
    When the client lists the artifacts
    Then the listing fails naming the main store, or it shows artifact A tagged "llm:v1" and a warning names the main store
